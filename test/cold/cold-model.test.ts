/**
 * Randomized model test of the cold store against a Map oracle. Tiny pages, a tiny chunk cache
 * and small budgets make chunk I/O, chunk RCU, compaction of both the cold log and the chunk log,
 * and checkpoint / recover cycles (clean closes and abandoned "crashed" instances) run constantly.
 * Operations run in concurrent batches on distinct keys; a checkpoint may start in the middle of
 * a batch, and the recovered state must be exactly the operations issued before it.
 * Prints its seed; replay with F2KV_SEED=<seed>. F2KV_COLD_OPS sets the length.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ColdKv } from '../../src/cold/cold-kv.js';
import type { ColdSession } from '../../src/cold/cold-session.js';
import type { ColdKvOptions } from '../../src/cold/cold-options.js';
import { PENDING } from '../../src/kv/kv-engine.js';
import { makeRng, testSeed } from '../helpers/prng.js';

const OPS = Number(process.env['F2KV_COLD_OPS'] ?? 60_000);
const KEYS = 3000;
const hex = (v: Uint8Array | undefined): string => (v === undefined ? 'undefined' : Buffer.from(v).toString('hex'));

function keyOf(i: number): Uint8Array {
  const k = new Uint8Array(4 + (i % 13));
  k[0] = i & 0xff;
  k[1] = (i >>> 8) & 0xff;
  k[2] = 0x5a;
  k[3] = (i >>> 16) & 0xff;
  for (let b = 4; b < k.length; b++) k[b] = (i * 7 + b) & 0xff;
  return k;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function options(url: string, recover: boolean | string): ColdKvOptions {
  return {
    url,
    index: { expectedKeys: 2048, chunkSize: '64B', chunkCacheSize: '32KiB' },
    log: { pageSize: '4KiB', memorySize: '12KiB' },
    compaction: { enabled: true, maxLogSize: '256KiB', triggerFraction: 0.6, compactFraction: 0.3, maxBytesPerPass: '64KiB' },
    checkpoint: { keep: 2 },
    recover,
  };
}

async function runModel(url: string, seed: number, ops: number): Promise<void> {
  const rng = makeRng(seed);
  let store = await ColdKv.open(options(url, false));
  let session: ColdSession = store.startSession('model');
  const oracle = new Map<number, Uint8Array>();
  let done = 0;
  let checkpoints = 0;
  let crashes = 0;
  let manualCompactions = 0;
  let syncHits = 0;
  const totals = { autoCompactions: 0, chunkLogCompactions: 0, chunkMisses: 0 };
  const account = (kv: ColdKv): void => {
    const st = kv.stats();
    totals.autoCompactions += st.compaction.passes;
    totals.chunkLogCompactions += st.index.chunkLogCompactions;
    totals.chunkMisses += st.index.chunkMisses;
  };
  const verifyAll = async (s: ColdSession, expected: Map<number, Uint8Array>, label: string): Promise<void> => {
    for (let i = 0; i < KEYS; i++) {
      const got = await s.read(keyOf(i));
      if (hex(got) !== hex(expected.get(i))) throw new Error(`${label}: key ${i}: got ${hex(got)}, expected ${hex(expected.get(i))} (seed ${seed})`);
    }
  };
  while (done < ops) {
    const batch = 1 + Math.floor(rng() * 24);
    const used = new Set<number>();
    const ops: Promise<void>[] = [];
    // A checkpoint may be called in the middle of the batch: it covers what was issued before.
    const checkpointAt = rng() < 0.02 ? Math.floor(rng() * batch) : -1;
    let checkpoint: Promise<string> | undefined;
    let covered: Map<number, Uint8Array> | undefined;
    let coveredSerial = 0;
    for (let j = 0; j < batch; j++) {
      if (j === checkpointAt) {
        covered = new Map(oracle);
        coveredSerial = session.serial;
        checkpoint = store.checkpoint();
      }
      let i = Math.floor(rng() * KEYS);
      while (used.has(i)) i = Math.floor(rng() * KEYS);
      used.add(i);
      const k = keyOf(i);
      const dice = rng();
      if (dice < 0.4) {
        const expected = hex(oracle.get(i));
        if (rng() < 0.3) {
          const fast = session.readSync(k);
          if (fast !== PENDING) {
            syncHits++;
            expect(hex(fast)).toBe(expected);
            continue;
          }
        }
        ops.push(session.read(k).then((v) => {
          if (hex(v) !== expected) throw new Error(`read of key ${i}: got ${hex(v)}, expected ${expected} (seed ${seed})`);
        }));
      } else if (dice < 0.75) {
        const v = new Uint8Array(Math.floor(rng() * 90));
        for (let b = 0; b < v.length; b++) v[b] = (rng() * 256) | 0;
        oracle.set(i, v);
        if (rng() < 0.2 && session.upsertSync(k, v) !== PENDING) continue;
        ops.push(session.upsert(k, v));
      } else if (dice < 0.88) {
        oracle.delete(i);
        ops.push(session.delete(k));
      } else {
        const old = oracle.get(i);
        const next = new Uint8Array((old?.length ?? 0) + 1);
        if (old) next.set(old);
        next[next.length - 1] = i & 0xff;
        oracle.set(i, next);
        const fn = (o: Uint8Array | undefined): Uint8Array => {
          const n = new Uint8Array((o?.length ?? 0) + 1);
          if (o) n.set(o);
          n[n.length - 1] = i & 0xff;
          return n;
        };
        ops.push(session.rmw(k, fn).then((v) => expect(hex(v)).toBe(hex(next))));
      }
    }
    done += batch;
    await Promise.all(ops);
    if (checkpoint) {
      await checkpoint;
      checkpoints++;
      const action = rng();
      if (action < 0.5) {
        // Crash: abandon this instance (no close) and recover the checkpoint in a new one.
        crashes++;
        account(store);
        store.abandon();
        const next = await ColdKv.open(options(url, true));
        const s = next.continueSession('model');
        expect(s.serial).toBe(coveredSerial);
        await verifyAll(s, covered!, `after crash ${crashes}`);
        oracle.clear();
        for (const [k, v] of covered!) oracle.set(k, v);
        store = next;
        session = s;
      } else if (action < 0.7) {
        account(store);
        await store.close();
        const next = await ColdKv.open(options(url, true));
        session = next.continueSession('model');
        await verifyAll(session, oracle, 'after a clean reopen');
        store = next;
      }
    }
    if (rng() < 0.01 && store.hlog.readOnlyAddress - store.hlog.beginAddress > 2 * store.hlog.pageSize) {
      manualCompactions++;
      await store.compact(store.hlog.readOnlyAddress);
    }
  }
  await verifyAll(session, oracle, 'at the end');
  const stats = store.stats();
  account(store);
  console.log(
    `[cold model ${url.split(':')[0]}] ops=${done} checkpoints=${checkpoints} crashes=${crashes} manualCompactions=${manualCompactions} ` +
      `autoCompactions=${totals.autoCompactions} chunkLogCompactions=${totals.chunkLogCompactions} chunkMisses=${totals.chunkMisses} ` +
      `chunkHitRatio=${stats.index.chunkHitRatio.toFixed(2)} syncHits=${syncHits} getsPerRead=${stats.getsPerRead.toFixed(2)} ` +
      `logBytes=${stats.log.bytes} chunkLogBytes=${stats.index.chunkLogBytes}`,
  );
  expect(checkpoints).toBeGreaterThan(0);
  expect(totals.chunkMisses).toBeGreaterThan(0);
  expect(totals.chunkLogCompactions).toBeGreaterThan(0);
  // The chunk log stays proportional to the chunks however often they are rewritten: within a
  // small multiple of its budget (3 × chunks × chunk record bytes, at least 16 chunk pages).
  const budget = Math.max(16 * 4096, 3 * stats.index.chunks * 96);
  expect(stats.index.chunkLogBytes).toBeLessThan(2.5 * budget);
  await store.close();
}

describe('cold store model test', () => {
  it(`${OPS} operations on memory:// against a Map oracle`, async () => {
    const seed = testSeed('cold-model-memory');
    await runModel(`memory://cold-model-${seed}-${Date.now()}`, seed, OPS);
  }, 600_000);

  // The local directory fsyncs every object: fewer operations, the same paths.
  it(`${OPS / 6} operations on file:// against a Map oracle`, async () => {
    const seed = testSeed('cold-model-file');
    const dir = mkdtempSync(join(tmpdir(), 'f2kv-cold-model-'));
    dirs.push(dir);
    await runModel(pathToFileURL(join(dir, 'cold')).href, seed, OPS / 6);
  }, 600_000);
});
