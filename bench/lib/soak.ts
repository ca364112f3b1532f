/**
 * The soak run: a mixed F2 load (reads, upserts, read-modify-writes, deletes; 32 in flight on
 * distinct keys) with hot → cold migration, cold compaction and periodic checkpoints on a small
 * memory budget, checked against a Map oracle while it runs. Every `reportEverySec` it samples
 * RSS, heap, event-loop delay (perf_hooks.monitorEventLoopDelay), request rates, the number of
 * objects in the store (one LIST per sample) and the tiers' extents. After `warmupFraction` of
 * the run, the object count and RSS must stay within bounds set from the warm-up (retention and
 * truncation must keep up). At the end it checkpoints, closes, reopens on a fresh hot directory
 * (the hot tier rebuilt from the checkpoint store) and reads every key against the oracle.
 *
 * Used by `npm run soak` (bench/soak.ts) and the CI soak test (integration/reliability/soak.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { openObjectStore, type OpenObjectStoreOptions } from '../../src/devices/open-object-store.js';
import { F2Kv } from '../../src/f2/f2-kv.js';
import type { F2KvOptions } from '../../src/f2/f2-options.js';
import { Prng } from '../../src/core/prng.js';

export interface SoakOptions {
  /** Object-store URL under which the cold tier (`/cold`) and checkpoints (`/checkpoints`) live; default a temp directory. */
  url?: string;
  store?: OpenObjectStoreOptions;
  durationSec: number;
  reportEverySec: number;
  checkpointEverySec: number;
  keys: number;
  valueBytes: number;
  /** Hot log memory, bytes (the hot budget is 4× this). */
  hotMemory: number;
  /** Cold log budget, bytes: cold → cold compaction and object deletion start near it. */
  coldLogBudget: number;
  seed: number;
  /** Share of the run before the bounds apply. */
  warmupFraction: number;
  /** Printed lines go here. */
  print: (line: string) => void;
}

export interface SoakSample {
  t: number;
  opsPerSec: number;
  reads: number;
  upserts: number;
  rmws: number;
  deletes: number;
  rssMiB: number;
  heapMiB: number;
  loopP99Ms: number;
  loopMaxMs: number;
  objects: number;
  hotLogBytes: number;
  coldLogBytes: number;
  checkpoints: number;
  migrationPasses: number;
  coldCompactions: number;
}

export interface SoakResult {
  seed: number;
  url: string;
  durationSec: number;
  acknowledged: number;
  wrongReads: number;
  lost: number;
  verifiedKeys: number;
  checkpoints: number;
  samples: SoakSample[];
  bounds: { objects: number; rssMiB: number; maxObjectsAfterWarmup: number; maxRssMiBAfterWarmup: number };
  withinBounds: boolean;
  errors: string[];
}

function f2Options(url: string, hotDir: string, store: OpenObjectStoreOptions, hotMemory: number, coldLogBudget: number, recover: boolean): F2KvOptions {
  const local = url.startsWith('file:');
  const s = local ? { ...store, createIfMissing: true } : store;
  return {
    hot: {
      index: { buckets: 1024 },
      log: { device: pathToFileURL(hotDir).href, memorySize: hotMemory, pageSize: '16KiB' },
      readCache: { memorySize: Math.max(64 * 1024, hotMemory / 4), pageSize: '16KiB' },
    },
    cold: {
      url: `${url}/cold`, store: s,
      index: { expectedKeys: 1 << 16, chunkSize: '256B', chunkCacheSize: '1MiB' },
      log: { pageSize: '64KiB', memorySize: '256KiB' },
    },
    compaction: {
      hotToCold: { maxLogSize: 4 * hotMemory },
      coldToCold: { maxLogSize: coldLogBudget, triggerFraction: 0.8, compactFraction: 0.3 },
    },
    checkpoint: { url: `${url}/checkpoints`, store: s, keep: 2, onClose: true },
    recover,
  };
}

