/**
 * `f2kv demo` (what `npm start` runs): opens the two-tier store (F2Kv) in a demo directory
 * (./data by default) — the hot log in <dir>/hot, the cold tier in <dir>/cold (a local directory
 * used as the object store, so no cloud account is needed), checkpoints in <dir>/checkpoints —
 * with a hot memory and a hot log budget far below the data, so records are flushed, evicted and
 * migrated to the cold tier. It runs its phases (load, mixed workload, cold compaction,
 * checkpoint, verify) while an oracle checks every value read; closes the store, reopens it from
 * its final checkpoint and checks again; prints throughput per phase and both tiers' stats. Any
 * mismatch makes `ok` false (exit code 1). `--hot-only` runs the same phases on a FasterKv alone.
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { FasterKv, F2Kv, ConfigError, type F2KvStats, type FasterKvStats, type StorageDevice } from '../index.js';
import { resolveF2Options, type F2KvOptions } from '../f2/f2-options.js';
import { REQUEST_KINDS, type ObjectStoreStats } from '../devices/object-store-stats.js';
import { Prng } from '../core/prng.js';
import { RECORD_HEADER_BYTES } from '../core/record-layout.js';
import { parseSize } from '../core/size.js';
import { resolveOptions } from '../kv/options.js';
import { DemoOracle, KEY_BYTES, maxValueSize, type Mismatch } from './demo-oracle.js';
import { prepareDemoDir, readMarker, writeMarker, DEMO_KIND } from './demo-dir.js';
import {
  defaultPhases, makeVerifyPhase, DEFAULT_MIX, VERIFY_SAMPLE,
  type ColdCompactor, type DemoContext, type DemoPhase, type DemoSession, type DemoSettings, type DemoStore, type PhaseResult,
} from './demo-phases.js';
import { formatAddress, formatBytes, formatCount, formatRate, formatSeconds, keyValues, table } from './format.js';
import type { Io } from './io.js';
import { Activity } from './progress.js';

export interface DemoOptions {
  /** Demo directory (default ./data); see demo-dir.ts for what is replaced in it. */
  dir?: string;
  records?: number;
  operations?: number;
  /** Average value size in bytes (values vary from half to 1.5× this). */
  valueSize?: number;
  /** Hot log memory budget (bytes or "32MiB"). */
  memory?: number | string;
  pageSize?: number | string;
  /** Hot log size (tail − begin) above which records migrate to the cold tier (default 2 × memory). */
  hotLogBudget?: number | string;
  /** Hot read cache memory (default memory / 4). */
  readCache?: number | string;
  /** Cold log page size = size of its objects (default 1 MiB); the cold log buffers 4 pages. */
  coldPageSize?: number | string;
  /** Run the hot tier (FasterKv) alone, without a cold tier. */
  hotOnly?: boolean;
  concurrency?: number;
  seed?: number;
  /** Use a directory that is not a demo directory (see demo-dir.ts). */
  fresh?: boolean;
  /** Read every key back at the end (default true). */
  verify?: boolean;
  /** Replaces the phases (tests). */
  phases?: DemoPhase[];
  /** Hot log device override (tests); by default a file device in <dir>/hot. */
  device?: string | StorageDevice;
  /**
   * Run against a store described elsewhere (`f2kv demo --config <file>`) instead of one in the
   * demo directory: no directory is prepared and no marker written; the store flags are ignored.
   */
  configured?: ConfiguredDemoStore;
  /** Called with the store each time the demo opens it (e.g. to register its metrics). */
  onOpen?: (store: F2Kv | FasterKv) => void;
}

/** A store the demo opens through its configuration. */
export interface ConfiguredDemoStore {
  /** Where the store is described (the configuration file). */
  source: string;
  /** Two tiers or the hot tier alone. */
  kind: 'f2' | 'faster';
  /** Lines describing the store for the report header. */
  describe: [string, string][];
  /** Opens the store; `recover` false for the run, true for the reopen after it. */
  open(recover: boolean): Promise<F2Kv | FasterKv>;
}

