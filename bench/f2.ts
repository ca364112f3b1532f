/**
 * Two-tier benchmark (issue 9): YCSB A, B, C, F with Zipf 0.99 and uniform keys over N records
 * of 8 B keys and 100 B values, with about 10% of the data's bytes as memory, 64 operations in
 * flight, for
 *
 *   f2-local  F2Kv, hot log on a local file, cold tier on a local directory
 *   f2-minio  F2Kv, hot log on a local file, cold tier on MinIO (integration/servers.ts)
 *   faster    FasterKv alone on a local file, same memory
 *   level     classic-level, same memory as its block cache
 *
 *   npm run bench:f2                              # 10M records, 500k operations per cell
 *   npm run bench:f2 -- --quick                   # 1M records
 *   node dist/bench/f2.js --records 2M --ops 200k --stores f2-local,level --workloads B --dist zipf
 *
 * Every store runs in its own child process (node --expose-gc) over the same operation streams
 * (same seed), so RSS is the store's own. Prints one table and writes bench/results/f2-<ts>.json
 * and bench/results/f2.summary.json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { runBenchMain } from './lib/child-main.js';
import { Flags, parseBytes } from './lib/args.js';
import { SAMPLE_EVERY, summarize, type LatencySummary } from './lib/latency.js';
import { fullGc } from './lib/memory.js';
import { expectedStamp } from './lib/peers/peer.js';
import { fmtInt, fmtRatio, renderTable } from './lib/table.js';
import { generateOps, isDistribution, isWorkloadName, WORKLOADS, type Distribution, type OpStream, type WorkloadName } from './lib/workload.js';
import { f2Split, fasterSplit, openStore, type MemoryBudget, type RequestCounters, type StoreConfig, type StoreName } from './lib/f2-stores.js';
import { runInflight } from './lib/inflight.js';

const THIS_FILE = fileURLToPath(import.meta.url);
const REPO_ROOT = resolve(dirname(THIS_FILE), '..', '..');
const MIB = 2 ** 20;
const STORES: readonly StoreName[] = ['f2-local', 'f2-minio', 'faster', 'level'];
/** S3 Standard list prices, dollars per 1,000 requests (as S3_LIST_PRICES in src/f2/f2-options.ts). */
const PRICE = { get: 0.0004, put: 0.005, list: 0.005, head: 0.0004, delete: 0 };

interface Plan {
  records: number;
  ops: number;
  warmup: number;
  inFlight: number;
  keySize: number;
  valueSize: number;
  memoryPercent: number;
  memory: number;
  chunkSize: number;
  chunkCacheSize: number;
  /** Cold index slots per record (cold.index.expectedKeys = records × this). */
  coldSlotsPerKey: number;
  workloads: WorkloadName[];
  dists: Distribution[];
  stores: StoreName[];
  seed: number;
  verify: number;
  maxCellSeconds: number;
  out: string;
  summary: string;
}

interface ChildSpec {
  plan: Plan;
  store: StoreName;
  s3: StoreConfig['s3'];
}

interface CellResult {
  workload: WorkloadName;
  dist: Distribution;
  ops: number;
  capped: boolean;
  seconds: number;
  opsPerSec: number;
  latency: LatencySummary;
  misses: number;
  pending: number;
  maxInFlight: number;
  distinctKeys: number;
  /** F2: request deltas over the timed operations. */
  requests: { gets: number; puts: number; lists: number; heads: number; deletes: number; coldReads: number; coldReadGets: number; storeOps: number } | undefined;
  getsPerOp: number | undefined;
  putsPerOp: number | undefined;
  getsPerColdRead: number | undefined;
  costPerMillionOps: number | undefined;
  /** F2: where this cell's reads were served from. */
  reads: Record<string, number> | undefined;
  rssBytes: number;
  storeMemory: Record<string, number> | undefined;
}

