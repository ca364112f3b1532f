/**
 * F2Kv against real object storage: the cold tier and the checkpoints of both tiers on MinIO and
 * on Azurite (started by the harness), the hot tier on a local directory. A seeded concurrent
 * workload across both tiers is checked against a Map oracle; then a checkpoint, a clean reopen,
 * and a fresh-machine recovery (the hot directory deleted: the hot tier is rebuilt from the
 * checkpoint store) must each read every key back exactly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { F2Kv } from '../src/f2/f2-kv.js';
import type { F2KvOptions } from '../src/f2/f2-options.js';
import type { F2Session } from '../src/f2/f2-session.js';
import type { OpenObjectStoreOptions } from '../src/devices/open-object-store.js';
import { openObjectStore } from '../src/devices/open-object-store.js';
import { makeRng, testSeed } from '../test/helpers/prng.js';
import { emptyStore, freshPrefix, minioStoreOptions, withBackend } from './backends.js';

const KEYS = 1500;
const OPS = Number(process.env['F2KV_F2_INTEGRATION_OPS'] ?? 6000);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const hex = (v: Uint8Array | undefined): string => (v === undefined ? 'undefined' : Buffer.from(v).toString('hex'));

function optionsFor(hotDir: string, base: string, store: OpenObjectStoreOptions, recover: boolean): F2KvOptions {
  return {
    hot: { log: { device: pathToFileURL(hotDir).href, memorySize: '64KiB', pageSize: '8KiB' }, readCache: { memorySize: '32KiB', pageSize: '8KiB' }, index: { buckets: 256 } },
    cold: { url: `${base}/cold`, store, index: { expectedKeys: 1024, chunkSize: '64B', chunkCacheSize: '32KiB' }, log: { pageSize: '16KiB', memorySize: '48KiB' } },
    compaction: { hotToCold: { maxLogSize: '160KiB' }, coldToCold: { maxLogSize: '512KiB', triggerFraction: 0.7, compactFraction: 0.3 } },
    checkpoint: { url: `${base}/checkpoints`, store, keep: 2 },
    recover,
  };
}

async function runAgainst(label: string, base: string, store: OpenObjectStoreOptions): Promise<void> {
  const seed = testSeed(`f2-integration-${label}`);
  const rng = makeRng(seed);
  const dir = mkdtempSync(join(tmpdir(), 'f2kv-f2-int-'));
  dirs.push(dir);
  const hotDir = join(dir, 'hot');
  const keyOf = (i: number): string => `key-${i}`;
  const oracle = new Map<number, Uint8Array>();
  let kv = await F2Kv.open(optionsFor(hotDir, base, store, false));
  let s: F2Session = kv.startSession('int');
  for (let done = 0; done < OPS; ) {
    const batch = 1 + Math.floor(rng() * 16);
    const used = new Set<number>();
    const ops: Promise<unknown>[] = [];
    for (let j = 0; j < batch; j++, done++) {
      let i = Math.floor(rng() * KEYS);
      while (used.has(i)) i = Math.floor(rng() * KEYS);
      used.add(i);
      const dice = rng();
      if (dice < 0.4) {
        const expected = hex(oracle.get(i));
        ops.push(s.read(keyOf(i)).then((v) => expect(hex(v), `read ${i} (seed ${seed})`).toBe(expected)));
      } else if (dice < 0.75) {
        const v = new Uint8Array(20 + Math.floor(rng() * 80)).map(() => (rng() * 256) | 0);
        oracle.set(i, v);
        ops.push(s.upsert(keyOf(i), v));
      } else if (dice < 0.85) {
        oracle.delete(i);
        ops.push(s.delete(keyOf(i)));
      } else {
        const old = oracle.get(i);
        const next = new Uint8Array([...(old ?? []).slice(-60), i & 0xff]);
        oracle.set(i, next);
        ops.push(s.rmw(keyOf(i), (o) => new Uint8Array([...(o ?? []).slice(-60), i & 0xff])));
      }
    }
    await Promise.all(ops);
  }
  const verify = async (sess: F2Session, what: string): Promise<void> => {
    for (let i = 0; i < KEYS; i++) expect(hex(await sess.read(keyOf(i))), `${what}: key ${i} (seed ${seed})`).toBe(hex(oracle.get(i)));
  };
  await verify(s, 'before checkpoint');
  const stats = kv.stats();
  console.log(`[f2 ${label}] seed=${seed} reads=${JSON.stringify(stats.reads)} moved=${stats.hotToCold.recordsMoved} GET=${stats.cold.requests.byKind.GET.requests} PUT=${stats.cold.requests.byKind.PUT.requests} getsPerColdRead=${stats.getsPerColdRead.toFixed(2)} costPerMillionOps=$${stats.cost.perMillionOps.toFixed(2)}`);
  expect(stats.reads.cold).toBeGreaterThan(0);
  expect(stats.hotToCold.recordsMoved).toBeGreaterThan(0);
  expect(stats.cold.requests.byKind.PUT.requests).toBeGreaterThan(0);
  const token = await kv.checkpoint();
  await kv.close();

  kv = await F2Kv.open(optionsFor(hotDir, base, store, true));
  expect(kv.recoveredToken).toBe(token);
  s = kv.continueSession('int');
  expect(s.serial).toBeGreaterThanOrEqual(OPS);
  await verify(s, 'after a clean reopen');
  await kv.close();

  // A fresh machine: the hot directory is gone; both tiers come back from the buckets alone.
  rmSync(hotDir, { recursive: true, force: true });
  kv = await F2Kv.open(optionsFor(hotDir, base, store, true));
  s = kv.continueSession('int');
  await verify(s, 'after a fresh-machine recovery');
  // A new instance holds no cold pages or chunks in memory: its cold reads are object GETs.
  const after = kv.stats();
  console.log(`[f2 ${label}] after recovery: reads=${JSON.stringify(after.reads)} GET=${after.cold.requests.byKind.GET.requests} getsPerColdRead=${after.getsPerColdRead.toFixed(2)}`);
  expect(after.reads.cold).toBeGreaterThan(0);
  expect(after.cold.requests.byKind.GET.requests).toBeGreaterThan(0);
  await kv.close();
}

async function cleanup(url: string, store: OpenObjectStoreOptions): Promise<void> {
  const o = await openObjectStore(url, store);
  await emptyStore(o);
  await o.close();
}

withBackend('s3', 'F2Kv on MinIO', (s3) => {
  it('runs both tiers with the cold tier and checkpoints on MinIO, reopens, and recovers on a fresh machine', async () => {
    const base = `s3://${s3.bucket}/${freshPrefix('f2')}`;
    const store = minioStoreOptions(s3);
    try {
      await runAgainst('minio', base, store);
    } finally {
      await cleanup(base, store);
    }
  });
});

withBackend('azure', 'F2Kv on Azurite', (az) => {
  it('runs both tiers with the cold tier and checkpoints on Azurite, reopens, and recovers on a fresh machine', async () => {
    const base = `az://${az.container}/${freshPrefix('f2')}`;
    const store: OpenObjectStoreOptions = { connectionString: az.connectionString };
    try {
      await runAgainst('azurite', base, store);
    } finally {
      await cleanup(base, store);
    }
  });
});
