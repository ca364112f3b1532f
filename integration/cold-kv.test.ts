/**
 * The cold store (ColdKv) against MinIO (S3) and Azurite (Azure Blob): a seeded randomized run
 * against a Map oracle with concurrent operations, small pages and a tiny chunk cache (so that
 * record and chunk GETs happen), a checkpoint, a clean reopen and a reopen after an abandoned
 * ("crashed") instance verifying every key, and a compaction pass whose objects below begin are
 * deleted by the next checkpoint. Prints its seed; replay with F2KV_SEED=<seed>.
 */
import { expect, it } from 'vitest';
import { ColdKv } from '../src/cold/cold-kv.js';
import type { ColdKvOptions } from '../src/cold/cold-options.js';
import type { ColdSession } from '../src/cold/cold-session.js';
import { openObjectStore, type OpenObjectStoreOptions } from '../src/devices/open-object-store.js';
import { makeRng, testSeed } from '../test/helpers/prng.js';
import { emptyStore, freshPrefix, minioStoreOptions, withBackend } from './backends.js';

const OPS = Number(process.env['F2KV_COLD_OPS'] ?? 5000);
const KEYS = 800;
const keyOf = (i: number): string => `k${i.toString(36).padStart(4, '0')}`;
const dec = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : new TextDecoder().decode(v));

function coldOptions(url: string, store: OpenObjectStoreOptions, recover: boolean | string): ColdKvOptions {
  return {
    url,
    store,
    index: { expectedKeys: 2048, chunkSize: '64B', chunkCacheSize: '32KiB' },
    log: { pageSize: '4KiB', memorySize: '16KiB' },
    compaction: { enabled: false },
    checkpoint: { keep: 1 },
    recover,
  };
}

/** Reads every key, 64 in flight, and compares with the oracle. */
async function verifyAll(s: ColdSession, oracle: Map<number, string>, label: string, seed: number): Promise<void> {
  const wrong: string[] = [];
  for (let i = 0; i < KEYS; i += 64) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(KEYS, i + 64); j++) {
      batch.push(
        s.read(keyOf(j)).then((v) => {
          if (dec(v) !== oracle.get(j)) wrong.push(`key ${j}: got ${String(dec(v))}, expected ${String(oracle.get(j))}`);
        }),
      );
    }
    await Promise.all(batch);
  }
  expect(wrong, `${label} (seed ${seed})`).toEqual([]);
}

/** `count` random operations in concurrent batches of distinct keys, applied to the oracle too. */
async function randomOps(s: ColdSession, oracle: Map<number, string>, rng: () => number, count: number, seed: number): Promise<void> {
  let done = 0;
  let stamp = 0;
  while (done < count) {
    const batch = 1 + Math.floor(rng() * 48);
    const used = new Set<number>();
    const ops: Promise<unknown>[] = [];
    for (let j = 0; j < batch; j++) {
      let i = Math.floor(rng() * KEYS);
      while (used.has(i)) i = Math.floor(rng() * KEYS);
      used.add(i);
      const dice = rng();
      if (dice < 0.35) {
        const expected = oracle.get(i);
        ops.push(
          s.read(keyOf(i)).then((v) => {
            if (dec(v) !== expected) throw new Error(`read of key ${i}: got ${String(dec(v))}, expected ${String(expected)} (seed ${seed})`);
          }),
        );
      } else if (dice < 0.8) {
        const v = `${i}:${++stamp}:${'v'.repeat(Math.floor(rng() * 60))}`;
        oracle.set(i, v);
        ops.push(s.upsert(keyOf(i), v));
      } else if (dice < 0.9) {
        oracle.delete(i);
        ops.push(s.delete(keyOf(i)));
      } else {
        const next = `${oracle.get(i) ?? ''}+`;
        oracle.set(i, next);
        ops.push(
          s.rmw(keyOf(i), (old) => new TextEncoder().encode(`${dec(old) ?? ''}+`)).then((v) => {
            if (dec(v) !== next) throw new Error(`rmw of key ${i}: got ${String(dec(v))}, expected ${next} (seed ${seed})`);
          }),
        );
      }
    }
    done += batch;
    await Promise.all(ops);
  }
}

