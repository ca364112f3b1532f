/**
 * Cloud benchmark (issue 12): f2kv against SlateDB on the same object store, the same workload
 * stream and one counting proxy that sees every request of every store.
 *
 *   f2             F2Kv: hot tier on a local directory (memory ≈ 10% of the data), cold tier on the bucket
 *   faster-bucket  FasterKv alone, its log on the bucket (ObjectLogDevice), fold-over checkpoints
 *   slatedb        SlateDB (@slatedb/uniffi) on the bucket, its default cache
 *
 *   npm run bench:cloud                                     # 1M records, 64 in flight, MinIO
 *   npm run bench:cloud -- --in-flight 1,64,256 --ops 20k
 *   npm run bench:cloud -- --records 10000000
 *   npm run bench:cloud -- --backend azurite                # f2kv stores (add --stores f2,faster-bucket,slatedb for SlateDB too)
 *
 * Phases per store: load (through each store's API), then for every in-flight level the cells
 * B zipf, B uniform, A zipf, A uniform (YCSB, Zipf θ = 0.99, bench/lib/workload.ts; the same seed,
 * so every store sees the same stream) and reads of absent keys. Every store runs in its own child
 * process (RSS is its own); the server (MinIO or Azurite, integration/servers.ts) and the counting
 * proxy (bench/lib/counting-proxy.ts) run in this process. Writes bench/results/cloud-<ts>.json,
 * bench/results/cloud.summary.json (or cloud-azurite.summary.json) and the plots in docs/bench/.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { runBenchMain } from './lib/child-main.js';
import { Flags, parseBytes } from './lib/args.js';
import { fullGc } from './lib/memory.js';
import { expectedStamp } from './lib/peers/peer.js';
import { fmtInt, renderTable } from './lib/table.js';
import { generateOps, OP_READ, Rng, type OpStream } from './lib/workload.js';
import { f2Split, fasterSplit, openStore, type BenchStore, type StoreConfig } from './lib/f2-stores.js';
import { FasterBucketStore } from './lib/faster-bucket-store.js';
import { SlateDbStore } from './lib/slatedb-store.js';
import { runCell } from './lib/cloud-runner.js';
import { diffCounts, fetchProxyCounts, REQUEST_KINDS, startCountingProxy, type ProxyCounts, type RequestKind } from './lib/counting-proxy.js';
import { bucketUsage, type BucketTarget } from './lib/bucket-usage.js';
import type { Backend, CloudCell, CloudLoad, CloudStoreName, CloudSummary, PhaseRequests, Prices } from './lib/cloud-types.js';
import { renderCloudPlots } from './cloud-plots.js';
import { S3_LIST_PRICES } from '../src/f2/f2-options.js';

const THIS_FILE = fileURLToPath(import.meta.url);
const REPO_ROOT = resolve(dirname(THIS_FILE), '..', '..');
const MIB = 2 ** 20;
const STORES: readonly CloudStoreName[] = ['f2', 'faster-bucket', 'slatedb'];
const CELLS = ['B zipf', 'B uniform', 'A zipf', 'A uniform', 'absent'] as const;

interface Plan {
  backend: Backend;
  records: number;
  ops: number;
  warmup: number;
  maxCellSeconds: number;
  inFlight: number[];
  keySize: number;
  valueSize: number;
  memoryPercent: number;
  memory: number;
  chunkCacheSize: number;
  cells: string[];
  stores: CloudStoreName[];
  prices: Prices;
  checkpointEverySeconds: number;
  slatedbCache: 'default' | 'off';
  slatedbDurable: boolean;
  slatedbLoadBatch: number;
  seed: number;
  verify: number;
  out: string;
  summary: string;
  plotsDir: string | undefined;
}

/** Where a child finds the object store: through the proxy for the store, directly for listing. */
type Endpoints =
  | { kind: 's3'; proxy: string; direct: string; region: string; accessKeyId: string; secretAccessKey: string; bucket: string }
  | { kind: 'azure'; proxy: string; accountName: string; accountKey: string; directBlobEndpoint: string; container: string };

interface ChildSpec {
  plan: Plan;
  store: CloudStoreName;
  endpoints: Endpoints;
  prefix: string;
}

