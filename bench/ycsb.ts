/**
 * YCSB benchmark: f2kv (sync and async paths) beside a JS Map, lmdb-js and classic-level.
 *
 *   npm run bench                                   # scenario "memory": 1M records, 8 B keys/values
 *   node dist/bench/ycsb.js --scenario big          # 20M records in f2kv; where a Map gives up
 *   node dist/bench/ycsb.js --scenario larger-than-memory
 *   node dist/bench/ycsb.js --records 100k --ops 200k --peers map,lmdb --workloads B --dist zipf
 *
 * Each peer runs in its own child process (node --expose-gc), so memory deltas are clean and one
 * store's garbage or JIT state does not slow another. See bench/README.md for every column.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { Flags, parseBytes } from './lib/args.js';
import { SAMPLE_EVERY } from './lib/latency.js';
import { runChild, runMapLimit, type CellResult, type ChildResult, type ChildSpec, type PeerName } from './lib/runner.js';
import { fmtBytes, fmtInt, fmtMops, fmtRatio, fmtUs, renderTable } from './lib/table.js';
import { isDistribution, isWorkloadName, WORKLOADS, type Distribution, type WorkloadName } from './lib/workload.js';

type Scenario = 'memory' | 'big' | 'larger-than-memory';
const THIS_FILE = fileURLToPath(import.meta.url);
const REPO_ROOT = resolve(dirname(THIS_FILE), '..', '..');

interface Plan {
  scenario: Scenario;
  records: number;
  ops: number;
  warmup: number;
  maxCellSeconds: number;
  keySize: number;
  valueSize: number;
  workloads: WorkloadName[];
  dists: Distribution[];
  peers: PeerName[];
  seed: number;
  verify: number;
  device: 'memory' | 'file';
  logMemory: number;
  logMemorySpec: string;
  pageSize: number;
  buckets: number;
  mutableFraction: number;
  mapLimit: boolean;
  mapLimitTarget: number;
  dir: string | undefined;
  /** Extra node flags for the peer children, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
  childNodeFlags: string[];
  out: string;
}

const SCENARIOS: Record<Scenario, { records: number; ops: number; workloads: string; dists: string; peers: string; modes: string; device: 'memory' | 'file'; logMemory: string }> = {
  memory: { records: 1_000_000, ops: 2_000_000, workloads: 'A,B,C,F', dists: 'uniform,zipf', peers: 'map,lmdb,level', modes: 'sync,async', device: 'memory', logMemory: 'auto' },
  big: { records: 20_000_000, ops: 2_000_000, workloads: 'B', dists: 'zipf', peers: '', modes: 'sync', device: 'memory', logMemory: 'auto' },
  'larger-than-memory': { records: 10_000_000, ops: 1_000_000, workloads: 'B', dists: 'zipf', peers: 'level', modes: 'sync,async', device: 'file', logMemory: '10%' },
};

/** Bytes a record takes in f2kv's log: 24-byte header + key + value, 8-byte aligned. */
function f2kvRecordBytes(keySize: number, valueSize: number): number {
  return (24 + keySize + valueSize + 7) & ~7;
}

function pow2Floor(n: number): number {
  return 2 ** Math.floor(Math.log2(Math.max(1, n)));
}

function pow2Ceil(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}

