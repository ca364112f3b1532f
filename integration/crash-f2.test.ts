/**
 * Crash tests of the two-tier store F2Kv (issue 9): the crash worker (test/crash/worker.ts) runs
 * sessions of writes against an F2Kv whose hot log has a tiny budget (hot → cold migration runs
 * all the time), whose cold tier has small pages, a small cold-log budget and a chunk cache smaller
 * than its hash chunks (cold compaction and chunk I/O happen), with periodic two-tier checkpoints
 * and explicit compactHotLog() / compactColdLog() calls at random moments. It is killed with
 * SIGKILL at one of four kinds of moments:
 *   - random: after a random time;
 *   - checkpoint: soon after the n-th CKPT-START (inside the two-tier checkpoint);
 *   - migrate: soon after the n-th MIGRATE-START (inside an explicit hot → cold migration);
 *   - cold-compact: soon after the n-th COLD-COMPACT-START (inside a cold → cold compaction).
 * After each kill this process recovers the store and checks:
 *   - no error on open (a CorruptionError fails the test);
 *   - the recovered checkpoint covers every acknowledged one: per session, its serial is at
 *     least the serial of the last `CKPT` line the worker printed (or of the state the worker
 *     started from), and it is that very checkpoint unless one was in flight at the kill;
 *   - each session's keys hold exactly the state after its operations 1..recoveredSerial (reads
 *     through hot, read cache and cold);
 *   - continueSession(id).serial is the recovered serial;
 * then closes the store (a final two-tier checkpoint), and the next worker continues from there.
 * Some recoveries happen on a "fresh machine": the hot log directory is deleted before the open,
 * so the hot tier is rebuilt from the checkpoint store alone.
 *
 * Most kills run with everything in local directories; some with the cold tier and the
 * checkpoints on MinIO (the hot log stays local, as in production).
 *
 * Replay with F2KV_SEED=<seed> (printed). Iterations: F2KV_CRASH_F2_LOCAL_KILLS (40),
 * F2KV_CRASH_F2_S3_KILLS (12); about 2.5 + 2 minutes on a 2-core machine (the recovery checks
 * read 3,200 keys, most from the cold tier, after every kill).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prng } from '../src/core/prng.js';
import { F2Kv } from '../src/index.js';
import type { OpenObjectStoreOptions } from '../src/devices/open-object-store.js';
import { testSeed } from '../test/helpers/prng.js';
import { buildWorker } from '../test/crash/build-worker.js';
import { continueSession, openStore, recoveredOf, type ColdLocation, type StoreLocation } from '../test/crash/store-api.js';
import { verifyAbsentSession, verifySession } from '../test/crash/verify.js';
import type { WorkerConfig } from '../test/crash/worker.js';
import { SessionOracle, sessionIds, type WorkloadParams } from '../test/crash/workload.js';
import { freshPrefix, minioStoreOptions, scratchDirAndStore, withBackend } from './backends.js';

const SEED = testSeed('crash-f2');
const MAX_SESSIONS = 8;
const KEY_SPACE = 400;
const VERIFIER = 'verifier';
/** A checkpoint older than this when the kill timer fires is allowed to finish first... */
const SLOW_CHECKPOINT_MS = 1500;
/**
 * ...within this many ms of its start; otherwise the test fails (a checkpoint that hangs). An F2
 * checkpoint first waits for the migration pass in progress (a compactHotLog() of the whole hot
 * log: seconds on MinIO), hence the margin.
 */
const STUCK_CHECKPOINT_MS = 15_000;
/** A kill planned at the n-th announcement of an event that never comes falls back to this timer. */
const FALLBACK_KILL_MS = 6000;

/** The events the worker announces (…-START) and completes. */
const EVENTS = ['checkpoint', 'migrate', 'cold-compact'] as const;
type EventKind = (typeof EVENTS)[number];
type MomentKind = 'random' | EventKind;
const MOMENTS: readonly MomentKind[] = ['random', ...EVENTS];
const START_PREFIX: Record<EventKind, string> = { checkpoint: 'CKPT-START ', migrate: 'MIGRATE-START ', 'cold-compact': 'COLD-COMPACT-START ' };
const DONE_PREFIX: Record<EventKind, string> = { checkpoint: 'CKPT ', migrate: 'MIGRATE ', 'cold-compact': 'COLD-COMPACT ' };

