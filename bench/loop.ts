/**
 * Plain-loop benchmark (`npm run bench:loop`): the code an application writes. 1M records with
 * 8-byte keys prebuilt once as Uint8Arrays and 8-byte values; a YCSB operation stream (A, B, C;
 * Zipf 0.99 and uniform) prebuilt before timing; then, in one process and over the same stream,
 * a plain `for` loop calling:
 *
 *   f2kv sync      s.readSync(key) / s.upsertSync(key, value)
 *   f2kv readInto  s.readInto(key, buf) / s.upsertSync(key, value)
 *   f2kv async     await s.read(key) / await s.upsert(key, value)
 *   Map prebuilt   Map<string, Uint8Array> with string keys built once (latin1 of the key bytes);
 *                  loaded with one value array per record, updates store the caller's array
 *   Map converted  the same Map, the key converted per operation from its Uint8Array
 *                  (Buffer view → latin1 string), as an application with binary keys must
 *   lmdb           lmdb-js sync API: getBinaryFast / putSync (noSync, binary encodings, no cache)
 *
 * Every cell runs once as a warm-up, then `--runs` times (rounds go over all stores in turn, so
 * noise from the shared machine spreads evenly); the best run is reported and all runs are kept in
 * the JSON. Prints a table, writes bench/results/loop-<timestamp>.json and loop.summary.json.
 *
 * Flags: --records 1M --ops 2M --runs 3 --workloads A,B,C --dists zipf,uniform --seed 42 --cells (a subset, for profiling)
 *        --lmdb-seconds 3 (a cap per lmdb run) --quick (100k records, 300k ops, 2 runs).
 *
 * `--scenario device` (bench/lib/device-loop.ts): reads from the hot device, larger than memory —
 * 10M records of 100 B values, 10% of the data in memory, file device, YCSB-B Zipf, one operation
 * at a time and with 64 in flight, f2kv beside classic-level. Flags: --records --ops --runs --value-bytes
 * --memory-fraction 0.1 --read-cache-fraction 0 --cap-seconds 20 --cells --dir --out.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { open, type RootDatabase } from 'lmdb';
import { FasterKv, PENDING } from '../src/index.js';
import { Flags } from './lib/args.js';
import { DEVICE_CELLS, runDeviceScenario, type DeviceCell } from './lib/device-loop.js';
import { fmtInt, fmtMops, fmtRatio, renderTable } from './lib/table.js';
import {
  generateOps,
  isDistribution,
  isWorkloadName,
  OP_READ,
  writeKey,
  writeValue,
  type Distribution,
  type OpStream,
  type WorkloadName,
} from './lib/workload.js';

type Store = Awaited<ReturnType<typeof FasterKv.open>>;
type Session = ReturnType<Store['startSession']>;

const CELLS = ['f2kv sync', 'f2kv readInto', 'f2kv async', 'Map prebuilt', 'Map converted', 'lmdb'] as const;
type CellName = (typeof CELLS)[number];

const KEY_BYTES = 8;
const VALUE_BYTES = 8;
const VALUE_VARIANTS = 1024;

const flags = new Flags(process.argv.slice(2));
const scenario = flags.string('scenario', 'memory');
if (scenario !== 'memory' && scenario !== 'device') throw new Error(`--scenario: memory or device, got "${scenario}"`);
if (scenario === 'device') {
  await runDeviceScenario({
    records: flags.count('records', 10_000_000),
    ops: flags.count('ops', 1_000_000),
    runs: flags.count('runs', 2),
    seed: flags.count('seed', 42),
    valueBytes: flags.count('value-bytes', 100),
    memoryFraction: Number(flags.string('memory-fraction', '0.1')),
    readCacheFraction: Number(flags.string('read-cache-fraction', '0')),
    capSeconds: Number(flags.string('cap-seconds', '20')),
    cells: flags.list('cells', [...DEVICE_CELLS]).map((c) => {
      if (!(DEVICE_CELLS as readonly string[]).includes(c)) throw new Error(`--cells: ${DEVICE_CELLS.join(', ')}; got "${c}"`);
      return c as DeviceCell;
    }),
    outDir: flags.string('out', 'bench/results'),
    dir: flags.optionalString('dir'),
  });
  flags.rejectUnknown();
  process.exit(0);
}
const quick = flags.has('quick') && flags.bool('quick', false);
const records = flags.count('records', quick ? 100_000 : 1_000_000);
const opCount = flags.count('ops', quick ? 300_000 : 2_000_000);
const runs = flags.count('runs', quick ? 2 : 3);
const only = flags.list('cells', [...CELLS]);
const seed = flags.count('seed', 42);
const lmdbSeconds = Number(flags.string('lmdb-seconds', quick ? '1' : '3'));
const workloads = flags.list('workloads', ['A', 'B', 'C']);
const dists = flags.list('dists', ['zipf', 'uniform']);
const outDir = flags.string('out', 'bench/results');
flags.rejectUnknown();
for (const w of workloads) if (!isWorkloadName(w) || w === 'F') throw new Error(`--workloads: A, B or C, got "${w}"`);
for (const d of dists) if (!isDistribution(d)) throw new Error(`--dists: zipf or uniform, got "${d}"`);
if (records < 2 || opCount < 1 || runs < 1) throw new Error('--records ≥ 2, --ops ≥ 1 and --runs ≥ 1');

// ------------------------------------------------------------------ data, built once

const keys: Uint8Array[] = new Array<Uint8Array>(records);
const keyStrings: string[] = new Array<string>(records);
for (let i = 0; i < records; i++) {
  const k = new Uint8Array(KEY_BYTES);
  writeKey(i, k);
  keys[i] = k;
  keyStrings[i] = Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('latin1');
}
const values: Uint8Array[] = [];
for (let i = 0; i < VALUE_VARIANTS; i++) {
  const v = new Uint8Array(VALUE_BYTES);
  writeValue(i * 2654435761, v);
  values.push(v);
}

/** What a user with binary keys writes to use them in a Map. */
function keyString(k: Uint8Array): string {
  return Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('latin1');
}