interface ChildResult {
  store: StoreName;
  notes: string[];
  budget: MemoryBudget;
  baselineRss: number;
  load: { seconds: number; opsPerSec: number; afterLoadSeconds: number; opsPerSecWithCompaction: number; afterLoad: Record<string, unknown>; rssBytes: number };
  verify: { checked: number; wrong: number };
  cells: CellResult[];
  maxRssBytes: number;
  /** F2: stats() at the end (getsPerColdRead, cost.perMillionOps over the whole run, ...). */
  endStats: Record<string, unknown> | undefined;
  details: Record<string, unknown>;
}

function log(msg: string): void {
  process.stderr.write(`  [${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function makePlan(flags: Flags): Plan {
  const quick = flags.bool('quick', false);
  const records = flags.count('records', quick ? 1_000_000 : 10_000_000);
  const ops = flags.count('ops', 500_000);
  const keySize = flags.count('key-size', 8);
  const valueSize = flags.count('value-size', 100);
  const memoryPercent = Number(flags.string('memory-percent', '10'));
  if (!(memoryPercent > 0)) throw new Error('--memory-percent must be > 0');
  const memory = Math.round((records * (keySize + valueSize) * memoryPercent) / 100);
  const chunkSize = flags.count('chunk-size', 256);
  const chunkCacheRaw = flags.string('chunk-cache', '64MiB');
  const chunkCacheSize = parseBytes(chunkCacheRaw);
  if (chunkCacheSize === undefined) throw new Error(`--chunk-cache: cannot parse "${chunkCacheRaw}"`);
  const workloads = flags.list('workloads', ['A', 'B', 'C', 'F']).map((w) => w.toUpperCase());
  for (const w of workloads) if (!isWorkloadName(w)) throw new Error(`--workloads: unknown workload "${w}" (A, B, C, F)`);
  const dists = flags.list('dist', ['zipf', 'uniform']);
  for (const d of dists) if (!isDistribution(d)) throw new Error(`--dist: unknown distribution "${d}" (zipf, uniform)`);
  const stores = flags.list('stores', [...STORES]);
  for (const s of stores) if (!STORES.includes(s as StoreName)) throw new Error(`--stores: unknown store "${s}" (${STORES.join(', ')})`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const plan: Plan = {
    records,
    ops,
    warmup: flags.count('warmup', Math.min(50_000, Math.floor(ops / 10))),
    inFlight: flags.count('in-flight', 64),
    keySize,
    valueSize,
    memoryPercent,
    memory,
    chunkSize,
    chunkCacheSize,
    coldSlotsPerKey: Number(flags.string('cold-slots-per-key', '1')),
    workloads: workloads as WorkloadName[],
    dists: dists as Distribution[],
    stores: stores as StoreName[],
    seed: flags.count('seed', 42),
    verify: flags.count('verify', 2000),
    maxCellSeconds: Number(flags.string('max-cell-seconds', '60')),
    out: flags.string('out', join(REPO_ROOT, 'bench', 'results', `f2-${stamp}.json`)),
    summary: flags.string('summary', join(REPO_ROOT, 'bench', 'results', 'f2.summary.json')),
  };
  flags.rejectUnknown();
  return plan;
}

// ------------------------------------------------------------------------------------ child

function diff(a: RequestCounters, b: RequestCounters): NonNullable<CellResult['requests']> {
  return {
    gets: b.gets - a.gets,
    puts: b.puts - a.puts,
    lists: b.lists - a.lists,
    heads: b.heads - a.heads,
    deletes: b.deletes - a.deletes,
    coldReads: b.coldReads - a.coldReads,
    coldReadGets: b.coldReadGets - a.coldReadGets,
    storeOps: b.ops - a.ops,
  };
}

async function runChild(spec: ChildSpec): Promise<ChildResult> {
  const plan = spec.plan;
  const streams: OpStream[] = [];
  for (const dist of plan.dists) for (const wl of plan.workloads) streams.push(generateOps(wl, dist, plan.records, plan.warmup + plan.ops, plan.seed));
  const dir = mkdtempSync(join(tmpdir(), `f2kv-bench-f2-${spec.store}-`));
  const cfg: StoreConfig = {
    records: plan.records,
    keySize: plan.keySize,
    valueSize: plan.valueSize,
    dir,
    memory: plan.memory,
    chunkSize: plan.chunkSize,
    chunkCacheSize: plan.chunkCacheSize,
    coldSlotsPerKey: plan.coldSlotsPerKey,
    ...(spec.s3 === undefined ? {} : { s3: spec.s3 }),
  };
  try {
    fullGc();
    const baselineRss = process.memoryUsage().rss;
    const store = await openStore(spec.store, cfg);
    log(`${spec.store}: loading ${fmtInt(plan.records)} records (memory budget ${(store.budget.configured / MIB).toFixed(1)} MiB: ${Object.entries(store.budget.parts).map(([k, v]) => `${k} ${(v / MIB).toFixed(1)}`).join(', ')})`);
    const t0 = performance.now();
    await store.load(plan.records, (n) => log(`${spec.store}: loaded ${fmtInt(n)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`));
    const loadSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const afterLoad = await store.afterLoad();
    const afterLoadSeconds = (performance.now() - t1) / 1000;
    const loadRss = process.memoryUsage().rss;
    log(`${spec.store}: load ${loadSeconds.toFixed(1)} s (${fmtInt(plan.records / loadSeconds)} records/s), after-load work ${afterLoadSeconds.toFixed(1)} s, rss ${(loadRss / MIB).toFixed(0)} MiB`);

    let wrong = 0;
    const n = Math.min(plan.verify, plan.records);
    for (let j = 0; j < n; j++) {
      const key = Math.floor((j * plan.records) / n);
      if ((await store.stampOf(key)) !== expectedStamp(key, plan.valueSize)) wrong++;
    }
    log(`${spec.store}: verified ${n} keys, ${wrong} wrong`);

    const cells: CellResult[] = [];
    for (const stream of streams) {
      fullGc();
      if (plan.warmup > 0) await runInflight(store, stream, 0, plan.warmup, plan.inFlight, new Float64Array(Math.ceil(plan.warmup / SAMPLE_EVERY) + 1), performance.now() + plan.maxCellSeconds * 250);
      const r0 = store.requests();
      const f2Reads0 = readsOf(store);
      const samples = new Float64Array(Math.ceil(plan.ops / SAMPLE_EVERY) + 2);
      const total = plan.warmup + plan.ops;
      const r = await runInflight(store, stream, plan.warmup, total, plan.inFlight, samples, performance.now() + plan.maxCellSeconds * 1000);
      const r1 = store.requests();
      const f2Reads1 = readsOf(store);
      const req = r0 !== undefined && r1 !== undefined ? diff(r0, r1) : undefined;
      const cost = req === undefined ? undefined : ((req.gets * PRICE.get + req.puts * PRICE.put + req.lists * PRICE.list + req.heads * PRICE.head + req.deletes * PRICE.delete) / 1000 / r.done) * 1e6;
      const reads = f2Reads0 !== undefined && f2Reads1 !== undefined ? Object.fromEntries(Object.entries(f2Reads1).map(([k, v]) => [k, v - (f2Reads0[k] ?? 0)])) : undefined;
      const cell: CellResult = {
        workload: stream.workload,
        dist: stream.dist,
        ops: r.done,
        capped: r.done < plan.ops,
        seconds: r.seconds,
        opsPerSec: r.done / r.seconds,
        latency: summarize(samples, r.sampled),
        misses: r.misses,
        pending: r.pending,
        maxInFlight: r.maxInFlight,
        distinctKeys: stream.distinctKeys,
        requests: req,
        getsPerOp: req === undefined ? undefined : req.gets / r.done,
        putsPerOp: req === undefined ? undefined : req.puts / r.done,
        getsPerColdRead: req === undefined ? undefined : req.coldReads === 0 ? 0 : req.coldReadGets / req.coldReads,
        costPerMillionOps: cost,
        reads,
        rssBytes: process.memoryUsage().rss,
        storeMemory: store.memory(),
      };
      cells.push(cell);
      log(
        `${spec.store}: ${cell.workload} ${cell.dist.padEnd(7)} ${fmtInt(cell.opsPerSec)} ops/s  p50 ${(cell.latency.p50us / 1000).toFixed(3)} ms  p99 ${(cell.latency.p99us / 1000).toFixed(3)} ms` +
          `  async ${fmtInt(cell.pending)}` +
          (cell.getsPerOp === undefined ? '' : `  GETs/op ${cell.getsPerOp.toFixed(3)}  PUTs/op ${cell.putsPerOp!.toFixed(4)}  GETs/cold read ${cell.getsPerColdRead!.toFixed(2)}`) +
          `  rss ${(cell.rssBytes / MIB).toFixed(0)} MiB` +
          (cell.misses > 0 ? `  MISSES ${cell.misses}` : '') +
          (cell.capped ? `  (capped at ${fmtInt(cell.ops)} ops)` : ''),
      );
    }
    const endStats = 'stats' in store && typeof store.stats === 'function' ? (store.stats as () => Record<string, unknown>)() : undefined;
    const details = await store.details();
    const maxRssBytes = process.resourceUsage().maxRSS * 1024;
    await store.close();
    return {
      store: spec.store,
      notes: store.notes,
      budget: store.budget,
      baselineRss,
      load: { seconds: loadSeconds, opsPerSec: plan.records / loadSeconds, afterLoadSeconds, opsPerSecWithCompaction: plan.records / (loadSeconds + afterLoadSeconds), afterLoad, rssBytes: loadRss },
      verify: { checked: n, wrong },
      cells,
      maxRssBytes,
      endStats: endStats === undefined ? undefined : { getsPerColdRead: endStats['getsPerColdRead'], cost: endStats['cost'], reads: endStats['reads'], memory: endStats['memory'], hotToCold: endStats['hotToCold'], coldToCold: endStats['coldToCold'], longestEventLoopPauseMs: endStats['longestEventLoopPauseMs'] },
      details,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readsOf(store: unknown): Record<string, number> | undefined {
  const s = store as { stats?: () => { reads: Record<string, number> } };
  if (typeof s.stats !== 'function') return undefined;
  return { ...s.stats().reads };
}

// ----------------------------------------------------------------------------------- parent

function runInChild(spec: ChildSpec, resultFile: string): Promise<{ code: number | null; signal: string | null; result: string | undefined }> {
  return new Promise((resolvePromise, reject) => {
    const arg = Buffer.from(JSON.stringify(spec)).toString('base64url');
    const child = spawn(process.execPath, ['--expose-gc', THIS_FILE, '--child', arg, '--child-out', resultFile], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      let result: string | undefined;
      try {
        result = readFileSync(resultFile, 'utf8');
      } catch {
        result = undefined;
      }
      resolvePromise({ code, signal, result });
    });
  });
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

const ms = (us: number): string => (us / 1000 >= 10 ? (us / 1000).toFixed(1) : (us / 1000).toFixed(3));
const num = (x: number | undefined, digits: number): string => (x === undefined ? '-' : x.toFixed(digits));

async function parentMain(plan: Plan, argv: readonly string[]): Promise<void> {
  const dataBytes = plan.records * (plan.keySize + plan.valueSize);
  const cfgPreview: StoreConfig = { records: plan.records, keySize: plan.keySize, valueSize: plan.valueSize, dir: '', memory: plan.memory, chunkSize: plan.chunkSize, chunkCacheSize: plan.chunkCacheSize, coldSlotsPerKey: plan.coldSlotsPerKey };
  const split = f2Split(cfgPreview);
  const fsplit = fasterSplit(cfgPreview);
  process.stderr.write(
    `F2 benchmark: ${fmtInt(plan.records)} records x (${plan.keySize} B key + ${plan.valueSize} B value) = ${(dataBytes / MIB).toFixed(0)} MiB of data; memory ${plan.memoryPercent}% = ${(plan.memory / MIB).toFixed(1)} MiB; ` +
      `${fmtInt(plan.ops)} ops per cell (+${fmtInt(plan.warmup)} warm-up), ${plan.inFlight} in flight; stores ${plan.stores.join(', ')}\n`,
  );
  const loadAtStart = loadavg();
  const workDir = mkdtempSync(join(tmpdir(), 'f2kv-bench-f2-'));
  const results = new Map<StoreName, ChildResult>();
  const failures: { store: string; error: string }[] = [];
  let minio: { stop(): Promise<void>; info: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; bucket: string; source: string } } | undefined;
  let minioSource: string | undefined;
  // Ctrl-C / SIGTERM: stop MinIO (a child process of ours) before leaving.
  const onSignal = (sig: NodeJS.Signals): void => {
    void (minio?.stop() ?? Promise.resolve()).finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = performance.now();
  try {
    for (const store of plan.stores) {
      let s3: StoreConfig['s3'];
      if (store === 'f2-minio') {
        if (minio === undefined) {
          const { startS3 } = await import('../integration/servers.js');
          minio = await startS3((line) => log(line));
          minioSource = minio.info.source;
        }
        const i = minio.info;
        s3 = { endpoint: i.endpoint, region: i.region, accessKeyId: i.accessKeyId, secretAccessKey: i.secretAccessKey, bucket: i.bucket, prefix: `bench-f2-${Date.now().toString(36)}` };
      }
      process.stderr.write(`\n${store}: child process\n`);
      const resultFile = join(workDir, `${store}.json`);
      const r = await runInChild({ plan, store, ...(s3 === undefined ? { s3: undefined } : { s3 }) }, resultFile);
      if (r.result === undefined) {
        failures.push({ store, error: `child exited with code ${r.code} signal ${r.signal}` });
        continue;
      }
      const parsed = JSON.parse(r.result) as { ok: true; result: ChildResult } | { ok: false; error: string };
      if (parsed.ok) results.set(store, parsed.result);
      else failures.push({ store, error: parsed.error });
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
    if (minio !== undefined) await minio.stop().catch((e: unknown) => log(`MinIO stop failed: ${String(e)}`));
  }
  const wallSeconds = (performance.now() - started) / 1000;

  const lines: string[] = [];
  lines.push('');
  lines.push(
    `F2 YCSB: ${fmtInt(plan.records)} records, ${plan.keySize} B keys, ${plan.valueSize} B values (${(dataBytes / MIB).toFixed(0)} MiB), memory ${(plan.memory / MIB).toFixed(1)} MiB (${plan.memoryPercent}% of the data), ` +
      `${fmtInt(plan.ops)} ops per cell after ${fmtInt(plan.warmup)} warm-up, ${plan.inFlight} in flight, seed ${plan.seed}`,
  );
  lines.push(
    `node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, commit ${gitCommit() ?? '?'}, load average ${loadAtStart.map((x) => x.toFixed(1)).join(' ')} → ${loadavg().map((x) => x.toFixed(1)).join(' ')}, ${(wallSeconds / 60).toFixed(1)} min` +
      (minioSource === undefined ? '' : `; MinIO: ${minioSource}`),
  );
  lines.push(
    `memory: f2 hot index ${(split.buckets * 64 / MIB).toFixed(1)} + hot log ${(split.log / MIB).toFixed(1)} + read cache ${(split.readCache / MIB).toFixed(1)} MiB (hot log on disk ≤ ${(split.maxLogSize / MIB).toFixed(0)} MiB), ` +
      `cold chunk cache ${(plan.chunkCacheSize / MIB).toFixed(0)} MiB (${plan.chunkSize} B chunks, ${plan.coldSlotsPerKey} slot(s) per record); faster index ${(fsplit.buckets * 64 / MIB).toFixed(1)} + log ${(fsplit.log / MIB).toFixed(1)} MiB; level block cache ${(plan.memory / MIB).toFixed(1)} MiB`,
  );

  // Load.
  const loadRows: string[][] = [];
  for (const s of plan.stores) {
    const r = results.get(s);
    if (r === undefined) continue;
    const cl = r.load.afterLoad['compactHotLog'] as { recordsScanned?: number } | undefined;
    loadRows.push([
      s,
      r.load.seconds.toFixed(1),
      fmtInt(r.load.opsPerSec),
      r.load.afterLoadSeconds > 0.05 ? r.load.afterLoadSeconds.toFixed(1) : '-',
      fmtInt(r.load.opsPerSecWithCompaction),
      cl?.recordsScanned === undefined ? '-' : fmtInt(cl.recordsScanned),
      (r.load.rssBytes / MIB).toFixed(0),
      `${r.verify.checked - r.verify.wrong}/${r.verify.checked}`,
    ]);
  }
  lines.push('');
  lines.push('Load (through each store\'s API; f2: then compactHotLog())');
  lines.push(renderTable(['store', 'load s', 'records/s', 'compactHotLog s', 'records/s incl.', 'compacted', 'RSS MiB', 'verified'], loadRows));

  // Main table.
  const rows: string[][] = [];
  for (const d of plan.dists) {
    for (const w of plan.workloads) {
      for (const s of plan.stores) {
        const c = results.get(s)?.cells.find((x) => x.workload === w && x.dist === d);
        if (c === undefined) continue;
        rows.push([
          s,
          `${w} ${d}`,
          fmtInt(c.opsPerSec) + (c.capped ? '*' : ''),
          ms(c.latency.p50us),
          ms(c.latency.p99us),
          num(c.getsPerOp, 3),
          num(c.putsPerOp, 4),
          num(c.getsPerColdRead, 2),
          c.costPerMillionOps === undefined ? '-' : `$${c.costPerMillionOps.toFixed(4)}`,
          (c.rssBytes / MIB).toFixed(0),
          String(c.misses),
        ]);
      }
    }
  }
  lines.push('');
  lines.push('Operations (* = stopped at --max-cell-seconds; latency from start to completion, 1 in 16 ops sampled; GETs/PUTs per op over all object-store requests of the cell, incl. migration)');
  lines.push(renderTable(['store', 'workload', 'ops/s', 'p50 ms', 'p99 ms', 'GETs/op', 'PUTs/op', 'GETs/cold read', '$/M ops', 'RSS MiB', 'misses'], rows));

  // Ratios.
  const ratioRows: string[][] = [];
  const ratios: { workload: string; dist: string; f2: string; vs: string; ratio: number }[] = [];
  const opsOf = (s: StoreName, w: WorkloadName, d: Distribution): number | undefined => results.get(s)?.cells.find((x) => x.workload === w && x.dist === d)?.opsPerSec;
  const f2s = plan.stores.filter((s) => s.startsWith('f2'));
  const ratioCols: [StoreName, StoreName][] = [];
  for (const f of f2s) for (const o of ['level', 'faster'] as const) if (plan.stores.includes(o)) ratioCols.push([f, o]);
  for (const d of plan.dists) {
    for (const w of plan.workloads) {
      const row = [`${w} ${d}`];
      for (const [f, o] of ratioCols) {
        const a = opsOf(f, w, d);
        const b = opsOf(o, w, d);
        if (a === undefined || b === undefined) {
          row.push('-');
          continue;
        }
        row.push(fmtRatio(a / b));
        ratios.push({ workload: w, dist: d, f2: f, vs: o, ratio: a / b });
      }
      ratioRows.push(row);
    }
  }
  if (ratioCols.length > 0) {
    lines.push('');
    lines.push('Throughput ratios');
    lines.push(renderTable(['workload', ...ratioCols.map(([f, o]) => `${f} / ${o}`)], ratioRows));
  }

  // Memory.
  const memRows: string[][] = [];
  for (const s of plan.stores) {
    const r = results.get(s);
    if (r === undefined) continue;
    const end = r.cells.at(-1);
    const m = end?.storeMemory;
    const cellMax = Math.max(...r.cells.map((c) => c.rssBytes));
    memRows.push([
      s,
      (r.budget.configured / MIB).toFixed(1),
      m === undefined ? '-' : ((m['total'] ?? 0) / MIB).toFixed(1),
      m === undefined ? '-' : Object.entries(m).filter(([k]) => k !== 'total').map(([k, v]) => `${k} ${(v / MIB).toFixed(1)}`).join(', '),
      (r.baselineRss / MIB).toFixed(0),
      (cellMax / MIB).toFixed(0),
      (r.maxRssBytes / MIB).toFixed(0),
    ]);
  }
  lines.push('');
  lines.push('Memory (MiB): configured budget; what the store accounts for at the end; RSS before opening the store (node + op streams), highest after a cell, peak (incl. load)');
  lines.push(renderTable(['store', 'budget', 'store total', 'by structure', 'RSS base', 'RSS max cell', 'RSS peak'], memRows));

  // Targets.
  const targets: { name: string; measured: string; pass: boolean }[] = [];
  const bz = (s: StoreName): number | undefined => opsOf(s, 'B', 'zipf');
  const fl = bz('f2-local');
  const lv = bz('level');
  if (fl !== undefined && lv !== undefined) targets.push({ name: 'B zipf: f2-local >= 5x classic-level', measured: fmtRatio(fl / lv), pass: fl / lv >= 5 });
  for (const s of f2s) {
    const r = results.get(s);
    if (r === undefined) continue;
    const gpc = r.endStats?.['getsPerColdRead'];
    const tot = r.cells.reduce((a, c) => ({ gets: a.gets + (c.requests?.coldReadGets ?? 0), reads: a.reads + (c.requests?.coldReads ?? 0) }), { gets: 0, reads: 0 });
    const whole = tot.reads === 0 ? 0 : tot.gets / tot.reads;
    targets.push({ name: `${s}: GETs per cold read <= 1.1 (all cells)`, measured: `${whole.toFixed(3)} (stats().getsPerColdRead ${typeof gpc === 'number' ? gpc.toFixed(3) : '-'})`, pass: whole <= 1.1 });
    const worst = Math.max(...r.cells.map((c) => c.getsPerColdRead ?? 0));
    targets.push({ name: `${s}: GETs per cold read <= 1.1 in every cell`, measured: `worst ${worst.toFixed(3)}`, pass: worst <= 1.1 });
    // Hot memory as the store accounts for it (hot index incl. overflow buckets + hot log pages + read cache) against its budget.
    const hotMax = Math.max(...r.cells.map((c) => (c.storeMemory?.['hotIndex'] ?? 0) + (c.storeMemory?.['hotLog'] ?? 0) + (c.storeMemory?.['readCache'] ?? 0)));
    const hotIdx = Math.max(...r.cells.map((c) => c.storeMemory?.['hotIndex'] ?? 0));
    targets.push({
      name: `${s}: hot index + hot log + read cache <= hot budget`,
      measured: `${(hotMax / MIB).toFixed(1)} MiB (index ${(hotIdx / MIB).toFixed(1)}) vs ${(r.budget.configured / MIB).toFixed(1)} MiB`,
      pass: hotMax <= r.budget.configured * 1.02,
    });
    // RSS bound: the process before the store + the configured hot budget + the cold tier's configured
    // memory (chunk cache + cold log buffer) + a stated overhead of 128 MiB (JS heap with 64
    // operations in flight, allocator slack, the object-store clients).
    const coldCfg = Math.max(...r.cells.map((c) => (c.storeMemory?.['chunkCache'] ?? 0) + (c.storeMemory?.['coldLogBuffer'] ?? 0) + (c.storeMemory?.['coldTable'] ?? 0)));
    const bound = r.baselineRss + r.budget.configured + Math.max(coldCfg, r.budget.parts['chunkCache'] ?? 0) + 128 * MIB;
    const cellMax = Math.max(...r.cells.map((c) => c.rssBytes));
    targets.push({
      name: `${s}: RSS <= base + hot budget + cold memory + 128 MiB`,
      measured: `${(cellMax / MIB).toFixed(0)} vs ${(bound / MIB).toFixed(0)} MiB (base ${(r.baselineRss / MIB).toFixed(0)}, overhead ${((cellMax - r.baselineRss - r.budget.configured - coldCfg) / MIB).toFixed(0)})`,
      pass: cellMax <= bound,
    });
    const ok = r.verify.wrong === 0 && r.cells.every((c) => c.misses === 0);
    targets.push({ name: `${s}: load verified, no read missed`, measured: `${r.verify.checked - r.verify.wrong}/${r.verify.checked}, misses ${r.cells.reduce((a, c) => a + c.misses, 0)}`, pass: ok });
  }
  if (targets.length > 0) {
    lines.push('');
    lines.push('Issue 9 targets');
    lines.push(renderTable(['target', 'measured', 'result'], targets.map((t) => [t.name, t.measured, t.pass ? 'met' : 'NOT MET'])));
  }
  for (const f of failures) lines.push(`\n${f.store}: FAILED: ${f.error}`);
  for (const s of plan.stores) for (const n of results.get(s)?.notes ?? []) lines.push(`note ${n}`);

  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);

  const command = `node dist/bench/f2.js ${argv.join(' ')}`.trim();
  const environment = { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemBytes: totalmem(), loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg(), commit: gitCommit(), minio: minioSource, wallSeconds };
  mkdirSync(dirname(plan.out), { recursive: true });
  writeFileSync(
    plan.out,
    `${JSON.stringify({ benchmark: 'f2', date: new Date().toISOString(), command, environment, plan, workloads: Object.fromEntries(plan.workloads.map((w) => [w, WORKLOADS[w]])), latencySampleEvery: SAMPLE_EVERY, results: Object.fromEntries(results), failures, ratios, targets, table: text }, null, 2)}\n`,
  );
  const summary = {
    benchmark: 'f2',
    date: new Date().toISOString(),
    command,
    environment: { node: process.version, cpus: cpus().length, commit: gitCommit(), loadAverageAtEnd: loadavg(), minio: minioSource },
    records: plan.records,
    keySize: plan.keySize,
    valueSize: plan.valueSize,
    memoryBytes: plan.memory,
    opsPerCell: plan.ops,
    inFlight: plan.inFlight,
    load: Object.fromEntries([...results].map(([s, r]) => [s, { seconds: round(r.load.seconds, 1), recordsPerSec: Math.round(r.load.opsPerSec), compactHotLogSeconds: round(r.load.afterLoadSeconds, 1) }])),
    cells: [...results].flatMap(([s, r]) =>
      r.cells.map((c) => ({
        store: s,
        workload: c.workload,
        dist: c.dist,
        opsPerSec: Math.round(c.opsPerSec),
        p50ms: round(c.latency.p50us / 1000, 3),
        p99ms: round(c.latency.p99us / 1000, 3),
        getsPerOp: c.getsPerOp === undefined ? undefined : round(c.getsPerOp, 4),
        putsPerOp: c.putsPerOp === undefined ? undefined : round(c.putsPerOp, 5),
        getsPerColdRead: c.getsPerColdRead === undefined ? undefined : round(c.getsPerColdRead, 3),
        costPerMillionOps: c.costPerMillionOps === undefined ? undefined : round(c.costPerMillionOps, 5),
        rssMiB: Math.round(c.rssBytes / MIB),
        capped: c.capped || undefined,
      })),
    ),
    ratios: ratios.map((r) => ({ ...r, ratio: round(r.ratio, 2) })),
    targets,
  };
  writeFileSync(plan.summary, `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`\nJSON: ${plan.out}\nsummary: ${plan.summary}\n`);
  if (failures.length > 0) process.exitCode = 1;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

runBenchMain<ChildSpec, Awaited<ReturnType<typeof runChild>>>({
  child: runChild,
  label: (spec) => spec.store,
  parent: (argv) => parentMain(makePlan(new Flags(argv)), argv),
});

