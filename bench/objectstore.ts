/**
 * Object-storage benchmark: per backend (memory, local directory, Azurite, MinIO), sequential
 * flush throughput through ObjectLogDevice, 4 KiB ranged-read latency, PUTs per MiB written and
 * GETs per read. Prints a table and writes JSON to bench/results/objectstore-<timestamp>.json.
 *
 *   npm run bench:objectstore -- [--size-mib 64] [--reads 300] [--write-size-kib 4096]
 *        [--object-size-kib 4096] [--block-size-kib 64] [--backends memory,file,azurite,minio]
 *        [--transfer] [--transfer-object-mib 4,16] [--transfer-parallel 4,8]
 *
 * --transfer measures the raw transfer rate instead (the ceiling of checkpoint uploads and
 * fresh-machine recoveries): --size-mib of data PUT through the ObjectStore as objects of
 * --transfer-object-mib MiB, --transfer-parallel requests at a time, then read back with as many
 * parallel GETs, per combination; with the CPU time this process and (for a local server process)
 * the server spent, since on a small machine they share the cores.
 *
 * Azurite and MinIO are started with the integration harness (integration/servers.ts): from
 * F2KV_TEST_* environment endpoints, containers, or local processes.
 */
import { readFileSync } from 'node:fs';
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
import { renderTable } from './lib/table.js';

interface Options {
  sizeMiB: number;
  reads: number;
  writeSize: number;
  objectSize: number;
  blockSize: number;
  backends: string[];
  transfer: boolean;
  transferObjectMiB: number[];
  transferParallel: number[];
}

