/**
 * Cold tier benchmark: loads N keys (8 B keys, 100 B values) into a ColdKv with 64 operations in
 * flight, checkpoints, then runs uniform and Zipf(0.99) random reads, on a local directory and on
 * MinIO (started with the integration harness, integration/servers.ts).
 *
 *   npm run bench:cold -- [--keys 10M | --quick] [--reads 200k] [--backends file,minio]
 *                         [--inflight 64] [--value-bytes 100] [--seed 42]
 *
 * Default index options with expectedKeys = N and the default chunk cache (64 MiB). Per phase:
 * ops/s, p50/p99 latency (every 16th operation timed), GETs per read (from the store's read
 * accounting and from the object store's GET count delta / reads), PUTs per MiB written, table
 * bytes per key, chunk cache bytes, chunk cache hit ratio, objects in the bucket. JSON goes to
 * bench/results/cold-<ts>.json and bench/results/cold.summary.json.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ColdKv } from '../src/cold/cold-kv.js';
import type { ColdKvStats } from '../src/cold/cold-kv.js';
import type { OpenObjectStoreOptions } from '../src/devices/open-object-store.js';
import { startS3, type Running, type S3Endpoint } from '../integration/servers.js';
import { Flags } from './lib/args.js';
import { SAMPLE_MASK, summarize } from './lib/latency.js';
import { renderTable } from './lib/table.js';
import { generateOps, writeKey, writeValue, type Distribution } from './lib/workload.js';

type Backend = 'file' | 'minio';
const KEY_BYTES = 8;
const MIB = 1024 * 1024;

interface Options {
  keys: number;
  reads: number;
  backends: Backend[];
  inflight: number;
  valueBytes: number;
  seed: number;
}

interface PhaseResult {
  backend: Backend;
  phase: string;
  ops: number;
  seconds: number;
  opsPerSec: number;
  p50ms: number;
  p99ms: number;
  /** Reads: GETs per read from the store's read accounting (chunk + record GETs). */
  getsPerReadStats: number | undefined;
  /** Reads: object-store GET requests in the phase / reads. */
  getsPerReadRequests: number | undefined;
  getRequests: number;
  putRequests: number;
  /** Whole store so far: stats().putsPerMiB. */
  putsPerMiB: number;
  tableBytes: number;
  /** stats().index.tableBytesPerKey (table bytes / (chunks × slots)). */
  tableBytesPerKeyStats: number;
  /** table bytes / keys loaded. */
  tableBytesPerKey: number;
  chunkCacheBytes: number;
  /** Chunk lookups in the phase that found the chunk in memory. */
  chunkHitRatio: number | undefined;
  objects: number;
  objectsByPrefix: Record<string, number>;
  wrongValues: number;
  logBytes: number;
}

function parse(argv: readonly string[]): Options {
  const f = new Flags(argv);
  if (f.has('help')) {
    process.stdout.write('usage: bench:cold [--keys 10M | --quick] [--reads 200k] [--backends file,minio] [--inflight 64] [--value-bytes 100] [--seed 42]\n');
    process.exit(0);
  }
  const quick = f.bool('quick', false);
  const o: Options = {
    keys: f.count('keys', quick ? 1_000_000 : 10_000_000),
    reads: f.count('reads', 200_000),
    backends: f.list('backends', ['file', 'minio']).map((b) => {
      if (b !== 'file' && b !== 'minio') throw new Error(`--backends: unknown backend "${b}" (file, minio)`);
      return b;
    }),
    inflight: f.count('inflight', 64),
    valueBytes: f.count('value-bytes', 100),
    seed: f.count('seed', 42),
  };
  f.rejectUnknown();
  if (o.keys < 1 || o.inflight < 1) throw new Error('--keys and --inflight must be at least 1');
  return o;
}

const log = (line: string): void => {
  process.stderr.write(`[bench:cold] ${line}\n`);
};

/** Runs `count` operations with at most `inflight` in flight; times every 16th. */
async function pool(count: number, inflight: number, op: (i: number) => Promise<void>, label: string): Promise<{ seconds: number; samples: Float64Array; sampled: number }> {
  const samples = new Float64Array(Math.ceil(count / (SAMPLE_MASK + 1)) + 1);
  let sampled = 0;
  let next = 0;
  const started = performance.now();
  let lastReport = started;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      if ((i & SAMPLE_MASK) === 0) {
        const t = performance.now();
        await op(i);
        const now = performance.now();
        samples[sampled++] = now - t;
        if (now - lastReport > 15_000) {
          lastReport = now;
          const rate = i / ((now - started) / 1000);
          log(`${label}: ${i.toLocaleString()} / ${count.toLocaleString()} (${Math.round(rate).toLocaleString()} ops/s, ~${Math.round((count - i) / rate)} s left)`);
        }
      } else {
        await op(i);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inflight, count) }, worker));
  return { seconds: (performance.now() - started) / 1000, samples, sampled };
}