const keyOf = (i: number): string => `soak-${i.toString(36)}`;
const MiB = 1024 * 1024;

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const scratch = mkdtempSync(join(tmpdir(), 'f2kv-soak-'));
  const url = o.url ?? pathToFileURL(join(scratch, 'store')).href;
  const store = o.store ?? {};
  const rng = new Prng(o.seed);
  const oracle = new Map<number, string>();
  const errors: string[] = [];
  let wrongReads = 0;
  let acknowledged = 0;
  const counts = { reads: 0, upserts: 0, rmws: 0, deletes: 0 };
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const hotDir = join(scratch, 'hot');
  const kv = await F2Kv.open(f2Options(url, hotDir, store, o.hotMemory, o.coldLogBudget, false));
  const listStores = await Promise.all([openObjectStore(`${url}/cold`, store), openObjectStore(`${url}/checkpoints`, store)]);
  const countObjects = async (): Promise<number> => (await Promise.all(listStores.map((s) => s.list('')))).reduce((n, l) => n + l.length, 0);

  const started = performance.now();
  const deadline = started + o.durationSec * 1000;
  const busy = new Set<number>();
  const value = (i: number, n: number): string => `${i}:${n}:${'v'.repeat(Math.max(0, o.valueBytes - 16))}`.slice(0, Math.max(8, o.valueBytes));
  let serial = 0;

  const worker = async (): Promise<void> => {
    const s = kv.startSession();
    while (performance.now() < deadline && errors.length === 0) {
      let i = Math.floor(rng.nextFloat() * o.keys);
      while (busy.has(i)) i = (i + 1) % o.keys;
      busy.add(i);
      const dice = rng.nextFloat();
      try {
        if (dice < 0.5) {
          const expected = oracle.get(i);
          const v = await s.read(keyOf(i));
          const got = v === undefined ? undefined : Buffer.from(v).toString();
          if (got !== expected) {
            wrongReads++;
            if (errors.length < 5) errors.push(`read ${keyOf(i)}: got ${String(got?.slice(0, 40))}, expected ${String(expected?.slice(0, 40))}`);
          }
          counts.reads++;
        } else if (dice < 0.8) {
          const v = value(i, ++serial);
          await s.upsert(keyOf(i), v);
          oracle.set(i, v);
          counts.upserts++;
        } else if (dice < 0.9) {
          const n = ++serial;
          const r = await s.rmw(keyOf(i), (old) => Buffer.from(old === undefined ? value(i, n) : `${Buffer.from(old).toString().split(':')[0]}:${n}:${'r'.repeat(Math.max(0, o.valueBytes - 16))}`.slice(0, Math.max(8, o.valueBytes))));
          oracle.set(i, Buffer.from(r).toString());
          counts.rmws++;
        } else {
          await s.delete(keyOf(i));
          oracle.delete(i);
          counts.deletes++;
        }
        acknowledged++;
      } catch (err) {
        if (errors.length < 5) errors.push(`operation on ${keyOf(i)} failed: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        busy.delete(i);
      }
    }
    s.end();
  };

  const samples: SoakSample[] = [];
  let lastOps = 0;
  let lastT = started;
  const sample = async (): Promise<void> => {
    const now = performance.now();
    const st = kv.stats();
    const mem = process.memoryUsage();
    const total = counts.reads + counts.upserts + counts.rmws + counts.deletes;
    const s: SoakSample = {
      t: Math.round((now - started) / 1000),
      opsPerSec: Math.round(((total - lastOps) * 1000) / Math.max(1, now - lastT)),
      ...counts,
      rssMiB: Math.round(mem.rss / MiB),
      heapMiB: Math.round(mem.heapUsed / MiB),
      loopP99Ms: Math.round(loop.percentile(99) / 1e5) / 10,
      loopMaxMs: Math.round(loop.max / 1e5) / 10,
      objects: await countObjects(),
      hotLogBytes: st.hot.log.tailAddress - st.hot.log.beginAddress,
      coldLogBytes: st.cold.log.bytes,
      checkpoints: st.checkpoints.taken,
      migrationPasses: st.hotToCold.passes,
      coldCompactions: st.coldToCold.passes,
    };
    lastOps = total;
    lastT = now;
    loop.reset();
    samples.push(s);
    o.print(
      `[soak] t=${s.t}s ops/s=${s.opsPerSec} acked=${acknowledged} rss=${s.rssMiB}MiB heap=${s.heapMiB}MiB loop p99=${s.loopP99Ms}ms max=${s.loopMaxMs}ms ` +
        `objects=${s.objects} hotLog=${Math.round(s.hotLogBytes / 1024)}KiB coldLog=${Math.round(s.coldLogBytes / 1024)}KiB ` +
        `checkpoints=${s.checkpoints} migrations=${s.migrationPasses} coldCompactions=${s.coldCompactions}`,
    );
  };

  let stopTimers = false;
  const checkpointer = (async () => {
    while (!stopTimers) {
      await new Promise((r) => setTimeout(r, o.checkpointEverySec * 1000));
      if (stopTimers) break;
      await kv.checkpoint().catch((err: unknown) => errors.push(`checkpoint failed: ${err instanceof Error ? err.message : String(err)}`));
    }
  })();
  const sampler = (async () => {
    while (!stopTimers) {
      await new Promise((r) => setTimeout(r, o.reportEverySec * 1000));
      if (stopTimers) break;
      await sample().catch((err: unknown) => errors.push(`sample failed: ${String(err)}`));
    }
  })();
  await Promise.all(Array.from({ length: 32 }, worker));
  stopTimers = true;
  await Promise.all([checkpointer, sampler]);
  await sample();
  const checkpoints = kv.stats().checkpoints.taken + 1;
  await kv.close();
  loop.disable();

  // Final recovery on a fresh machine: no hot directory, everything from the object store.
  rmSync(hotDir, { recursive: true, force: true });
  const again = await F2Kv.open(f2Options(url, hotDir, store, o.hotMemory, o.coldLogBudget, true));
  const s = again.startSession();
  let lost = 0;
  for (let i = 0; i < o.keys; i += 64) {
    await Promise.all(
      Array.from({ length: Math.min(64, o.keys - i) }, async (_, j) => {
        const v = await s.read(keyOf(i + j));
        const got = v === undefined ? undefined : Buffer.from(v).toString();
        if (got !== oracle.get(i + j)) {
          lost++;
          if (errors.length < 10) errors.push(`after recovery ${keyOf(i + j)}: got ${String(got?.slice(0, 40))}, expected ${String(oracle.get(i + j)?.slice(0, 40))}`);
        }
      }),
    );
  }
  s.end();
  await again.close();

  // Bounds: after warm-up, objects and RSS stay within what warm-up reached (with room to breathe).
  const warm = samples.filter((x) => x.t <= o.durationSec * o.warmupFraction);
  const after = samples.filter((x) => x.t > o.durationSec * o.warmupFraction);
  const warmObjects = Math.max(0, ...warm.map((x) => x.objects));
  const warmRss = Math.max(0, ...warm.map((x) => x.rssMiB));
  const bounds = {
    objects: Math.ceil(warmObjects * 1.5) + 50,
    rssMiB: Math.ceil(warmRss * 1.5) + 64,
    maxObjectsAfterWarmup: Math.max(0, ...after.map((x) => x.objects)),
    maxRssMiBAfterWarmup: Math.max(0, ...after.map((x) => x.rssMiB)),
  };
  const withinBounds = bounds.maxObjectsAfterWarmup <= bounds.objects && bounds.maxRssMiBAfterWarmup <= bounds.rssMiB;
  for (const l of listStores) await l.close();
  rmSync(scratch, { recursive: true, force: true });
  return {
    seed: o.seed, url, durationSec: o.durationSec, acknowledged, wrongReads, lost, verifiedKeys: o.keys, checkpoints, samples, bounds, withinBounds,
    errors,
  };
}
