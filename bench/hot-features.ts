/**
 * Hot-tier features benchmark (issue 5, item 7): read cache, compaction, online index growth.
 *
 *   npm run bench:hot                                  # default sizes (see --help)
 *   node dist/bench/hot-features.js --quick            # small sizes, a smoke test (seconds)
 *   node dist/bench/hot-features.js --sections readcache --records 2M --ops 2M
 *
 * Sections (each prints a table; all go to one JSON file, bench/results/hot-features-<time>.json):
 *
 * 1. readcache — YCSB-B (95% read / 5% update), scrambled Zipf 0.99, over `--records` records of
 *    8-byte keys and `--value-size`-byte values on the file device, with a log memory budget far
 *    below the data (`--log-memory`), once without and once with a read cache
 *    (`--read-cache`). Both stores are loaded identically and run the same warm-up stream and the
 *    same timed stream (one client, sync fast path, falling back to the async read when the
 *    record is on the device). Hit ratio = read-cache hits / (hits + misses) over the timed
 *    phase, where a miss is a read that went to the device; "no I/O" is the share of reads that
 *    completed synchronously (main-log memory or read cache).
 * 2. compaction — a file-device log with several versions per key (`--compact-keys` keys loaded,
 *    `--compact-rounds` rounds that update every key in a shuffled order; before the last round
 *    `--compact-delete` of the keys are deleted and stay deleted), compacted up to the read-only
 *    address once in lookup mode and once (fresh, identically built store) in scan mode. A sample
 *    of keys is verified after.
 * 3. index — `--index-keys` 8-byte keys with 8-byte values in a memory:// log, index of
 *    `--index-buckets` buckets without automatic growth; a YCSB-B Zipf workload that yields to
 *    the event loop every 1024 operations runs before, during and after `growIndex()`.
 *    Every key is then verified (or `--index-verify` evenly spaced ones).
 *
 * Numbers are single-client and single-process; compare rows within one run.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { FasterKv, PENDING } from '../src/index.js';
import { Flags, parseBytes } from './lib/args.js';
import { dirBytes } from './lib/fs-size.js';
import { SAMPLE_EVERY, SAMPLE_MASK, summarize, type LatencySummary } from './lib/latency.js';
import { fmtInt, fmtMops, fmtUs, renderTable } from './lib/table.js';
import { generateOps, OP_READ, Rng, writeKey, writeValue, type OpStream } from './lib/workload.js';

const THIS_FILE = fileURLToPath(import.meta.url);
const REPO_ROOT = resolve(dirname(THIS_FILE), '..', '..');
const MIB = 1024 * 1024;
const KEY_SIZE = 8;
/** readInto: the record is on the device. */
const READ_PENDING = -2;
/** Expected stamp of a deleted key. */
const DELETED = 0xffffffff;

type Store = Awaited<ReturnType<typeof FasterKv.open>>;
type Session = ReturnType<Store['startSession']>;
type CompactionResult = Awaited<ReturnType<Store['compact']>>;
type SectionName = 'readcache' | 'compaction' | 'index';
const SECTIONS: readonly SectionName[] = ['readcache', 'compaction', 'index'];

interface Plan {
  quick: boolean;
  sections: SectionName[];
  seed: number;
  baseDir: string;
  out: string;
  readCache: {
    records: number;
    ops: number;
    warmup: number;
    valueSize: number;
    pageSize: number;
    logMemory: number;
    readCacheMemory: number;
    buckets: number;
    mutableFraction: number;
  };
  compaction: {
    keys: number;
    rounds: number;
    deleteFraction: number;
    valueSize: number;
    pageSize: number;
    logMemory: number;
    segmentSize: number;
    buckets: number;
    verify: number;
  };
  index: {
    keys: number;
    buckets: number;
    logMemory: number;
    pageSize: number;
    /** Operations of the before and after phases (the during phase runs until growth ends). */
    ops: number;
    verify: number;
  };
}