function makePlan(flags: Flags): Plan {
  const scenarioName = flags.string('scenario', 'memory');
  if (scenarioName !== 'memory' && scenarioName !== 'big' && scenarioName !== 'larger-than-memory') {
    throw new Error(`--scenario: expected memory, big or larger-than-memory, got "${scenarioName}"`);
  }
  const scenario: Scenario = scenarioName;
  const d = SCENARIOS[scenario];
  const records = flags.count('records', d.records);
  const ops = flags.count('ops', d.ops);
  const keySize = flags.count('key-size', 8);
  const valueSize = flags.count('value-size', 8);
  if (keySize < 4) throw new Error('--key-size must be at least 4 bytes (keys are the record number)');
  const workloads = flags.list('workloads', d.workloads.split(',')).map((w) => w.toUpperCase());
  for (const w of workloads) if (!isWorkloadName(w)) throw new Error(`--workloads: unknown workload "${w}" (A, B, C, F)`);
  const dists = flags.list('dist', d.dists.split(','));
  for (const x of dists) if (!isDistribution(x)) throw new Error(`--dist: unknown distribution "${x}" (uniform, zipf)`);
  const peerList = flags.list('peers', d.peers === '' ? [] : d.peers.split(','));
  const modes = flags.list('f2kv-modes', d.modes.split(','));
  const peers: PeerName[] = [];
  for (const p of peerList) {
    if (p !== 'map' && p !== 'lmdb' && p !== 'level' && p !== 'none') throw new Error(`--peers: unknown peer "${p}" (map, lmdb, level, none)`);
    if (p !== 'none') peers.push(p);
  }
  for (const m of modes) {
    if (m === 'sync') peers.push('f2kv-sync');
    else if (m === 'async') peers.push('f2kv-async');
    else if (m !== 'none') throw new Error(`--f2kv-modes: unknown mode "${m}" (sync, async, none)`);
  }
  const deviceRaw = flags.string('device', d.device);
  if (deviceRaw !== 'memory' && deviceRaw !== 'file') throw new Error(`--device: expected memory or file, got "${deviceRaw}"`);
  const device: 'memory' | 'file' = deviceRaw;

  const dataBytes = records * (keySize + valueSize);
  const logBytes = records * f2kvRecordBytes(keySize, valueSize);
  const logMemorySpec = flags.string('log-memory', d.logMemory);
  let logMemory: number;
  if (logMemorySpec === 'auto') {
    // Whole log in memory with room for updates copied to the tail: 2x the loaded log, power of two.
    logMemory = Math.max(64 * 2 ** 20, pow2Ceil(logBytes * 2));
  } else if (logMemorySpec.endsWith('%')) {
    // Percent of the user data (records x (key + value)), the stricter reading of "10% of the data".
    logMemory = Math.ceil((dataBytes * Number(logMemorySpec.slice(0, -1))) / 100);
  } else {
    const b = parseBytes(logMemorySpec);
    if (b === undefined) throw new Error(`--log-memory: expected auto, a percentage such as 10%, or a size such as 64MiB; got "${logMemorySpec}"`);
    logMemory = b;
  }
  const pageRaw = flags.optionalString('page-size');
  let pageSize: number;
  if (pageRaw !== undefined) {
    const b = parseBytes(pageRaw);
    if (b === undefined) throw new Error(`--page-size: cannot parse "${pageRaw}"`);
    pageSize = b;
  } else {
    // 4 MiB pages, smaller when the memory budget would hold fewer than 16 of them.
    pageSize = Math.max(64 * 1024, Math.min(4 * 2 ** 20, pow2Floor(logMemory / 16)));
  }
  logMemory = Math.ceil(logMemory / pageSize) * pageSize;
  // About 4 records per 7-slot bucket, to the nearest power of two: 2^18 buckets for 1M records,
  // 2^22 for 20M (4.8 per bucket).
  const buckets = flags.count('buckets', 2 ** Math.max(4, Math.round(Math.log2(records / 4))));
  const mutableFraction = Number(flags.string('mutable-fraction', '0.9'));
  const verifyRaw = flags.optionalString('verify');
  const verify = verifyRaw === 'all' ? records : verifyRaw !== undefined ? Number(verifyRaw) : scenario === 'big' ? records : Math.min(records, 200_000);
  const mapLimit = flags.bool('map-limit', scenario === 'big');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = flags.string('out', join(REPO_ROOT, 'bench', 'results', `ycsb-${scenario}-${stamp}.json`));
  const plan: Plan = {
    scenario,
    records,
    ops,
    warmup: flags.count('warmup', Math.min(200_000, Math.floor(ops / 10))),
    maxCellSeconds: Number(flags.string('max-cell-seconds', scenario === 'larger-than-memory' ? '30' : '15')),
    keySize,
    valueSize,
    workloads: workloads as WorkloadName[],
    dists: dists as Distribution[],
    peers,
    seed: flags.count('seed', 42),
    verify,
    device,
    logMemory,
    logMemorySpec,
    pageSize,
    buckets,
    mutableFraction,
    mapLimit,
    mapLimitTarget: flags.count('map-limit-target', 20_000_000),
    dir: flags.optionalString('dir'),
    childNodeFlags: flags.string('child-node-flags', '').split(' ').filter((x) => x.length > 0),
    out,
  };
  flags.rejectUnknown();
  return plan;
}