let sink = 0;

// ------------------------------------------------------------------ the loops (one per cell)

function loopF2Sync(s: Session, ops: Uint8Array, keyIdx: Uint32Array, n: number, deadline: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const k = keys[keyIdx[i]!]!;
    if (ops[i] === OP_READ) {
      const v = s.readSync(k);
      if (v === PENDING) throw new Error('unexpected PENDING in memory');
      if (v !== undefined) acc ^= v[0]!;
    } else if (s.upsertSync(k, values[i & (VALUE_VARIANTS - 1)]!) === PENDING) {
      throw new Error('unexpected PENDING in memory');
    }
    if ((i & 0xffff) === 0 && performance.now() > deadline) return i;
  }
  sink ^= acc;
  return n;
}

function loopF2Into(s: Session, ops: Uint8Array, keyIdx: Uint32Array, n: number, deadline: number): number {
  const out = new Uint8Array(64);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const k = keys[keyIdx[i]!]!;
    if (ops[i] === OP_READ) {
      const len = s.readInto(k, out);
      if (len === -2) throw new Error('unexpected PENDING in memory');
      if (len >= 0) acc ^= out[0]!;
    } else if (s.upsertSync(k, values[i & (VALUE_VARIANTS - 1)]!) === PENDING) {
      throw new Error('unexpected PENDING in memory');
    }
    if ((i & 0xffff) === 0 && performance.now() > deadline) return i;
  }
  sink ^= acc;
  return n;
}

async function loopF2Async(s: Session, ops: Uint8Array, keyIdx: Uint32Array, n: number, deadline: number): Promise<number> {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const k = keys[keyIdx[i]!]!;
    if (ops[i] === OP_READ) {
      const v = await s.read(k);
      if (v !== undefined) acc ^= v[0]!;
    } else {
      await s.upsert(k, values[i & (VALUE_VARIANTS - 1)]!);
    }
    if ((i & 0xffff) === 0 && performance.now() > deadline) return i;
  }
  sink ^= acc;
  return n;
}

function loopMapPrebuilt(m: Map<string, Uint8Array>, ops: Uint8Array, keyIdx: Uint32Array, n: number, deadline: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const k = keyStrings[keyIdx[i]!]!;
    if (ops[i] === OP_READ) {
      const v = m.get(k);
      if (v !== undefined) acc ^= v[0]!;
    } else {
      m.set(k, values[i & (VALUE_VARIANTS - 1)]!);
    }
    if ((i & 0xffff) === 0 && performance.now() > deadline) return i;
  }
  sink ^= acc;
  return n;
}

function loopMapConverted(m: Map<string, Uint8Array>, ops: Uint8Array, keyIdx: Uint32Array, n: number, deadline: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const k = keyString(keys[keyIdx[i]!]!);
    if (ops[i] === OP_READ) {
      const v = m.get(k);
      if (v !== undefined) acc ^= v[0]!;
    } else {
      m.set(k, values[i & (VALUE_VARIANTS - 1)]!);
    }
    if ((i & 0xffff) === 0 && performance.now() > deadline) return i;
  }
  sink ^= acc;
  return n;
}

