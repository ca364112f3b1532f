/**
 * Object-storage benchmark: per backend (memory, local directory, Azurite, MinIO), sequential
 * flush throughput through ObjectLogDevice, 4 KiB ranged-read latency, PUTs per MiB written and
 * GETs per read. Prints a table and writes JSON to bench/results/objectstore-<timestamp>.json.
 *
 *   npm run bench:objectstore -- [--size-mib 64] [--reads 300] [--write-size-kib 4096]
 *        [--object-size-kib 4096] [--block-size-kib 64] [--backends memory,file,azurite,minio]
 *
 * Azurite and MinIO are started with the integration harness (integration/servers.ts): from
 * F2KV_TEST_* environment endpoints, containers, or local processes.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Prng } from '../src/core/prng.js';
import { AzureBlobObjectStore } from '../src/devices/azure-blob-object-store.js';
import { LocalFsObjectStore } from '../src/devices/local-fs-object-store.js';
import { MemoryObjectStore } from '../src/devices/memory-object-store.js';
import { ObjectLogDevice } from '../src/devices/object-log-device.js';
import type { ObjectStore } from '../src/devices/object-store.js';
import { S3ObjectStore } from '../src/devices/s3-object-store.js';
import { startAzure, startS3, type Running } from '../integration/servers.js';

interface Options {
  sizeMiB: number;
  reads: number;
  writeSize: number;
  objectSize: number;
  blockSize: number;
  backends: string[];
}

interface Result {
  backend: string;
  source: string;
  writtenMiB: number;
  flushMiBps: number;
  putsPerMiB: number;
  putBytesPerMiB: number;
  reads: number;
  readP50Ms: number;
  readP99Ms: number;
  getsPerRead: number;
  getKiBPerRead: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { sizeMiB: 64, reads: 300, writeSize: 4 * 1024 * 1024, objectSize: 4 * 1024 * 1024, blockSize: 64 * 1024, backends: ['memory', 'file', 'azurite', 'minio'] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    const num = () => {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number, got ${value}`);
      i++;
      return n;
    };
    switch (flag) {
      case '--size-mib': o.sizeMiB = num(); break;
      case '--reads': o.reads = Math.floor(num()); break;
      case '--write-size-kib': o.writeSize = num() * 1024; break;
      case '--object-size-kib': o.objectSize = num() * 1024; break;
      case '--block-size-kib': o.blockSize = num() * 1024; break;
      case '--backends': o.backends = (value ?? '').split(',').filter(Boolean); i++; break;
      case '--help':
        process.stdout.write('usage: bench:objectstore [--size-mib 64] [--reads 300] [--write-size-kib 4096] [--object-size-kib 4096] [--block-size-kib 64] [--backends memory,file,azurite,minio]\n');
        process.exit(0);
      default:
        throw new Error(`unknown flag ${flag} (try --help)`);
    }
  }
  return o;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

async function measure(backend: string, source: string, store: ObjectStore, o: Options): Promise<Result> {
  const device = await ObjectLogDevice.open(store, { objectSize: o.objectSize, blockSize: o.blockSize, prefix: `bench-${Date.now().toString(36)}/log/` });
  const rng = new Prng(12345);
  const page = rng.fill(new Uint8Array(o.writeSize));
  const total = Math.floor((o.sizeMiB * 1024 * 1024) / o.writeSize) * o.writeSize;
  const s0 = store.stats();
  const t0 = performance.now();
  for (let address = 0; address < total; address += o.writeSize) {
    page[0] = address & 0xff; // pages differ
    await device.write(address, page);
  }
  await device.sync();
  const seconds = (performance.now() - t0) / 1000;
  const s1 = store.stats();
  const mib = total / (1024 * 1024);

  const latencies: number[] = [];
  for (let i = 0; i < o.reads; i++) {
    const address = rng.nextInt(Math.floor((total - 4096) / 8)) * 8;
    const t = performance.now();
    const bytes = await device.read(address, 4096);
    latencies.push(performance.now() - t);
    if (bytes.length !== 4096) throw new Error(`short read at ${address}`);
  }
  const s2 = store.stats();
  latencies.sort((a, b) => a - b);
  await device.truncateUntil(total); // deletes the benchmark's objects
  await device.close();
  return {
    backend,
    source,
    writtenMiB: mib,
    flushMiBps: mib / seconds,
    putsPerMiB: (s1.byKind.PUT.requests - s0.byKind.PUT.requests) / mib,
    putBytesPerMiB: (s1.byKind.PUT.bytes - s0.byKind.PUT.bytes) / mib / (1024 * 1024),
    reads: o.reads,
    readP50Ms: quantile(latencies, 0.5),
    readP99Ms: quantile(latencies, 0.99),
    getsPerRead: (s2.byKind.GET.requests - s1.byKind.GET.requests) / o.reads,
    getKiBPerRead: (s2.byKind.GET.bytes - s1.byKind.GET.bytes) / o.reads / 1024,
  };
}

function table(results: Result[]): string {
  const header = ['backend', 'written', 'flush MiB/s', 'PUTs/MiB', '4 KiB read p50', 'p99', 'GETs/read', 'KiB/read'];
  const rows = results.map((r) => [
    r.backend,
    `${r.writtenMiB} MiB`,
    r.flushMiBps.toFixed(1),
    r.putsPerMiB.toFixed(3),
    `${r.readP50Ms.toFixed(3)} ms`,
    `${r.readP99Ms.toFixed(3)} ms`,
    r.getsPerRead.toFixed(2),
    r.getKiBPerRead.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  const results: Result[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  try {
    for (const backend of o.backends) {
      let store: ObjectStore;
      let source = 'in process';
      switch (backend) {
        case 'memory':
          store = new MemoryObjectStore();
          break;
        case 'file': {
          const dir = await mkdtemp(join(tmpdir(), 'f2kv-bench-'));
          cleanups.push(() => rm(dir, { recursive: true, force: true }));
          store = await LocalFsObjectStore.open(dir);
          source = dir;
          break;
        }
        case 'azurite': {
          const server: Running<Awaited<ReturnType<typeof startAzure>>['info']> = await startAzure(log);
          cleanups.push(server.stop);
          store = await AzureBlobObjectStore.open({ container: server.info.container, connectionString: server.info.connectionString });
          source = server.info.source;
          break;
        }
        case 'minio': {
          const server = await startS3(log);
          cleanups.push(server.stop);
          store = await S3ObjectStore.open({
            bucket: server.info.bucket,
            endpoint: server.info.endpoint,
            region: server.info.region,
            credentials: { accessKeyId: server.info.accessKeyId, secretAccessKey: server.info.secretAccessKey },
          });
          source = server.info.source;
          break;
        }
        default:
          throw new Error(`unknown backend ${backend}; use memory, file, azurite, minio`);
      }
      log(`${backend}: writing ${o.sizeMiB} MiB in ${o.writeSize / 1024} KiB writes, objects of ${o.objectSize / 1024} KiB, then ${o.reads} reads of 4 KiB`);
      results.push(await measure(backend, source, store, o));
      await store.close();
    }
  } finally {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => log(`cleanup failed: ${String(e)}`));
  }
  process.stdout.write(`\n${table(results)}\n\n`);
  const resultsDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');
  const here = resolve(dirname(fileURLToPath(import.meta.url)));
  const outDir = here.endsWith(join('dist', 'bench')) ? resultsDir : resolve(here, 'results');
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, `objectstore-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, JSON.stringify({ options: o, node: process.version, results }, null, 2));
  process.stdout.write(`results: ${file}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