interface TransferResult {
  backend: string;
  objectMiB: number;
  parallel: number;
  totalMiB: number;
  putMiBps: number;
  getMiBps: number;
  /** CPU milliseconds (user + system) of this process and of the server process, per direction; -1 when unknown. */
  putCpuMs: { client: number; server: number };
  getCpuMs: { client: number; server: number };
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
  const o: Options = {
    sizeMiB: 64, reads: 300, writeSize: 4 * 1024 * 1024, objectSize: 4 * 1024 * 1024, blockSize: 64 * 1024, backends: ['memory', 'file', 'azurite', 'minio'],
    transfer: false, transferObjectMiB: [4, 16], transferParallel: [4, 8],
  };
  const numbers = (flag: string, value: string | undefined): number[] => {
    const list = (value ?? '').split(',').filter(Boolean).map(Number);
    if (list.length === 0 || list.some((n) => !Number.isFinite(n) || n <= 0)) throw new Error(`${flag} needs a list of positive numbers, got ${value}`);
    return list;
  };
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
      case '--transfer': o.transfer = true; break;
      case '--transfer-object-mib': o.transferObjectMiB = numbers(flag, value); i++; break;
      case '--transfer-parallel': o.transferParallel = numbers(flag, value).map(Math.floor); i++; break;
      case '--help':
        process.stdout.write(
          'usage: bench:objectstore [--size-mib 64] [--reads 300] [--write-size-kib 4096] [--object-size-kib 4096] [--block-size-kib 64] [--backends memory,file,azurite,minio]\n' +
            '                         [--transfer] [--transfer-object-mib 4,16] [--transfer-parallel 4,8]\n',
        );
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

/** CPU time (user + system, ms) of a process from /proc, or -1 where that cannot be read. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return -1;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return -1;
  }
}

/** Runs fn over items, `parallel` at a time. */
async function inParallel<T>(items: readonly T[], parallel: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** Raw PUT and GET rates of `store`: the ceiling of checkpoint uploads and recoveries over it. */
async function measureTransfer(backend: string, store: ObjectStore, serverPid: number | undefined, o: Options): Promise<TransferResult[]> {
  const total = o.sizeMiB * 1024 * 1024;
  const data = new Prng(777).fill(new Uint8Array(total));
  const results: TransferResult[] = [];
  for (const objectMiB of o.transferObjectMiB) {
    for (const parallel of o.transferParallel) {
      const size = objectMiB * 1024 * 1024;
      const prefix = `bench-transfer-${Date.now().toString(36)}-${objectMiB}-${parallel}`;
      const offsets: number[] = [];
      for (let at = 0; at < total; at += size) offsets.push(at);
      const cpu = () => ({ client: process.cpuUsage(), server: cpuMs(serverPid) });
      const spent = (a: ReturnType<typeof cpu>, b: ReturnType<typeof cpu>) => ({
        client: Math.round((b.client.user - a.client.user + b.client.system - a.client.system) / 1000),
        server: a.server < 0 || b.server < 0 ? -1 : Math.round(b.server - a.server),
      });
      const c0 = cpu();
      const t0 = performance.now();
      await inParallel(offsets, parallel, async (at) => {
        await store.put(`${prefix}/${at}`, data.subarray(at, Math.min(total, at + size)));
      });
      const t1 = performance.now();
      const c1 = cpu();
      await inParallel(offsets, parallel, async (at) => {
        const back = await store.get(`${prefix}/${at}`);
        if (back.length !== Math.min(size, total - at) || back[0] !== data[at] || back[back.length - 1] !== data[at + back.length - 1]) {
          throw new Error(`GET ${prefix}/${at} returned other bytes than were PUT`);
        }
      });
      const t2 = performance.now();
      const c2 = cpu();
      await store.delete(offsets.map((at) => `${prefix}/${at}`));
      const mib = total / (1024 * 1024);
      results.push({
        backend, objectMiB, parallel, totalMiB: mib,
        putMiBps: mib / ((t1 - t0) / 1000), getMiBps: mib / ((t2 - t1) / 1000),
        putCpuMs: spent(c0, c1), getCpuMs: spent(c1, c2),
      });
    }
  }
  return results;
}

function transferTable(results: TransferResult[]): string {
  const cpu = (c: { client: number; server: number }) => `${c.client} / ${c.server < 0 ? '-' : c.server}`;
  return renderTable(
    ['backend', 'object MiB', 'parallel', 'MiB', 'PUT MiB/s', 'PUT CPU ms (client / server)', 'GET MiB/s', 'GET CPU ms (client / server)'],
    results.map((r) => [r.backend, String(r.objectMiB), String(r.parallel), String(r.totalMiB), r.putMiBps.toFixed(1), cpu(r.putCpuMs), r.getMiBps.toFixed(1), cpu(r.getCpuMs)]),
  );
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
  const transfers: TransferResult[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  try {
    for (const backend of o.backends) {
      let store: ObjectStore;
      let source = 'in process';
      let serverPid: number | undefined;
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
          serverPid = Number(/process pid (\d+)/.exec(source)?.[1] ?? Number.NaN) || undefined;
          break;
        }
        default:
          throw new Error(`unknown backend ${backend}; use memory, file, azurite, minio`);
      }
      if (o.transfer) {
        log(`${backend}: ${o.sizeMiB} MiB PUT and GET as objects of ${o.transferObjectMiB.join(', ')} MiB, ${o.transferParallel.join(', ')} at a time`);
        transfers.push(...(await measureTransfer(backend, store, serverPid, o)));
      } else {
        log(`${backend}: writing ${o.sizeMiB} MiB in ${o.writeSize / 1024} KiB writes, objects of ${o.objectSize / 1024} KiB, then ${o.reads} reads of 4 KiB`);
        results.push(await measure(backend, source, store, o));
      }
      await store.close();
    }
  } finally {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => log(`cleanup failed: ${String(e)}`));
  }
  process.stdout.write(`\n${o.transfer ? transferTable(transfers) : table(results)}\n\n`);
  const resultsDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');
  const here = resolve(dirname(fileURLToPath(import.meta.url)));
  const outDir = here.endsWith(join('dist', 'bench')) ? resultsDir : resolve(here, 'results');
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, `objectstore${o.transfer ? '-transfer' : ''}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, JSON.stringify({ options: o, node: process.version, results: o.transfer ? transfers : results }, null, 2));
  process.stdout.write(`results: ${file}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
