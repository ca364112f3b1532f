/**
 * Model-based test: a long random mix of operations against the store and a Map oracle, with
 * tiny pages and a tiny memory budget so that flush, eviction, backpressure and pending reads run
 * all the time. Operations run in concurrent batches on distinct keys, so the async paths
 * interleave, and compaction, index growth and read-cache churn run in between. Prints its seed; replay with F2KV_SEED=<seed>. F2KV_ORACLE_OPS sets the length.
 */
import { describe, expect, it } from 'vitest';
import { FasterKv, PENDING } from '../../src/index.js';
import type { Session } from '../../src/index.js';
import { RamDevice } from '../helpers/ram-device.js';
import { makeRng, testSeed } from '../helpers/prng.js';

const OPS = Number(process.env['F2KV_ORACLE_OPS'] ?? 1_000_000);

/** A unique key for index i (i < 2^24): i in the first three bytes, then a filler of varying length. */
function keyOf(i: number, size: number): Uint8Array {
  const k = new Uint8Array(size);
  k[0] = i & 0xff;
  k[1] = (i >>> 8) & 0xff;
  k[2] = (i >>> 16) & 0xff;
  for (let b = 3; b < size; b++) k[b] = (i * 31 + b) & 0xff;
  return k;
}

function valueOf(rng: () => number, maxLen: number): Uint8Array {
  const len = Math.floor(rng() * rng() * maxLen);
  const v = new Uint8Array(len);
  for (let i = 0; i < len; i++) v[i] = (rng() * 256) | 0;
  return v;
}

const hex = (v: Uint8Array | undefined) => (v === undefined ? 'undefined' : Buffer.from(v).toString('hex'));

describe('randomized oracle test', () => {
  it(`${OPS} mixed operations against a Map oracle on a tiny-memory device`, async () => {
    const seed = testSeed('oracle');
    const rng = makeRng(seed);
    const store = await FasterKv.open({
      index: { buckets: 64 },
      log: { device: new RamDevice(1), pageSize: 4096, memorySize: 6 * 4096, mutableFraction: 0.5 },
      readCache: { memorySize: 4 * 4096, pageSize: 4096 },
    });
    // Background maintenance interleaved with the operations: compaction (both modes), index
    // growth, and the read cache's own churn (it is far smaller than the working set).
    const maintenance: Promise<unknown>[] = [];
    let compactions = 0;
    let growths = 0;
    const maintain = (): void => {
      const hlog = store.hlog;
      const dice = rng();
      if (dice < 0.8) {
        const pages = Math.floor((hlog.readOnlyAddress - hlog.beginAddress) / hlog.pageSize);
        if (pages < 2) return;
        const until = (hlog.pageOf(hlog.beginAddress) + 1 + Math.floor(rng() * pages)) * hlog.pageSize;
        if (until > hlog.readOnlyAddress || until <= hlog.beginAddress) return;
        compactions++;
        maintenance.push(store.compact(until, { mode: rng() < 0.5 ? 'lookup' : 'scan' }));
      } else if (store.stats().index.buckets < 4096) {
        growths++;
        maintenance.push(store.growIndex());
      }
    };
    const s: Session = store.startSession();
    const keySpace = 20_000;
    const keys: Uint8Array[] = [];
    for (let i = 0; i < keySpace; i++) keys.push(keyOf(i, 3 + (i % 37)));
    const oracle = new Map<number, Uint8Array>();
    let done = 0;
    let syncPending = 0;
    const out = new Uint8Array(1024);
    while (done < OPS) {
      const batch = 1 + Math.floor(rng() * 24);
      const used = new Set<number>();
      const work: Promise<void>[] = [];
      for (let b = 0; b < batch && done < OPS; b++, done++) {
        let ki = Math.floor(rng() * rng() * keySpace);
        while (used.has(ki)) ki = (ki + 1) % keySpace;
        used.add(ki);
        const key = keys[ki]!;
        const expected = oracle.get(ki);
        const dice = rng();
        const op = `op ${done} (seed ${seed}) key#${ki}`;
        if (dice < 0.4) {
          if (rng() < 0.3) {
            const n = s.readInto(key, out);
            if (n === -2) {
              syncPending++;
              work.push(s.read(key).then((v) => expect(hex(v), op).toBe(hex(expected))));
            } else {
              expect(n === -1 ? 'undefined' : hex(out.subarray(0, n)), op).toBe(hex(expected));
            }
          } else {
            work.push(s.read(key).then((v) => expect(hex(v), op).toBe(hex(expected))));
          }
        } else if (dice < 0.7) {
          const v = valueOf(rng, 600);
          oracle.set(ki, v);
          if (rng() < 0.3 && s.upsertSync(key, v) !== PENDING) continue;
          work.push(s.upsert(key, v));
        } else if (dice < 0.87) {
          const add = (rng() * 256) | 0;
          const fn = (old: Uint8Array | undefined): Uint8Array => {
            const n = old ? old.slice(0, Math.min(old.length + 1, 300)) : new Uint8Array(1);
            n[0] = (n[0]! + add) & 0xff;
            return n;
          };
          oracle.set(ki, fn(expected));
          const want = hex(oracle.get(ki));
          work.push(s.rmw(key, fn).then((v) => expect(hex(v), op).toBe(want)));
        } else {
          oracle.delete(ki);
          work.push(s.delete(key));
        }
      }
      if (rng() < 0.002) maintain();
      await Promise.all(work);
    }
    await Promise.all(maintenance);
    // Final sweep: every key agrees with the oracle.
    for (let ki = 0; ki < keySpace; ki++) {
      expect(hex(await s.read(keys[ki]!)), `final key#${ki} seed ${seed}`).toBe(hex(oracle.get(ki)));
    }
    const st = store.stats();
    store.hlog.checkInvariants();
    console.log(
      `[oracle] ops=${OPS} live=${oracle.size} pendingReads=${st.operations.pendingReads} syncPending=${syncPending} ` +
        `roomWaits=${st.operations.pendingRoomWaits} evicted=${st.log.pagesEvicted} flushed=${st.log.pagesFlushed} retries=${st.operations.retries} ` +
        `compactions=${compactions} copied=${st.compaction.recordsCopied} reclaimed=${st.compaction.bytesReclaimed} growths=${growths}/${st.index.growths} ` +
        `buckets=${st.index.buckets} rcHits=${st.readCache!.hits} rcMisses=${st.readCache!.misses} rcEvicted=${st.readCache!.evicted} secondChance=${st.readCache!.secondChance}`,
    );
    expect(st.compaction.bytesReclaimed).toBeGreaterThan(0);
    expect(st.index.growths).toBeGreaterThan(0);
    expect(st.readCache!.hits).toBeGreaterThan(0);
    expect(st.readCache!.evicted).toBeGreaterThan(0);
    expect(st.operations.pendingReads).toBeGreaterThan(1000);
    expect(st.log.pagesEvicted).toBeGreaterThan(100);
    await store.close();
  });
});