function describeColdKv(label: string, target: () => { url: string; store: OpenObjectStoreOptions }): void {
  it(`${label}: randomized run against a Map oracle, checkpoint, reopen, crash-style reopen`, async () => {
    const seed = testSeed(`cold-kv ${label}`);
    const rng = makeRng(seed);
    const { url, store: storeOptions } = target();
    const cleanup = await openObjectStore(url, storeOptions);
    try {
      const oracle = new Map<number, string>();
      let store = await ColdKv.open(coldOptions(url, storeOptions, false));
      await randomOps(store.startSession('model'), oracle, rng, OPS, seed);
      const st = store.stats();
      expect(st.requests.byKind.PUT.requests).toBeGreaterThan(0);
      expect(st.requests.byKind.GET.requests).toBeGreaterThan(0);
      expect(st.readGets.record).toBeGreaterThan(0);
      expect(st.index.chunkMisses).toBeGreaterThan(0);
      const token = await store.checkpoint();
      await store.close();

      // Clean reopen: the newest checkpoint.
      store = await ColdKv.open(coldOptions(url, storeOptions, true));
      expect(store.recoveredToken).toBe(token);
      await verifyAll(store.startSession(), oracle, 'after reopen', seed);
      expect(store.stats().requests.byKind.GET.requests).toBeGreaterThan(0);

      // More work, a checkpoint, more work that the checkpoint does not cover, then abandon the
      // instance (no close) and open the prefix again as a fresh process would.
      const s = store.startSession('more');
      await randomOps(s, oracle, rng, Math.floor(OPS / 10), seed);
      const covered = new Map(oracle);
      const token2 = await store.checkpoint();
      await randomOps(s, oracle, rng, Math.floor(OPS / 20), seed);
      const abandoned = store;
      store = await ColdKv.open(coldOptions(url, storeOptions, true));
      expect(store.recoveredToken).toBe(token2);
      await verifyAll(store.startSession(), covered, 'after crash-style reopen', seed);
      // The abandoned instance is fenced: closing it publishes nothing.
      await abandoned.close();
      expect(abandoned.isFenced).toBe(true);
      // Its reads moved the session serials, so close() takes a final checkpoint.
      await store.close();
      const again = await ColdKv.open(coldOptions(url, storeOptions, true));
      expect(again.recoveredToken).toBe(store.checkpoints[0]?.token);
      await verifyAll(again.startSession(), covered, 'after the fenced close', seed);
      await again.close();
    } finally {
      await emptyStore(cleanup);
      await cleanup.close();
    }
  });

  it(`${label}: compaction, then the next checkpoint deletes the objects below begin`, async () => {
    const seed = testSeed(`cold-kv compaction ${label}`);
    const rng = makeRng(seed);
    const { url, store: storeOptions } = target();
    const cleanup = await openObjectStore(url, storeOptions);
    try {
      const oracle = new Map<number, string>();
      const store = await ColdKv.open(coldOptions(url, storeOptions, false));
      const s = store.startSession();
      // Every key twice: the first versions are dead, so compaction copies at most half.
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < KEYS; i += 64) {
          const batch: Promise<void>[] = [];
          for (let j = i; j < Math.min(KEYS, i + 64); j++) {
            const v = `${j}-${round}-${'c'.repeat(Math.floor(rng() * 40))}`;
            oracle.set(j, v);
            batch.push(s.upsert(keyOf(j), v));
          }
          await Promise.all(batch);
        }
      }
      await store.checkpoint();
      const before = await store.bucketStats();
      const beginBefore = store.stats().log.beginAddress;
      const result = await store.compact(store.hlog.readOnlyAddress);
      expect(result.recordsScanned).toBeGreaterThan(KEYS);
      expect(result.recordsCopied).toBeLessThanOrEqual(KEYS);
      expect(store.stats().log.beginAddress).toBeGreaterThan(beginBefore);
      // Compaction alone deletes nothing: retention does, after the next checkpoint.
      expect((await store.bucketStats()).byPrefix['log'] ?? 0).toBeGreaterThanOrEqual(before.byPrefix['log'] ?? 0);
      await store.checkpoint();
      const after = await store.bucketStats();
      expect(after.byPrefix['log'] ?? 0, JSON.stringify({ before, after })).toBeLessThan(before.byPrefix['log'] ?? 0);
      await verifyAll(store.startSession(), oracle, 'after compaction', seed);
      const st = store.stats();
      expect(st.requests.byKind.DELETE.requests).toBeGreaterThan(0);
      expect(st.compaction.passes).toBe(1);
      await store.close();
      const reopened = await ColdKv.open(coldOptions(url, storeOptions, true));
      await verifyAll(reopened.startSession(), oracle, 'after compaction and reopen', seed);
      await reopened.close();
    } finally {
      await emptyStore(cleanup);
      await cleanup.close();
    }
  });
}

withBackend('s3', 'ColdKv on S3 (MinIO)', (s3) => {
  describeColdKv(`S3 (${s3.source})`, () => ({
    url: `s3://${s3.bucket}/${freshPrefix('cold')}`,
    store: minioStoreOptions(s3, { timeoutMs: 20_000 }),
  }));
});

withBackend('azure', 'ColdKv on Azure Blob (Azurite)', (az) => {
  describeColdKv(`Azure (${az.source})`, () => ({
    url: `az://${az.container}/${freshPrefix('cold')}`,
    store: { connectionString: az.connectionString, timeoutMs: 20_000 },
  }));
});
