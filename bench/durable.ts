/**
 * Durable-acknowledgement benchmark (`npm run bench:durable`): upserts (8-byte keys, 100-byte
 * values by default) through one FasterKv session with 1, 64 and 256 operations in flight, each
 * acknowledged
 *   - "CPR"     : at once (the default: no operation log; a crash loses what follows the last checkpoint);
 *   - "durable" : once a group commit of the operation log covers it (`durability: { mode: 'commit' }`),
 * with the checkpoints and the operation log on a local directory ("file") and on MinIO ("minio",
 * started through integration/servers.ts as bench/objectstore.ts does); the hot log is local in
 * both. Prints a table (ops/s, latency percentiles, commits and entries per commit) and writes
 * bench/results/durable-<timestamp>.json and durable.summary.json.
 *
 * Flags: --seconds 3 (per cell) --inflight 1,64,256 --backends file,minio --value 100 (bytes)
 *        --interval 2 (commitIntervalMs) --keys 100k
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Prng } from '../src/core/prng.js';
import { FasterKv, type FasterKvOptions } from '../src/index.js';
import { startS3 } from '../integration/servers.js';
import { Flags } from './lib/args.js';
import { fmtInt, renderTable } from './lib/table.js';

interface Cell {
  backend: string;
  acks: 'CPR' | 'durable';
  inFlight: number;
  ops: number;
  seconds: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  commits: number;
  entriesPerCommit: number;
}

interface Where {
  backend: string;
  checkpointUrl: string;
  store: NonNullable<FasterKvOptions['checkpoint']>['store'];
}

const log = (line: string): void => {
  process.stderr.write(`[bench] ${line}\n`);
};

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function measure(where: Where, acks: 'CPR' | 'durable', inFlight: number, o: Options, hotDir: string): Promise<Cell> {
  const store = await FasterKv.open({
    index: { buckets: 1 << 17 },
    log: { device: pathToFileURL(hotDir).href, memorySize: '64MiB', pageSize: '1MiB' },
    checkpoint: { url: where.checkpointUrl, ...(where.store !== undefined ? { store: where.store } : {}) },
    ...(acks === 'durable' ? { durability: { mode: 'commit' as const, commitIntervalMs: o.interval } } : {}),
    recover: false,
  });
  const s = store.startSession();
  const rng = new Prng(42);
  const key = new Uint8Array(8);
  const keyView = new DataView(key.buffer);
  const value = new Uint8Array(o.valueBytes).fill(0x61);
  const latencies: number[] = [];
  // Sample every op of the durable cells (thousands), every 64th of the CPR ones (millions).
  const sampleMask = acks === 'durable' ? 0 : 63;
  let outstanding = 0;
  let done = 0;
  let issued = 0;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const started = performance.now();
  const deadline = started + o.seconds * 1000;
  while (performance.now() < deadline && failure === undefined) {
    if (outstanding >= inFlight) {
      await new Promise<void>((r) => (wake = r));
      continue;
    }
    keyView.setUint32(0, rng.nextInt(o.keys), true);
    const t0 = (issued++ & sampleMask) === 0 ? performance.now() : -1;
    outstanding++;
    s.upsert(key, value).then(
      () => {
        outstanding--;
        done++;
        if (t0 >= 0) latencies.push(performance.now() - t0);
        const w = wake;
        wake = undefined;
        w?.();
      },
      (err: unknown) => {
        failure = err;
        outstanding--;
        const w = wake;
        wake = undefined;
        w?.();
      },
    );
    // Let the commits' I/O complete while ops resolve at once (CPR): yield every 4,096 ops.
    if ((issued & 4095) === 0) await new Promise<void>((r) => setImmediate(r));
  }
  while (outstanding > 0) await new Promise<void>((r) => (wake = r));
  const seconds = (performance.now() - started) / 1000;
  if (failure !== undefined) throw failure;
  const aof = store.operationLogStats();
  await store.close();
  latencies.sort((a, b) => a - b);
  return {
    backend: where.backend,
    acks,
    inFlight,
    ops: done,
    seconds,
    opsPerSec: done / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    commits: aof?.commits ?? 0,
    entriesPerCommit: aof?.entriesPerCommit ?? 0,
  };
}

interface Options {
  seconds: number;
  inFlight: number[];
  backends: string[];
  valueBytes: number;
  interval: number;
  keys: number;
}

function parseArgs(argv: string[]): Options {
  const f = new Flags(argv);
  const o: Options = {
    seconds: Number(f.string('seconds', '3')),
    inFlight: f.list('inflight', ['1', '64', '256']).map(Number),
    backends: f.list('backends', ['file', 'minio']),
    valueBytes: f.count('value', 100),
    interval: Number(f.string('interval', '2')),
    keys: f.count('keys', 100_000),
  };
  f.rejectUnknown();
  return o;
}

function fmtMs(ms: number): string {
  return ms < 1 ? ms.toFixed(3) : ms < 10 ? ms.toFixed(2) : ms.toFixed(1);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const cells: Cell[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  const work = await mkdtemp(join(tmpdir(), 'f2kv-bench-durable-'));
  cleanups.push(() => rm(work, { recursive: true, force: true }));
  let n = 0;
  try {
    for (const backend of o.backends) {
      let where: (i: number) => Where;
      if (backend === 'file') {
        where = (i) => ({ backend, checkpointUrl: pathToFileURL(join(work, `ckpt-${i}`)).href, store: undefined });
      } else if (backend === 'minio') {
        const server = await startS3(log);
        cleanups.push(server.stop);
        const info = server.info;
        const store = {
          endpoint: info.endpoint,
          region: info.region,
          forcePathStyle: true,
          credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
        };
        where = (i) => ({ backend, checkpointUrl: `s3://${info.bucket}/bench-durable-${Date.now().toString(36)}-${i}`, store });
      } else {
        throw new Error(`unknown backend ${backend}; use file, minio`);
      }
      for (const inFlight of o.inFlight) {
        for (const acks of ['CPR', 'durable'] as const) {
          const i = ++n;
          const hotDir = join(work, `hot-${i}`);
          await mkdir(hotDir);
          const cell = await measure(where(i), acks, inFlight, o, hotDir);
          log(`${backend} ${acks} in flight ${inFlight}: ${fmtInt(Math.round(cell.opsPerSec))} ops/s, p50 ${fmtMs(cell.p50Ms)} ms, p99 ${fmtMs(cell.p99Ms)} ms`);
          cells.push(cell);
          await rm(hotDir, { recursive: true, force: true });
        }
      }
    }
  } finally {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => log(`cleanup failed: ${String(e)}`));
  }
  const rows = cells.map((c) => [
    c.backend,
    c.acks,
    String(c.inFlight),
    fmtInt(Math.round(c.opsPerSec)),
    fmtMs(c.p50Ms),
    fmtMs(c.p99Ms),
    c.acks === 'durable' ? fmtInt(c.commits) : '-',
    c.acks === 'durable' ? c.entriesPerCommit.toFixed(1) : '-',
  ]);
  const title = `upserts, 8 B keys, ${o.valueBytes} B values, ${o.seconds} s per cell, group commit window ${o.interval} ms, node ${process.version}`;
  process.stdout.write(`\n${title}\n${renderTable(['backend', 'acks', 'in flight', 'ops/s', 'p50 ms', 'p99 ms', 'commits', 'ops/commit'], rows)}\n\n`);
  const here = resolve(dirname(fileURLToPath(import.meta.url)));
  const outDir = here.endsWith(join('dist', 'bench')) ? resolve(here, '..', '..', 'bench', 'results') : resolve(here, 'results');
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, `durable-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const result = { benchmark: 'durable', options: o, node: process.version, title, cells };
  await writeFile(file, JSON.stringify(result, null, 2));
  await writeFile(join(outDir, 'durable.summary.json'), JSON.stringify(result, null, 2));
  process.stdout.write(`wrote ${file} and durable.summary.json\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