interface ChildResult {
  notes: string[];
  load: CloudLoad;
  cells: CloudCell[];
  maxRssBytes: number;
  details: Record<string, unknown>;
}

function log(msg: string): void {
  process.stderr.write(`  [${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function makePlan(flags: Flags): Plan {
  const backend = flags.string('backend', 'minio');
  if (backend !== 'minio' && backend !== 'azurite') throw new Error(`--backend: minio or azurite, got "${backend}"`);
  const records = flags.count('records', 1_000_000);
  const ops = flags.count('ops', 30_000);
  const keySize = flags.count('key-size', 8);
  const valueSize = flags.count('value-size', 100);
  const memoryPercent = Number(flags.string('memory-percent', '10'));
  if (!(memoryPercent > 0)) throw new Error('--memory-percent must be > 0');
  const memory = Math.round((records * (keySize + valueSize) * memoryPercent) / 100);
  const inFlight = flags.list('in-flight', ['64']).map((s) => Number(s));
  for (const n of inFlight) if (!Number.isInteger(n) || n < 1) throw new Error(`--in-flight: whole numbers >= 1, got ${flags.string('in-flight', '')}`);
  const cells = flags.list('cells', [...CELLS]).map((c) => c.replace(/-/g, ' '));
  for (const c of cells) if (!(CELLS as readonly string[]).includes(c)) throw new Error(`--cells: unknown cell "${c}" (${CELLS.map((x) => x.replace(' ', '-')).join(', ')})`);
  const defaultStores = backend === 'azurite' ? ['f2', 'faster-bucket'] : [...STORES];
  const stores = flags.list('stores', defaultStores);
  for (const s of stores) if (!STORES.includes(s as CloudStoreName)) throw new Error(`--stores: unknown store "${s}" (${STORES.join(', ')})`);
  const price = (k: keyof Prices): number => {
    const v = Number(flags.string(`price-${k}`, String(S3_LIST_PRICES[k])));
    if (!(v >= 0)) throw new Error(`--price-${k}: dollars per 1,000 requests, >= 0`);
    return v;
  };
  const slatedbCache = flags.string('slatedb-cache', 'default');
  if (slatedbCache !== 'default' && slatedbCache !== 'off') throw new Error('--slatedb-cache: default or off');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const noPlots = flags.bool('no-plots', false);
  const plan: Plan = {
    backend,
    records,
    ops,
    warmup: flags.count('warmup', Math.min(5_000, Math.floor(ops / 10))),
    maxCellSeconds: Number(flags.string('max-cell-seconds', '20')),
    inFlight,
    keySize,
    valueSize,
    memoryPercent,
    memory,
    chunkCacheSize: chunkCache(flags.optionalString('chunk-cache'), memory),
    cells,
    stores: stores as CloudStoreName[],
    prices: { get: price('get'), put: price('put'), list: price('list'), head: price('head'), delete: price('delete') },
    checkpointEverySeconds: Number(flags.string('checkpoint-every', '10')),
    slatedbCache,
    slatedbDurable: flags.bool('slatedb-durable', false),
    slatedbLoadBatch: flags.count('slatedb-load-batch', 10_000),
    seed: flags.count('seed', 42),
    verify: flags.count('verify', 200),
    out: flags.string('out', join(REPO_ROOT, 'bench', 'results', `cloud-${backend}-${stamp}.json`)),
    summary: flags.string('summary', join(REPO_ROOT, 'bench', 'results', backend === 'minio' ? 'cloud.summary.json' : 'cloud-azurite.summary.json')),
    plotsDir: noPlots ? undefined : flags.string('plots-dir', join(REPO_ROOT, 'docs', 'bench')),
  };
  flags.rejectUnknown();
  return plan;
}

/**
 * The F2 cold tier's chunk cache: --chunk-cache (a size); by default 64 MiB, F2's default and
 * bench:f2's (SlateDB keeps its default cache too). A chunk cache much smaller than the cold index's
 * chunks makes every migration pass re-read chunks (a quarter of 10.8 MiB: 60k chunk GETs in the
 * first minutes of a 1M load).
 */
function chunkCache(raw: string | undefined, _memory: number): number {
  if (raw === undefined) return 64 * MIB;
  const n = parseBytes(raw);
  if (n === undefined || n <= 0) throw new Error(`--chunk-cache: cannot parse "${raw}" as a size (e.g. 4MiB)`);
  return n;
}

// ------------------------------------------------------------------------------------ child

function streamFor(cell: string, plan: Plan): OpStream {
  const n = plan.warmup + plan.ops;
  if (cell === 'absent') {
    // Reads of keys that were never written: indexes [records, 2 × records).
    const rng = new Rng((plan.seed ^ 0xab5e47) >>> 0);
    const ops = new Uint8Array(n).fill(OP_READ);
    const keys = new Uint32Array(n);
    for (let i = 0; i < n; i++) keys[i] = plan.records + rng.below(plan.records);
    return { workload: 'C', dist: 'uniform', ops, keys, counts: { read: n, update: 0, rmw: 0 }, distinctKeys: n };
  }
  const [w, d] = cell.split(' ') as ['A' | 'B', 'zipf' | 'uniform'];
  return generateOps(w, d, plan.records, n, plan.seed);
}

function phaseRequests(counts: ProxyCounts, ops: number, prices: Prices): PhaseRequests {
  const perOp = {} as Record<RequestKind, number>;
  let bytes = 0;
  for (const k of REQUEST_KINDS) {
    perOp[k] = ops === 0 ? 0 : counts[k].requests / ops;
    bytes += counts[k].bytesIn + counts[k].bytesOut;
  }
  const dollars = (counts.GET.requests * prices.get + counts.PUT.requests * prices.put + counts.LIST.requests * prices.list + counts.HEAD.requests * prices.head + counts.DELETE.requests * prices.delete) / 1000;
  return { counts, perOp, bytesPerOp: ops === 0 ? 0 : bytes / ops, dollarsPerMillionOps: ops === 0 ? 0 : (dollars / ops) * 1e6 };
}

async function openCloudStore(spec: ChildSpec, cfg: StoreConfig): Promise<BenchStore> {
  const e = spec.endpoints;
  const plan = spec.plan;
  switch (spec.store) {
    case 'f2':
      return openStore(e.kind === 's3' ? 'f2-minio' : 'f2-azurite', cfg);
    case 'faster-bucket':
      if (e.kind === 's3') {
        return FasterBucketStore.open(cfg, {
          url: `s3://${e.bucket}/${spec.prefix}`,
          store: { endpoint: e.proxy, region: e.region, forcePathStyle: true, credentials: { accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey } },
        });
      }
      return FasterBucketStore.open(cfg, { url: `az://${e.container}/${spec.prefix}`, store: { connectionString: azureConnectionString(e, e.proxy) } });
    case 'slatedb': {
      // Rust's object_store reads these when the URL is resolved (S3: AWS_*, Azure: AZURE_*).
      let url: string;
      if (e.kind === 's3') {
        process.env['AWS_ENDPOINT'] = e.proxy;
        process.env['AWS_ALLOW_HTTP'] = 'true';
        process.env['AWS_REGION'] = e.region;
        process.env['AWS_ACCESS_KEY_ID'] = e.accessKeyId;
        process.env['AWS_SECRET_ACCESS_KEY'] = e.secretAccessKey;
        url = `s3://${e.bucket}/`;
      } else {
        process.env['AZURE_STORAGE_ACCOUNT_NAME'] = e.accountName;
        process.env['AZURE_STORAGE_ACCOUNT_KEY'] = e.accountKey;
        process.env['AZURE_STORAGE_ENDPOINT'] = `${e.proxy}/${e.accountName}`;
        process.env['AZURE_ALLOW_HTTP'] = 'true';
        url = `az://${e.container}/`;
      }
      return SlateDbStore.open({ keySize: plan.keySize, valueSize: plan.valueSize, url, path: `${spec.prefix}/slatedb`, cache: plan.slatedbCache, durable: plan.slatedbDurable, loadBatch: plan.slatedbLoadBatch });
    }
  }
}