function loopLmdb(db: RootDatabase<Uint8Array, Uint8Array>, ops: Uint8Array, keyIdx: Uint32Array, n: number, deadline: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const k = keys[keyIdx[i]!]!;
    if (ops[i] === OP_READ) {
      const v = db.getBinaryFast(k);
      if (v !== undefined) acc ^= v[0]!;
    } else {
      db.putSync(k, values[i & (VALUE_VARIANTS - 1)]!);
    }
    if ((i & 0x3ff) === 0 && performance.now() > deadline) return i;
  }
  sink ^= acc;
  return n;
}

// ------------------------------------------------------------------ stores

interface Stores {
  readonly store: Store;
  readonly session: Session;
  readonly map: Map<string, Uint8Array>;
  readonly lmdb: RootDatabase<Uint8Array, Uint8Array>;
  readonly lmdbDir: string;
}

async function openStores(): Promise<Stores> {
  const buckets = 2 ** Math.max(4, Math.round(Math.log2(records / 4)));
  const store = await FasterKv.open({
    index: { buckets },
    log: { device: 'memory://', memorySize: Math.max(64, Math.ceil((records * 48 * 2) / 2 ** 20)) * 2 ** 20, pageSize: '4MiB' },
  });
  const session = store.startSession();
  for (let i = 0; i < records; i++) {
    if (session.upsertSync(keys[i]!, values[i & (VALUE_VARIANTS - 1)]!) === PENDING) await session.upsert(keys[i]!, values[i & (VALUE_VARIANTS - 1)]!);
  }
  const map = new Map<string, Uint8Array>();
  // Each record gets its own value array, as in any Map that holds a million records (the stores
  // copy what they are given, so they hold a million values too).
  for (let i = 0; i < records; i++) map.set(keyStrings[i]!, values[i & (VALUE_VARIANTS - 1)]!.slice());
  const lmdbDir = mkdtempSync(join(tmpdir(), 'f2kv-loop-'));
  const lmdb = open<Uint8Array, Uint8Array>({
    path: join(lmdbDir, 'lmdb'),
    keyEncoding: 'binary',
    encoding: 'binary',
    noSync: true,
    noMetaSync: true,
    noMemInit: true,
    cache: false,
    compression: false,
    mapSize: Math.max(1 << 30, records * (KEY_BYTES + VALUE_BYTES + 64) * 4),
  });
  for (let start = 0; start < records; start += 10_000) {
    const end = Math.min(records, start + 10_000);
    lmdb.transactionSync(() => {
      for (let i = start; i < end; i++) lmdb.putSync(keys[i]!, values[i & (VALUE_VARIANTS - 1)]!);
    });
  }
  // Every store must answer every key before anything is timed.
  const probe = new Uint8Array(64);
  for (let i = 0; i < records; i += Math.max(1, Math.floor(records / 1000))) {
    const want = values[i & (VALUE_VARIANTS - 1)]![0];
    const lm = lmdb.getBinaryFast(keys[i]!);
    if (session.readInto(keys[i]!, probe) !== VALUE_BYTES || probe[0] !== want || map.get(keyStrings[i]!)?.[0] !== want || lm?.[0] !== want) {
      throw new Error(`verification failed at key ${i}`);
    }
  }
  return { store, session, map, lmdb, lmdbDir };
}

async function runCell(cell: CellName, st: Stores, stream: OpStream, n: number, capSeconds: number): Promise<{ ops: number; seconds: number }> {
  const t0 = performance.now();
  const deadline = t0 + capSeconds * 1000;
  let done: number;
  switch (cell) {
    case 'f2kv sync':
      done = loopF2Sync(st.session, stream.ops, stream.keys, n, deadline);
      break;
    case 'f2kv readInto':
      done = loopF2Into(st.session, stream.ops, stream.keys, n, deadline);
      break;
    case 'f2kv async':
      done = await loopF2Async(st.session, stream.ops, stream.keys, n, deadline);
      break;
    case 'Map prebuilt':
      done = loopMapPrebuilt(st.map, stream.ops, stream.keys, n, deadline);
      break;
    case 'Map converted':
      done = loopMapConverted(st.map, stream.ops, stream.keys, n, deadline);
      break;
    case 'lmdb':
      done = loopLmdb(st.lmdb, stream.ops, stream.keys, n, deadline);
      break;
  }
  return { ops: done, seconds: (performance.now() - t0) / 1000 };
}

// ------------------------------------------------------------------ main