export const DEMO_DEFAULTS = {
  dir: './data',
  records: 200_000,
  operations: 100_000,
  valueSize: 100,
  memory: '8MiB',
  pageSize: '1MiB',
  /** Multiple of the hot memory that the hot log may hold before records migrate to cold. */
  hotLogBudgetFactor: 2,
  /** Fraction of the hot memory given to the read cache. */
  readCacheFraction: 0.25,
  /** Cold log object size and chunk cache of the cold index. */
  coldPageSize: '1MiB',
  coldChunkCache: '8MiB',
  concurrency: 64,
} as const;

/** Both tiers' stats (F2Kv only), without the hot tier's engine stats (DemoReport.stats has those). */
export type TierReport = Omit<F2KvStats, 'hot'> & {
  /** Objects in the cold tier's prefix by first path segment, counted with LIST at the end of the run. */
  coldObjects: number;
  coldObjectsByPrefix: Record<string, number>;
};

export interface DemoReport {
  ok: boolean;
  seed: number;
  dir: string;
  mode: 'two-tier' | 'hot-only';
  /** The hot log's device. */
  device: string;
  /** URLs of the cold tier and the checkpoints (two-tier). */
  coldUrl?: string;
  checkpointUrl?: string;
  settings: DemoSettings & { memoryBytes: number; pageBytes: number; buckets: number; hotLogBudgetBytes?: number; readCacheBytes?: number };
  phases: (PhaseResult & { opsPerSecond: number })[];
  checks: number;
  mismatchCount: number;
  mismatches: Mismatch[];
  /** The hot tier's engine stats (the whole store with --hot-only). */
  stats: FasterKvStats;
  /** Reads by tier, migration, cold requests, memory and cost (two-tier). */
  tiers?: TierReport;
  ms: number;
}

const FLAG_OF_OPTION: Record<string, string> = {
  'log.memorySize': '--memory', 'log.pageSize': '--page-size', 'index.buckets': '--records',
  'hot.log.memorySize': '--memory', 'hot.log.pageSize': '--page-size', 'hot.index.buckets': '--records',
  'hot.readCache.memorySize': '--read-cache', 'hot.readCache.pageSize': '--read-cache',
  'compaction.hotToCold.maxLogSize': '--hot-budget', 'cold.log.pageSize': '--cold-page-size', 'cold.log.memorySize': '--cold-page-size',
};

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

/** Renames a store option in a ConfigError to the demo flag that sets it. */
function asFlagError(e: unknown): unknown {
  if (!(e instanceof ConfigError)) return e;
  const flag = FLAG_OF_OPTION[e.option];
  if (flag === undefined) return e;
  return new ConfigError(flag, e.message.slice(e.option.length + 2).replace(/(hot\.)?log\.pageSize/g, '--page-size').replace(/(hot\.)?log\.memorySize/g, '--memory'));
}

/** An open store as the runner sees it: phases use `store` and sessions; the rest is for the report. */
interface DemoHandle {
  /** The store itself. */
  readonly raw: F2Kv | FasterKv;
  readonly store: DemoStore;
  readonly coldCompactor: ColdCompactor | undefined;
  session(id: string, continued: boolean): DemoSession;
  hotStats(): FasterKvStats;
  tiers(): Promise<TierReport | undefined>;
  /** One line: the checkpoint this instance was recovered from and what it restored. */
  recoveredFrom(): string;
  close(): Promise<void>;
}

function fasterHandle(kv: FasterKv): DemoHandle {
  return {
    raw: kv,
    store: {
      checkpoint: () => kv.checkpoint(),
      describeLogs: () => {
        const log = kv.stats().log;
        return `${formatBytes(log.tailAddress - log.beginAddress)} of log`;
      },
    },
    coldCompactor: undefined,
    session: (id, continued) => (continued ? kv.continueSession(id) : kv.startSession(id)),
    hotStats: () => kv.stats(),
    tiers: () => Promise.resolve(undefined),
    recoveredFrom: () => {
      const rc = kv.recoveredCheckpoint;
      return `checkpoint ${rc?.token ?? '(none)'} (${formatBytes(rc?.keptBytes ?? 0)} of log kept locally, ${formatBytes(rc?.restoredBytes ?? 0)} downloaded)`;
    },
    close: () => kv.close(),
  };
}