interface Totals {
  kills: number;
  recoveries: number;
  /** Operations whose effect was checked for the first time (sum of recovered serial advances). */
  opsVerified: number;
  /** Key reads compared with the oracle. */
  keysChecked: number;
  /** Kills by the moment the plan aimed at. */
  killsByMoment: Record<MomentKind, number>;
  /** Kills while such an operation had started and not completed (whatever the plan). */
  inFlightAtKill: Record<EventKind, number>;
  freshMachineRecoveries: number;
  checkpointsAcknowledged: number;
  migrationsCompleted: number;
  coldCompactionsCompleted: number;
}

const totals: Record<string, Totals> = {};

function log(text: string): void {
  process.stdout.write(`[crash-f2] ${text}\n`);
}

let workerJs = '';

beforeAll(async () => {
  const t0 = Date.now();
  workerJs = await buildWorker();
  log(`worker built in ${Date.now() - t0} ms: ${workerJs}`);
}, 120_000);

const fmt = (r: Record<string, number>): string => Object.entries(r).map(([k, v]) => `${k}:${v}`).join(',');

function describeTotals(t: Totals): string {
  return (
    `kills=${t.kills} recoveries=${t.recoveries} opsVerified=${t.opsVerified} keysChecked=${t.keysChecked} ` +
    `killsByMoment={${fmt(t.killsByMoment)}} inFlightAtKill={${fmt(t.inFlightAtKill)}} freshMachineRecoveries=${t.freshMachineRecoveries} ` +
    `checkpointsAcknowledged=${t.checkpointsAcknowledged} migrationsCompleted=${t.migrationsCompleted} coldCompactionsCompleted=${t.coldCompactionsCompleted}`
  );
}

afterAll(() => {
  const all = Object.values(totals);
  if (all.length === 0) return;
  for (const [name, t] of Object.entries(totals)) log(`${name}: ${describeTotals(t)}`);
  const sum = newTotals();
  for (const t of all) {
    for (const k of ['kills', 'recoveries', 'opsVerified', 'keysChecked', 'freshMachineRecoveries', 'checkpointsAcknowledged', 'migrationsCompleted', 'coldCompactionsCompleted'] as const) sum[k] += t[k];
    for (const m of MOMENTS) sum.killsByMoment[m] += t.killsByMoment[m];
    for (const e of EVENTS) sum.inFlightAtKill[e] += t.inFlightAtKill[e];
  }
  log(`TOTAL: ${describeTotals(sum)} (seed ${SEED})`);
});

function newTotals(): Totals {
  return {
    kills: 0, recoveries: 0, opsVerified: 0, keysChecked: 0,
    killsByMoment: { random: 0, checkpoint: 0, migrate: 0, 'cold-compact': 0 },
    inFlightAtKill: { checkpoint: 0, migrate: 0, 'cold-compact': 0 },
    freshMachineRecoveries: 0, checkpointsAcknowledged: 0, migrationsCompleted: 0, coldCompactionsCompleted: 0,
  };
}

interface Acknowledged {
  token: string | null;
  sessions: Record<string, number>;
}

interface WorkerRun {
  ready: Acknowledged;
  /** The last checkpoint the worker saw resolve, if any. */
  lastCkpt?: Acknowledged;
  started: Record<EventKind, number>;
  done: Record<EventKind, number>;
  /** Which operations were in flight (started, not completed) at the kill. */
  inFlight: Record<EventKind, boolean>;
  /** Durations of the completed checkpoints as seen by this process (CKPT-START to CKPT), ms. */
  checkpointMs: number[];
  /** A checkpoint did not complete within STUCK_CHECKPOINT_MS (the worker was killed then). */
  stuck: string | undefined;
  /** The last MIGRATE / COLD-COMPACT result lines. */
  lastResult: Partial<Record<EventKind, string>>;
  moment: MomentKind;
  killedBy: string;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  stderr: string;
  readyMs: number;
}