function childSpec(plan: Plan, peer: PeerName, dir: string | undefined): ChildSpec {
  return {
    peer,
    records: plan.records,
    ops: plan.ops,
    warmup: plan.warmup,
    maxCellSeconds: plan.maxCellSeconds,
    keySize: plan.keySize,
    valueSize: plan.valueSize,
    workloads: plan.workloads,
    dists: plan.dists,
    seed: plan.seed,
    verify: plan.verify,
    dir,
    f2kv: { device: plan.device, memorySize: plan.logMemory, pageSize: plan.pageSize, buckets: plan.buckets, mutableFraction: plan.mutableFraction },
  };
}

interface ChildOutcome {
  peer: string;
  result: ChildResult | undefined;
  error: string | undefined;
  stdoutTail: string;
}

function runInChild(args: string[], nodeFlags: string[], resultFile: string | undefined, label: string): Promise<{ code: number | null; signal: string | null; stdout: string; result: string | undefined }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, THIS_FILE, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (stdout.length > 1 << 16) stdout = stdout.slice(-(1 << 15));
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      let result: string | undefined;
      if (resultFile !== undefined) {
        try {
          result = readFileSync(resultFile, 'utf8');
        } catch {
          result = undefined;
        }
      }
      if (code !== 0) process.stderr.write(`  ${label}: child exited with code ${code} signal ${signal}\n`);
      resolvePromise({ code, signal, stdout, result });
    });
  });
}

async function runPeer(plan: Plan, peer: PeerName, workDir: string): Promise<ChildOutcome> {
  const resultFile = join(workDir, `${peer}.json`);
  const dir = plan.dir === undefined ? undefined : join(plan.dir, peer);
  if (dir !== undefined) mkdirSync(dir, { recursive: true });
  const spec = childSpec(plan, peer, dir);
  process.stderr.write(`\n${peer}: child process\n`);
  const r = await runInChild(['--child', Buffer.from(JSON.stringify(spec)).toString('base64url'), '--child-out', resultFile], ['--expose-gc', ...plan.childNodeFlags], resultFile, peer);
  if (r.result === undefined) {
    return { peer, result: undefined, error: `child exited with code ${r.code} signal ${r.signal}`, stdoutTail: r.stdout.slice(-2000) };
  }
  const parsed = JSON.parse(r.result) as { ok: true; result: ChildResult } | { ok: false; error: string };
  return parsed.ok ? { peer, result: parsed.result, error: undefined, stdoutTail: '' } : { peer, result: undefined, error: parsed.error, stdoutTail: '' };
}

interface MapLimitOutcome {
  target: number;
  count: number;
  error: string | undefined;
  seconds: number | undefined;
  rssBytes: number | undefined;
  exit: string;
}

async function runMapLimitChild(plan: Plan, workDir: string): Promise<MapLimitOutcome> {
  const resultFile = join(workDir, 'map-limit.json');
  process.stderr.write(`\nmap-limit: child process inserting up to ${fmtInt(plan.mapLimitTarget)} entries into a Map<string, Uint8Array>\n`);
  const r = await runInChild(
    ['--map-limit-child', String(plan.mapLimitTarget), '--key-size', String(plan.keySize), '--value-size', String(plan.valueSize), '--child-out', resultFile],
    ['--max-old-space-size=12288'],
    resultFile,
    'map-limit',
  );
  const exit = `code ${r.code} signal ${r.signal}`;
  if (r.result !== undefined) {
    const x = JSON.parse(r.result) as { count: number; error: string | undefined; seconds: number; rss: number };
    return { target: plan.mapLimitTarget, count: x.count, error: x.error, seconds: x.seconds, rssBytes: x.rss, exit };
  }
  const last = /map-limit (\d+)\s*$/.exec(r.stdout.trimEnd());
  return { target: plan.mapLimitTarget, count: last ? Number(last[1]) : 0, error: `process died (${exit}), count is the last progress line`, seconds: undefined, rssBytes: undefined, exit };
}