function log(msg: string): void {
  process.stderr.write(`  [${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function sizeFlag(flags: Flags, name: string, fallback: number): number {
  const raw = flags.optionalString(name);
  if (raw === undefined) return fallback;
  const b = parseBytes(raw);
  if (b === undefined) throw new Error(`--${name}: cannot parse "${raw}" as a size (e.g. 16MiB, 1GiB)`);
  return b;
}

function numberFlag(flags: Flags, name: string, fallback: number): number {
  const raw = flags.optionalString(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`--${name}: expected a number, got "${raw}"`);
  return n;
}

function powerOfTwoFlag(flags: Flags, name: string, fallback: number): number {
  const n = flags.count(name, fallback);
  if (n < 1 || (n & (n - 1)) !== 0) throw new Error(`--${name}: must be a power of two, got ${n}`);
  return n;
}

const HELP = `hot-features benchmark: read cache, compaction, index growth

  --sections LIST         readcache,compaction,index (default: all)
  --quick                 small sizes for a smoke test
  --seed N                workload seed (default 42)
  --dir DIR               scratch directory for file-device logs (default: OS temp dir)
  --out FILE              JSON output (default bench/results/hot-features-<time>.json)
 read cache:
  --records N             records (default 1M)           --ops N        timed ops (default 1M)
  --warmup N              untimed ops first (default 200k)
  --value-size B          value bytes (default 100)      --page-size S  log page (default 1MiB)
  --log-memory S          log memory (default 16MiB)     --read-cache S read cache (default 16MiB)
  --buckets N             index buckets (default 2^20)   --mutable-fraction F (default 0.9)
 compaction:
  --compact-keys N (500k)  --compact-rounds N (3)  --compact-delete F (0.1)  --compact-value-size B (100)
  --compact-log-memory S (32MiB)  --compact-page-size S (1MiB)  --compact-segment-size S (16MiB)
  --compact-buckets N (2^20)  --compact-verify N (20k)
 index growth:
  --index-keys N (10M)  --index-buckets N (2^21)  --index-log-memory S (1GiB)  --index-page-size S (4MiB)
  --index-ops N (2M, per before/after phase)  --index-verify N (all keys)
`;

function makePlan(argv: readonly string[]): Plan {
  const flags = new Flags(argv);
  if (flags.has('help')) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const quick = flags.bool('quick', false);
  const sections = flags.list('sections', SECTIONS);
  for (const s of sections) if (!SECTIONS.includes(s as SectionName)) throw new Error(`--sections: unknown section "${s}" (${SECTIONS.join(', ')})`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const rcRecords = flags.count('records', quick ? 50_000 : 1_000_000);
  const rcOps = flags.count('ops', quick ? 100_000 : 1_000_000);
  const indexKeys = flags.count('index-keys', quick ? 300_000 : 10_000_000);
  const plan: Plan = {
    quick,
    sections: sections as SectionName[],
    seed: flags.count('seed', 42),
    baseDir: flags.string('dir', tmpdir()),
    out: flags.string('out', join(REPO_ROOT, 'bench', 'results', `hot-features-${stamp}.json`)),
    readCache: {
      records: rcRecords,
      ops: rcOps,
      warmup: flags.count('warmup', quick ? 20_000 : 200_000),
      valueSize: flags.count('value-size', 100),
      pageSize: sizeFlag(flags, 'page-size', quick ? 64 * 1024 : MIB),
      logMemory: sizeFlag(flags, 'log-memory', quick ? 512 * 1024 : 16 * MIB),
      readCacheMemory: sizeFlag(flags, 'read-cache', quick ? 512 * 1024 : 16 * MIB),
      buckets: powerOfTwoFlag(flags, 'buckets', quick ? 1 << 14 : 1 << 20),
      mutableFraction: numberFlag(flags, 'mutable-fraction', 0.9),
    },
    compaction: {
      keys: flags.count('compact-keys', quick ? 20_000 : 500_000),
      rounds: flags.count('compact-rounds', 3),
      deleteFraction: numberFlag(flags, 'compact-delete', 0.1),
      valueSize: flags.count('compact-value-size', 100),
      pageSize: sizeFlag(flags, 'compact-page-size', quick ? 64 * 1024 : MIB),
      logMemory: sizeFlag(flags, 'compact-log-memory', quick ? 512 * 1024 : 32 * MIB),
      segmentSize: sizeFlag(flags, 'compact-segment-size', quick ? 256 * 1024 : 16 * MIB),
      buckets: powerOfTwoFlag(flags, 'compact-buckets', quick ? 1 << 13 : 1 << 20),
      verify: flags.count('compact-verify', quick ? 2_000 : 20_000),
    },
    index: {
      keys: indexKeys,
      buckets: powerOfTwoFlag(flags, 'index-buckets', quick ? 1 << 16 : 1 << 21),
      logMemory: sizeFlag(flags, 'index-log-memory', quick ? 64 * MIB : 1024 * MIB),
      pageSize: sizeFlag(flags, 'index-page-size', quick ? MIB : 4 * MIB),
      ops: flags.count('index-ops', quick ? 200_000 : 2_000_000),
      verify: flags.count('index-verify', indexKeys),
    },
  };
  flags.rejectUnknown();
  if (plan.compaction.deleteFraction < 0 || plan.compaction.deleteFraction > 1) throw new Error('--compact-delete must be in [0, 1]');
  if (plan.readCache.valueSize < 4 || plan.compaction.valueSize < 4) throw new Error('value sizes must be at least 4 bytes (values carry a 32-bit stamp)');
  return plan;
}

// ------------------------------------------------------------------------------------ helpers

/** First 4 bytes, little-endian (writeValue repeats the stamp). */
function stampOf(v: Uint8Array): number {
  return (v[0]! | (v[1]! << 8) | (v[2]! << 16) | (v[3]! << 24)) >>> 0;
}

/** Upsert through the sync fast path, awaiting the async call only when the log must wait. */
async function put(s: Session, key: Uint8Array, value: Uint8Array): Promise<void> {
  if (s.upsertSync(key, value) === PENDING) await s.upsert(key, value);
}

async function loadKeys(s: Session, count: number, value: Uint8Array, label: string): Promise<number> {
  const key = new Uint8Array(KEY_SIZE);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    writeKey(i, key);
    writeValue(i, value);
    await put(s, key, value);
    if ((i & 0xfffff) === 0xfffff) log(`${label}: loaded ${fmtInt(i + 1)}`);
  }
  return (performance.now() - t0) / 1000;
}

function tempDir(base: string, prefix: string): string {
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, prefix));
}

function mib(bytes: number): string {
  return (bytes / MIB).toFixed(1);
}

function pct(r: number): string {
  return Number.isFinite(r) ? `${(r * 100).toFixed(1)}%` : '-';
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------------ 1. read cache

interface ReadCacheRow {
  config: string;
  readCacheBytes: number;
  loadSeconds: number;
  ops: number;
  reads: number;
  updates: number;
  seconds: number;
  opsPerSec: number;
  latency: LatencySummary;
  readsWithoutIo: number;
  readsPending: number;
  noIoShare: number;
  cacheHits: number;
  cacheMisses: number;
  hitRatio: number | null;
  deviceReads: number;
  deviceReadsPerOp: number;
  wrongValues: number;
  missingKeys: number;
  upsertWaits: number;
  readCacheStats: unknown;
  logAtEnd: unknown;
}

interface StreamCounters {
  reads: number;
  updates: number;
  pending: number;
  wrong: number;
  missing: number;
  upsertWaits: number;
  sampled: number;
}

/** Runs a whole op stream, one operation at a time; checks every value read against `expected`. */
async function runYcsbStream(
  s: Session,
  stream: OpStream,
  expected: Uint32Array,
  stampBase: number,
  valueSize: number,
  samples: Float64Array | undefined,
): Promise<StreamCounters> {
  const key = new Uint8Array(KEY_SIZE);
  const value = new Uint8Array(valueSize);
  const out = new Uint8Array(Math.max(64, valueSize));
  const c: StreamCounters = { reads: 0, updates: 0, pending: 0, wrong: 0, missing: 0, upsertWaits: 0, sampled: 0 };
  const { ops, keys } = stream;
  const n = ops.length;
  for (let i = 0; i < n; i++) {
    const sample = samples !== undefined && (i & SAMPLE_MASK) === 0;
    const t0 = sample ? performance.now() : 0;
    const k = keys[i]!;
    writeKey(k, key);
    if (ops[i] === OP_READ) {
      c.reads++;
      const len = s.readInto(key, out);
      if (len >= 0) {
        if (stampOf(out) !== expected[k]) c.wrong++;
      } else if (len === READ_PENDING) {
        c.pending++;
        const v = await s.read(key);
        if (v === undefined) c.missing++;
        else if (stampOf(v) !== expected[k]) c.wrong++;
      } else {
        c.missing++;
      }
    } else {
      c.updates++;
      const stamp = (stampBase + i) >>> 0;
      writeValue(stamp, value);
      expected[k] = stamp;
      if (s.upsertSync(key, value) === PENDING) {
        c.upsertWaits++;
        await s.upsert(key, value);
      }
    }
    if (sample) samples[c.sampled++] = performance.now() - t0;
  }
  return c;
}

async function readCacheSection(plan: Plan): Promise<{ rows: ReadCacheRow[]; table: string; stream: Record<string, unknown> }> {
  const p = plan.readCache;
  const recordBytes = (24 + KEY_SIZE + p.valueSize + 7) & ~7;
  log(
    `read cache: ${fmtInt(p.records)} records x ${p.valueSize} B (~${mib(p.records * recordBytes)} MiB of log), ` +
      `log memory ${mib(p.logMemory)} MiB, ${fmtInt(p.warmup)} warm-up + ${fmtInt(p.ops)} timed YCSB-B zipf ops`,
  );
  const warm = generateOps('B', 'zipf', p.records, p.warmup, (plan.seed + 1) >>> 0);
  const timed = generateOps('B', 'zipf', p.records, p.ops, plan.seed);
  const configs: { label: string; readCache: number }[] = [
    { label: 'no read cache', readCache: 0 },
    { label: `read cache ${mib(p.readCacheMemory)} MiB`, readCache: p.readCacheMemory },
  ];
  const rows: ReadCacheRow[] = [];
  for (const cfg of configs) {
    const dir = tempDir(plan.baseDir, 'f2kv-hot-rc-');
    try {
      const store = await FasterKv.open({
        index: { buckets: p.buckets, autoGrow: false },
        log: { device: `file://${dir}`, pageSize: p.pageSize, memorySize: p.logMemory, mutableFraction: p.mutableFraction },
        ...(cfg.readCache > 0 ? { readCache: { memorySize: cfg.readCache } } : {}),
        checkpoint: { onClose: false },
        recover: false,
      });
      const s = store.startSession();
      const loadSeconds = await loadKeys(s, p.records, new Uint8Array(p.valueSize), cfg.label);
      log(`${cfg.label}: loaded in ${loadSeconds.toFixed(2)} s; warming up`);
      const expected = new Uint32Array(p.records);
      for (let i = 0; i < p.records; i++) expected[i] = i;
      await runYcsbStream(s, warm, expected, p.records, p.valueSize, undefined);
      const before = store.stats();
      const samples = new Float64Array(Math.ceil(p.ops / SAMPLE_EVERY) + 1);
      const t0 = performance.now();
      const c = await runYcsbStream(s, timed, expected, p.records + p.warmup, p.valueSize, samples);
      const seconds = (performance.now() - t0) / 1000;
      const after = store.stats();
      const hits = (after.readCache?.hits ?? 0) - (before.readCache?.hits ?? 0);
      const misses = (after.readCache?.misses ?? 0) - (before.readCache?.misses ?? 0);
      const deviceReads = after.log.deviceReads - before.log.deviceReads;
      const row: ReadCacheRow = {
        config: cfg.label,
        readCacheBytes: cfg.readCache,
        loadSeconds,
        ops: p.ops,
        reads: c.reads,
        updates: c.updates,
        seconds,
        opsPerSec: p.ops / seconds,
        latency: summarize(samples, c.sampled),
        readsWithoutIo: c.reads - c.pending,
        readsPending: c.pending,
        noIoShare: (c.reads - c.pending) / c.reads,
        cacheHits: hits,
        cacheMisses: misses,
        hitRatio: after.readCache === undefined ? null : hits / (hits + misses),
        deviceReads,
        deviceReadsPerOp: deviceReads / p.ops,
        wrongValues: c.wrong,
        missingKeys: c.missing,
        upsertWaits: c.upsertWaits,
        readCacheStats: after.readCache,
        logAtEnd: after.log,
      };
      rows.push(row);
      log(
        `${cfg.label}: ${fmtMops(row.opsPerSec)} Mops/s, no-I/O reads ${pct(row.noIoShare)}, ` +
          `hit ratio ${row.hitRatio === null ? '-' : pct(row.hitRatio)}, device reads/op ${row.deviceReadsPerOp.toFixed(3)}` +
          (c.wrong + c.missing > 0 ? `, WRONG ${c.wrong} MISSING ${c.missing}` : ''),
      );
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const table = renderTable(
    ['config', 'Mops/s', 'p50 µs', 'p99 µs', 'hit ratio', 'reads w/o I/O', 'device reads/op', 'wrong'],
    rows.map((r) => [
      r.config,
      fmtMops(r.opsPerSec),
      fmtUs(r.latency.p50us),
      fmtUs(r.latency.p99us),
      r.hitRatio === null ? '-' : pct(r.hitRatio),
      pct(r.noIoShare),
      r.deviceReadsPerOp.toFixed(3),
      fmtInt(r.wrongValues + r.missingKeys),
    ]),
  );
  return {
    rows,
    table,
    stream: { workload: 'B', dist: 'zipf 0.99 (scrambled)', timedOps: p.ops, warmupOps: p.warmup, distinctKeysTimed: timed.distinctKeys, logBytesLoaded: p.records * recordBytes },
  };
}