function requestCount(st: ColdKvStats, kind: 'GET' | 'PUT'): number {
  return st.requests.byKind[kind]?.requests ?? 0;
}

async function phaseResult(
  backend: Backend,
  phase: string,
  store: ColdKv,
  before: ColdKvStats,
  run: { seconds: number; samples: Float64Array; sampled: number },
  ops: number,
  keys: number,
  reads: boolean,
  wrongValues: number,
): Promise<PhaseResult> {
  const after = store.stats();
  const lat = summarize(run.samples, run.sampled);
  const gets = requestCount(after, 'GET') - requestCount(before, 'GET');
  const readGets = after.readGets.chunk + after.readGets.record - before.readGets.chunk - before.readGets.record;
  const hits = after.index.chunkHits - before.index.chunkHits;
  const misses = after.index.chunkMisses - before.index.chunkMisses;
  const bucket = await store.bucketStats();
  return {
    backend,
    phase,
    ops,
    seconds: run.seconds,
    opsPerSec: ops / run.seconds,
    p50ms: lat.p50us / 1000,
    p99ms: lat.p99us / 1000,
    getsPerReadStats: reads ? readGets / ops : undefined,
    getsPerReadRequests: reads ? gets / ops : undefined,
    getRequests: gets,
    putRequests: requestCount(after, 'PUT') - requestCount(before, 'PUT'),
    putsPerMiB: after.putsPerMiB,
    tableBytes: after.index.tableBytes,
    tableBytesPerKeyStats: after.index.tableBytesPerKey,
    tableBytesPerKey: after.index.tableBytes / keys,
    chunkCacheBytes: after.index.chunkCacheBytes,
    chunkHitRatio: hits + misses === 0 ? undefined : hits / (hits + misses),
    objects: bucket.objects,
    objectsByPrefix: bucket.byPrefix,
    wrongValues,
    logBytes: after.log.bytes,
  };
}

async function runBackend(o: Options, backend: Backend, url: string, storeOptions: OpenObjectStoreOptions): Promise<PhaseResult[]> {
  const results: PhaseResult[] = [];
  const store = await ColdKv.open({ url, store: storeOptions, index: { expectedKeys: o.keys }, checkpoint: { onClose: false }, recover: false });
  try {
    const s = store.startSession('bench');
    log(`${backend}: ${url}: loading ${o.keys.toLocaleString()} keys (${KEY_BYTES} B keys, ${o.valueBytes} B values, ${o.inflight} in flight)`);
    let before = store.stats();
    const load = await pool(
      o.keys,
      o.inflight,
      (i) => {
        const k = new Uint8Array(KEY_BYTES);
        writeKey(i, k);
        const v = new Uint8Array(o.valueBytes);
        writeValue(i, v);
        return s.upsert(k, v);
      },
      `${backend} load`,
    );
    results.push(await phaseResult(backend, 'load', store, before, load, o.keys, o.keys, false, 0));
    log(`${backend}: load done in ${load.seconds.toFixed(1)} s; checkpoint`);
    before = store.stats();
    const t = performance.now();
    await store.checkpoint();
    const ck = (performance.now() - t) / 1000;
    results.push(await phaseResult(backend, 'checkpoint', store, before, { seconds: ck, samples: new Float64Array([ck * 1000]), sampled: 1 }, 1, o.keys, false, 0));

    for (const dist of ['uniform', 'zipf'] as Distribution[]) {
      const stream = generateOps('C', dist, o.keys, o.reads, o.seed);
      let wrong = 0;
      before = store.stats();
      log(`${backend}: ${o.reads.toLocaleString()} ${dist} reads (${stream.distinctKeys.toLocaleString()} distinct keys)`);
      const run = await pool(
        o.reads,
        o.inflight,
        async (i) => {
          const id = stream.keys[i]!;
          const k = new Uint8Array(KEY_BYTES);
          writeKey(id, k);
          const v = await s.read(k);
          if (v === undefined || v.length !== o.valueBytes || (v[0]! | (v[1]! << 8) | (v[2]! << 16) | (v[3]! << 24)) >>> 0 !== id >>> 0) wrong++;
        },
        `${backend} ${dist} reads`,
      );
      results.push(await phaseResult(backend, `read ${dist === 'zipf' ? 'zipf 0.99' : dist}`, store, before, run, o.reads, o.keys, true, wrong));
    }
    s.end();
  } finally {
    await store.close();
  }
  return results;
}