function cellOf(r: ChildResult | undefined, w: WorkloadName, d: Distribution): CellResult | undefined {
  return r?.cells.find((c) => c.workload === w && c.dist === d);
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

async function parentMain(plan: Plan, argv: readonly string[]): Promise<void> {
  const kv = plan.keySize + plan.valueSize;
  process.stderr.write(
    `YCSB scenario=${plan.scenario} records=${fmtInt(plan.records)} ops=${fmtInt(plan.ops)} (+${fmtInt(plan.warmup)} warm-up) key=${plan.keySize} B value=${plan.valueSize} B seed=${plan.seed}\n` +
      `f2kv: device=${plan.device} logMemory=${fmtInt(plan.logMemory)} B (${plan.logMemorySpec}) pageSize=${fmtInt(plan.pageSize)} buckets=${fmtInt(plan.buckets)}\n`,
  );
  const loadAtStart = loadavg();
  const workDir = mkdtempSync(join(tmpdir(), 'f2kv-ycsb-'));
  const outcomes: ChildOutcome[] = [];
  let mapLimit: MapLimitOutcome | undefined;
  try {
    for (const peer of plan.peers) outcomes.push(await runPeer(plan, peer, workDir));
    if (plan.mapLimit) mapLimit = await runMapLimitChild(plan, workDir);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }

  const byPeer = new Map<string, ChildResult>();
  for (const o of outcomes) if (o.result !== undefined) byPeer.set(o.peer, o.result);
  const peersRun = plan.peers.filter((p) => byPeer.has(p));
  const f2kvModes = peersRun.filter((p) => p.startsWith('f2kv'));
  const others = peersRun.filter((p) => !p.startsWith('f2kv'));

  const lines: string[] = [];
  lines.push('');
  lines.push(
    `YCSB ${plan.scenario}: ${fmtInt(plan.records)} records, ${fmtInt(plan.ops)} ops per cell, key ${plan.keySize} B, value ${plan.valueSize} B, seed ${plan.seed}; ` +
      `f2kv device ${plan.device}, log memory ${fmtInt(plan.logMemory)} B, page ${fmtInt(plan.pageSize)} B, ${fmtInt(plan.buckets)} buckets`,
  );
  lines.push(
    `node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, commit ${gitCommit() ?? '?'}, ` +
      `load average at start ${loadAtStart.map((x) => x.toFixed(1)).join(' ')}, at end ${loadavg().map((x) => x.toFixed(1)).join(' ')}`,
  );

  // Throughput and ratios.
  const ratioPairs: [string, string][] = [];
  for (const f of f2kvModes) for (const o of others) ratioPairs.push([f, o]);
  if (f2kvModes.length === 2) ratioPairs.push(['f2kv-sync', 'f2kv-async']);
  const thrRows: string[][] = [];
  const latRows: string[][] = [];
  const ratiosJson: { workload: string; dist: string; a: string; b: string; ratio: number }[] = [];
  for (const d of plan.dists) {
    for (const w of plan.workloads) {
      const row = [`${w} ${d}`];
      const lrow = [`${w} ${d}`];
      for (const p of peersRun) {
        const c = cellOf(byPeer.get(p), w, d);
        row.push(c ? `${fmtMops(c.opsPerSec)}${c.capped ? '*' : ''}` : '-');
        lrow.push(c ? `${fmtUs(c.latency.p50us)} / ${fmtUs(c.latency.p99us)}` : '-');
      }
      for (const [a, b] of ratioPairs) {
        const ca = cellOf(byPeer.get(a), w, d);
        const cb = cellOf(byPeer.get(b), w, d);
        const ratio = ca && cb ? ca.opsPerSec / cb.opsPerSec : NaN;
        row.push(fmtRatio(ratio));
        if (Number.isFinite(ratio)) ratiosJson.push({ workload: w, dist: d, a, b, ratio });
      }
      thrRows.push(row);
      latRows.push(lrow);
    }
  }
  if (peersRun.length > 0) {
    const short = (p: string): string => p.replace('f2kv-', '');
    lines.push('');
    lines.push('Throughput (million ops/s, one operation in flight) and f2kv / peer ratios');
    lines.push(renderTable(['workload', ...peersRun, ...ratioPairs.map(([a, b]) => `${short(a)}/${short(b)}`)], thrRows));
    if ([...byPeer.values()].some((r) => r.cells.some((c) => c.capped))) {
      lines.push(`* cell stopped after --max-cell-seconds ${plan.maxCellSeconds}; ops/s is over the operations completed (see JSON)`);
    }
    lines.push('');
    lines.push(`Latency p50 / p99 (µs, every ${SAMPLE_EVERY}th operation timed)`);
    lines.push(renderTable(['workload', ...peersRun], latRows));

    // Memory.
    const memRows: string[][] = [];
    for (const p of peersRun) {
      const r = byPeer.get(p)!;
      const structural = r.memory.structuralPerRecord;
      const misses = r.cells.reduce((s, c) => s + c.misses, 0);
      const pending = r.cells.reduce((s, c) => s + c.pendingFallbacks, 0);
      memRows.push([
        p,
        r.load.seconds.toFixed(2),
        fmtMops(r.load.opsPerSec),
        fmtBytes(r.memory.rssPerRecord),
        fmtBytes(r.memory.heapExternalPerRecord),
        fmtBytes(r.memory.rssPerRecord - kv),
        structural === undefined ? '-' : fmtBytes(structural),
        structural === undefined ? '-' : fmtBytes(structural - kv),
        fmtBytes(r.memoryAtEnd.rssPerRecord),
        typeof r.details['fileBytes'] === 'number' ? fmtBytes(r.details['fileBytes'] / plan.records) : '-',
        `${r.verify.checked - r.verify.wrong}/${r.verify.checked}`,
        String(misses),
        String(pending),
      ]);
    }
    lines.push('');
    lines.push(`Load and memory (B/rec = bytes per record after load and full GC; key+value = ${kv} B)`);
    lines.push(
      renderTable(
        ['peer', 'load s', 'load Mops/s', 'rss B/rec', 'heap+ext B/rec', 'rss beyond k+v', 'f2kv struct B/rec', 'struct beyond k+v', 'rss B/rec at end', 'files B/rec', 'verified', 'misses', 'pending'],
        memRows,
      ),
    );
  }

  for (const o of outcomes) if (o.error !== undefined) lines.push(`\n${o.peer}: FAILED: ${o.error}${o.stdoutTail ? `\n${o.stdoutTail}` : ''}`);

  if (mapLimit !== undefined) {
    lines.push('');
    lines.push(
      `Map<string, Uint8Array> limit: stopped at ${fmtInt(mapLimit.count)} of ${fmtInt(mapLimit.target)} entries` +
        (mapLimit.error !== undefined ? ` — ${mapLimit.error}` : ' (no error)') +
        (mapLimit.rssBytes !== undefined ? `; rss ${(mapLimit.rssBytes / 2 ** 30).toFixed(2)} GiB` : ''),
    );
  }

  const targets = targetChecks(plan, byPeer);
  if (targets.length > 0) {
    lines.push('');
    lines.push('Issue 2 targets');
    lines.push(renderTable(['target', 'measured', 'result'], targets.map((t) => [t.name, t.measured, t.pass ? 'met' : 'NOT MET'])));
  }
  for (const p of peersRun) for (const n of byPeer.get(p)!.notes) lines.push(`note ${p}: ${n}`);

  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);

  mkdirSync(dirname(plan.out), { recursive: true });
  const json = {
    benchmark: 'ycsb',
    date: new Date().toISOString(),
    command: `node dist/bench/ycsb.js ${argv.join(' ')}`.trim(),
    environment: { loadAverageAtEnd: loadavg(), node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemBytes: totalmem(), platform: process.platform, commit: gitCommit() },
    plan,
    workloads: Object.fromEntries(plan.workloads.map((w) => [w, WORKLOADS[w]])),
    latencySampleEvery: SAMPLE_EVERY,
    results: outcomes,
    ratios: ratiosJson,
    mapLimit,
    targets,
    table: text,
  };
  writeFileSync(plan.out, `${JSON.stringify(json, null, 2)}\n`);
  process.stdout.write(`\nJSON: ${plan.out}\n`);
}