// ------------------------------------------------------------------------ 2. compaction

interface CompactionRow {
  mode: 'lookup' | 'scan';
  buildSeconds: number;
  logBefore: { begin: number; readOnly: number; tail: number };
  logAfter: { begin: number; readOnly: number; tail: number };
  fileBytesBefore: number;
  fileBytesAfter: number;
  result: CompactionResult;
  recordsPerSec: number;
  mibReclaimedPerSec: number;
  deviceReadsDuring: number;
  verify: { checked: number; wrong: number };
}

/**
 * Loads the keys, then `rounds` rounds that each update every key in a shuffled order. Before
 * the last round a fraction of the keys is deleted, and the last round skips them: their
 * tombstones are their newest versions and lie in the compacted range. Deterministic from the seed.
 */
async function buildVersionedLog(s: Session, p: Plan['compaction'], seed: number, expected: Uint32Array): Promise<void> {
  const key = new Uint8Array(KEY_SIZE);
  const value = new Uint8Array(p.valueSize);
  await loadKeys(s, p.keys, value, 'compaction');
  for (let i = 0; i < p.keys; i++) expected[i] = i;
  const rng = new Rng(seed ^ 0xc0ffee);
  const order = new Uint32Array(p.keys);
  for (let i = 0; i < p.keys; i++) order[i] = i;
  for (let r = 1; r <= p.rounds; r++) {
    if (r === p.rounds) {
      const deletes = Math.round(p.keys * p.deleteFraction);
      for (let i = 0; i < deletes; i++) {
        const k = rng.below(p.keys);
        writeKey(k, key);
        expected[k] = DELETED;
        if (s.deleteSync(key) === PENDING) await s.delete(key);
      }
    }
    for (let i = p.keys - 1; i > 0; i--) {
      const j = rng.below(i + 1);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    for (let i = 0; i < p.keys; i++) {
      const k = order[i]!;
      if (expected[k] === DELETED) continue;
      const stamp = r * p.keys + k;
      writeKey(k, key);
      writeValue(stamp, value);
      expected[k] = stamp;
      await put(s, key, value);
    }
  }
}

async function verifySample(s: Session, keys: number, count: number, expected: Uint32Array): Promise<{ checked: number; wrong: number }> {
  const n = Math.min(count, keys);
  const key = new Uint8Array(KEY_SIZE);
  const out = new Uint8Array(256);
  let wrong = 0;
  const step = keys / Math.max(1, n);
  for (let j = 0; j < n; j++) {
    const k = Math.floor(j * step);
    writeKey(k, key);
    let got: number;
    const len = s.readInto(key, out);
    if (len >= 0) got = stampOf(out);
    else if (len === READ_PENDING) {
      const v = await s.read(key);
      got = v === undefined ? DELETED : stampOf(v);
    } else got = DELETED;
    if (got !== expected[k]) wrong++;
  }
  return { checked: n, wrong };
}

async function compactionSection(plan: Plan): Promise<{ rows: CompactionRow[]; table: string }> {
  const p = plan.compaction;
  log(`compaction: ${fmtInt(p.keys)} keys x (1 + ${p.rounds}) versions, ${pct(p.deleteFraction)} deleted, log memory ${mib(p.logMemory)} MiB`);
  const rows: CompactionRow[] = [];
  for (const mode of ['lookup', 'scan'] as const) {
    const dir = tempDir(plan.baseDir, `f2kv-hot-compact-${mode}-`);
    try {
      const store = await FasterKv.open({
        index: { buckets: p.buckets, autoGrow: false },
        log: { device: `file://${dir}`, pageSize: p.pageSize, memorySize: p.logMemory, mutableFraction: 0.9, segmentSize: p.segmentSize },
        checkpoint: { onClose: false },
        recover: false,
      });
      const s = store.startSession();
      const expected = new Uint32Array(p.keys);
      const t0 = performance.now();
      await buildVersionedLog(s, p, plan.seed, expected);
      const buildSeconds = (performance.now() - t0) / 1000;
      // Let outstanding flushes settle so both modes start from the same on-disk state.
      await new Promise<void>((r) => setTimeout(r, 200));
      const hlog = store.hlog;
      const logBefore = { begin: hlog.beginAddress, readOnly: hlog.readOnlyAddress, tail: hlog.tailAddress };
      const fileBytesBefore = dirBytes(dir);
      const readsBefore = store.stats().log.deviceReads;
      log(`compaction/${mode}: built in ${buildSeconds.toFixed(1)} s, log ${mib(logBefore.tail - logBefore.begin)} MiB; compacting until ${logBefore.readOnly}`);
      const result = await store.compact(logBefore.readOnly, { mode });
      const deviceReadsDuring = store.stats().log.deviceReads - readsBefore;
      await new Promise<void>((r) => setTimeout(r, 200));
      const logAfter = { begin: hlog.beginAddress, readOnly: hlog.readOnlyAddress, tail: hlog.tailAddress };
      const fileBytesAfter = dirBytes(dir);
      const verify = await verifySample(s, p.keys, p.verify, expected);
      const seconds = result.durationMs / 1000;
      const row: CompactionRow = {
        mode,
        buildSeconds,
        logBefore,
        logAfter,
        fileBytesBefore,
        fileBytesAfter,
        result,
        recordsPerSec: result.recordsScanned / seconds,
        mibReclaimedPerSec: result.bytesReclaimed / MIB / seconds,
        deviceReadsDuring,
        verify,
      };
      rows.push(row);
      log(
        `compaction/${mode}: ${fmtInt(result.recordsScanned)} scanned, ${fmtInt(result.recordsCopied)} copied, ` +
          `${mib(result.bytesReclaimed)} MiB reclaimed in ${seconds.toFixed(2)} s; verify ${verify.wrong} wrong of ${verify.checked}`,
      );
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const table = renderTable(
    ['mode', 'scanned', 'copied', 'tombstones dropped', 'reclaimed MiB', 'seconds', 'records/s', 'MiB/s reclaimed', 'device reads', 'files MiB before→after', 'verify wrong'],
    rows.map((r) => [
      r.mode,
      fmtInt(r.result.recordsScanned),
      fmtInt(r.result.recordsCopied),
      fmtInt(r.result.tombstonesDropped),
      mib(r.result.bytesReclaimed),
      (r.result.durationMs / 1000).toFixed(2),
      fmtInt(r.recordsPerSec),
      r.mibReclaimedPerSec.toFixed(1),
      fmtInt(r.deviceReadsDuring),
      `${mib(r.fileBytesBefore)}→${mib(r.fileBytesAfter)}`,
      `${r.verify.wrong}/${fmtInt(r.verify.checked)}`,
    ]),
  );
  return { rows, table };
}

// ------------------------------------------------------------------------ 3. index growth

interface PhaseResult {
  phase: string;
  ops: number;
  seconds: number;
  opsPerSec: number;
  latency: LatencySummary;
  /** Longest wall time of one 1024-op batch including its event-loop yield. */
  maxBatchMs: number;
}

interface IndexResult {
  keys: number;
  loadSeconds: number;
  bucketsBefore: number;
  bucketsAfter: number;
  loadFactorBefore: number | undefined;
  loadFactorAfter: number | undefined;
  growthWallMs: number;
  lastGrowthMs: number | undefined;
  phases: PhaseResult[];
  verify: { checked: number; wrong: number; seconds: number };
  indexStatsAfter: unknown;
}

/**
 * Runs ops from `stream` (cyclically, starting at `start`) until `count` ops are done or `stop()`
 * says so; yields to the event loop every 1024 ops. Updates write `expected`.
 */
async function runPhase(
  phase: string,
  s: Session,
  stream: OpStream,
  start: number,
  count: number,
  stop: () => boolean,
  expected: Uint32Array,
  stampBase: number,
): Promise<PhaseResult> {
  const key = new Uint8Array(KEY_SIZE);
  const value = new Uint8Array(8);
  const out = new Uint8Array(64);
  const { ops, keys } = stream;
  const n = ops.length;
  const samples = new Float64Array(Math.ceil(Math.min(count, 50_000_000) / SAMPLE_EVERY) + 2);
  let sampled = 0;
  let maxBatchMs = 0;
  const t0 = performance.now();
  let batchStart = t0;
  let done = 0;
  let j = start % n;
  while (done < count && !stop()) {
    const sample = (done & SAMPLE_MASK) === 0 && sampled < samples.length;
    const ts = sample ? performance.now() : 0;
    const k = keys[j]!;
    writeKey(k, key);
    if (ops[j] === OP_READ) {
      const len = s.readInto(key, out);
      if (len === READ_PENDING) await s.read(key);
    } else {
      const stamp = (stampBase + done) >>> 0;
      writeValue(stamp, value);
      expected[k] = stamp;
      if (s.upsertSync(key, value) === PENDING) await s.upsert(key, value);
    }
    if (sample) samples[sampled++] = performance.now() - ts;
    done++;
    if (++j === n) j = 0;
    if ((done & 1023) === 0) {
      await new Promise<void>((r) => setImmediate(r));
      const now = performance.now();
      if (now - batchStart > maxBatchMs) maxBatchMs = now - batchStart;
      batchStart = now;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  return { phase, ops: done, seconds, opsPerSec: done / seconds, latency: summarize(samples, sampled), maxBatchMs };
}

async function indexSection(plan: Plan): Promise<{ result: IndexResult; table: string }> {
  const p = plan.index;
  log(`index growth: ${fmtInt(p.keys)} keys, ${fmtInt(p.buckets)} buckets, memory:// log of ${mib(p.logMemory)} MiB`);
  const stream = generateOps('B', 'zipf', p.keys, Math.max(p.ops, 1 << 20), (plan.seed + 7) >>> 0);
  const store = await FasterKv.open({
    index: { buckets: p.buckets, autoGrow: false },
    log: { device: 'memory://', memorySize: p.logMemory, pageSize: p.pageSize },
    recover: false,
  });
  try {
    const s = store.startSession();
    const loadSeconds = await loadKeys(s, p.keys, new Uint8Array(8), 'index');
    const expected = new Uint32Array(p.keys);
    for (let i = 0; i < p.keys; i++) expected[i] = i;
    const st0 = store.stats().index;
    log(`index: loaded in ${loadSeconds.toFixed(1)} s, load factor ${st0.load?.toFixed(3) ?? '?'}`);

    // Warm-up, untimed (JIT), then before / during / after from consecutive parts of the stream.
    await runPhase('warm-up', s, stream, 0, Math.min(200_000, p.ops), () => false, expected, p.keys);
    let stampBase = p.keys + 200_000;
    let cursor = 0;
    const phases: PhaseResult[] = [];
    const before = await runPhase('before growth', s, stream, cursor, p.ops, () => false, expected, stampBase);
    phases.push(before);
    cursor += before.ops;
    stampBase += before.ops;

    let grown = false;
    let growthError: unknown;
    const g0 = performance.now();
    let growthWallMs = 0;
    const growth = store.growIndex().then(
      () => {
        growthWallMs = performance.now() - g0;
        grown = true;
      },
      (err: unknown) => {
        growthError = err;
        grown = true;
      },
    );
    const during = await runPhase('during growth', s, stream, cursor, Number.MAX_SAFE_INTEGER, () => grown, expected, stampBase);
    await growth;
    if (growthError !== undefined) throw growthError;
    phases.push(during);
    cursor += during.ops;
    stampBase += during.ops;
    const after = await runPhase('after growth', s, stream, cursor, p.ops, () => false, expected, stampBase);
    phases.push(after);

    const st1 = store.stats().index;
    log(`index: growth ${growthWallMs.toFixed(0)} ms (lastGrowthMs ${st1.lastGrowthMs?.toFixed(0) ?? '?'}); verifying ${fmtInt(Math.min(p.verify, p.keys))} keys`);
    const v0 = performance.now();
    const verify = await verifySample(s, p.keys, p.verify, expected);
    const verifySeconds = (performance.now() - v0) / 1000;
    log(`index: verify ${verify.wrong} wrong of ${fmtInt(verify.checked)} in ${verifySeconds.toFixed(1)} s`);
    const result: IndexResult = {
      keys: p.keys,
      loadSeconds,
      bucketsBefore: st0.buckets,
      bucketsAfter: st1.buckets,
      loadFactorBefore: st0.load,
      loadFactorAfter: st1.load,
      growthWallMs,
      lastGrowthMs: st1.lastGrowthMs,
      phases,
      verify: { ...verify, seconds: verifySeconds },
      indexStatsAfter: st1,
    };
    const table = renderTable(
      ['phase', 'ops', 'seconds', 'Mops/s', 'vs before', 'p50 µs', 'p99 µs', 'max µs', 'max 1024-op batch ms'],
      phases.map((ph) => [
        ph.phase,
        fmtInt(ph.ops),
        ph.seconds.toFixed(2),
        fmtMops(ph.opsPerSec),
        `${((ph.opsPerSec / before.opsPerSec) * 100).toFixed(0)}%`,
        fmtUs(ph.latency.p50us),
        fmtUs(ph.latency.p99us),
        fmtUs(ph.latency.maxUs),
        ph.maxBatchMs.toFixed(1),
      ]),
    );
    const summary =
      `growIndex(): ${fmtInt(result.bucketsBefore)} → ${fmtInt(result.bucketsAfter)} buckets, ` +
      `${growthWallMs.toFixed(0)} ms wall (store.stats().index.lastGrowthMs ${result.lastGrowthMs?.toFixed(0) ?? '?'} ms), ` +
      `load factor ${result.loadFactorBefore?.toFixed(3) ?? '?'} → ${result.loadFactorAfter?.toFixed(3) ?? '?'}; ` +
      `verified ${fmtInt(verify.checked)} keys, ${verify.wrong} wrong`;
    return { result, table: `${table}\n${summary}` };
  } finally {
    await store.close();
  }
}

// ------------------------------------------------------------------------ main

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const plan = makePlan(argv);
  const command = ['node', ...process.execArgv, 'dist/bench/hot-features.js', ...argv].join(' ');
  const header =
    `hot-features: node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ` +
    `commit ${gitCommit() ?? '?'}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}${plan.quick ? ' (--quick)' : ''}`;
  process.stdout.write(`${header}\ncommand: ${command}\n\n`);
  const started = new Date().toISOString();
  const sections: Record<string, unknown> = {};
  const tables: Record<string, string> = {};

  if (plan.sections.includes('readcache')) {
    const r = await readCacheSection(plan);
    const p = plan.readCache;
    const title =
      `1. Read cache — YCSB-B zipf 0.99, ${fmtInt(p.records)} records x ${p.valueSize} B on file device, ` +
      `log memory ${mib(p.logMemory)} MiB (data ~${mib(Number(r.stream['logBytesLoaded']))} MiB), ${fmtInt(p.ops)} ops after ${fmtInt(p.warmup)} warm-up`;
    tables['readcache'] = `${title}\n${r.table}`;
    process.stdout.write(`${tables['readcache']}\n\n`);
    sections['readcache'] = { settings: p, stream: r.stream, rows: r.rows };
  }
  if (plan.sections.includes('compaction')) {
    const r = await compactionSection(plan);
    const p = plan.compaction;
    const title =
      `2. Compaction until readOnly — ${fmtInt(p.keys)} keys x (1 + ${p.rounds}) versions, ${pct(p.deleteFraction)} deleted, ` +
      `${p.valueSize} B values, file device, log memory ${mib(p.logMemory)} MiB`;
    tables['compaction'] = `${title}\n${r.table}`;
    process.stdout.write(`${tables['compaction']}\n\n`);
    sections['compaction'] = { settings: p, rows: r.rows };
  }
  if (plan.sections.includes('index')) {
    const r = await indexSection(plan);
    const p = plan.index;
    const title = `3. Index growth — ${fmtInt(p.keys)} keys (8 B + 8 B) in memory://, YCSB-B zipf, yield every 1024 ops`;
    tables['index'] = `${title}\n${r.table}`;
    process.stdout.write(`${tables['index']}\n\n`);
    sections['index'] = { settings: p, ...r.result };
  }

  const doc = {
    benchmark: 'hot-features',
    command,
    argv,
    started,
    finished: new Date().toISOString(),
    environment: {
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      totalMemBytes: totalmem(),
      loadAverageAtEnd: loadavg(),
      platform: process.platform,
      commit: gitCommit(),
    },
    plan,
    sections,
    tables,
  };
  mkdirSync(dirname(plan.out), { recursive: true });
  writeFileSync(plan.out, JSON.stringify(doc, null, 2));
  process.stdout.write(`results: ${plan.out}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
