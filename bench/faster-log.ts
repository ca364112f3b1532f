/**
 * FasterLog benchmark: append + commit throughput (entries/s and payload MiB/s) per entry size and
 * commit interval, on a FileDevice in a temp directory and on ObjectLogDevice over a local-directory
 * and a memory object store; then reopen (recovery) time and full-scan throughput of what was
 * written. Prints a table and writes JSON to bench/results/faster-log-<timestamp>.json.
 *
 *   npm run bench:log -- [--mib 16] [--sizes 100,4096] [--commit-every 10000,1000,100]
 *        [--devices file,objectlog-fs,objectlog-memory] [--page-size 4MiB] [--memory 32MiB]
 *
 * Each cell appends `--mib` MiB of payload with append() (appendAsync only when memory is full)
 * and awaits commit() every N entries, so a commit's cost (flush + sync + commit-record write)
 * is paid in line, as an application that acknowledges after commit would.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalFsObjectStore } from '../src/devices/local-fs-object-store.js';
import { MemoryObjectStore } from '../src/devices/memory-object-store.js';
import { ObjectLogDevice } from '../src/devices/object-log-device.js';
import type { ObjectStore } from '../src/devices/object-store.js';
import type { StorageDevice } from '../src/devices/storage-device.js';
import { FasterLog } from '../src/log/faster-log.js';
import { Flags, parseBytes } from './lib/args.js';
import { fmtInt, renderTable } from './lib/table.js';

const DEVICES = ['file', 'objectlog-fs', 'objectlog-memory'] as const;
type DeviceKind = (typeof DEVICES)[number];

interface Cell {
  device: DeviceKind;
  entryBytes: number;
  commitEvery: number;
  entries: number;
  payloadMiB: number;
  seconds: number;
  entriesPerSec: number;
  mibPerSec: number;
  commits: number;
  commitMsMean: number;
  commitMsP99: number;
  backpressureWaits: number;
  deviceWrites: number;
  recoverMs: number;
  scanMiBPerSec: number;
}

interface Target {
  open(): Promise<FasterLog>;
  close(log: FasterLog): Promise<void>;
  cleanup(): Promise<void>;
}

async function makeTarget(kind: DeviceKind, pageSize: number, memorySize: number): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), `f2kv-bench-log-${kind}-`));
  if (kind === 'file') {
    return {
      open: () => FasterLog.open({ device: `file://${dir}`, pageSize, memorySize }),
      close: (log) => log.close(),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const store: ObjectStore = kind === 'objectlog-fs' ? await LocalFsObjectStore.open(dir) : new MemoryObjectStore();
  let device: StorageDevice | undefined;
  return {
    open: async () => {
      device = await ObjectLogDevice.open(store, { objectSize: Math.max(pageSize, 64 * 1024) });
      return FasterLog.open({ device, pageSize, memorySize });
    },
    close: async (log) => {
      await log.close();
      await device?.close();
    },
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))]!;
}

async function runCell(kind: DeviceKind, entryBytes: number, commitEvery: number, totalBytes: number, pageSize: number, memorySize: number): Promise<Cell> {
  const target = await makeTarget(kind, pageSize, memorySize);
  try {
    const payload = new Uint8Array(entryBytes);
    for (let i = 0; i < entryBytes; i++) payload[i] = (i * 131) & 0xff;
    const entries = Math.max(1, Math.floor(totalBytes / entryBytes));
    const log = await target.open();
    const commitMs: number[] = [];
    const t0 = performance.now();
    for (let i = 1; i <= entries; i++) {
      if (log.tryAppend(payload) === 0) await log.appendAsync(payload);
      if (i % commitEvery === 0 || i === entries) {
        const c0 = performance.now();
        await log.commit();
        commitMs.push(performance.now() - c0);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const stats = log.stats();
    await target.close(log);

    const r0 = performance.now();
    const again = await target.open();
    const recoverMs = performance.now() - r0;
    const s0 = performance.now();
    let scanned = 0;
    let scannedBytes = 0;
    for await (const e of again.scan()) {
      scanned++;
      scannedBytes += e.bytes.length;
    }
    const scanSeconds = (performance.now() - s0) / 1000;
    if (scanned !== entries) throw new Error(`${kind}: scanned ${scanned} entries after reopen, appended ${entries}`);
    await target.close(again);

    commitMs.sort((a, b) => a - b);
    const mib = (entries * entryBytes) / 2 ** 20;
    return {
      device: kind,
      entryBytes,
      commitEvery,
      entries,
      payloadMiB: mib,
      seconds,
      entriesPerSec: entries / seconds,
      mibPerSec: mib / seconds,
      commits: commitMs.length,
      commitMsMean: commitMs.reduce((a, b) => a + b, 0) / commitMs.length,
      commitMsP99: percentile(commitMs, 0.99),
      backpressureWaits: stats.backpressureWaits,
      deviceWrites: stats.device.writes,
      recoverMs,
      scanMiBPerSec: scannedBytes / 2 ** 20 / scanSeconds,
    };
  } finally {
    await target.cleanup();
  }
}

async function main(): Promise<void> {
  const flags = new Flags(process.argv.slice(2));
  const mib = Number(flags.string('mib', '16'));
  const sizes = flags.list('sizes', ['100', '4096']).map((s) => {
    const n = parseBytes(s);
    if (n === undefined || n <= 0) throw new Error(`--sizes: cannot parse "${s}"`);
    return n;
  });
  const commitEvery = flags.list('commit-every', ['10000', '1000', '100']).map(Number);
  const devices = flags.list('devices', [...DEVICES]) as DeviceKind[];
  const pageSize = parseBytes(flags.string('page-size', '4MiB'));
  const memorySize = parseBytes(flags.string('memory', '32MiB'));
  flags.rejectUnknown();
  if (!Number.isFinite(mib) || mib <= 0) throw new Error('--mib must be a positive number');
  if (pageSize === undefined || memorySize === undefined) throw new Error('--page-size / --memory: not a size');
  for (const d of devices) if (!(DEVICES as readonly string[]).includes(d)) throw new Error(`--devices: unknown device "${d}"; use ${DEVICES.join(', ')}`);
  for (const n of commitEvery) if (!Number.isSafeInteger(n) || n <= 0) throw new Error('--commit-every: positive whole numbers');

  const cells: Cell[] = [];
  for (const device of devices) {
    for (const size of sizes) {
      for (const every of commitEvery) {
        const cell = await runCell(device, size, every, mib * 2 ** 20, pageSize, memorySize);
        cells.push(cell);
        process.stderr.write(`  ${device} ${size} B, commit every ${every}: ${cell.mibPerSec.toFixed(1)} MiB/s\n`);
      }
    }
  }

  const table = renderTable(
    ['device', 'entry', 'commit every', 'entries', 'entries/s', 'MiB/s', 'commits', 'commit ms (mean)', 'commit ms (p99)', 'bp waits', 'recover ms', 'scan MiB/s'],
    cells.map((c) => [
      c.device,
      `${c.entryBytes} B`,
      fmtInt(c.commitEvery),
      fmtInt(c.entries),
      fmtInt(c.entriesPerSec),
      c.mibPerSec.toFixed(1),
      fmtInt(c.commits),
      c.commitMsMean.toFixed(2),
      c.commitMsP99.toFixed(2),
      fmtInt(c.backpressureWaits),
      c.recoverMs.toFixed(1),
      c.scanMiBPerSec.toFixed(1),
    ]),
  );
  const env = { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', platform: process.platform, tmpdir: tmpdir() };
  process.stdout.write(`\nFasterLog append + commit (${mib} MiB of payload per cell, page ${pageSize} B, memory ${memorySize} B; node ${env.node}, ${env.cpus} CPUs)\n\n${table}\n`);

  const here = dirname(fileURLToPath(import.meta.url));
  // Compiled to dist/bench/: results go to the source tree's bench/results either way.
  const benchDir = here.includes(`${join('dist', 'bench')}`) ? resolve(here, '..', '..', 'bench') : here;
  const outDir = join(benchDir, 'results');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `faster-log-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify({ benchmark: 'faster-log', env, options: { mib, sizes, commitEvery, devices, pageSize, memorySize }, cells }, null, 2));
  process.stdout.write(`\nwrote ${out}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
