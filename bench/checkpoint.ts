/**
 * Checkpoint / recovery benchmark (issue 4, item 9): checkpoint time and recovery time against
 * data size, per checkpoint store (local directory, MinIO) and checkpoint mode (snapshot,
 * fold-over). Prints a table and writes JSON to bench/results/checkpoint-<timestamp>.json.
 *
 *   npm run bench:checkpoint -- [--sizes 16,64,256] [--backends file,minio] [--modes snapshot,fold-over]
 *        [--value-bytes 1000] [--page-size 4MiB] [--memory 64MiB] [--update-fraction 0.1] [--reads 2000]
 *
 * Per cell: a new store (log on a local file) is loaded with `size` MiB of records (16-byte keys,
 * `--value-bytes` values), then
 *   - full checkpoint: the first checkpoint() of the store (snapshot mode uploads the whole log);
 *   - incremental checkpoint: after updating `--update-fraction` of the records, the next one;
 *   - close without a final checkpoint; recover: FasterKv.open until it resolves (index and
 *     metadata loaded), then `--reads` random reads, timed apart (they fault records in);
 *   - fresh-machine recovery (snapshot mode only): the local log directory is deleted first, so
 *     everything comes from the checkpoint store.
 * MiB/s = data MiB / time. MinIO is started with the integration harness (integration/servers.ts):
 * F2KV_TEST_S3_* environment endpoint, a container, or a local process.
 * FasterLog append + commit throughput is measured by bench/faster-log.ts (npm run bench:log).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Prng } from '../src/core/prng.js';
import type { OpenObjectStoreOptions } from '../src/devices/open-object-store.js';
import { openObjectStore } from '../src/devices/open-object-store.js';
import { FasterKv, PENDING, type FasterKvOptions } from '../src/index.js';
import { startS3, type Running, type S3Endpoint } from '../integration/servers.js';
import { Flags, parseBytes } from './lib/args.js';
import { renderTable } from './lib/table.js';

type Mode = 'snapshot' | 'fold-over';
type Backend = 'file' | 'minio';

interface Options {
  sizesMiB: number[];
  backends: Backend[];
  modes: Mode[];
  valueBytes: number;
  pageSize: number;
  memorySize: number;
  updateFraction: number;
  reads: number;
}

interface Cell {
  backend: Backend;
  mode: Mode;
  dataMiB: number;
  records: number;
  loadSeconds: number;
  checkpointMs: number;
  checkpointMiBps: number;
  incrementalMs: number;
  incrementalMiB: number;
  recoverMs: number;
  recoverMiBps: number;
  readsAfterRecoverMs: number;
  freshRecoverMs: number | null;
  freshRecoverMiBps: number | null;
  freshReadsMs: number | null;
  checkpointObjects: number;
}

const KEY_BYTES = 16;

function parseOptions(argv: string[]): Options {
  const f = new Flags(argv);
  if (f.has('help')) {
    process.stdout.write('usage: bench:checkpoint [--sizes 16,64,256] [--backends file,minio] [--modes snapshot,fold-over] [--value-bytes 1000] [--page-size 4MiB] [--memory 64MiB] [--update-fraction 0.1] [--reads 2000]\n');
    process.exit(0);
  }
  const size = (name: string, dflt: string) => {
    const raw = f.string(name, dflt);
    const n = parseBytes(raw);
    if (n === undefined || n <= 0) throw new Error(`--${name}: cannot parse "${raw}" as a size`);
    return n;
  };
  const o: Options = {
    sizesMiB: f.list('sizes', ['16', '64', '256']).map((s) => {
      const n = Number(s);
      if (!(n > 0)) throw new Error(`--sizes: "${s}" is not a positive number of MiB`);
      return n;
    }),
    backends: f.list('backends', ['file', 'minio']).map((b) => {
      if (b !== 'file' && b !== 'minio') throw new Error(`--backends: unknown backend "${b}" (file, minio)`);
      return b;
    }),
    modes: f.list('modes', ['snapshot', 'fold-over']).map((m) => {
      if (m !== 'snapshot' && m !== 'fold-over') throw new Error(`--modes: unknown mode "${m}" (snapshot, fold-over)`);
      return m;
    }),
    valueBytes: f.count('value-bytes', 1000),
    pageSize: size('page-size', '4MiB'),
    memorySize: size('memory', '64MiB'),
    updateFraction: Number(f.string('update-fraction', '0.1')),
    reads: f.count('reads', 2000),
  };
  f.rejectUnknown();
  if (!(o.updateFraction >= 0 && o.updateFraction <= 1)) throw new Error('--update-fraction must be in [0, 1]');
  return o;
}

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

function keyOf(i: number): string {
  return `k${i.toString(16).padStart(KEY_BYTES - 1, '0')}`;
}

function valueOf(i: number, round: number, bytes: number): Uint8Array {
  const v = new Uint8Array(bytes);
  let x = (Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(round + 1, 0x85ebca6b)) >>> 0;
  for (let j = 0; j < bytes; j += 4) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    v[j] = x & 0xff;
    if (j + 1 < bytes) v[j + 1] = (x >>> 8) & 0xff;
    if (j + 2 < bytes) v[j + 2] = (x >>> 16) & 0xff;
    if (j + 3 < bytes) v[j + 3] = x >>> 24;
  }
  return v;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function upsertAll(store: FasterKv, ids: Iterable<number>, round: number, valueBytes: number): Promise<void> {
  const s = store.startSession(`load-${round}`);
  for (const i of ids) {
    const v = valueOf(i, round, valueBytes);
    if (s.upsertSync(keyOf(i), v) === PENDING) await s.upsert(keyOf(i), v);
  }
  s.end();
}

/** Random reads, checked against the expected round of each key; returns elapsed ms. */
async function timedReads(store: FasterKv, records: number, rounds: Map<number, number>, reads: number, valueBytes: number, seed: number): Promise<number> {
  const s = store.startSession(`reads-${seed}`);
  const rng = new Prng(seed);
  const t0 = performance.now();
  const batch = 64;
  for (let done = 0; done < reads; done += batch) {
    const ids = Array.from({ length: Math.min(batch, reads - done) }, () => rng.nextInt(records));
    const values = await Promise.all(ids.map((i) => s.read(keyOf(i))));
    for (let j = 0; j < ids.length; j++) {
      const i = ids[j]!;
      if (!sameBytes(values[j], valueOf(i, rounds.get(i) ?? 0, valueBytes))) throw new Error(`read of ${keyOf(i)} after recovery returned the wrong value`);
    }
  }
  const ms = performance.now() - t0;
  s.end();
  return ms;
}

