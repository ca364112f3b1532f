/**
 * The durable-acknowledgement kill test (shared by test/crash/durable-kill.test.ts, on a local
 * directory, and integration/durable-crash.test.ts, on MinIO): runs ./durable-worker.ts as a child
 * process, kills it with SIGKILL (by its PID) at a seeded random moment, and starts it again; each
 * start recovers the store and checks every session is an exact prefix of its operations (the
 * worker does, against the deterministic workload). The parent checks that the recovered serial
 * number of every session covers every write the killed worker acknowledged as durable.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { Prng } from '../../src/core/prng.js';
import { REPO_ROOT } from './build-worker.js';
import type { DurableWorkerConfig } from './durable-worker.js';
import type { StoreLocation } from './store-api.js';

export const DURABLE_WORKER_JS = join(REPO_ROOT, '.cache', 'f2kv-durable-crash', 'test', 'crash', 'durable-worker.js');

/** Compiles the worker (incremental) with the project's TypeScript compiler; resolves to its path. */
export async function buildDurableWorker(): Promise<string> {
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, '-p', join(REPO_ROOT, 'test', 'crash', 'durable-tsconfig.json')], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`building the durable worker failed (tsc exit ${code}):\n${text}`))));
  });
  if (!existsSync(DURABLE_WORKER_JS)) throw new Error(`tsc succeeded but ${DURABLE_WORKER_JS} is missing:\n${out}`);
  return DURABLE_WORKER_JS;
}

interface Ready {
  sessions: Record<string, number>;
  keysChecked: number;
  replayed: number;
}

interface Run {
  ready: Ready;
  /** Highest serial acknowledged as durable, per session. */
  acked: Map<string, number>;
  acks: number;
  exit: { code: number | null; signal: string | null };
  stderr: string;
}

/** Runs the worker; kills it `killAfterMs` after READY (undefined: lets it finish). */
function runWorker(workerJs: string, loc: StoreLocation, cfg: DurableWorkerConfig, killAfterMs: number | undefined, readyTimeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [workerJs, JSON.stringify(cfg)], {
      env: { ...process.env, F2KV_CRASH_STORE: JSON.stringify(loc), F2KV_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    if (pid === undefined) {
      reject(new Error('could not spawn the durable worker'));
      return;
    }
    let ready: Ready | undefined;
    const acked = new Map<string, number>();
    let acks = 0;
    let stderr = '';
    let buffered = '';
    let killed = false;
    const kill = (): void => {
      if (killed) return;
      killed = true;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const readyTimer = setTimeout(kill, readyTimeoutMs);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const text = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (text.startsWith('ACK ')) {
          const [, sid, serial] = text.split(' ');
          acked.set(sid!, Math.max(acked.get(sid!) ?? 0, Number(serial)));
          acks++;
        } else if (text.startsWith('READY ')) {
          ready = JSON.parse(text.slice(6)) as Ready;
          clearTimeout(readyTimer);
          if (killAfterMs !== undefined) setTimeout(kill, killAfterMs);
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(readyTimer);
      if (ready === undefined) {
        reject(new Error(`durable worker never became ready (exit ${code} ${signal}):\n${stderr}`));
        return;
      }
      resolve({ ready, acked, acks, exit: { code, signal }, stderr });
    });
  });
}

export interface DurableKillTotals {
  kills: number;
  acks: number;
  keysChecked: number;
  entriesReplayed: number;
}

/**
 * `kills` rounds of: start the worker (it recovers and checks the exact prefixes), let it write
 * for a seeded random 50..500 ms, SIGKILL it. Then one last start that only checks.
 */
export async function durableKillLoop(
  name: string,
  workerJs: string,
  loc: StoreLocation,
  base: Omit<DurableWorkerConfig, 'scheduleSeed' | 'maxRunMs'>,
  kills: number,
  seed: number,
  readyTimeoutMs: number,
): Promise<DurableKillTotals> {
  console.log(`[${name}] seed=${seed} kills=${kills} (replay with F2KV_SEED=${seed})`);
  const rng = new Prng(seed);
  const totals: DurableKillTotals = { kills: 0, acks: 0, keysChecked: 0, entriesReplayed: 0 };
  let acked = new Map<string, number>();
  let previous: Record<string, number> = {};
  const check = (label: string, ready: Ready): void => {
    for (const sid of base.sessions) {
      const recovered = ready.sessions[sid] ?? 0;
      const ack = acked.get(sid) ?? 0;
      expect(recovered, `${label}: session ${sid} recovered serial ${recovered} below its last durable ack ${ack} (seed ${seed})`).toBeGreaterThanOrEqual(ack);
      expect(recovered, `${label}: session ${sid} went back from ${previous[sid]} to ${recovered} (seed ${seed})`).toBeGreaterThanOrEqual(previous[sid] ?? 0);
    }
    previous = ready.sessions;
    totals.keysChecked += ready.keysChecked;
    totals.entriesReplayed += ready.replayed;
  };
  for (let i = 0; i < kills; i++) {
    const killAfterMs = 50 + rng.nextInt(450);
    const cfg: DurableWorkerConfig = { ...base, scheduleSeed: rng.nextInt(2 ** 31), maxRunMs: 60_000 };
    const run = await runWorker(workerJs, loc, cfg, killAfterMs, readyTimeoutMs);
    const label = `${name} kill ${i + 1}/${kills} (+${killAfterMs} ms)`;
    check(label, run.ready);
    if (run.exit.signal !== 'SIGKILL') throw new Error(`${label}: the worker exited by itself (code ${run.exit.code}) before the kill:\n${run.stderr}`);
    totals.kills++;
    totals.acks += run.acks;
    acked = run.acked;
  }
  const last = await runWorker(workerJs, loc, { ...base, scheduleSeed: 0, maxRunMs: 0 }, undefined, readyTimeoutMs);
  check(`${name} final check`, last.ready);
  if (last.exit.code !== 0) throw new Error(`${name} final check: exit ${last.exit.code}:\n${last.stderr}`);
  console.log(`[${name}] kills=${totals.kills} durableAcks=${totals.acks} keysChecked=${totals.keysChecked} entriesReplayed=${totals.entriesReplayed}`);
  return totals;
}
