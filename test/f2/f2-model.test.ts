/**
 * Randomized model test of the two-tier store against a Map oracle. Tiny budgets make every path
 * run constantly: hot memory and hot device reads, the read cache (device records and cold
 * values), cold reads with chunk I/O, RMW across tiers (hot record, hot tombstone, cold value,
 * absent), deletes of keys that live only in cold, automatic and on-demand hot→cold migration
 * and cold→cold compaction (also while operations are in flight), checkpoints started in the
 * middle of a batch, crashes (an abandoned instance, then recovery: every session must be an
 * exact prefix of its operations) and clean reopens. Three sessions share the operations.
 * Operations run in concurrent batches on distinct keys. Prints its seed; replay with
 * F2KV_SEED=<seed>. F2KV_F2_OPS sets the length.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { F2Kv } from '../../src/f2/f2-kv.js';
import type { F2Session } from '../../src/f2/f2-session.js';
import type { F2KvOptions } from '../../src/f2/f2-options.js';
import { PENDING } from '../../src/kv/kv-engine.js';
import { makeRng, testSeed } from '../helpers/prng.js';

// 200k operations in CI (about 3 minutes on a 2-core machine); F2KV_F2_OPS=1000000 for the full run.
const OPS = Number(process.env['F2KV_F2_OPS'] ?? 200_000);
const KEYS = 4000;
const SESSIONS = ['s0', 's1', 's2'];
const hex = (v: Uint8Array | undefined): string => (v === undefined ? 'undefined' : Buffer.from(v).toString('hex'));

function keyOf(i: number): Uint8Array {
  const k = new Uint8Array(3 + (i % 11));
  k[0] = i & 0xff;
  k[1] = (i >>> 8) & 0xff;
  k[2] = 0xa5;
  for (let b = 3; b < k.length; b++) k[b] = (i * 13 + b) & 0xff;
  return k;
}

/** The rmw function: appends a byte derived from the key to the old value (or starts one). */
function grow(i: number): (old: Uint8Array | undefined) => Uint8Array {
  return (old) => {
    const n = new Uint8Array(Math.min(80, (old?.length ?? 0) + 1));
    if (old) n.set(old.subarray(old.length + 1 > 80 ? 1 : 0));
    n[n.length - 1] = (i * 7) & 0xff;
    return n;
  };
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function options(hotDir: string, coldUrl: string, ckUrl: string, recover: boolean): F2KvOptions {
  return {
    hot: {
      index: { buckets: 512 },
      log: { device: pathToFileURL(hotDir).href, memorySize: '32KiB', pageSize: '4KiB' },
      readCache: { memorySize: '16KiB', pageSize: '4KiB' },
    },
    cold: {
      url: coldUrl,
      index: { expectedKeys: 2048, chunkSize: '64B', chunkCacheSize: '32KiB' },
      log: { pageSize: '4KiB', memorySize: '12KiB' },
    },
    compaction: {
      hotToCold: { maxLogSize: '96KiB', triggerFraction: 0.7, compactFraction: 0.3 },
      coldToCold: { maxLogSize: '1MiB', triggerFraction: 0.6, compactFraction: 0.25, maxBytesPerPass: '128KiB' },
    },
    checkpoint: { url: ckUrl, keep: 2 },
    recover,
  };
}

async function runModel(coldKind: 'memory' | 'file', seed: number, ops: number, checkpointsPerRun: number): Promise<void> {
  const rng = makeRng(seed);
  const dir = mkdtempSync(join(tmpdir(), 'f2kv-f2-model-'));
  dirs.push(dir);
  const coldUrl = coldKind === 'memory' ? `memory://f2-model-${seed}-${Date.now()}/cold` : pathToFileURL(join(dir, 'cold')).href;
  const ckUrl = coldKind === 'memory' ? `memory://f2-model-${seed}-${Date.now()}/ck` : pathToFileURL(join(dir, 'ck')).href;
  const hotDir = join(dir, 'hot');
  let store = await F2Kv.open(options(hotDir, coldUrl, ckUrl, false));
  let sessions: F2Session[] = SESSIONS.map((id) => store.startSession(id));
  const oracle = new Map<number, Uint8Array>();
  const totals = { reads: { hotMemory: 0, readCache: 0, hotDevice: 0, cold: 0, notFound: 0 }, migrations: 0, moved: 0, coldCompactions: 0, chunkMisses: 0 };
  const account = (kv: F2Kv): void => {
    const st = kv.stats();
    for (const k of Object.keys(totals.reads) as (keyof typeof totals.reads)[]) totals.reads[k] += st.reads[k];
    totals.migrations += st.hotToCold.passes;
    totals.moved += st.hotToCold.recordsMoved;
    totals.coldCompactions += st.coldToCold.passes;
    totals.chunkMisses += st.cold.index.chunkMisses;
  };
  // About `checkpointsPerRun` checkpoints (batches average 16.5 operations), whatever the length.
  const checkpointRate = Math.min(0.5, (checkpointsPerRun * 16.5) / ops);
  let done = 0;
  let checkpoints = 0;
  let crashes = 0;
  let reopens = 0;
  let manual = 0;
  let syncOps = 0;
  const verifyAll = async (s: F2Session, expected: Map<number, Uint8Array>, label: string): Promise<void> => {
    for (let i = 0; i < KEYS; i++) {
      const got = await s.read(keyOf(i));
      if (hex(got) !== hex(expected.get(i))) throw new Error(`${label}: key ${i}: got ${hex(got)}, expected ${hex(expected.get(i))} (seed ${seed})`);
    }
  };
  const background: Promise<unknown>[] = [];
  while (done < ops) {
    const batch = 1 + Math.floor(rng() * 32);
    const used = new Set<number>();
    const pending: Promise<void>[] = [];
    const checkpointAt = rng() < checkpointRate ? Math.floor(rng() * batch) : -1;
    let checkpoint: Promise<string> | undefined;
    let covered: Map<number, Uint8Array> | undefined;
    let coveredSerials: number[] = [];
    for (let j = 0; j < batch; j++) {
      if (j === checkpointAt) {
        covered = new Map(oracle);
        coveredSerials = sessions.map((s) => s.serial);
        checkpoint = store.checkpoint();
      }
      if (rng() < 0.002) {
        // Maintenance while operations are in flight.
        manual++;
        background.push(rng() < 0.6 ? store.compactHotLog() : store.compactColdLog());
      }
      let i = Math.floor(rng() * KEYS);
      while (used.has(i)) i = Math.floor(rng() * KEYS);
      used.add(i);
      const s = sessions[Math.floor(rng() * sessions.length)]!;
      const k = keyOf(i);
      const dice = rng();
      if (dice < 0.45) {
        const expected = hex(oracle.get(i));
        if (rng() < 0.3) {
          const fast = s.readSync(k);
          if (fast !== PENDING) {
            syncOps++;
            if (hex(fast) !== expected) throw new Error(`readSync of key ${i}: got ${hex(fast)}, expected ${expected} (seed ${seed})`);
            continue;
          }
        }
        pending.push(s.read(k).then((v) => {
          if (hex(v) !== expected) throw new Error(`read of key ${i}: got ${hex(v)}, expected ${expected} (seed ${seed})`);
        }));
      } else if (dice < 0.7) {
        const v = new Uint8Array(Math.floor(rng() * 60));
        for (let b = 0; b < v.length; b++) v[b] = (rng() * 256) | 0;
        oracle.set(i, v);
        if (rng() < 0.3 && s.upsertSync(k, v) !== PENDING) {
          syncOps++;
          continue;
        }
        pending.push(s.upsert(k, v));
      } else if (dice < 0.82) {
        oracle.delete(i);
        if (rng() < 0.3 && s.deleteSync(k) !== PENDING) {
          syncOps++;
          continue;
        }
        pending.push(s.delete(k));
      } else {
        const fn = grow(i);
        const next = fn(oracle.get(i));
        oracle.set(i, next);
        if (rng() < 0.3) {
          const fast = s.rmwSync(k, fn);
          if (fast !== PENDING) {
            syncOps++;
            expect(hex(fast)).toBe(hex(next));
            continue;
          }
        }
        pending.push(s.rmw(k, fn).then((v) => {
          if (hex(v) !== hex(next)) throw new Error(`rmw of key ${i}: got ${hex(v)}, expected ${hex(next)} (seed ${seed})`);
        }));
      }
    }
    done += batch;
    await Promise.all(pending);
    if (checkpoint) {
      await checkpoint;
      checkpoints++;
      const action = rng();
      if (action < 0.35) {
        // Crash: abandon this instance mid-flight; recover the checkpoint in a new one.
        crashes++;
        await Promise.allSettled(background.splice(0));
        account(store);
        await store.abandon();
        const next = await F2Kv.open(options(hotDir, coldUrl, ckUrl, true));
        const recovered = SESSIONS.map((id) => next.continueSession(id));
        recovered.forEach((s, n) => expect(s.serial, `session ${s.id} after crash ${crashes} (seed ${seed})`).toBe(coveredSerials[n]));
        await verifyAll(recovered[0]!, covered!, `after crash ${crashes}`);
        oracle.clear();
        for (const [k, v] of covered!) oracle.set(k, v);
        store = next;
        sessions = recovered;
      } else if (action < 0.5) {
        reopens++;
        await Promise.allSettled(background.splice(0));
        account(store);
        await store.close();
        store = await F2Kv.open(options(hotDir, coldUrl, ckUrl, true));
        sessions = SESSIONS.map((id) => store.continueSession(id));
        await verifyAll(sessions[0]!, oracle, `after reopen ${reopens}`);
      }
    }
    if (background.length > 8) await Promise.all(background.splice(0));
  }
  await Promise.all(background.splice(0));
  await verifyAll(sessions[0]!, oracle, 'at the end');
  account(store);
  console.log(
    `[f2 model ${coldKind}] ops=${done} sync=${syncOps} checkpoints=${checkpoints} crashes=${crashes} reopens=${reopens} onDemandCompactions=${manual} ` +
      `migrationPasses=${totals.migrations} recordsMoved=${totals.moved} coldCompactions=${totals.coldCompactions} chunkMisses=${totals.chunkMisses} ` +
      `reads=${JSON.stringify(totals.reads)}`,
  );
  for (const [k, v] of Object.entries(totals.reads)) expect(v, `reads served by ${k}`).toBeGreaterThan(0);
  expect(totals.migrations).toBeGreaterThan(0);
  expect(totals.coldCompactions).toBeGreaterThan(0);
  expect(crashes).toBeGreaterThan(0);
  await store.close();
}

describe('F2 model test', () => {
  it(`${OPS} operations with a memory:// cold tier against a Map oracle`, async () => {
    await runModel('memory', testSeed('f2-model-memory'), OPS, 40);
  }, 3_600_000);

  // The local directory fsyncs every object: fewer operations and recoveries, the same paths.
  it(`${OPS / 20} operations with a file:// cold tier against a Map oracle`, async () => {
    await runModel('file', testSeed('f2-model-file'), OPS / 20, 12);
  }, 3_600_000);
});