interface Where {
  checkpointUrl: (cell: string) => string;
  store?: OpenObjectStoreOptions;
  source: string;
}

async function runCell(o: Options, backend: Backend, where: Where, mode: Mode, sizeMiB: number): Promise<Cell> {
  const recordBytes = 8 + 8 + KEY_BYTES + o.valueBytes; // header + lengths + key + value (8-aligned)
  const records = Math.max(1, Math.round((sizeMiB * 1024 * 1024) / recordBytes));
  const dir = await mkdtemp(join(tmpdir(), `f2kv-bench-ckpt-${backend}-${mode}-`));
  const hot = join(dir, 'hot');
  await mkdir(hot, { recursive: true });
  const ckptUrl = where.checkpointUrl(`${mode}-${sizeMiB}mib-${Date.now().toString(36)}`);
  let buckets = 1024;
  while (buckets * 4 < records) buckets *= 2;
  const options = (recover: boolean): FasterKvOptions => ({
    index: { buckets, autoGrow: false },
    log: { device: pathToFileURL(hot).href, pageSize: o.pageSize, memorySize: o.memorySize },
    checkpoint: { url: ckptUrl, mode, keep: 2, onClose: false, ...(where.store ? { store: where.store } : {}) },
    recover,
  });
  try {
    log(`${backend} ${mode} ${sizeMiB} MiB: loading ${records} records of ${o.valueBytes} bytes`);
    const store = await FasterKv.open(options(false));
    const t0 = performance.now();
    await upsertAll(store, Array.from({ length: records }, (_, i) => i), 0, o.valueBytes);
    const loadSeconds = (performance.now() - t0) / 1000;

    const c0 = performance.now();
    await store.checkpoint();
    const checkpointMs = performance.now() - c0;

    const rounds = new Map<number, number>();
    const rng = new Prng(sizeMiB * 7919 + o.valueBytes);
    const updated = Math.round(records * o.updateFraction);
    const ids: number[] = [];
    for (let k = 0; k < updated; k++) {
      const i = rng.nextInt(records);
      rounds.set(i, 1);
      ids.push(i);
    }
    await upsertAll(store, ids, 1, o.valueBytes);
    const i0 = performance.now();
    await store.checkpoint();
    const incrementalMs = performance.now() - i0;
    await store.close();

    const r0 = performance.now();
    const recovered = await FasterKv.open(options(true));
    const recoverMs = performance.now() - r0;
    if (recovered.recoveredCheckpoint === undefined) throw new Error('nothing recovered');
    const readsAfterRecoverMs = await timedReads(recovered, records, rounds, o.reads, o.valueBytes, 1);
    await recovered.close();

    let freshRecoverMs: number | null = null;
    let freshReadsMs: number | null = null;
    if (mode === 'snapshot') {
      await rm(hot, { recursive: true, force: true });
      await mkdir(hot, { recursive: true });
      const f0 = performance.now();
      const fresh = await FasterKv.open(options(true));
      freshRecoverMs = performance.now() - f0;
      if (fresh.recoveredCheckpoint === undefined) throw new Error('nothing recovered on the fresh machine');
      freshReadsMs = await timedReads(fresh, records, rounds, o.reads, o.valueBytes, 2);
      await fresh.close();
    }

    const objectStore = await openObjectStore(ckptUrl, { createIfMissing: true, ...(where.store ?? {}) });
    const objects = await objectStore.list('');
    if (backend === 'minio' && objects.length > 0) await objectStore.delete(objects);
    await objectStore.close();

    const dataMiB = (records * recordBytes) / (1024 * 1024);
    return {
      backend,
      mode,
      dataMiB,
      records,
      loadSeconds,
      checkpointMs,
      checkpointMiBps: dataMiB / (checkpointMs / 1000),
      incrementalMs,
      incrementalMiB: (updated * recordBytes) / (1024 * 1024),
      recoverMs,
      recoverMiBps: dataMiB / (recoverMs / 1000),
      readsAfterRecoverMs,
      freshRecoverMs,
      freshRecoverMiBps: freshRecoverMs === null ? null : dataMiB / (freshRecoverMs / 1000),
      freshReadsMs,
      checkpointObjects: objects.length,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function fmt(n: number | null, digits = 0): string {
  return n === null ? '-' : n.toFixed(digits);
}

function table(cells: Cell[], reads: number): string {
  return renderTable(
    ['store', 'mode', 'data MiB', 'records', 'ckpt ms', 'ckpt MiB/s', 'incr ckpt ms', 'recover ms', 'recover MiB/s', `${reads} reads ms`, 'fresh recover ms', 'fresh MiB/s', `fresh ${reads} reads ms`, 'objects'],
    cells.map((c) => [
      c.backend,
      c.mode,
      fmt(c.dataMiB, 1),
      String(c.records),
      fmt(c.checkpointMs),
      fmt(c.checkpointMiBps, 1),
      `${fmt(c.incrementalMs)} (${fmt(c.incrementalMiB, 1)} MiB)`,
      fmt(c.recoverMs),
      fmt(c.recoverMiBps, 1),
      fmt(c.readsAfterRecoverMs),
      fmt(c.freshRecoverMs),
      fmt(c.freshRecoverMiBps, 1),
      fmt(c.freshReadsMs),
      String(c.checkpointObjects),
    ]),
  );
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const cells: Cell[] = [];
  const servers: Running<S3Endpoint>[] = [];
  const sources: Record<string, string> = {};
  const scratch = await mkdtemp(join(tmpdir(), 'f2kv-bench-ckpt-store-'));
  try {
    for (const backend of o.backends) {
      let where: Where;
      if (backend === 'file') {
        where = { checkpointUrl: (cell) => pathToFileURL(join(scratch, cell)).href, source: scratch };
      } else {
        const server = await startS3(log);
        servers.push(server);
        const s3 = server.info;
        const prefix = `bench-checkpoint-${Date.now().toString(36)}`;
        where = {
          checkpointUrl: (cell) => `s3://${s3.bucket}/${prefix}/${cell}`,
          store: { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } },
          source: s3.source,
        };
      }
      sources[backend] = where.source;
      for (const mode of o.modes) for (const size of o.sizesMiB) cells.push(await runCell(o, backend, where, mode, size));
    }
  } finally {
    for (const s of servers) await s.stop().catch((e: unknown) => log(`stopping MinIO failed: ${String(e)}`));
    await rm(scratch, { recursive: true, force: true });
  }
  process.stdout.write(`\n${table(cells, o.reads)}\n\n`);
  process.stdout.write('FasterLog append + commit throughput: npm run bench:log (bench/faster-log.ts).\n');
  const here = resolve(dirname(fileURLToPath(import.meta.url)));
  const outDir = here.endsWith(join('dist', 'bench')) ? resolve(here, '..', '..', 'bench', 'results') : resolve(here, 'results');
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, `checkpoint-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, JSON.stringify({ options: o, node: process.version, cpus: cpus().length, sources, results: cells }, null, 2));
  process.stdout.write(`results: ${file}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
