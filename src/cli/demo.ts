/**
 * `f2kv demo` (what `npm start` runs): opens a store in a demo directory (./data by default) with a
 * log memory budget smaller than the data, so pages are flushed and evicted and reads go pending;
 * runs its phases (load, mixed workload, verify) while an oracle checks every value read; prints
 * throughput per phase and the store's stats. Any mismatch makes `ok` false (exit code 1).
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { FasterKv, ConfigError, type FasterKvStats, type StorageDevice } from '../index.js';
import { Prng } from '../core/prng.js';
import { RECORD_HEADER_BYTES } from '../core/record-layout.js';
import { parseSize } from '../core/size.js';
import { resolveOptions } from '../kv/options.js';
import { DemoOracle, KEY_BYTES, maxValueSize, type Mismatch } from './demo-oracle.js';
import { prepareDemoDir, readMarker, writeMarker, DEMO_KIND } from './demo-dir.js';
import { defaultPhases, makeVerifyPhase, DEFAULT_MIX, type DemoContext, type DemoPhase, type DemoSettings, type PhaseResult } from './demo-phases.js';
import { formatAddress, formatBytes, formatCount, formatRate, formatSeconds, keyValues, table } from './format.js';
import type { Io } from './io.js';

export interface DemoOptions {
  /** Demo directory (default ./data); see demo-dir.ts for what is replaced in it. */
  dir?: string;
  records?: number;
  operations?: number;
  /** Average value size in bytes (values vary from half to 1.5× this). */
  valueSize?: number;
  /** Log memory budget (bytes or "32MiB"). */
  memory?: number | string;
  pageSize?: number | string;
  concurrency?: number;
  seed?: number;
  /** Use a directory that is not a demo directory (see demo-dir.ts). */
  fresh?: boolean;
  /** Read every key back at the end (default true). */
  verify?: boolean;
  /** Replaces the phases (tests, and later tiers). */
  phases?: DemoPhase[];
  /** Log device override (tests); by default a file device in <dir>/hot. */
  device?: string | StorageDevice;
}

export const DEMO_DEFAULTS = {
  dir: './data',
  records: 500_000,
  operations: 500_000,
  valueSize: 100,
  memory: '32MiB',
  pageSize: '1MiB',
  concurrency: 64,
} as const;

export interface DemoReport {
  ok: boolean;
  seed: number;
  dir: string;
  device: string;
  settings: DemoSettings & { memoryBytes: number; pageBytes: number; buckets: number };
  phases: (PhaseResult & { opsPerSecond: number })[];
  checks: number;
  mismatchCount: number;
  mismatches: Mismatch[];
  stats: FasterKvStats;
  ms: number;
}

const FLAG_OF_OPTION: Record<string, string> = { 'log.memorySize': '--memory', 'log.pageSize': '--page-size', 'index.buckets': '--records' };

