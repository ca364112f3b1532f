/**
 * `node dist/bench/loop.js --scenario device`: reads from the hot device in a plain loop, one
 * operation at a time. 10M records of 8 B keys and 100 B values on a file device with 10% of the
 * log in memory (the rest read back from the segment files through the OS page cache), YCSB-B Zipf
 * 0.99 (95% reads, 5% updates). Cells, over the same prebuilt operation stream:
 *
 *   f2kv sync   s.readSync(key), then `await s.read(key)` when it returns PENDING; s.upsertSync,
 *               then `await s.upsert` on PENDING (what an application writes on the fast path)
 *   f2kv async  `await s.read(key)` / `await s.upsert(key, v)` for every operation
 *   level       classic-level `await db.get` / `await db.put`, its block cache as large as f2kv's
 *               log memory
 *   f2kv sync x64, level x64
 *               the same calls with 64 operations in flight (64 workers over one stream, as a
 *               service with 64 concurrent requests): f2kv awaits only what went PENDING
 *
 * Prints M ops/s per cell (best of --runs), the ratios against classic-level measured in the same
 * run, and f2kv sync against the reference 0.3 M ops/s of the Rust crate oxifaster on the same data
 * (measured elsewhere; the target is ≥ 0.5× of it). Writes bench/results/loop-device-<stamp>.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ClassicLevel } from 'classic-level';
import { FasterKv, PENDING } from '../../src/index.js';
import { fmtInt, fmtMops, fmtRatio, renderTable } from './table.js';
import { generateOps, OP_READ, writeKey, writeValue, type OpStream } from './workload.js';

type Store = Awaited<ReturnType<typeof FasterKv.open>>;
type Session = ReturnType<Store['startSession']>;

export interface DeviceLoopPlan {
  records: number;
  ops: number;
  runs: number;
  seed: number;
  valueBytes: number;
  /** Fraction of the data (key + value bytes) that f2kv's log memory and classic-level's cache hold. */
  memoryFraction: number;
  /** Part of f2kv's memory given to its read cache instead of log pages (0: no read cache). */
  readCacheFraction: number;
  /** Seconds per timed run (a run stops early at its deadline). */
  capSeconds: number;
  cells: readonly DeviceCell[];
  outDir: string;
  dir: string | undefined;
}

export const DEVICE_CELLS = ['f2kv sync', 'f2kv async', 'level', 'f2kv sync x64', 'level x64'] as const;
export type DeviceCell = (typeof DEVICE_CELLS)[number];

/** oxifaster (Rust) on the same data, one operation at a time: the reference of issue 13. */
const OXIFASTER_REFERENCE_OPS = 300_000;
const KEY_BYTES = 8;

let sink = 0;

async function loopF2Sync(s: Session, stream: OpStream, keys: Uint8Array[], value: Uint8Array, n: number, deadline: number): Promise<number> {
  let acc = 0;
  const { ops, keys: idx } = stream;
  for (let i = 0; i < n; i++) {
    const k = keys[idx[i]!]!;
    if (ops[i] === OP_READ) {
      let v = s.readSync(k);
      if (v === PENDING) v = await s.read(k);
      if (v === undefined) throw new Error(`key ${idx[i]} is missing`);
      acc ^= v[0]!;
    } else if (s.upsertSync(k, value) === PENDING) {
      await s.upsert(k, value);
    }
    if ((i & 0x3ff) === 0 && performance.now() > deadline) return i;
  }
  sink ^= acc;
  return n;
}

async function loopF2Async(s: Session, stream: OpStream, keys: Uint8Array[], value: Uint8Array, n: number, deadline: number): Promise<number> {
  let acc = 0;
  const { ops, keys: idx } = stream;
  for (let i = 0; i < n; i++) {
    const k = keys[idx[i]!]!;
    if (ops[i] === OP_READ) {
      const v = await s.read(k);
      if (v === undefined) throw new Error(`key ${idx[i]} is missing`);
      acc ^= v[0]!;
    } else {
      await s.upsert(k, value);
    }
    if ((i & 0x3ff) === 0 && performance.now() > deadline) return i;
  }
  sink ^= acc;
  return n;
}

