/**
 * Randomized CPR test with every hot-tier feature on: a session runs concurrent batches of
 * operations (distinct keys per batch) on a tiny-memory file log with a read cache, automatic
 * index growth and automatic compaction, while checkpoints are taken at random points — often in
 * the middle of issuing a batch. Then the store "crashes" (it is abandoned after its last device
 * write; nothing is closed) and a new instance recovers. The recovered state must be exactly the
 * state after operations 1..s of the session, where s is the serial number the checkpoint recorded,
 * and the session continues from s. Prints its seed (replay with F2KV_SEED).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { FasterKv } from '../../src/index.js';
import type { FasterKvOptions, Session } from '../../src/index.js';
import { makeRng, testSeed } from '../helpers/prng.js';

const dir = mkdtempSync(join(tmpdir(), 'f2kv-cpr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Op = { key: number; kind: 'upsert' | 'rmw' | 'delete'; value: string };

const options = (): FasterKvOptions => ({
  index: { buckets: 16, maxLoad: 0.5 },
  log: { device: `file://${dir}/hot`, pageSize: 4096, memorySize: 8 * 4096, mutableFraction: 0.5 },
  readCache: { memorySize: 4 * 4096, pageSize: 4096 },
  compaction: { enabled: true, maxLogSize: 48 * 4096 },
  checkpoint: { url: `file://${dir}/ckpt`, keep: 2, onClose: false },
});

function expectedState(history: Op[], upTo: number): Map<number, string> {
  const state = new Map<number, string>();
  for (let i = 0; i < upTo; i++) {
    const op = history[i]!;
    if (op.kind === 'delete') state.delete(op.key);
    else if (op.kind === 'upsert') state.set(op.key, op.value);
    else state.set(op.key, `${state.get(op.key) ?? ''}|${op.value}`.slice(-60));
  }
  return state;
}

it('recovers exact session prefixes across random checkpoints and crashes, with all features on', async () => {
  const seed = testSeed('cpr-oracle');
  const rng = makeRng(seed);
  const keySpace = 3000;
  const history: Op[] = []; // history[i] is the operation with serial i + 1
  let store = await FasterKv.open(options());
  let s: Session = store.continueSession('w');
  let crashes = 0;
  let checkpointsTaken = 0;
  const dec = new TextDecoder();
  const totals = { growths: 0, compactions: 0, rcHits: 0, pendingReads: 0 };
  const addStats = (): void => {
    const st = store.stats();
    totals.growths += st.index.growths ?? 0;
    totals.compactions += st.compaction.passes;
    totals.rcHits += st.readCache!.hits;
    totals.pendingReads += st.operations.pendingReads;
  };
  for (let cycle = 0; cycle < 8; cycle++) {
    let lastCheckpoint: Promise<string> | undefined;
    let checkpointSerial = -1;
    const batches = 150 + Math.floor(rng() * 250);
    for (let b = 0; b < batches; b++) {
      const size = 1 + Math.floor(rng() * 20);
      const used = new Set<number>();
      const work: Promise<unknown>[] = [];
      const checkpointAt = rng() < 0.02 ? Math.floor(rng() * size) : -1;
      for (let j = 0; j < size; j++) {
        if (j === checkpointAt) {
          checkpointSerial = s.serial;
          lastCheckpoint = store.checkpoint();
          checkpointsTaken++;
          work.push(lastCheckpoint);
        }
        let key = Math.floor(rng() * rng() * keySpace);
        while (used.has(key)) key = (key + 1) % keySpace;
        used.add(key);
        const dice = rng();
        const op: Op = { key, kind: dice < 0.6 ? 'upsert' : dice < 0.85 ? 'rmw' : 'delete', value: `${cycle}.${b}.${j}.${'x'.repeat(Math.floor(rng() * 40))}` };
        history.push(op);
        expect(s.serial + 1).toBe(history.length);
        if (op.kind === 'upsert') work.push(s.upsert(`k${key}`, op.value));
        else if (op.kind === 'delete') work.push(s.delete(`k${key}`));
        else work.push(s.rmw(`k${key}`, (old) => `${old ? dec.decode(old) : ''}|${op.value}`.slice(-60)));
      }
      await Promise.all(work);
    }
    if (lastCheckpoint === undefined) {
      checkpointSerial = s.serial;
      await store.checkpoint();
      checkpointsTaken++;
    }
    // Crash: the process stops after its last write reached the device; nothing is closed.
    await store.hlog.waitForFlushes();
    addStats();
    crashes++;
    await store.directoryLock?.release(); // the crashed process's lock would be gone with it
    store = await FasterKv.open(options());
    const recovered = store.recoveredCheckpoint!.sessions['w']!;
    expect(recovered, `cycle ${cycle} seed ${seed}`).toBe(checkpointSerial);
    history.length = recovered;
    s = store.continueSession('w');
    expect(s.serial).toBe(recovered);
    const state = expectedState(history, recovered);
    const reader = store.startSession(); // reads in their own session keep 'w' aligned with history
    for (let key = 0; key < keySpace; key++) {
      const v = await reader.read(`k${key}`);
      expect(v === undefined ? undefined : dec.decode(v), `key ${key} after crash ${crashes} (seed ${seed})`).toBe(state.get(key));
    }
    reader.end();
  }
  console.log(
    `[cpr-oracle] crashes=${crashes} checkpoints=${checkpointsTaken} ops=${history.length} buckets=${store.stats().index.buckets} ` +
      `growths=${totals.growths} compactions=${totals.compactions} rcHits=${totals.rcHits} pendingReads=${totals.pendingReads}`,
  );
  expect(totals.growths).toBeGreaterThan(0);
  // The index grows with the keys, not with retries or duplicate entries (3,000 keys at load <= 0.5).
  expect(store.stats().index.buckets).toBeLessThanOrEqual(2048);
  expect(totals.compactions).toBeGreaterThan(0);
  expect(totals.rcHits).toBeGreaterThan(0);
  await store.close();
}, 180_000);