/** Runs one worker until it is killed at a moment of kind `moment`, details drawn from `rng`. */
async function runWorker(loc: StoreLocation, cfg: WorkerConfig, moment: MomentKind, rng: Prng, readyTimeoutMs: number): Promise<WorkerRun> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [workerJs, JSON.stringify(cfg)], {
    env: { ...process.env, F2KV_CRASH_STORE: JSON.stringify(loc) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn the crash worker');
  // The n-th event and the delay after its announcement. A checkpoint's critical steps come
  // early; migrations last 100s of ms and cold compactions seconds (about 1 ms per record).
  const target = 1 + rng.nextInt(moment === 'checkpoint' ? 3 : moment === 'migrate' ? 2 : 1);
  const maxDelayMs = moment === 'checkpoint' ? 30 : moment === 'migrate' ? 250 : 1500;
  const eventDelayMs = rng.nextFloat() < 0.3 ? 0 : rng.nextInt(maxDelayMs);
  // Migration throttles writers (the hot budget is tiny) and a checkpoint waits for a migration
  // pass: give the worker time to acknowledge checkpoints.
  const timerMs = 150 + rng.nextInt(2500);

  const started: Record<EventKind, number> = { checkpoint: 0, migrate: 0, 'cold-compact': 0 };
  const done: Record<EventKind, number> = { checkpoint: 0, migrate: 0, 'cold-compact': 0 };
  const startedAt: Record<EventKind, number> = { checkpoint: 0, migrate: 0, 'cold-compact': 0 };
  const open = (e: EventKind): boolean => started[e] > done[e];
  let inFlight: Record<EventKind, boolean> = { checkpoint: false, migrate: false, 'cold-compact': false };
  const lastResult: Partial<Record<EventKind, string>> = {};
  let killedBy = '';
  let killed = false;
  let stuck: string | undefined;
  let deferred = false;
  let readyMs = 0;
  const kill = (why: string): void => {
    if (killed) return;
    killed = true;
    killedBy = why;
    inFlight = { checkpoint: open('checkpoint'), migrate: open('migrate'), 'cold-compact': open('cold-compact') };
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone: reported through the exit status
    }
  };

  let ready: Acknowledged | undefined;
  let lastCkpt: Acknowledged | undefined;
  const checkpointMs: number[] = [];
  let stderr = '';
  let buffered = '';
  let timer: NodeJS.Timeout | undefined;
  const readyTimer = setTimeout(() => kill(`no READY within ${readyTimeoutMs} ms`), readyTimeoutMs);

  const onLine = (text: string): void => {
    if (text.startsWith('READY ')) {
      clearTimeout(readyTimer);
      readyMs = performance.now() - spawnedAt;
      const r = JSON.parse(text.slice(6)) as { token: string | null; sessions: Record<string, number> };
      ready = { token: r.token, sessions: r.sessions };
      if (moment === 'random') {
        timer = setTimeout(() => {
          // A checkpoint that has run long already: let it finish first (and fail if it never
          // does), so that a checkpoint that hangs is reported instead of hidden by the kill.
          const age = performance.now() - startedAt.checkpoint;
          if (open('checkpoint') && age > SLOW_CHECKPOINT_MS) {
            deferred = true;
            timer = setTimeout(() => {
              stuck = `checkpoint ${started.checkpoint} did not complete within ${STUCK_CHECKPOINT_MS} ms`;
              kill(`timer ${timerMs} ms + ${stuck}`);
            }, STUCK_CHECKPOINT_MS - age);
          } else {
            kill(`timer ${timerMs} ms`);
          }
        }, timerMs);
      } else {
        timer = setTimeout(() => {
          const age = performance.now() - startedAt.checkpoint;
          if (open('checkpoint') && age > STUCK_CHECKPOINT_MS) stuck = `checkpoint ${started.checkpoint} did not complete within ${Math.round(age)} ms`;
          kill(`fallback timer (${moment} ${target} never started)`);
        }, FALLBACK_KILL_MS);
      }
      return;
    }
    for (const e of EVENTS) {
      if (text.startsWith(START_PREFIX[e])) {
        started[e]++;
        startedAt[e] = performance.now();
        if (moment === e && started[e] === target) {
          if (eventDelayMs === 0) kill(`${e} ${target} start +0 ms`);
          else setTimeout(() => kill(`${e} ${target} start +${eventDelayMs} ms`), eventDelayMs);
        }
        return;
      }
    }
    for (const e of EVENTS) {
      if (text.startsWith(DONE_PREFIX[e])) {
        done[e]++;
        if (e === 'checkpoint') {
          const m = /^CKPT (\S+) (.*)$/.exec(text);
          if (!m) throw new Error(`bad CKPT line: ${text}`);
          checkpointMs.push(performance.now() - startedAt.checkpoint);
          if (deferred) kill(`timer ${timerMs} ms, deferred until slow checkpoint ${done.checkpoint} completed`);
          lastCkpt = { token: m[1]!, sessions: JSON.parse(m[2]!) as Record<string, number> };
        } else {
          lastResult[e] = text.slice(DONE_PREFIX[e].length);
        }
        return;
      }
    }
  };
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8000);
  });
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => child.on('close', (code, signal) => resolveExit({ code, signal })));
  clearTimeout(readyTimer);
  if (timer) clearTimeout(timer);
  if (!ready) throw new Error(`worker never became ready (${killedBy || `exit ${exit.code} ${exit.signal}`}):\n${stderr}`);
  return { ready, lastCkpt, started, done, inFlight, checkpointMs, stuck, lastResult, moment, killedBy, exit, stderr, readyMs };
}