async function loopLevel(db: ClassicLevel<Uint8Array, Uint8Array>, stream: OpStream, keys: Uint8Array[], value: Uint8Array, n: number, deadline: number): Promise<number> {
  let acc = 0;
  const { ops, keys: idx } = stream;
  for (let i = 0; i < n; i++) {
    const k = keys[idx[i]!]!;
    if (ops[i] === OP_READ) {
      const v = await db.get(k);
      if (v === undefined) throw new Error(`key ${idx[i]} is missing`);
      acc ^= v[0]!;
    } else {
      await db.put(k, value);
    }
    if ((i & 0x3ff) === 0 && performance.now() > deadline) return i;
  }
  sink ^= acc;
  return n;
}

/**
 * `concurrency` workers share one operation stream, as an application serving that many requests
 * at once: each takes the next operation and awaits it only when it is pending (f2kv's sync fast
 * path answers in the loop; classic-level always goes through libuv's thread pool). Returns the
 * operations done.
 */
async function runConcurrent(
  concurrency: number,
  n: number,
  deadline: number,
  op: (i: number) => number | Promise<number>,
): Promise<number> {
  let next = 0;
  let acc = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const r = op(i);
      acc ^= typeof r === 'number' ? r : await r;
      if ((i & 0x3ff) === 0 && performance.now() > deadline) {
        n = Math.min(n, next);
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  sink ^= acc;
  return Math.min(n, next);
}

function f2SyncOp(s: Session, stream: OpStream, keys: Uint8Array[], value: Uint8Array): (i: number) => number | Promise<number> {
  const { ops, keys: idx } = stream;
  const first = (v: Uint8Array | undefined, i: number): number => {
    if (v === undefined) throw new Error(`key ${idx[i]} is missing`);
    return v[0]!;
  };
  return (i) => {
    const k = keys[idx[i]!]!;
    if (ops[i] === OP_READ) {
      const v = s.readSync(k);
      return v === PENDING ? s.read(k).then((w) => first(w, i)) : first(v, i);
    }
    return s.upsertSync(k, value) === PENDING ? s.upsert(k, value).then(() => 0) : 0;
  };
}

function levelOp(db: ClassicLevel<Uint8Array, Uint8Array>, stream: OpStream, keys: Uint8Array[], value: Uint8Array): (i: number) => Promise<number> {
  const { ops, keys: idx } = stream;
  return async (i) => {
    const k = keys[idx[i]!]!;
    if (ops[i] !== OP_READ) {
      await db.put(k, value);
      return 0;
    }
    const v = await db.get(k);
    if (v === undefined) throw new Error(`key ${idx[i]} is missing`);
    return v[0]!;
  };
}

/** Operations in flight in the "x64" cells. */
const IN_FLIGHT = 64;

function say(line: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

export async function runDeviceScenario(plan: DeviceLoopPlan): Promise<void> {
  const { records, valueBytes } = plan;
  const dataBytes = records * (KEY_BYTES + valueBytes);
  const pageSize = 4 * 2 ** 20;
  const logMemory = Math.max(4, Math.round((dataBytes * plan.memoryFraction) / pageSize)) * pageSize;
  const buckets = 2 ** Math.max(4, Math.round(Math.log2(records / 4)));
  process.stdout.write(
    `device loop: ${fmtInt(records)} records of ${KEY_BYTES} B keys and ${valueBytes} B values (${(dataBytes / 2 ** 20).toFixed(0)} MiB), ` +
      `log memory ${(logMemory / 2 ** 20).toFixed(0)} MiB (${(plan.memoryFraction * 100).toFixed(0)}%), file device; YCSB-B Zipf 0.99, ` +
      `f2kv read cache ${(plan.readCacheFraction * 100).toFixed(0)}% of that memory, ${fmtInt(plan.ops)} ops per run (capped at ${plan.capSeconds} s), ${plan.runs} runs, node ${process.version}\n`,
  );
  const root = plan.dir ?? mkdtempSync(join(tmpdir(), 'f2kv-loop-device-'));
  mkdirSync(join(root, 'f2kv'), { recursive: true });
  const keys: Uint8Array[] = new Array<Uint8Array>(records);
  for (let i = 0; i < records; i++) {
    const k = new Uint8Array(KEY_BYTES);
    writeKey(i, k);
    keys[i] = k;
  }
  const value = new Uint8Array(valueBytes);
  const wants = (cell: DeviceCell): boolean => plan.cells.includes(cell);

  let store: Store | undefined;
  let session: Session | undefined;
  let db: ClassicLevel<Uint8Array, Uint8Array> | undefined;
  const loads: Record<string, number> = {};
  try {
    if (wants('f2kv sync') || wants('f2kv async') || wants('f2kv sync x64')) {
      const t = performance.now();
      // --read-cache-fraction carves a read cache out of the same memory (log memory shrinks by as much).
      const rcBytes = Math.floor((logMemory * plan.readCacheFraction) / pageSize) * pageSize;
      store = await FasterKv.open({
        index: { buckets },
        log: { device: `file://${join(root, 'f2kv')}`, memorySize: logMemory - rcBytes, pageSize },
        ...(rcBytes > 0 ? { readCache: { memorySize: rcBytes, pageSize: Math.min(pageSize, rcBytes / 4) } } : {}),
        checkpoint: { onClose: false },
      });
      session = store.startSession();
      for (let i = 0; i < records; i++) {
        writeValue(i, value);
        if (session.upsertSync(keys[i]!, value) === PENDING) await session.upsert(keys[i]!, value);
      }
      loads['f2kv'] = records / ((performance.now() - t) / 1000);
      say(`f2kv loaded at ${fmtInt(loads['f2kv'])} records/s`);
    }
    if (wants('level') || wants('level x64')) {
      const t = performance.now();
      db = new ClassicLevel<Uint8Array, Uint8Array>(join(root, 'level'), { keyEncoding: 'view', valueEncoding: 'view', cacheSize: logMemory });
      await db.open();
      for (let start = 0; start < records; start += 10_000) {
        const batch = db.batch();
        for (let i = start; i < Math.min(records, start + 10_000); i++) {
          const v = new Uint8Array(valueBytes);
          writeValue(i, v);
          batch.put(keys[i]!, v);
        }
        await batch.write();
      }
      loads['level'] = records / ((performance.now() - t) / 1000);
      say(`classic-level loaded at ${fmtInt(loads['level'])} records/s`);
    }
    // Every store answers a sample of keys correctly before anything is timed.
    const expect = new Uint8Array(valueBytes);
    for (let i = 0; i < records; i += Math.max(1, Math.floor(records / 2000))) {
      writeValue(i, expect);
      const got: (Uint8Array | undefined)[] = [];
      if (session) got.push(await session.read(keys[i]!));
      if (db) got.push(await db.get(keys[i]!));
      for (const v of got) {
        if (v === undefined || v.length !== valueBytes || v.some((b, j) => b !== expect[j])) throw new Error(`verification failed at key ${i}`);
      }
    }
    say('verified a sample of 2,000 keys in every store');

    writeValue(0x5eed, value);
    const stream = generateOps('B', 'zipf', records, plan.ops, plan.seed);
    // CPU time per operation (this process, all threads: LevelDB's reads run on libuv's pool) is
    // printed beside the rate: on a shared machine it moves less than the wall-clock rate.
    const cpuPerOp = new Map<DeviceCell, number[]>();
    const run = async (cell: DeviceCell, n: number, cap: number): Promise<number> => {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const deadline = t0 + cap * 1000;
      let done = 0;
      if (cell === 'f2kv sync') done = await loopF2Sync(session!, stream, keys, value, n, deadline);
      else if (cell === 'f2kv async') done = await loopF2Async(session!, stream, keys, value, n, deadline);
      else if (cell === 'f2kv sync x64') done = await runConcurrent(IN_FLIGHT, n, deadline, f2SyncOp(session!, stream, keys, value));
      else if (cell === 'level x64') done = await runConcurrent(IN_FLIGHT, n, deadline, levelOp(db!, stream, keys, value));
      else done = await loopLevel(db!, stream, keys, value, n, deadline);
      const cpu = process.cpuUsage(c0);
      const list = cpuPerOp.get(cell) ?? [];
      list.push((cpu.user + cpu.system) / Math.max(1, done));
      cpuPerOp.set(cell, list);
      return done / ((performance.now() - t0) / 1000);
    };
    const cells = DEVICE_CELLS.filter(wants);
    for (const cell of cells) await run(cell, Math.min(plan.ops, 100_000), Math.min(5, plan.capSeconds));
    const perCell = new Map<DeviceCell, number[]>(cells.map((c) => [c, []]));
    const before = store?.stats();
    for (let r = 0; r < plan.runs; r++) {
      for (const cell of cells) {
        const opsPerSec = await run(cell, plan.ops, plan.capSeconds);
        perCell.get(cell)!.push(opsPerSec);
        say(`run ${r + 1} ${cell}: ${fmtMops(opsPerSec)} M ops/s, ${cpuPerOp.get(cell)!.at(-1)!.toFixed(1)} µs CPU per operation`);
      }
    }
    const after = store?.stats();
    const best = (c: DeviceCell): number => Math.max(...(perCell.get(c) ?? [NaN]));
    const table = renderTable(
      ['workload', 'level', 'f2kv sync', 'f2kv async', 'sync / level', 'async / level', 'sync / oxifaster 0.3M'],
      [[
        'B Zipf',
        fmtMops(best('level')),
        fmtMops(best('f2kv sync')),
        fmtMops(best('f2kv async')),
        fmtRatio(best('f2kv sync') / best('level')),
        fmtRatio(best('f2kv async') / best('level')),
        fmtRatio(best('f2kv sync') / OXIFASTER_REFERENCE_OPS),
      ]],
    );
    process.stdout.write(`\nMillion ops/s (best of ${plan.runs}), one operation at a time\n${table}\n`);
    if (wants('f2kv sync x64') || wants('level x64')) {
      const table64 = renderTable(
        ['workload', `level x${IN_FLIGHT}`, `f2kv sync x${IN_FLIGHT}`, 'f2kv / level'],
        [['B Zipf', fmtMops(best('level x64')), fmtMops(best('f2kv sync x64')), fmtRatio(best('f2kv sync x64') / best('level x64'))]],
      );
      process.stdout.write(`\nMillion ops/s (best of ${plan.runs}), ${IN_FLIGHT} operations in flight (the sync fast path first, the async call on PENDING)\n${table64}\n`);
    }
    const cpuBest = (c: DeviceCell): number => Math.min(...(cpuPerOp.get(c) ?? [NaN]).slice(-plan.runs));
    process.stdout.write(`CPU µs per operation (least of the timed runs): ${cells.map((c) => `${c} ${cpuBest(c).toFixed(1)}`).join(', ')}\n`);
    let deviceFigures: Record<string, number> = {};
    if (before && after) {
      const ops = after.operations.reads + after.operations.upserts - before.operations.reads - before.operations.upserts;
      deviceFigures = {
        operations: ops,
        syncDeviceReads: after.operations.syncDeviceReads - before.operations.syncDeviceReads,
        pendingReads: after.operations.pendingReads - before.operations.pendingReads,
        deviceReadsPerOperation: (after.log.deviceReads - before.log.deviceReads) / Math.max(1, ops),
      };
      process.stdout.write(
        `f2kv over the timed runs: ${fmtInt(ops)} operations, ${fmtInt(deviceFigures['syncDeviceReads']!)} reads completed on the device synchronously, ` +
          `${fmtInt(deviceFigures['pendingReads']!)} went pending, ${deviceFigures['deviceReadsPerOperation']!.toFixed(3)} device reads per operation\n`,
      );
    }
    mkdirSync(plan.outDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = join(plan.outDir, `loop-device-${stamp}.json`);
    const config = { ...plan, dir: root, logMemory, pageSize, buckets, node: process.version, oxifasterReferenceOps: OXIFASTER_REFERENCE_OPS };
    writeFileSync(file, JSON.stringify({ config, loads, runs: Object.fromEntries(perCell), cpuMicrosPerOp: Object.fromEntries(cpuPerOp), deviceFigures, rss: process.memoryUsage().rss, sink }, null, 2));
    process.stdout.write(`wrote ${file}\n`);
  } finally {
    await store?.close();
    await db?.close();
    if (plan.dir === undefined) rmSync(root, { recursive: true, force: true });
  }
}
