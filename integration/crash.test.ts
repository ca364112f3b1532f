/**
 * Crash tests (issue 4, item 6): a child process (test/crash/worker.ts, compiled by
 * test/crash/build-worker.ts) runs sessions of writes with periodic checkpoints and is killed with
 * SIGKILL, at a random moment or just after it announced a checkpoint (CKPT-START), ≥ 35 times
 * with checkpoints in a local directory and ≥ 15 times with checkpoints on MinIO. After each kill
 * this process recovers the store and checks:
 *   - no error on open (a CorruptionError fails the test);
 *   - the recovered checkpoint covers every acknowledged checkpoint: per session, its serial is
 *     at least the serial of the last `CKPT` line the worker printed (or of the state the worker
 *     started from, when it acknowledged none), and it is that very checkpoint unless one was
 *     still in flight when the worker died;
 *   - each session's keys hold exactly the state after its operations 1..recoveredSerial;
 *   - continueSession(id).serial is the recovered serial;
 * then closes the store (a final checkpoint), and the next worker continues from there, so every
 * iteration also checks that a recovered store goes on writing and checkpointing.
 *
 * A checkpoint that has not completed 5 s after it started fails the test (it is hung, not slow).
 * About 30 % of the runs enable automatic compaction (a 6 MiB log budget) in the worker;
 * F2KV_CRASH_COMPACTION=0 turns that off.
 *
 * Replay a run with F2KV_SEED=<seed> (printed). Iterations: F2KV_CRASH_LOCAL_KILLS (36, half in
 * snapshot and half in fold-over mode), F2KV_CRASH_S3_KILLS (15).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prng } from '../src/core/prng.js';
import { testSeed } from '../test/helpers/prng.js';
import { buildWorker } from '../test/crash/build-worker.js';
import { openStore, recoveredOf, type StoreLocation } from '../test/crash/store-api.js';
import { verifyAbsentSession, verifySession } from '../test/crash/verify.js';
import type { WorkerConfig } from '../test/crash/worker.js';
import { SessionOracle, sessionIds, type WorkloadParams } from '../test/crash/workload.js';
import { freshPrefix, minioStoreOptions, scratchDirAndStore, withBackend } from './backends.js';

const SEED = testSeed('crash');
const MAX_SESSIONS = 8;
const KEY_SPACE = 400;
const VERIFIER = 'verifier';
/** A checkpoint older than this when the kill timer fires is allowed to finish first... */
const SLOW_CHECKPOINT_MS = 500;
/** ...within this many ms of its start; otherwise the test fails (a checkpoint that hangs). */
const STUCK_CHECKPOINT_MS = 5000;

interface Totals {
  kills: number;
  recoveries: number;
  /** Operations whose effect was checked for the first time (sum of recovered serial advances). */
  opsVerified: number;
  /** Key reads compared with the oracle. */
  keysChecked: number;
  midCheckpointKills: number;
  checkpointsAcknowledged: number;
  workerExitsWithoutKill: number;
}

const totals: Record<string, Totals> = {};

function log(text: string): void {
  process.stdout.write(`[crash] ${text}\n`);
}

let workerJs = '';

beforeAll(async () => {
  const t0 = Date.now();
  workerJs = await buildWorker();
  log(`worker built in ${Date.now() - t0} ms: ${workerJs}`);
}, 120_000);

afterAll(() => {
  const all = Object.values(totals);
  if (all.length === 0) return;
  const sum = (k: keyof Totals) => all.reduce((a, t) => a + t[k], 0);
  for (const [name, t] of Object.entries(totals)) {
    log(`${name}: kills=${t.kills} recoveries=${t.recoveries} opsVerified=${t.opsVerified} keysChecked=${t.keysChecked} midCheckpointKills=${t.midCheckpointKills} checkpointsAcknowledged=${t.checkpointsAcknowledged}`);
  }
  log(`TOTAL: kills=${sum('kills')} recoveries=${sum('recoveries')} opsVerified=${sum('opsVerified')} keysChecked=${sum('keysChecked')} midCheckpointKills=${sum('midCheckpointKills')} checkpointsAcknowledged=${sum('checkpointsAcknowledged')} (seed ${SEED})`);
});

interface Acknowledged {
  token: string | null;
  sessions: Record<string, number>;
}