function positiveInt(option: string, value: number, max = 2 ** 31 - 1): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new ConfigError(option, `must be a whole number from 1 to ${formatCount(max)}, got ${String(value)}`);
  }
  return value;
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Runs the demo and prints its report to io.out (progress to io.err). Never throws on a mismatch. */
export async function runDemo(options: DemoOptions, io: Io): Promise<DemoReport> {
  const began = performance.now();
  const records = positiveInt('--records', options.records ?? DEMO_DEFAULTS.records, 100_000_000);
  const operations = options.operations ?? DEMO_DEFAULTS.operations;
  if (!Number.isSafeInteger(operations) || operations < 0) throw new ConfigError('--ops', `must be a whole number ≥ 0, got ${operations}`);
  const valueSize = positiveInt('--value-size', options.valueSize ?? DEMO_DEFAULTS.valueSize, 1 << 20);
  const concurrency = positiveInt('--concurrency', options.concurrency ?? DEMO_DEFAULTS.concurrency, 4096);
  const memoryBytes = parseSize('--memory', options.memory ?? DEMO_DEFAULTS.memory);
  const pageBytes = parseSize('--page-size', options.pageSize ?? DEMO_DEFAULTS.pageSize);
  const seed = options.seed ?? (Date.now() ^ Math.floor(Math.random() * 2 ** 31)) >>> 0;
  const buckets = Math.max(1024, nextPowerOfTwo(Math.ceil(records / 4)));
  const recordBytes = (RECORD_HEADER_BYTES + KEY_BYTES + maxValueSize(valueSize) + 7) & ~7;
  if (recordBytes > pageBytes) {
    throw new ConfigError('--value-size', `values up to ${maxValueSize(valueSize)} B do not fit a ${formatBytes(pageBytes)} page; use a larger --page-size`);
  }

  // Validate the store's options before touching the directory.
  try {
    resolveOptions({ index: { buckets }, log: { device: 'file:///', memorySize: memoryBytes, pageSize: pageBytes } });
  } catch (e) {
    const flag = e instanceof ConfigError ? FLAG_OF_OPTION[e.option] : undefined;
    if (flag === undefined || !(e instanceof ConfigError)) throw e;
    throw new ConfigError(flag, e.message.slice(e.option.length + 2).replace(/log\.pageSize/g, '--page-size'));
  }
  const dir = await prepareDemoDir(options.dir ?? DEMO_DEFAULTS.dir, options.fresh ?? false);
  let device = options.device;
  if (device === undefined) {
    const hot = join(dir, 'hot');
    await mkdir(hot, { recursive: true });
    device = pathToFileURL(hot).href;
  }
  const deviceName = typeof device === 'string' ? device : device.name;
  const settings: DemoReport['settings'] = {
    records, operations, valueSize, concurrency, verify: options.verify ?? true, mix: DEFAULT_MIX,
    memoryBytes, pageBytes, buckets,
  };
  const estimatedData = records * ((RECORD_HEADER_BYTES + KEY_BYTES + valueSize + 7) & ~7);

  io.out(
    `f2kv demo: ${formatCount(records)} records (${KEY_BYTES} B keys, ~${valueSize} B values), ` +
      `${formatCount(operations)} mixed operations, seed ${seed}\n` +
      keyValues([
        ['data dir', dir],
        ['hot log', `${deviceName}, ${formatBytes(memoryBytes)} of memory in ${formatBytes(pageBytes)} pages ` +
          (memoryBytes < estimatedData
            ? `(~${formatBytes(estimatedData)} of records: ${Math.round((100 * memoryBytes) / estimatedData)}% fit in memory)`
            : `(~${formatBytes(estimatedData)} of records fit in memory: use a smaller --memory to see eviction)`)],
        ['index', `${formatCount(buckets)} buckets`],
      ]) + '\n',
  );

  const store = await FasterKv.open({
    index: { buckets },
    log: { device, memorySize: memoryBytes, pageSize: pageBytes },
  });
  const oracle = new DemoOracle(records, valueSize);
  const ctx: DemoContext = { settings, io, store, session: store.startSession('demo'), oracle, rng: new Prng(seed) };
  const phases: DemoReport['phases'] = [];
  let stats: FasterKvStats;
  try {
    for (const phase of options.phases ?? defaultPhases(settings)) {
      const result = await phase.run(ctx);
      phases.push({ ...result, opsPerSecond: result.ms > 0 ? (result.operations * 1000) / result.ms : 0 });
    }
    stats = store.stats();
  } finally {
    ctx.session.end();
    await store.close();
  }
  if (settings.verify && options.phases === undefined && typeof device === 'string') {
    // Recovery: reopen the store from its newest checkpoint (close() took a final one) and read
    // every key back against the oracle again.
    const started = performance.now();
    const recovered = await FasterKv.open({ index: { buckets }, log: { device, memorySize: memoryBytes, pageSize: pageBytes } });
    const openMs = performance.now() - started;
    const again: DemoContext = { ...ctx, store: recovered, session: recovered.continueSession('demo') };
    try {
      // A sample of about 50,000 keys: after recovery nearly every read goes to the device.
      const result = await makeVerifyPhase(Math.max(1, Math.floor(records / 50_000))).run(again);
      const rc = recovered.recoveredCheckpoint;
      const name = 'recover + verify';
      phases.push({
        ...result,
        name,
        ms: result.ms + openMs,
        opsPerSecond: (result.operations * 1000) / (result.ms + openMs),
        details:
          `  reopened from checkpoint ${rc?.token ?? '(none)'} in ${openMs.toFixed(0)} ms ` +
          `(${formatBytes(rc?.keptBytes ?? 0)} of log kept locally, ${formatBytes(rc?.restoredBytes ?? 0)} downloaded); ` +
          `session "demo" continues at serial ${again.session.serial}\n${result.details ?? ''}`,
      });
    } finally {
      again.session.end();
      await recovered.close();
    }
  }

  const report: DemoReport = {
    ok: oracle.mismatchCount === 0,
    seed, dir, device: deviceName, settings, phases, checks: oracle.checks,
    mismatchCount: oracle.mismatchCount, mismatches: oracle.mismatches, stats, ms: performance.now() - began,
  };
  io.out(formatReport(report));
  const marker = await readMarker(dir);
  await writeMarker(dir, {
    kind: DEMO_KIND,
    createdAt: marker?.createdAt ?? new Date().toISOString(),
    lastRun: summarize(report),
  });
  return report;
}