function fmt(n: number | undefined, digits = 2): string {
  return n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);
}

function table(rows: PhaseResult[]): string {
  return renderTable(
    ['phase', 'ops', 'ops/s', 'p50 ms', 'p99 ms', 'GETs/read (stats)', 'GETs/read (requests)', 'PUTs/MiB', 'table B/key', 'chunk cache MiB', 'chunk hit ratio', 'objects', 'wrong'],
    rows.map((r) => [
      r.phase,
      r.ops.toLocaleString(),
      Math.round(r.opsPerSec).toLocaleString(),
      fmt(r.p50ms, 3),
      fmt(r.p99ms, 3),
      fmt(r.getsPerReadStats, 3),
      fmt(r.getsPerReadRequests, 3),
      fmt(r.putsPerMiB, 3),
      `${fmt(r.tableBytesPerKey, 3)} (${fmt(r.tableBytesPerKeyStats, 3)})`,
      fmt(r.chunkCacheBytes / MIB, 1),
      fmt(r.chunkHitRatio, 3),
      r.objects.toLocaleString(),
      String(r.wrongValues),
    ]),
  );
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const results: PhaseResult[] = [];
  const sources: Record<string, string> = {};
  const servers: Running<S3Endpoint>[] = [];
  const scratch = await mkdtemp(join(tmpdir(), 'f2kv-bench-cold-'));
  try {
    for (const backend of o.backends) {
      let rows: PhaseResult[];
      if (backend === 'file') {
        sources[backend] = scratch;
        rows = await runBackend(o, backend, pathToFileURL(join(scratch, 'cold')).href, {});
      } else {
        const server = await startS3(log);
        servers.push(server);
        const s3 = server.info;
        sources[backend] = s3.source;
        const prefix = `bench-cold-${Date.now().toString(36)}`;
        rows = await runBackend(o, backend, `s3://${s3.bucket}/${prefix}`, {
          endpoint: s3.endpoint,
          region: s3.region,
          forcePathStyle: true,
          credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
        });
      }
      results.push(...rows);
      process.stdout.write(`\n${backend} (${sources[backend]}), ${o.keys.toLocaleString()} keys, ${o.inflight} in flight:\n${table(rows)}\n`);
    }
  } finally {
    for (const s of servers) await s.stop().catch((e: unknown) => log(`stopping MinIO failed: ${String(e)}`));
    await rm(scratch, { recursive: true, force: true });
  }
  process.stdout.write('table B/key: table bytes / keys loaded (in parentheses: stats().index.tableBytesPerKey, per expected key).\n');
  const here = resolve(dirname(fileURLToPath(import.meta.url)));
  const outDir = here.endsWith(join('dist', 'bench')) ? resolve(here, '..', '..', 'bench', 'results') : resolve(here, 'results');
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, `cold-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, JSON.stringify({ options: o, node: process.version, cpus: cpus().length, sources, results }, null, 2));
  const targets = (backend: Backend): Record<string, unknown> => {
    const rows = results.filter((r) => r.backend === backend);
    const zipf = rows.find((r) => r.phase.startsWith('read zipf'));
    const load = rows.find((r) => r.phase === 'load');
    return {
      loadOpsPerSec: load && Math.round(load.opsPerSec),
      tableBytesPerKey: { measured: load?.tableBytesPerKey, target: 1.5, met: load !== undefined && load.tableBytesPerKey <= 1.5 },
      getsPerZipfRead: { measured: zipf?.getsPerReadRequests, target: 1.1, met: zipf?.getsPerReadRequests !== undefined && zipf.getsPerReadRequests <= 1.1 },
      putsPerMiB: { measured: rows.at(-1)?.putsPerMiB, target: 0.3, met: (rows.at(-1)?.putsPerMiB ?? Infinity) <= 0.3 },
    };
  };
  const summary = {
    generatedAt: new Date().toISOString(),
    keys: o.keys,
    reads: o.reads,
    inflight: o.inflight,
    targets: Object.fromEntries(o.backends.map((b) => [b, targets(b)])),
    phases: results.map((r) => ({
      backend: r.backend,
      phase: r.phase,
      opsPerSec: Math.round(r.opsPerSec),
      p50ms: r.p50ms,
      p99ms: r.p99ms,
      getsPerRead: r.getsPerReadRequests,
      putsPerMiB: r.putsPerMiB,
      tableBytesPerKey: r.tableBytesPerKey,
      chunkHitRatio: r.chunkHitRatio,
      objects: r.objects,
    })),
  };
  await writeFile(join(outDir, 'cold.summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`results: ${file}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