function f2Handle(kv: F2Kv): DemoHandle {
  return {
    raw: kv,
    store: {
      checkpoint: () => kv.checkpoint(),
      describeLogs: () => {
        const hot = kv.hot.hlog;
        const cold = kv.cold.hlog;
        return `${formatBytes(hot.tailAddress - hot.beginAddress)} of hot log, ${formatBytes(cold.tailAddress - cold.beginAddress)} of cold log`;
      },
    },
    coldCompactor: {
      compactOldest: (fraction) => {
        const cold = kv.cold.hlog;
        const until = cold.beginAddress + Math.floor((cold.readOnlyAddress - cold.beginAddress) * fraction);
        return kv.compactColdLog(until);
      },
    },
    session: (id, continued) => (continued ? kv.continueSession(id) : kv.startSession(id)),
    hotStats: () => kv.hot.stats(),
    tiers: async () => {
      const { hot: _hot, ...rest } = kv.stats();
      const objects = await kv.cold.bucketStats();
      return { ...rest, coldObjects: objects.objects, coldObjectsByPrefix: objects.byPrefix };
    },
    recoveredFrom: () => {
      const rc = kv.hot.recoveredCheckpoint;
      return `F2 checkpoint ${kv.recoveredToken ?? '(none)'} (hot ${rc?.token ?? '(none)'}: ${formatBytes(rc?.keptBytes ?? 0)} of hot log kept locally, ` +
        `${formatBytes(rc?.restoredBytes ?? 0)} downloaded; cold ${kv.cold.recoveredToken ?? '(none)'})`;
    },
    close: () => kv.close(),
  };
}