interface WorkerRun {
  ready: Acknowledged;
  /** The last checkpoint the worker saw resolve, if any. */
  lastCkpt?: Acknowledged;
  checkpointsStarted: number;
  checkpointsDone: number;
  /** The worker died between a CKPT-START and its CKPT. */
  midCheckpoint: boolean;
  /** Durations of the completed checkpoints as seen by this process (CKPT-START to CKPT), ms. */
  checkpointMs: number[];
  /** Age of the unfinished checkpoint at the kill, ms. */
  openCheckpointMs: number | undefined;
  /** A checkpoint did not complete within STUCK_CHECKPOINT_MS (the worker was killed then). */
  stuck: string | undefined;
  killedBy: string;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  stderr: string;
}

/** Runs one worker until it is killed according to a plan drawn from `rng`. */
async function runWorker(loc: StoreLocation, cfg: WorkerConfig, rng: Prng, readyTimeoutMs: number): Promise<WorkerRun> {
  const child = spawn(process.execPath, [workerJs, JSON.stringify(cfg)], {
    env: { ...process.env, F2KV_CRASH_STORE: JSON.stringify(loc) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn the crash worker');
  // Kill plan: after a random time, or soon after the n-th checkpoint started.
  const byCheckpoint = rng.nextFloat() < 0.5;
  const targetCheckpoint = 1 + rng.nextInt(3);
  const checkpointDelayMs = rng.nextFloat() < 0.3 ? 0 : rng.nextInt(30);
  const timerMs = 80 + rng.nextInt(1500);
  let killedBy = '';
  let killed = false;
  let stuck: string | undefined;
  let deferred = false;
  const kill = (why: string) => {
    if (killed) return;
    killed = true;
    killedBy = why;
    if (openCheckpoint) openCheckpointMs = performance.now() - checkpointStartedAt;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone: reported through the exit status
    }
  };

  let ready: Acknowledged | undefined;
  let lastCkpt: Acknowledged | undefined;
  let started = 0;
  let done = 0;
  let openCheckpoint = false;
  let checkpointStartedAt = 0;
  let openCheckpointMs: number | undefined;
  const checkpointMs: number[] = [];
  let stderr = '';
  let buffered = '';
  let timer: NodeJS.Timeout | undefined;
  const readyTimer = setTimeout(() => kill(`no READY within ${readyTimeoutMs} ms`), readyTimeoutMs);

  const onLine = (text: string) => {
    if (text.startsWith('READY ')) {
      clearTimeout(readyTimer);
      const r = JSON.parse(text.slice(6)) as { token: string | null; sessions: Record<string, number> };
      ready = { token: r.token, sessions: r.sessions };
      if (!byCheckpoint) {
        timer = setTimeout(() => {
          // A checkpoint that has run long already: let it finish first (and fail if it never does),
          // so that a checkpoint that hangs is reported instead of hidden by the kill.
          const age = performance.now() - checkpointStartedAt;
          if (openCheckpoint && age > SLOW_CHECKPOINT_MS) {
            deferred = true;
            timer = setTimeout(() => {
              stuck = `checkpoint ${started} did not complete within ${STUCK_CHECKPOINT_MS} ms`;
              kill(`timer ${timerMs} ms + ${stuck}`);
            }, STUCK_CHECKPOINT_MS - age);
          } else {
            kill(`timer ${timerMs} ms`);
          }
        }, timerMs);
      }
      else {
        timer = setTimeout(() => {
          const age = performance.now() - checkpointStartedAt;
          if (openCheckpoint && age > STUCK_CHECKPOINT_MS) stuck = `checkpoint ${started} did not complete within ${Math.round(age)} ms`;
          kill(`fallback timer (checkpoint ${targetCheckpoint} never started)`);
        }, 8000);
      }
    } else if (text.startsWith('CKPT-START ')) {
      started++;
      openCheckpoint = true;
      checkpointStartedAt = performance.now();
      if (byCheckpoint && started === targetCheckpoint) {
        if (checkpointDelayMs === 0) kill(`checkpoint ${started} start +0 ms`);
        else setTimeout(() => kill(`checkpoint ${started} start +${checkpointDelayMs} ms`), checkpointDelayMs);
      }
    } else if (text.startsWith('CKPT ')) {
      const m = /^CKPT (\S+) (.*)$/.exec(text);
      if (!m) throw new Error(`bad CKPT line: ${text}`);
      done++;
      openCheckpoint = false;
      checkpointMs.push(performance.now() - checkpointStartedAt);
      if (deferred) kill(`timer ${timerMs} ms, deferred until slow checkpoint ${done} completed`);
      lastCkpt = { token: m[1]!, sessions: JSON.parse(m[2]!) as Record<string, number> };
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
  return { ready, lastCkpt, checkpointsStarted: started, checkpointsDone: done, midCheckpoint: openCheckpoint, checkpointMs, openCheckpointMs, stuck, killedBy, exit, stderr };
}

/** Sum over sessions of (recovered - acknowledged) and checks that no session went backwards. */
function coveredBy(recovered: Record<string, number>, acknowledged: Record<string, number>, what: string): void {
  for (const [sid, serial] of Object.entries(acknowledged)) {
    if (serial === 0) continue; // a session without operations has nothing to lose
    const got = recovered[sid];
    if (got === undefined || got < serial) {
      throw new Error(`${what}: session ${sid} acknowledged up to serial ${serial}, recovered ${got === undefined ? 'no such session' : `serial ${got}`} (lost acknowledged operations)`);
    }
  }
}

async function crashLoop(name: string, loc: StoreLocation, iterations: number, seed: number, readyTimeoutMs: number): Promise<void> {
  const t: Totals = { kills: 0, recoveries: 0, opsVerified: 0, keysChecked: 0, midCheckpointKills: 0, checkpointsAcknowledged: 0, workerExitsWithoutKill: 0 };
  totals[name] = t;
  const params: WorkloadParams = { seed, keySpace: KEY_SPACE };
  const oracles = new Map<string, SessionOracle>(sessionIds(MAX_SESSIONS).map((sid) => [sid, new SessionOracle(params, sid)]));
  const rng = new Prng(seed ^ 0x5bd1e995);
  // Serials the last recovery verified (and the close after it checkpointed): the next worker's start.
  let verified: Record<string, number> = {};
  const started = Date.now();

  for (let i = 0; i < iterations; i++) {
    const ids = sessionIds(MAX_SESSIONS);
    for (let j = ids.length - 1; j > 0; j--) {
      const k = rng.nextInt(j + 1);
      [ids[j], ids[k]] = [ids[k]!, ids[j]!];
    }
    const active = ids.slice(0, rng.nextFloat() < 0.25 ? MAX_SESSIONS : 1 + rng.nextInt(MAX_SESSIONS)).sort();
    const cfg: WorkerConfig = {
      seed,
      keySpace: KEY_SPACE,
      active,
      maxWindow: 1 + rng.nextInt(24),
      checkpointEveryMs: 30 + rng.nextInt(250),
      scheduleSeed: rng.nextUint32(),
      maxRunMs: 30_000,
      opsPerSecond: [2_000, 10_000, 40_000, 0][rng.nextInt(4)]!,
      ...(rng.nextFloat() < 0.3 && process.env['F2KV_CRASH_COMPACTION'] !== '0' ? { compactionMaxLogSize: '6MiB' } : {}),
    };
    const run = await runWorker(loc, cfg, rng, readyTimeoutMs);
    const label = `${name} #${i + 1}`;
    if (run.exit.signal !== 'SIGKILL') {
      t.workerExitsWithoutKill++;
      throw new Error(`${label}: the worker exited by itself (code ${run.exit.code}, signal ${run.exit.signal}) before the kill:\n${run.stderr}`);
    }
    if (run.stuck !== undefined) {
      throw new Error(`${label}: ${run.stuck} (sessions ${active.join(',')}, ${cfg.opsPerSecond || 'max'} ops/s${cfg.compactionMaxLogSize ? `, compaction with maxLogSize ${cfg.compactionMaxLogSize}` : ''})`);
    }
    t.kills++;
    if (run.midCheckpoint) t.midCheckpointKills++;
    t.checkpointsAcknowledged += run.checkpointsDone;

    // The worker started from the checkpoint that the previous verifier's close() took.
    if (i > 0 && run.ready.token === null) throw new Error(`${label}: the worker recovered nothing after the verifier closed the store`);
    for (const [sid, serial] of Object.entries(verified)) {
      expect(run.ready.sessions[sid], `${label}: worker's recovered serial of ${sid} (from the checkpoint of the verifier's close())`).toBe(serial);
    }

    // Recover in this process.
    const store = await openStore(loc, true);
    t.recoveries++;
    try {
      const rec = recoveredOf(store);
      const acknowledged = run.lastCkpt ?? run.ready;
      if (acknowledged.token !== null && rec === undefined) throw new Error(`${label}: nothing recovered, but checkpoint ${acknowledged.token} was acknowledged`);
      const recSessions = rec?.sessions ?? {};
      coveredBy(recSessions, acknowledged.sessions, label);
      const inFlight = run.checkpointsStarted > run.checkpointsDone;
      if (rec !== undefined && rec.token !== acknowledged.token && !inFlight) {
        throw new Error(`${label}: recovered checkpoint ${rec.token}, but the last acknowledged one is ${acknowledged.token} and none was in flight`);
      }
      // Exact prefix per session.
      const verifier = store.continueSession(VERIFIER);
      const read = (key: string) => verifier.read(key);
      let advanced = 0;
      for (const sid of sessionIds(MAX_SESSIONS)) {
        const serial = recSessions[sid];
        if (serial === undefined) {
          const stray = await verifyAbsentSession(sid, 16, read);
          if (stray.length > 0) throw new Error(`${label}: session ${sid} is not in the checkpoint but its keys exist: ${stray.join(', ')}`);
          continue;
        }
        expect(store.continueSession(sid).serial, `${label}: continueSession(${sid}).serial`).toBe(serial);
        const check = await verifySession(params, oracles.get(sid)!, serial, read);
        t.keysChecked += check.keysChecked;
        if (check.mismatchCount > 0) {
          throw new Error(`${label}: session ${sid} recovered at serial ${serial} is not the exact prefix (${check.mismatchCount} keys differ):\n  ${check.mismatches.join('\n  ')}`);
        }
        advanced += serial - (verified[sid] ?? 0);
      }
      t.opsVerified += advanced;
      const workerSum = (m: Record<string, number>) => Object.entries(m).reduce((a, [sid, n]) => (sid === VERIFIER ? a : a + n), 0);
      const ackSum = workerSum(acknowledged.sessions);
      log(
        `${label}: killed by ${run.killedBy}${run.midCheckpoint ? ` (mid-checkpoint, ${Math.round(run.openCheckpointMs ?? 0)} ms into it)` : ''}; sessions ${active.join(',')} window ≤${cfg.maxWindow} ` +
          `${cfg.opsPerSecond || 'max'} ops/s${cfg.compactionMaxLogSize ? ' compaction' : ''}; ` +
          `checkpoints ${run.checkpointsDone}/${run.checkpointsStarted} (max ${Math.round(Math.max(0, ...run.checkpointMs))} ms); recovered ${rec?.token ?? 'none'} ` +
          `(${workerSum(recSessions) - ackSum} ops beyond the acknowledged ones); ${advanced} new ops verified`,
      );
      verified = Object.fromEntries(Object.entries(recSessions).filter(([sid]) => sid !== VERIFIER));
    } finally {
      await store.close();
    }
  }
  log(`${name}: ${iterations} kills in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const envInt = (name: string, dflt: number) => {
  const v = process.env[name];
  return v === undefined ? dflt : Number(v);
};

describe('crash: checkpoints in a local directory', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'f2kv-crash-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const [mode, share] of [['snapshot', 0.5], ['fold-over', 0.5]] as const) {
    it(`survives SIGKILL at random moments and mid-checkpoint (${mode})`, async () => {
      const base = join(dir, mode);
      await mkdir(join(base, 'hot'), { recursive: true });
      await mkdir(join(base, 'ckpt'), { recursive: true });
      const loc: StoreLocation = {
        logUrl: pathToFileURL(join(base, 'hot')).href,
        checkpointUrl: pathToFileURL(join(base, 'ckpt')).href,
        mode,
        pageSize: '64KiB',
        memorySize: '1MiB',
        buckets: 1024,
      };
      const kills = Math.ceil(envInt('F2KV_CRASH_LOCAL_KILLS', 36) * share);
      await crashLoop(`local-${mode}`, loc, kills, SEED + (mode === 'snapshot' ? 0 : 2), 20_000);
    }, 180_000);
  }
});

withBackend('s3', 'crash: checkpoints on MinIO', (s3) => {
  const prefix = freshPrefix('crash');
  const storeOptions = minioStoreOptions(s3, { timeoutMs: 20_000 });
  const scratch = scratchDirAndStore('crash-s3', `s3://${s3.bucket}/${prefix}`, storeOptions);

  it('survives SIGKILL at random moments and mid-checkpoint, with the log local and snapshot checkpoints on MinIO', async () => {
    await mkdir(join(scratch.dir(), 'hot'), { recursive: true });
    const loc: StoreLocation = {
      logUrl: pathToFileURL(join(scratch.dir(), 'hot')).href,
      checkpointUrl: `s3://${s3.bucket}/${prefix}`,
      checkpointStore: storeOptions,
      mode: 'snapshot',
      pageSize: '64KiB',
      memorySize: '1MiB',
      buckets: 1024,
    };
    await crashLoop('minio', loc, envInt('F2KV_CRASH_S3_KILLS', 15), SEED + 1, 30_000);
  }, 240_000);
});