/** Checks that no session went backwards from what was acknowledged. */
function coveredBy(recovered: Record<string, number>, acknowledged: Record<string, number>, what: string): void {
  for (const [sid, serial] of Object.entries(acknowledged)) {
    if (serial === 0) continue; // a session without operations has nothing to lose
    const got = recovered[sid];
    if (got === undefined || got < serial) {
      throw new Error(`${what}: session ${sid} acknowledged up to serial ${serial}, recovered ${got === undefined ? 'no such session' : `serial ${got}`} (lost acknowledged operations)`);
    }
  }
}

interface LoopOptions {
  iterations: number;
  seed: number;
  readyTimeoutMs: number;
  /** The hot log directory (deleted before a fresh-machine recovery). */
  hotDir: string;
  /** Iterations (0-based) whose recovery happens on a fresh machine. */
  freshMachineAt: ReadonlySet<number>;
}

async function crashLoop(name: string, loc: StoreLocation, o: LoopOptions): Promise<void> {
  const t = newTotals();
  totals[name] = t;
  const params: WorkloadParams = { seed: o.seed, keySpace: KEY_SPACE };
  const oracles = new Map<string, SessionOracle>(sessionIds(MAX_SESSIONS).map((sid) => [sid, new SessionOracle(params, sid)]));
  const rng = new Prng(o.seed ^ 0x5bd1e995);
  // Serials the last recovery verified (and the close after it checkpointed): the next worker's start.
  let verified: Record<string, number> = {};
  const started = Date.now();

  for (let i = 0; i < o.iterations; i++) {
    const iterationStart = performance.now();
    const ids = sessionIds(MAX_SESSIONS);
    for (let j = ids.length - 1; j > 0; j--) {
      const k = rng.nextInt(j + 1);
      [ids[j], ids[k]] = [ids[k]!, ids[j]!];
    }
    const active = ids.slice(0, rng.nextFloat() < 0.25 ? MAX_SESSIONS : 1 + rng.nextInt(MAX_SESSIONS)).sort();
    // The moments cycle through the four kinds, so that each kind gets its share.
    const moment = MOMENTS[(i + (o.seed % 4)) % 4]!;
    const cfg: WorkerConfig = {
      seed: o.seed,
      keySpace: KEY_SPACE,
      active,
      maxWindow: 1 + rng.nextInt(24),
      checkpointEveryMs: 60 + rng.nextInt(300),
      scheduleSeed: rng.nextUint32(),
      maxRunMs: 30_000,
      opsPerSecond: [2_000, 10_000, 40_000, 0][rng.nextInt(4)]!,
      migrateEveryMs: 40 + rng.nextInt(300),
      coldCompactEveryMs: 60 + rng.nextInt(400),
    };
    const run = await runWorker(loc, cfg, moment, rng, o.readyTimeoutMs);
    const label = `${name} #${i + 1}`;
    const settings = `sessions ${active.join(',')}, ${cfg.opsPerSecond || 'max'} ops/s, window ≤${cfg.maxWindow}, checkpoint ~${cfg.checkpointEveryMs} ms, migrate ~${cfg.migrateEveryMs} ms, cold compaction ~${cfg.coldCompactEveryMs} ms`;
    if (run.exit.signal !== 'SIGKILL') {
      throw new Error(`${label}: the worker exited by itself (code ${run.exit.code}, signal ${run.exit.signal}) before the kill (${settings}):\n${run.stderr}`);
    }
    if (run.stuck !== undefined) throw new Error(`${label}: ${run.stuck} (${settings})`);
    t.kills++;
    t.killsByMoment[moment]++;
    for (const e of EVENTS) if (run.inFlight[e]) t.inFlightAtKill[e]++;
    t.checkpointsAcknowledged += run.done.checkpoint;
    t.migrationsCompleted += run.done.migrate;
    t.coldCompactionsCompleted += run.done['cold-compact'];

    // The worker started from the checkpoint that the previous verifier's close() took.
    if (i > 0 && run.ready.token === null) throw new Error(`${label}: the worker recovered nothing after the verifier closed the store`);
    for (const [sid, serial] of Object.entries(verified)) {
      expect(run.ready.sessions[sid], `${label}: worker's recovered serial of ${sid} (from the checkpoint of the verifier's close())`).toBe(serial);
    }

    const fresh = o.freshMachineAt.has(i);
    if (fresh) {
      await rm(o.hotDir, { recursive: true, force: true });
      t.freshMachineRecoveries++;
    }
    // Recover in this process.
    const openStart = performance.now();
    const store = await openStore(loc, true);
    const openMs = performance.now() - openStart;
    t.recoveries++;
    try {
      const rec = recoveredOf(store);
      const acknowledged = run.lastCkpt ?? run.ready;
      if (acknowledged.token !== null && rec === undefined) throw new Error(`${label}: nothing recovered, but checkpoint ${acknowledged.token} was acknowledged`);
      const recSessions = rec?.sessions ?? {};
      coveredBy(recSessions, acknowledged.sessions, label);
      if (rec !== undefined && rec.token !== acknowledged.token && !run.inFlight.checkpoint) {
        throw new Error(`${label}: recovered checkpoint ${rec.token}, but the last acknowledged one is ${acknowledged.token} and none was in flight`);
      }
      // Exact prefix per session.
      const verifier = continueSession(store, VERIFIER);
      const read = (key: string): Promise<Uint8Array | undefined> => verifier.read(key);
      let advanced = 0;
      const verifyStart = performance.now();
      for (const sid of sessionIds(MAX_SESSIONS)) {
        const serial = recSessions[sid];
        if (serial === undefined) {
          const stray = await verifyAbsentSession(sid, 16, read);
          if (stray.length > 0) throw new Error(`${label}: session ${sid} is not in the checkpoint but its keys exist: ${stray.join(', ')}`);
          continue;
        }
        expect(continueSession(store, sid).serial, `${label}: continueSession(${sid}).serial`).toBe(serial);
        const check = await verifySession(params, oracles.get(sid)!, serial, read);
        t.keysChecked += check.keysChecked;
        if (check.mismatchCount > 0) {
          throw new Error(
            `${label}: session ${sid} recovered at serial ${serial} is not the exact prefix (${check.mismatchCount} keys differ; killed by ${run.killedBy}; ` +
              `in flight: ${EVENTS.filter((e) => run.inFlight[e]).join(',') || 'none'}${fresh ? '; fresh machine' : ''}; ${settings}):\n  ${check.mismatches.join('\n  ')}`,
          );
        }
        advanced += serial - (verified[sid] ?? 0);
      }
      t.opsVerified += advanced;
      const verifyMs = performance.now() - verifyStart;
      const workerSum = (m: Record<string, number>): number => Object.entries(m).reduce((a, [sid, n]) => (sid === VERIFIER ? a : a + n), 0);
      const reads = store instanceof F2Kv ? store.stats().reads : undefined;
      log(
        `${label}: ${run.moment} kill: ${run.killedBy} (in flight: ${EVENTS.filter((e) => run.inFlight[e]).join(',') || 'none'}); ${settings}; ` +
          `ready in ${Math.round(run.readyMs)} ms; checkpoints ${run.done.checkpoint}/${run.started.checkpoint} (max ${Math.round(Math.max(0, ...run.checkpointMs))} ms), ` +
          `migrations ${run.done.migrate}/${run.started.migrate} ${run.lastResult.migrate ?? ''}, cold compactions ${run.done['cold-compact']}/${run.started['cold-compact']} ${run.lastResult['cold-compact'] ?? ''}; ` +
          `${fresh ? 'FRESH MACHINE (hot directory deleted); ' : ''}recovered ${rec?.token ?? 'none'} in ${Math.round(openMs)} ms ` +
          `(${workerSum(recSessions) - workerSum(acknowledged.sessions)} ops beyond the acknowledged ones); ${advanced} new ops verified in ${Math.round(verifyMs)} ms` +
          `${reads ? ` (verifier reads: ${JSON.stringify(reads)})` : ''}; iteration ${Math.round(performance.now() - iterationStart)} ms`,
      );
      verified = Object.fromEntries(Object.entries(recSessions).filter(([sid]) => sid !== VERIFIER));
    } finally {
      await store.close();
    }
  }
  log(`${name}: ${o.iterations} kills in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const envInt = (name: string, dflt: number): number => {
  const v = process.env[name];
  return v === undefined ? dflt : Number(v);
};

/**
 * Sizes that keep every F2 mechanism busy with ~3,200 keys of 20..220 bytes: 512 hash chunks of
 * 88 bytes (45 KB) against a chunk cache of which half holds chunk log pages, half read copies.
 */
function coldPart(url: string, store: OpenObjectStoreOptions | undefined, logPageSize: string): ColdLocation {
  return {
    url,
    ...(store !== undefined ? { store } : {}),
    hotBudget: '96KiB',
    logPageSize,
    logMemorySize: '128KiB',
    expectedKeys: 4096,
    chunkSize: '64B',
    chunkCacheSize: '64KiB',
    coldBudget: '1MiB',
    readCacheSize: '32KiB',
  };
}

/** `count` distinct iterations in [0, iterations), drawn from the seed (at least one). */
function freshMachineIterations(seed: number, iterations: number, count: number): Set<number> {
  const rng = new Prng(seed ^ 0x2545f491);
  const out = new Set<number>();
  while (out.size < Math.min(count, iterations)) out.add(rng.nextInt(iterations));
  return out;
}

describe('crash F2: hot log, cold tier and checkpoints in local directories', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'f2kv-crash-f2-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('survives SIGKILL at random moments, mid-checkpoint, mid-migration and mid-cold-compaction', async () => {
    const hotDir = join(dir, 'hot');
    await mkdir(hotDir, { recursive: true });
    const loc: StoreLocation = {
      logUrl: pathToFileURL(hotDir).href,
      checkpointUrl: pathToFileURL(join(dir, 'ckpt')).href,
      pageSize: '8KiB',
      memorySize: '64KiB',
      buckets: 1024,
      cold: coldPart(pathToFileURL(join(dir, 'cold')).href, undefined, '16KiB'),
    };
    const iterations = envInt('F2KV_CRASH_F2_LOCAL_KILLS', 40);
    await crashLoop('f2-local', loc, { iterations, seed: SEED, readyTimeoutMs: 20_000, hotDir, freshMachineAt: freshMachineIterations(SEED, iterations, 3) });
  }, 300_000);
});

withBackend('s3', 'crash F2: cold tier and checkpoints on MinIO', (s3) => {
  const prefix = freshPrefix('crash-f2');
  const storeOptions = minioStoreOptions(s3, { timeoutMs: 20_000 });
  const scratch = scratchDirAndStore('crash-f2-s3', `s3://${s3.bucket}/${prefix}`, storeOptions);

  it('survives SIGKILL at random moments, mid-checkpoint, mid-migration and mid-cold-compaction, with the hot log local', async () => {
    const hotDir = join(scratch.dir(), 'hot');
    await mkdir(hotDir, { recursive: true });
    const loc: StoreLocation = {
      logUrl: pathToFileURL(hotDir).href,
      checkpointUrl: `s3://${s3.bucket}/${prefix}/ckpt`,
      checkpointStore: storeOptions,
      pageSize: '8KiB',
      memorySize: '64KiB',
      buckets: 1024,
      cold: coldPart(`s3://${s3.bucket}/${prefix}/cold`, storeOptions, '32KiB'),
    };
    const iterations = envInt('F2KV_CRASH_F2_S3_KILLS', 12);
    await crashLoop('f2-minio', loc, { iterations, seed: SEED + 1, readyTimeoutMs: 30_000, hotDir, freshMachineAt: freshMachineIterations(SEED + 1, iterations, 1) });
  }, 240_000);
});