/** Runs the demo and prints its report to io.out (progress to io.err). Never throws on a mismatch. */
export async function runDemo(options: DemoOptions, io: Io): Promise<DemoReport> {
  const began = performance.now();
  const configured = options.configured;
  const hotOnly = configured !== undefined ? configured.kind === 'faster' : (options.hotOnly ?? false);
  const records = positiveInt('--records', options.records ?? DEMO_DEFAULTS.records, 100_000_000);
  const operations = options.operations ?? DEMO_DEFAULTS.operations;
  if (!Number.isSafeInteger(operations) || operations < 0) throw new ConfigError('--ops', `must be a whole number ≥ 0, got ${operations}`);
  const valueSize = positiveInt('--value-size', options.valueSize ?? DEMO_DEFAULTS.valueSize, 1 << 20);
  const concurrency = positiveInt('--concurrency', options.concurrency ?? DEMO_DEFAULTS.concurrency, 4096);
  const memoryBytes = parseSize('--memory', options.memory ?? DEMO_DEFAULTS.memory);
  const pageBytes = parseSize('--page-size', options.pageSize ?? DEMO_DEFAULTS.pageSize);
  const hotLogBudgetBytes = parseSize('--hot-budget', options.hotLogBudget ?? DEMO_DEFAULTS.hotLogBudgetFactor * memoryBytes);
  const readCacheBytes = parseSize('--read-cache', options.readCache ?? Math.max(pageBytes, floorPowerOfTwo(memoryBytes * DEMO_DEFAULTS.readCacheFraction)));
  const seed = options.seed ?? (Date.now() ^ Math.floor(Math.random() * 2 ** 31)) >>> 0;
  const buckets = Math.max(1024, nextPowerOfTwo(Math.ceil(records / 4)));
  const recordBytes = (RECORD_HEADER_BYTES + KEY_BYTES + maxValueSize(valueSize) + 7) & ~7;
  if (recordBytes > pageBytes) {
    throw new ConfigError('--value-size', `values up to ${maxValueSize(valueSize)} B do not fit a ${formatBytes(pageBytes)} page; use a larger --page-size`);
  }
  const coldPageBytes = parseSize('--cold-page-size', options.coldPageSize ?? DEMO_DEFAULTS.coldPageSize);
  const f2Options = (hotDevice: string | StorageDevice, coldUrl: string, checkpointUrl: string, recover: boolean): F2KvOptions => ({
    hot: {
      index: { buckets },
      log: { device: hotDevice, memorySize: memoryBytes, pageSize: pageBytes },
      readCache: { memorySize: readCacheBytes },
    },
    cold: {
      url: coldUrl,
      index: { expectedKeys: records, chunkCacheSize: DEMO_DEFAULTS.coldChunkCache },
      log: { pageSize: coldPageBytes, memorySize: 4 * coldPageBytes },
    },
    compaction: { hotToCold: { maxLogSize: hotLogBudgetBytes } },
    checkpoint: { url: checkpointUrl },
    recover,
  });

  // Validate the store's options before touching the directory.
  try {
    if (configured !== undefined) {
      // validated when its configuration was loaded
    } else if (hotOnly) resolveOptions({ index: { buckets }, log: { device: 'file:///', memorySize: memoryBytes, pageSize: pageBytes } });
    else resolveF2Options(f2Options('file:///', 'memory://demo-check', 'memory://demo-check', false));
  } catch (e) {
    throw asFlagError(e);
  }
  const dir = configured !== undefined ? configured.source : await prepareDemoDir(options.dir ?? DEMO_DEFAULTS.dir, options.fresh ?? false);
  let device = options.device;
  if (device === undefined && configured !== undefined) {
    device = configured.describe.find(([k]) => k === 'hot log')?.[1] ?? '(configured)';
  } else if (device === undefined) {
    const hot = join(dir, 'hot');
    await mkdir(hot, { recursive: true });
    device = pathToFileURL(hot).href;
  }
  const deviceName = typeof device === 'string' ? device : device.name;
  const described = (key: string): string | undefined => configured?.describe.find(([k]) => k === key)?.[1];
  const coldUrl = configured !== undefined ? (described('cold tier') ?? '') : pathToFileURL(join(dir, 'cold')).href;
  const checkpointUrl = configured !== undefined ? (described('checkpoints') ?? '') : pathToFileURL(join(dir, 'checkpoints')).href;
  const settings: DemoReport['settings'] = {
    records, operations, valueSize, concurrency, verify: options.verify ?? true, mix: DEFAULT_MIX,
    memoryBytes, pageBytes, buckets, ...(hotOnly ? {} : { hotLogBudgetBytes, readCacheBytes }),
  };
  const estimatedData = records * ((RECORD_HEADER_BYTES + KEY_BYTES + valueSize + 7) & ~7);
  const fits = memoryBytes < estimatedData
    ? `(~${formatBytes(estimatedData)} of records: ${Math.round((100 * memoryBytes) / estimatedData)}% fit in memory)`
    : `(~${formatBytes(estimatedData)} of records fit in memory: use a smaller --memory to see eviction)`;

  io.out(
    `f2kv demo${hotOnly ? ' (hot tier only)' : ''}: ${formatCount(records)} records (${KEY_BYTES} B keys, ~${valueSize} B values), ` +
      `${formatCount(operations)} mixed operations, seed ${seed}\n` +
      keyValues(configured !== undefined
        ? [['configuration', configured.source], ...configured.describe]
        : hotOnly
        ? [
            ['data dir', dir],
            ['hot log', `${deviceName}, ${formatBytes(memoryBytes)} of memory in ${formatBytes(pageBytes)} pages ${fits}`],
            ['index', `${formatCount(buckets)} buckets`],
          ]
        : [
            ['data dir', dir],
            ['hot tier', `${deviceName}, ${formatBytes(memoryBytes)} of log memory in ${formatBytes(pageBytes)} pages ${fits}; ` +
              `${formatBytes(readCacheBytes)} read cache; ${formatCount(buckets)} index buckets`],
            ['hot → cold', `records migrate to the cold tier when the hot log passes 80% of ${formatBytes(hotLogBudgetBytes)}` +
              (hotLogBudgetBytes < estimatedData ? ` (it keeps at most ~${Math.round((100 * hotLogBudgetBytes) / estimatedData)}% of the loaded data)` : '')],
            ['cold tier', `${coldUrl} (a local directory as the object store): ${formatBytes(coldPageBytes)} log objects, ` +
              `index for ${formatCount(records)} keys, ${DEMO_DEFAULTS.coldChunkCache} chunk cache`],
            ['checkpoints', `${checkpointUrl} (one token for both tiers)`],
          ]) + '\n',
  );

  const open = async (recover: boolean): Promise<DemoHandle> => {
    try {
      if (configured !== undefined) {
        const store = await configured.open(recover);
        options.onOpen?.(store);
        return store instanceof F2Kv ? f2Handle(store) : fasterHandle(store);
      }
      const handle = hotOnly
        ? fasterHandle(await FasterKv.open({ index: { buckets }, log: { device: device!, memorySize: memoryBytes, pageSize: pageBytes } }))
        : f2Handle(await F2Kv.open(f2Options(device!, coldUrl, checkpointUrl, recover)));
      if (options.onOpen !== undefined) options.onOpen(handle.raw);
      return handle;
    } catch (e) {
      throw asFlagError(e);
    }
  };

  const handle = await open(false);
  const oracle = new DemoOracle(records, valueSize);
  const ctx: DemoContext = { settings, io, store: handle.store, session: handle.session('demo', false), oracle, rng: new Prng(seed) };
  const phases: DemoReport['phases'] = [];
  let stats: FasterKvStats;
  let tiers: TierReport | undefined;
  try {
    for (const phase of options.phases ?? defaultPhases(settings, handle.coldCompactor)) {
      const result = await phase.run(ctx);
      phases.push({ ...result, opsPerSecond: result.ms > 0 ? (result.operations * 1000) / result.ms : 0 });
    }
    stats = handle.hotStats();
    tiers = await handle.tiers();
  } finally {
    ctx.session.end();
    await handle.close();
  }
  if (settings.verify && options.phases === undefined && (typeof device === 'string' || configured !== undefined)) {
    // Recovery: reopen the store from its newest checkpoint (close() took a final one) and read
    // a sample of the keys back against the oracle again.
    const started = performance.now();
    const recovered = await Activity.run(io, 'recover', () => open(true), (h) => `reopened from ${h.recoveredFrom()}`);
    const openMs = performance.now() - started;
    const again: DemoContext = { ...ctx, store: recovered.store, session: recovered.session('demo', true) };
    const continuedAt = again.session.serial;
    try {
      // A sample of the keys: after recovery nearly every read goes to a device or to cold.
      const result = await makeVerifyPhase(Math.max(1, Math.floor(records / (hotOnly ? 50_000 : VERIFY_SAMPLE)))).run(again);
      const name = 'recover + verify';
      phases.push({
        ...result,
        name,
        ms: result.ms + openMs,
        opsPerSecond: (result.operations * 1000) / (result.ms + openMs),
        details:
          `  reopened from ${recovered.recoveredFrom()} in ${openMs.toFixed(0)} ms; ` +
          `session "demo" continues at serial ${formatCount(continuedAt)}\n${result.details ?? ''}`,
      });
    } finally {
      again.session.end();
      await recovered.close();
    }
  }

  const report: DemoReport = {
    ok: oracle.mismatchCount === 0,
    seed, dir, mode: hotOnly ? 'hot-only' : 'two-tier', device: deviceName,
    ...(hotOnly ? {} : { coldUrl, checkpointUrl }),
    settings, phases, checks: oracle.checks,
    mismatchCount: oracle.mismatchCount, mismatches: oracle.mismatches, stats, ...(tiers ? { tiers } : {}), ms: performance.now() - began,
  };
  io.out(formatReport(report));
  if (configured !== undefined) return report;
  const marker = await readMarker(dir);
  await writeMarker(dir, {
    kind: DEMO_KIND,
    createdAt: marker?.createdAt ?? new Date().toISOString(),
    lastRun: summarize(report),
  });
  return report;
}