function targetChecks(plan: Plan, byPeer: Map<string, ChildResult>): { name: string; measured: string; pass: boolean }[] {
  const out: { name: string; measured: string; pass: boolean }[] = [];
  const ops = (p: string, w: WorkloadName, d: Distribution): number | undefined => cellOf(byPeer.get(p), w, d)?.opsPerSec;
  const best = (w: WorkloadName, d: Distribution): number | undefined => {
    const xs = [ops('f2kv-sync', w, d), ops('f2kv-async', w, d)].filter((x): x is number => x !== undefined);
    return xs.length === 0 ? undefined : Math.max(...xs);
  };
  const ratio = (name: string, a: number | undefined, b: number | undefined, min: number): void => {
    if (a === undefined || b === undefined) return;
    out.push({ name, measured: fmtRatio(a / b), pass: a / b >= min });
  };
  if (plan.scenario === 'memory') {
    ratio('B zipf: fastest f2kv API >= 0.5x Map', best('B', 'zipf'), ops('map', 'B', 'zipf'), 0.5);
    ratio('B zipf: f2kv async >= 0.3x Map', ops('f2kv-async', 'B', 'zipf'), ops('map', 'B', 'zipf'), 0.3);
    ratio('B zipf: fastest f2kv API >= 4x lmdb', best('B', 'zipf'), ops('lmdb', 'B', 'zipf'), 4);
    ratio('A uniform: fastest f2kv API >= 3x lmdb', best('A', 'uniform'), ops('lmdb', 'A', 'uniform'), 3);
  }
  for (const p of ['f2kv-sync', 'f2kv-async']) {
    const r = byPeer.get(p);
    if (r === undefined) continue;
    const kv = plan.keySize + plan.valueSize;
    const s = r.memory.structuralPerRecord;
    // Bytes per record only mean "memory per record" when every record is in memory.
    if (plan.device === 'memory' && s !== undefined) out.push({ name: `${p}: structural bytes beyond key+value <= 48`, measured: fmtBytes(s - kv), pass: s - kv <= 48 });
    if (plan.device === 'memory') out.push({ name: `${p}: rss bytes beyond key+value <= 48`, measured: fmtBytes(r.memory.rssPerRecord - kv), pass: r.memory.rssPerRecord - kv <= 48 });
    if (plan.scenario !== 'memory') {
      const ok = r.verify.wrong === 0 && r.cells.every((c) => c.misses === 0);
      out.push({ name: `${p}: ${fmtInt(plan.records)} records loaded, verified, workloads completed`, measured: `${r.verify.checked - r.verify.wrong}/${r.verify.checked} verified`, pass: ok });
    }
  }
  return out;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    const spec = JSON.parse(Buffer.from(argv[1]!, 'base64url').toString('utf8')) as ChildSpec;
    const outFile = argv[3]!;
    try {
      const result = await runChild(spec);
      writeFileSync(outFile, JSON.stringify({ ok: true, result }));
    } catch (e) {
      const msg = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
      process.stderr.write(`${spec.peer}: ${msg}\n`);
      writeFileSync(outFile, JSON.stringify({ ok: false, error: msg }));
    }
    return;
  }
  if (argv[0] === '--map-limit-child') {
    const flags = new Flags(argv.slice(2));
    const keySize = flags.count('key-size', 8);
    const valueSize = flags.count('value-size', 8);
    const outFile = flags.string('child-out', '');
    const r = runMapLimit(Number(argv[1]), keySize, valueSize);
    writeFileSync(outFile, JSON.stringify(r));
    return;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(readFileSync(join(REPO_ROOT, 'bench', 'README.md'), 'utf8'));
    return;
  }
  const plan = makePlan(new Flags(argv));
  await parentMain(plan, argv);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