interface CellResult {
  readonly workload: WorkloadName;
  readonly dist: Distribution;
  readonly cell: CellName;
  /** Ops/s of each timed run. */
  readonly runs: number[];
  readonly best: number;
  readonly median: number;
  readonly capped: boolean;
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  process.stdout.write(`plain loop: ${fmtInt(records)} records, ${fmtInt(opCount)} ops per run, ${runs} runs (best reported), 8 B keys and values, node ${process.version}\n`);
  const t = performance.now();
  const st = await openStores();
  process.stdout.write(`loaded in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  const results: CellResult[] = [];
  const rows: string[][] = [];
  const cells = CELLS.filter((c) => only.includes(c));
  for (const d of dists as Distribution[]) {
    for (const w of workloads as WorkloadName[]) {
      const stream = generateOps(w, d, records, opCount, seed);
      const perCell = new Map<CellName, number[]>();
      let lmdbCapped = false;
      for (const cell of cells) {
        // Warm-up: a prefix of the same stream (JIT, caches).
        await runCell(cell, st, stream, Math.min(opCount, 200_000), cell === 'lmdb' ? lmdbSeconds / 3 : 60);
        perCell.set(cell, []);
      }
      for (let r = 0; r < runs; r++) {
        for (const cell of cells) {
          const res = await runCell(cell, st, stream, opCount, cell === 'lmdb' ? lmdbSeconds : 600);
          if (res.ops < opCount) lmdbCapped = true;
          perCell.get(cell)!.push(res.ops / res.seconds);
        }
      }
      const best = new Map<CellName, number>();
      for (const cell of cells) {
        const xs = perCell.get(cell)!;
        const sorted = [...xs].sort((a, b) => a - b);
        const b = sorted[sorted.length - 1]!;
        best.set(cell, b);
        results.push({ workload: w, dist: d, cell, runs: xs, best: b, median: sorted[Math.floor(sorted.length / 2)]!, capped: cell === 'lmdb' && lmdbCapped });
      }
      const g = (c: CellName): number => best.get(c) ?? NaN;
      rows.push([
        `${w} ${d}`,
        fmtMops(g('Map prebuilt')),
        fmtMops(g('Map converted')),
        fmtMops(g('lmdb')) + (lmdbCapped ? '*' : ''),
        fmtMops(g('f2kv sync')),
        fmtMops(g('f2kv readInto')),
        fmtMops(g('f2kv async')),
        fmtRatio(g('f2kv sync') / g('Map prebuilt')),
        fmtRatio(g('f2kv sync') / g('Map converted')),
        fmtRatio(g('f2kv sync') / g('lmdb')),
        fmtRatio(g('f2kv readInto') / g('Map prebuilt')),
        fmtRatio(g('f2kv async') / g('Map prebuilt')),
        fmtRatio(g('f2kv async') / g('lmdb')),
      ]);
      process.stdout.write(`${w} ${d}: done\n`);
    }
  }
  const table = renderTable(
    ['workload', 'Map pre', 'Map conv', 'lmdb', 'sync', 'readInto', 'async', 'sync/Map', 'sync/conv', 'sync/lmdb', 'into/Map', 'async/Map', 'async/lmdb'],
    rows,
  );
  process.stdout.write(`\nMillion ops/s (best of ${runs}); ratios are f2kv over the peer\n${table}\n`);
  if (results.some((r) => r.capped)) process.stdout.write(`* lmdb runs stopped after ${lmdbSeconds} s; ops/s is over the operations done\n`);

  const commit = gitCommit();
  const config = { records, ops: opCount, runs, seed, keyBytes: KEY_BYTES, valueBytes: VALUE_BYTES, lmdbSeconds, node: process.version, commit };
  mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(outDir, `loop-${stamp}.json`), JSON.stringify({ config, results, sink }, null, 2));
  const summary: Record<string, Record<string, number>> = {};
  const bestOf = new Map<string, number>();
  for (const r of results) {
    const key = `${r.workload} ${r.dist}`;
    summary[key] ??= {};
    summary[key][r.cell] = Math.round(r.best / 1e3) / 1e3;
    bestOf.set(`${key}/${r.cell}`, r.best);
  }
  for (const key of Object.keys(summary)) {
    const c = summary[key]!;
    // Ratios of the unrounded figures.
    const ratio = (a: CellName, b: CellName): number => Math.round((bestOf.get(`${key}/${a}`)! / bestOf.get(`${key}/${b}`)!) * 100) / 100;
    c['sync / Map prebuilt'] = ratio('f2kv sync', 'Map prebuilt');
    c['sync / Map converted'] = ratio('f2kv sync', 'Map converted');
    c['sync / lmdb'] = ratio('f2kv sync', 'lmdb');
    c['async / Map prebuilt'] = ratio('f2kv async', 'Map prebuilt');
  }
  writeFileSync(join(outDir, 'loop.summary.json'), JSON.stringify({ config, unit: 'M ops/s, best run', cells: summary }, null, 2) + '\n');
  process.stdout.write(`wrote ${join(outDir, `loop-${stamp}.json`)} and loop.summary.json\n`);

  await st.store.close();
  await st.lmdb.close();
  rmSync(st.lmdbDir, { recursive: true, force: true });
}

await main();