function floorPowerOfTwo(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

/** What the marker file keeps of a run (for `f2kv inspect`). */
function summarize(r: DemoReport): Record<string, unknown> {
  const t = r.tiers;
  return {
    finishedAt: new Date().toISOString(),
    ok: r.ok, mode: r.mode, seed: r.seed, device: r.device,
    ...(r.coldUrl !== undefined ? { coldUrl: r.coldUrl, checkpointUrl: r.checkpointUrl } : {}),
    records: r.settings.records, operations: r.settings.operations, valueSize: r.settings.valueSize,
    memoryBytes: r.settings.memoryBytes, pageBytes: r.settings.pageBytes,
    ...(r.settings.hotLogBudgetBytes !== undefined ? { hotLogBudgetBytes: r.settings.hotLogBudgetBytes } : {}),
    checks: r.checks, mismatches: r.mismatchCount, seconds: r.ms / 1000,
    phases: r.phases.map((p) => ({ name: p.name, operations: p.operations, seconds: p.ms / 1000, opsPerSecond: Math.round(p.opsPerSecond) })),
    log: r.stats.log,
    ...(t !== undefined
      ? {
          reads: t.reads,
          tiers: {
            hotToColdPasses: t.hotToCold.passes, recordsMigrated: t.hotToCold.recordsMoved, tombstonesMigrated: t.hotToCold.tombstonesMoved,
            coldCompactionPasses: t.coldToCold.passes, coldObjects: t.coldObjects, coldLogBytes: t.cold.log.bytes,
            coldRequests: t.requests.cold.requests,
            getsPerColdRead: t.reads.cold === 0 ? 0 : (t.cold.readGets.chunk + t.cold.readGets.record) / t.reads.cold, costPerMillionOps: t.cost.perMillionOps,
            memoryBytes: t.memory.total, longestEventLoopPauseMs: t.longestEventLoopPauseMs,
          },
        }
      : {}),
  };
}

const pct = (part: number, whole: number): string => (whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`);

function formatTiers(t: TierReport): string {
  const parts: string[] = [];
  const r = t.reads;
  const served = r.hotMemory + r.readCache + r.hotDevice + r.cold + r.notFound;
  parts.push(
    '\nReads by tier (this run, before the reopen)\n' +
      table([
        ['served by', 'reads', 'share'],
        ['hot memory', formatCount(r.hotMemory), pct(r.hotMemory, served)],
        ['read cache', formatCount(r.readCache), pct(r.readCache, served)],
        ['hot device', formatCount(r.hotDevice), pct(r.hotDevice, served)],
        ['cold tier', formatCount(r.cold), pct(r.cold, served)],
        ['not found', formatCount(r.notFound), pct(r.notFound, served)],
        ['total', formatCount(served), served === 0 ? '-' : '100%'],
      ]),
  );

  const m = t.hotToCold;
  const c = t.cold;
  const cc = t.coldToCold;
  const idx = c.index;
  // Not t.getsPerColdRead: ColdKv counts the lookups that F2 sessions make (cold.find) in readGets but not in operations.reads.
  const coldGets = c.readGets.chunk + c.readGets.record;
  const prefixes = Object.entries(t.coldObjectsByPrefix).sort(([a], [b]) => a.localeCompare(b)).map(([p, n]) => `${p}: ${formatCount(n)}`).join(', ');
  parts.push(
    '\nTiers\n' +
      keyValues([
        ['hot → cold', `${formatCount(m.passes)} passes moved ${formatCount(m.recordsMoved)} records (values and tombstones; ${formatCount(m.tombstonesMoved)} tombstones) ` +
          `of ${formatCount(m.recordsScanned)} scanned, ${formatBytes(m.bytesReclaimed)} freed in the hot log; longest pass ${formatSeconds(m.longestPassMs)}`],
        ['cold → cold', `${formatCount(cc.passes)} compaction passes: ${formatCount(cc.recordsCopied)} live records copied, ` +
          `${formatCount(cc.tombstonesDropped)} tombstones dropped, ${formatBytes(cc.bytesReclaimed)} reclaimed`],
        ['cold log', `${formatBytes(c.log.bytes)} [${formatCount(c.log.beginAddress)}, ${formatCount(c.log.tailAddress)}), ${formatCount(c.log.pagesFlushed)} pages written as objects`],
        ['cold objects', `${formatCount(t.coldObjects)} (${prefixes || 'none'})`],
        ['cold index', `${formatCount(idx.chunks)} chunks of ${idx.chunkSlots} slots; table ${formatBytes(idx.tableBytes)} ` +
          `(${idx.tableBytesPerKey.toFixed(2)} B per expected key); chunk cache ${formatCount(idx.chunkHits)} hits, ${formatCount(idx.chunkMisses)} misses`],
        ['GETs per cold read', `${coldGets === 0 ? '0' : (coldGets / Math.max(1, r.cold)).toFixed(2)} (${formatCount(c.readGets.chunk)} chunk GETs + ` +
          `${formatCount(c.readGets.record)} record GETs by lookups in cold, for ${formatCount(r.cold)} reads served by cold; lookups by RMWs and misses included)`],
        ['PUTs per MiB', `${c.putsPerMiB.toFixed(2)} (cold log and chunk log)`],
        ['checkpoints', `${formatCount(t.checkpoints.taken)} taken (${formatCount(t.checkpoints.failed)} failed), last ${t.checkpoints.lastToken ?? '-'} in ${formatSeconds(t.checkpoints.lastMs)}`],
      ]),
  );

  const req = (s: ObjectStoreStats | undefined, kind: (typeof REQUEST_KINDS)[number]): [string, string] => {
    const k = s?.byKind[kind];
    return k === undefined ? ['-', '-'] : [formatCount(k.requests), formatBytes(k.bytes)];
  };
  const rows = [['request', 'cold tier', 'bytes', 'hot checkpoints', 'bytes']];
  for (const kind of REQUEST_KINDS) rows.push([kind, ...req(t.requests.cold, kind), ...req(t.requests.hotCheckpoints, kind)]);
  rows.push(['total', formatCount(t.requests.cold.requests), formatBytes(t.requests.cold.bytesRead + t.requests.cold.bytesWritten),
    t.requests.hotCheckpoints ? formatCount(t.requests.hotCheckpoints.requests) : '-',
    t.requests.hotCheckpoints ? formatBytes(t.requests.hotCheckpoints.bytesRead + t.requests.hotCheckpoints.bytesWritten) : '-']);
  parts.push('\nObject-store requests (bytes: read for GET, written for PUT)\n' + table(rows));

  const mem = t.memory;
  parts.push(
    '\nMemory by structure\n' +
      table([
        ['structure', 'bytes'],
        ['hot index', formatBytes(mem.hotIndex)],
        ['hot log pages', formatBytes(mem.hotLog)],
        ['hot read cache', formatBytes(mem.readCache)],
        ['cold index table', formatBytes(mem.coldTable)],
        ['cold chunk cache', formatBytes(mem.chunkCache)],
        ['cold log buffer', formatBytes(mem.coldLogBuffer)],
        ['total', formatBytes(mem.total)],
      ]),
  );
  const p = t.cost.prices;
  parts.push(
    '\nCost and latency\n' +
      keyValues([
        ['request cost', `$${t.cost.dollars.toFixed(4)} in total, $${t.cost.perMillionOps.toFixed(4)} per million operations ` +
          `if these requests went to S3 (per 1,000: GET $${p.get}, PUT $${p.put}, LIST $${p.list}, HEAD $${p.head}, DELETE $${p.delete})`],
        ['longest event-loop pause', `${t.longestEventLoopPauseMs.toFixed(1)} ms (includes migration and compaction slices)`],
      ]),
  );
  return parts.join('');
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
  const rc = s.readCache;
  parts.push(
    (r.tiers ? '\nHot tier\n' : '\nStore\n') +
      keyValues([
        ['begin address', formatAddress(log.beginAddress, log.pageSize) + (r.tiers ? '  below: migrated to the cold tier' : '')],
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
        ...(rc !== undefined
          ? [['read cache', `${formatCount(rc.inserts)} inserts, ${formatCount(rc.hits)} hits, ${formatCount(rc.evicted)} evicted (${formatBytes(rc.memoryBytes)})`] as [string, string]]
          : []),
        ['device', `${s.device.name}: ${formatCount(s.device.writes)} writes (${formatBytes(s.device.bytesWritten)}), ` +
          `${formatCount(s.device.reads)} reads (${formatBytes(s.device.bytesRead)})`],
      ]),
  );
  if (r.tiers) parts.push(formatTiers(r.tiers));

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