/** What the marker file keeps of a run (for `f2kv inspect`). */
function summarize(r: DemoReport): Record<string, unknown> {
  return {
    finishedAt: new Date().toISOString(),
    ok: r.ok, seed: r.seed, device: r.device,
    records: r.settings.records, operations: r.settings.operations, valueSize: r.settings.valueSize,
    memoryBytes: r.settings.memoryBytes, pageBytes: r.settings.pageBytes,
    checks: r.checks, mismatches: r.mismatchCount, seconds: r.ms / 1000,
    phases: r.phases.map((p) => ({ name: p.name, operations: p.operations, seconds: p.ms / 1000, opsPerSecond: Math.round(p.opsPerSecond) })),
    log: r.stats.log,
  };
}

export function formatReport(r: DemoReport): string {
  const s = r.stats;
  const log = s.log;
  const ops = s.operations;
  const parts: string[] = [];

  const rows = [['phase', 'operations', 'time', 'ops/s']];
  for (const p of r.phases) rows.push([p.name, formatCount(p.operations), formatSeconds(p.ms), formatRate(p.opsPerSecond)]);
  parts.push('\nThroughput\n' + table(rows));
  for (const p of r.phases) if (p.details) parts.push(`\n${p.name}\n${p.details}`);

  const onLog = log.tailAddress - log.beginAddress;
  parts.push(
    '\nStore\n' +
      keyValues([
        ['begin address', formatAddress(log.beginAddress, log.pageSize)],
        ['head address', formatAddress(log.headAddress, log.pageSize) + '  below: on the device only'],
        ['read-only address', formatAddress(log.readOnlyAddress, log.pageSize) + '  above: updated in place'],
        ['flushed until', formatAddress(log.flushedUntilAddress, log.pageSize)],
        ['tail address', formatAddress(log.tailAddress, log.pageSize)],
        ['log size', `${formatBytes(onLog)} (${formatBytes(Math.max(0, log.tailAddress - log.headAddress))} in memory)`],
        ['log memory', `${formatBytes(log.memoryBytes)} in ${log.framesAllocated}/${log.frameCount} page frames of ${formatBytes(log.pageSize)}`],
        ['pages', `${formatCount(log.pagesFlushed)} flushed, ${formatCount(log.pagesEvicted)} evicted, ${formatCount(log.backpressureWaits)} backpressure waits`],
        ['pending reads', `${formatCount(ops.pendingReads)} (${formatCount(log.deviceReads)} device reads)`],
        ['operations', `${formatCount(ops.reads)} reads, ${formatCount(ops.upserts)} upserts, ${formatCount(ops.rmws)} rmws, ${formatCount(ops.deletes)} deletes`],
        ['writes', `${formatCount(ops.inPlaceUpdates)} in place, ${formatCount(ops.appends)} appended at the tail, ${formatCount(ops.retries)} retries`],
        ['index', `${formatCount(s.index.entries)} entries in ${formatCount(s.index.buckets)} buckets + ${formatCount(s.index.overflowBuckets)} overflow (${formatBytes(s.index.bytes)}, ${s.index.kind})`],
        ['device', `${s.device.name}: ${formatCount(s.device.writes)} writes (${formatBytes(s.device.bytesWritten)}), ` +
          `${formatCount(s.device.reads)} reads (${formatBytes(s.device.bytesRead)})`],
      ]),
  );

  if (r.ok) {
    parts.push(`\nSelf-check: ${formatCount(r.checks)} values checked against the oracle, 0 mismatches. OK (${formatSeconds(r.ms)})\n`);
  } else {
    const mm = r.mismatches.map((m) => `  ${m.operation} ${m.key}: expected ${m.expected}, got ${m.got}`).join('\n');
    parts.push(
      `\nSelf-check FAILED: ${formatCount(r.mismatchCount)} of ${formatCount(r.checks)} values did not match the oracle ` +
        `(first ${r.mismatches.length} below; replay with --seed ${r.seed})\n${mm}\n`,
    );
  }
  return parts.join('');
}