function azureConnectionString(e: Extract<Endpoints, { kind: 'azure' }>, base: string): string {
  return `DefaultEndpointsProtocol=http;AccountName=${e.accountName};AccountKey=${e.accountKey};BlobEndpoint=${base}/${e.accountName};`;
}

async function runChild(spec: ChildSpec): Promise<ChildResult> {
  const plan = spec.plan;
  const e = spec.endpoints;
  const target: BucketTarget =
    e.kind === 's3'
      ? { kind: 's3', endpoint: e.direct, region: e.region, accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey, bucket: e.bucket }
      : { kind: 'azure', connectionString: azureConnectionString(e, e.directBlobEndpoint.replace(/\/[^/]+$/, '')), container: e.container };
  const streams = plan.cells.map((c) => ({ cell: c, stream: streamFor(c, plan) }));
  const dir = mkdtempSync(join(tmpdir(), `f2kv-bench-cloud-${spec.store}-`));
  const cfg: StoreConfig = {
    records: plan.records,
    keySize: plan.keySize,
    valueSize: plan.valueSize,
    dir,
    memory: plan.memory,
    chunkSize: 256,
    chunkCacheSize: plan.chunkCacheSize,
    coldSlotsPerKey: 1,
    ...(e.kind === 's3' ? { s3: { endpoint: e.proxy, region: e.region, accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey, bucket: e.bucket, prefix: spec.prefix } } : {}),
    ...(e.kind === 'azure' ? { azure: { connectionString: azureConnectionString(e, e.proxy), container: e.container, prefix: spec.prefix } } : {}),
  };
  const counts = (): Promise<ProxyCounts> => fetchProxyCounts(e.proxy);
  try {
    fullGc();
    const store = await openCloudStore(spec, cfg);
    log(`${spec.store}: loading ${fmtInt(plan.records)} records`);
    const c0 = await counts();
    const t0 = performance.now();
    await store.load(plan.records, (n) => log(`${spec.store}: loaded ${fmtInt(n)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`));
    const loadSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const afterLoad = await store.afterLoad();
    const afterLoadSeconds = (performance.now() - t1) / 1000;
    const c1 = await counts();
    const used = await bucketUsage(target, spec.prefix);
    let wrong = 0;
    const n = Math.min(plan.verify, plan.records);
    for (let j = 0; j < n; j++) {
      const key = Math.floor((j * plan.records) / n);
      if ((await store.stampOf(key)) !== expectedStamp(key, plan.valueSize)) wrong++;
    }
    const load: CloudLoad = {
      store: spec.store,
      records: plan.records,
      seconds: loadSeconds,
      recordsPerSec: plan.records / loadSeconds,
      afterLoadSeconds,
      requests: phaseRequests(diffCounts(c0, c1), plan.records, plan.prices),
      storedBytes: used.bytes,
      storedObjects: used.objects,
      rssBytes: process.memoryUsage().rss,
      verified: { checked: n, wrong },
    };
    log(
      `${spec.store}: load ${loadSeconds.toFixed(1)} s (${fmtInt(load.recordsPerSec)} records/s), after-load ${afterLoadSeconds.toFixed(1)} s ${JSON.stringify(afterLoad).slice(0, 200)}, ` +
        `$${load.requests.dollarsPerMillionOps.toFixed(3)}/M records, stored ${(used.bytes / MIB).toFixed(1)} MiB in ${used.objects} objects, verified ${n - wrong}/${n}, rss ${(load.rssBytes / MIB).toFixed(0)} MiB`,
    );

    const cells: CloudCell[] = [];
    for (const inFlight of plan.inFlight) {
      for (const { cell, stream } of streams) {
        fullGc();
        if (plan.warmup > 0) {
          const w = await runCell(store, stream, 0, plan.warmup, inFlight, performance.now() + plan.maxCellSeconds * 250, 0);
          for (const h of Object.values(w.histograms)) h.destroy();
        }
        const k0 = await counts();
        const r = await runCell(store, stream, plan.warmup, plan.warmup + plan.ops, inFlight, performance.now() + plan.maxCellSeconds * 1000, plan.checkpointEverySeconds * 1000);
        const k1 = await counts();
        const u = await bucketUsage(target, spec.prefix);
        const latency: CloudCell['latency'] = {};
        if (r.histograms.read.count > 0) latency.read = r.histograms.read.summary();
        if (r.histograms.update.count > 0) latency.update = r.histograms.update.summary();
        if (r.histograms.rmw.count > 0) latency.rmw = r.histograms.rmw.summary();
        for (const h of Object.values(r.histograms)) h.destroy();
        const c: CloudCell = {
          store: spec.store,
          cell,
          inFlight,
          ops: r.done,
          capped: r.done < plan.ops,
          seconds: r.seconds,
          opsPerSec: r.done / r.seconds,
          misses: r.misses,
          hits: r.hits,
          latency,
          requests: phaseRequests(diffCounts(k0, k1), r.done, plan.prices),
          checkpoints: r.checkpoints,
          storedBytes: u.bytes,
          storedObjects: u.objects,
          rssBytes: process.memoryUsage().rss,
        };
        cells.push(c);
        const ms = (us: number | undefined): string => (us === undefined ? '-' : (us / 1000).toFixed(us >= 10_000 ? 1 : 3));
        log(
          `${spec.store}: ${cell.padEnd(9)} @${inFlight} ${fmtInt(c.opsPerSec)} ops/s (${fmtInt(c.ops)} ops${c.capped ? ', capped' : ''}) read p50 ${ms(latency.read?.p50us)} p99 ${ms(latency.read?.p99us)} ms, ` +
            `update p50 ${ms(latency.update?.p50us)} p99 ${ms(latency.update?.p99us)} ms, GET/op ${c.requests.perOp.GET.toFixed(3)} PUT/op ${c.requests.perOp.PUT.toFixed(4)}, ` +
            `$${c.requests.dollarsPerMillionOps.toFixed(3)}/M ops, checkpoints ${c.checkpoints}, stored ${(u.bytes / MIB).toFixed(1)} MiB, rss ${(c.rssBytes / MIB).toFixed(0)} MiB` +
            (cell !== 'absent' && c.misses > 0 ? `  MISSES ${c.misses}` : '') +
            (cell === 'absent' && c.hits > 0 ? `  FOUND ${c.hits} absent keys` : ''),
        );
      }
    }
    const details = await store.details();
    const maxRssBytes = process.resourceUsage().maxRSS * 1024;
    await store.close();
    return { notes: store.notes, load, cells, maxRssBytes, details: { afterLoad, ...details } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ----------------------------------------------------------------------------------- parent

let currentChild: ChildProcess | undefined;

function runInChild(spec: ChildSpec, resultFile: string): Promise<string | undefined> {
  return new Promise((resolvePromise, reject) => {
    const arg = Buffer.from(JSON.stringify(spec)).toString('base64url');
    const child = spawn(process.execPath, ['--expose-gc', THIS_FILE, '--child', arg, '--child-out', resultFile], { stdio: ['ignore', 'inherit', 'inherit'] });
    currentChild = child;
    child.on('error', reject);
    child.on('close', () => {
      currentChild = undefined;
      try {
        resolvePromise(readFileSync(resultFile, 'utf8'));
      } catch {
        resolvePromise(undefined);
      }
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

const ms = (us: number | undefined): string => (us === undefined ? '-' : us >= 10_000 ? (us / 1000).toFixed(1) : (us / 1000).toFixed(3));

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

async function parentMain(plan: Plan, argv: readonly string[]): Promise<void> {
  const dataBytes = plan.records * (plan.keySize + plan.valueSize);
  process.stderr.write(
    `Cloud benchmark on ${plan.backend}: ${fmtInt(plan.records)} records x (${plan.keySize} B + ${plan.valueSize} B) = ${(dataBytes / MIB).toFixed(0)} MiB; memory ${plan.memoryPercent}% = ${(plan.memory / MIB).toFixed(1)} MiB; ` +
      `${fmtInt(plan.ops)} ops per cell (max ${plan.maxCellSeconds} s), in flight ${plan.inFlight.join(',')}; stores ${plan.stores.join(', ')}\n`,
  );
  const loadAtStart = loadavg();
  const started = performance.now();
  const workDir = mkdtempSync(join(tmpdir(), 'f2kv-bench-cloud-'));
  const servers = await import('../integration/servers.js');
  let stopServer: (() => Promise<void>) | undefined;
  let proxyClose: (() => Promise<void>) | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (currentChild?.pid !== undefined && currentChild.exitCode === null) process.kill(currentChild.pid, 'SIGTERM');
    void (proxyClose?.() ?? Promise.resolve()).then(() => stopServer?.()).finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const results = new Map<CloudStoreName, ChildResult>();
  const failures: { store: string; error: string }[] = [];
  let serverSource = '';
  try {
    let endpoints: Endpoints;
    if (plan.backend === 'minio') {
      const s = await servers.startS3((line) => log(line));
      stopServer = s.stop;
      serverSource = s.info.source;
      const proxy = await startCountingProxy(s.info.endpoint);
      proxyClose = proxy.close;
      endpoints = { kind: 's3', proxy: proxy.endpoint, direct: s.info.endpoint, region: s.info.region, accessKeyId: s.info.accessKeyId, secretAccessKey: s.info.secretAccessKey, bucket: s.info.bucket };
    } else {
      const s = await servers.startAzure((line) => log(line));
      stopServer = s.stop;
      serverSource = s.info.source;
      const origin = new URL(s.info.blobEndpoint).origin;
      const proxy = await startCountingProxy(origin);
      proxyClose = proxy.close;
      endpoints = { kind: 'azure', proxy: proxy.endpoint, accountName: s.info.accountName, accountKey: s.info.accountKey, directBlobEndpoint: s.info.blobEndpoint, container: s.info.container };
    }
    log(`counting proxy at ${endpoints.proxy}`);
    for (const store of plan.stores) {
      process.stderr.write(`\n${store}: child process\n`);
      const prefix = `bench-cloud-${store}-${Date.now().toString(36)}`;
      const raw = await runInChild({ plan, store, endpoints, prefix }, join(workDir, `${store}.json`));
      if (raw === undefined) {
        failures.push({ store, error: 'child exited without a result' });
        continue;
      }
      const parsed = JSON.parse(raw) as { ok: true; result: ChildResult } | { ok: false; error: string };
      if (parsed.ok) results.set(store, parsed.result);
      else failures.push({ store, error: parsed.error });
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
    if (proxyClose !== undefined) await proxyClose().catch((e: unknown) => log(`proxy close failed: ${String(e)}`));
    if (stopServer !== undefined) await stopServer().catch((e: unknown) => log(`server stop failed: ${String(e)}`));
  }
  const wallSeconds = (performance.now() - started) / 1000;

  const loads = [...results.values()].map((r) => r.load);
  const cells = [...results.values()].flatMap((r) => r.cells);
  const notes = [...results.values()].flatMap((r) => r.notes);
  const split = f2Split({ records: plan.records, keySize: plan.keySize, valueSize: plan.valueSize, dir: '', memory: plan.memory, chunkSize: 256, chunkCacheSize: plan.chunkCacheSize, coldSlotsPerKey: 1 });
  const fsplit = fasterSplit({ records: plan.records, keySize: plan.keySize, valueSize: plan.valueSize, dir: '', memory: plan.memory, chunkSize: 256, chunkCacheSize: plan.chunkCacheSize, coldSlotsPerKey: 1 });

  const lines: string[] = [];
  lines.push('');
  lines.push(
    `Cloud benchmark on ${plan.backend} (${serverSource}), every request counted by one proxy: ${fmtInt(plan.records)} records, ${plan.keySize} B keys, ${plan.valueSize} B values (${(dataBytes / MIB).toFixed(0)} MiB), ` +
      `memory ${(plan.memory / MIB).toFixed(1)} MiB (${plan.memoryPercent}%), up to ${fmtInt(plan.ops)} ops per cell or ${plan.maxCellSeconds} s after ${fmtInt(plan.warmup)} warm-up, seed ${plan.seed}`,
  );
  lines.push(
    `node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, commit ${gitCommit() ?? '?'}, load average ${loadAtStart.map((x) => x.toFixed(1)).join(' ')} → ${loadavg().map((x) => x.toFixed(1)).join(' ')}, ${(wallSeconds / 60).toFixed(1)} min`,
  );
  lines.push(
    `memory: f2 hot index ${((split.buckets * 64) / MIB).toFixed(1)} + hot log ${(split.log / MIB).toFixed(1)} + read cache ${(split.readCache / MIB).toFixed(1)} MiB (hot log on local disk ≤ ${(split.maxLogSize / MIB).toFixed(0)} MiB), cold chunk cache ${(plan.chunkCacheSize / MIB).toFixed(1)} MiB; ` +
      `faster-bucket index ${((fsplit.buckets * 64) / MIB).toFixed(1)} + log ${(fsplit.log / MIB).toFixed(1)} MiB; slatedb cache ${plan.slatedbCache === 'off' ? 'off' : "SlateDB's default (not sizeable in binding 0.12.1)"}`,
  );
  lines.push(
    `prices (dollars per 1,000 requests): GET ${plan.prices.get}, PUT/POST ${plan.prices.put}, LIST ${plan.prices.list}, HEAD ${plan.prices.head}, DELETE ${plan.prices.delete}; f2kv checkpoints every ${plan.checkpointEverySeconds} s during cells; slatedb puts await_durable=${plan.slatedbDurable}`,
  );

  lines.push('');
  lines.push('Load (through each store\'s API, then f2: compactHotLog, faster-bucket: checkpoint, slatedb: memtable flush)');
  lines.push(
    renderTable(
      ['store', 'load s', 'records/s', 'after s', 'GET/rec', 'PUT/rec', 'LIST/rec', 'B/rec moved', '$/M records', 'stored MiB', 'objects', 'RSS MiB', 'verified'],
      loads.map((l) => [
        l.store,
        l.seconds.toFixed(1),
        fmtInt(l.recordsPerSec),
        l.afterLoadSeconds.toFixed(1),
        l.requests.perOp.GET.toFixed(4),
        l.requests.perOp.PUT.toFixed(5),
        l.requests.perOp.LIST.toFixed(5),
        l.requests.bytesPerOp.toFixed(0),
        `$${l.requests.dollarsPerMillionOps.toFixed(3)}`,
        (l.storedBytes / MIB).toFixed(1),
        String(l.storedObjects),
        (l.rssBytes / MIB).toFixed(0),
        `${l.verified.checked - l.verified.wrong}/${l.verified.checked}`,
      ]),
    ),
  );

  const rows: string[][] = [];
  for (const inFlight of plan.inFlight) {
    for (const cell of plan.cells) {
      for (const s of plan.stores) {
        const c = cells.find((x) => x.store === s && x.cell === cell && x.inFlight === inFlight);
        if (c === undefined) continue;
        const p = c.requests.perOp;
        rows.push([
          s,
          cell,
          String(inFlight),
          fmtInt(c.opsPerSec) + (c.capped ? '*' : ''),
          `${ms(c.latency.read?.p50us)} / ${ms(c.latency.read?.p99us)} / ${ms(c.latency.read?.p999us)}`,
          c.latency.update === undefined ? '-' : `${ms(c.latency.update.p50us)} / ${ms(c.latency.update.p99us)} / ${ms(c.latency.update.p999us)}`,
          p.GET.toFixed(3),
          p.PUT.toFixed(4),
          p.LIST.toFixed(4),
          p.HEAD.toFixed(4),
          p.DELETE.toFixed(4),
          (c.requests.bytesPerOp / 1024).toFixed(2),
          `$${c.requests.dollarsPerMillionOps.toFixed(3)}`,
          (c.storedBytes / MIB).toFixed(0),
          (c.rssBytes / MIB).toFixed(0),
        ]);
      }
    }
  }
  lines.push('');
  lines.push('Operations (* = stopped at --max-cell-seconds; latency p50 / p99 / p99.9 in ms, every operation timed; requests per operation as the proxy counted them, incl. background work)');
  lines.push(renderTable(['store', 'cell', 'in flight', 'ops/s', 'read ms', 'update ms', 'GET/op', 'PUT/op', 'LIST/op', 'HEAD/op', 'DEL/op', 'KiB/op', '$/M ops', 'stored MiB', 'RSS MiB'], rows));

  // Targets (issue 12): B zipf at 64 in flight (or the level nearest to it).
  const targets: CloudSummary['targets'] = [];
  const level = plan.inFlight.includes(64) ? 64 : plan.inFlight[0]!;
  const f2 = cells.find((c) => c.store === 'f2' && c.cell === 'B zipf' && c.inFlight === level);
  const sl = cells.find((c) => c.store === 'slatedb' && c.cell === 'B zipf' && c.inFlight === level);
  if (f2 !== undefined && sl !== undefined) {
    const ratio = f2.opsPerSec / sl.opsPerSec;
    targets.push({ name: `B zipf @${level}: f2 throughput >= 20x slatedb`, measured: `${ratio >= 1 ? ratio.toFixed(1) : ratio.toFixed(3)}x (${fmtInt(f2.opsPerSec)} vs ${fmtInt(sl.opsPerSec)} ops/s)`, pass: ratio >= 20 });
    const d = f2.requests.dollarsPerMillionOps / sl.requests.dollarsPerMillionOps;
    targets.push({ name: `B zipf @${level}: f2 $/M ops <= 1/10 of slatedb`, measured: `${d.toFixed(3)}x ($${f2.requests.dollarsPerMillionOps.toFixed(3)} vs $${sl.requests.dollarsPerMillionOps.toFixed(3)})`, pass: d <= 0.1 });
    const f2p99 = f2.latency.read?.p99us ?? Infinity;
    const slp50 = sl.latency.read?.p50us ?? 0;
    targets.push({ name: `B zipf @${level}: f2 read p99 < slatedb read p50`, measured: `${ms(f2p99)} ms vs ${ms(slp50)} ms`, pass: f2p99 < slp50 });
  }
  for (const r of results.values()) {
    const ok = r.load.verified.wrong === 0 && r.cells.every((c) => (c.cell === 'absent' ? c.hits === 0 : c.misses === 0));
    targets.push({ name: `${r.load.store}: load verified, no read missed, no absent key found`, measured: `${r.load.verified.checked - r.load.verified.wrong}/${r.load.verified.checked}`, pass: ok });
  }
  if (targets.length > 0) {
    lines.push('');
    lines.push('Issue 12 targets');
    lines.push(renderTable(['target', 'measured', 'result'], targets.map((t) => [t.name, t.measured, t.pass ? 'met' : 'NOT MET'])));
  }
  for (const f of failures) lines.push(`\n${f.store}: FAILED: ${f.error}`);
  for (const n of notes) lines.push(`note ${n}`);
  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);

  const command = `node dist/bench/cloud.js ${argv.join(' ')}`.trim();
  const summary: CloudSummary = {
    benchmark: 'cloud',
    date: new Date().toISOString(),
    command,
    backend: plan.backend,
    environment: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, commit: gitCommit(), loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg(), server: serverSource, wallSeconds: round(wallSeconds, 1) },
    records: plan.records,
    keySize: plan.keySize,
    valueSize: plan.valueSize,
    memoryBytes: plan.memory,
    opsPerCell: plan.ops,
    maxCellSeconds: plan.maxCellSeconds,
    inFlight: plan.inFlight,
    prices: plan.prices,
    checkpointEverySeconds: plan.checkpointEverySeconds,
    notes,
    loads,
    cells,
    targets,
    failures,
  };
  mkdirSync(dirname(plan.out), { recursive: true });
  writeFileSync(plan.out, `${JSON.stringify({ ...summary, plan, details: Object.fromEntries([...results].map(([s, r]) => [s, { maxRssBytes: r.maxRssBytes, details: r.details }])), table: text }, null, 2)}\n`);
  writeFileSync(plan.summary, `${JSON.stringify(summary, null, 1)}\n`);
  process.stdout.write(`\nJSON: ${plan.out}\nsummary: ${plan.summary}\n`);
  if (plan.plotsDir !== undefined && cells.length > 0) {
    const files = await renderCloudPlots(summary, plan.plotsDir);
    process.stdout.write(`plots: ${files.join(', ')}\n`);
  }
  if (failures.length > 0) process.exitCode = 1;
}

runBenchMain<ChildSpec, Awaited<ReturnType<typeof runChild>>>({
  child: runChild,
  label: (spec) => spec.store,
  parent: (argv) => parentMain(makePlan(new Flags(argv)), argv),
});
