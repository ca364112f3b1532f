/**
 * Two writers on one prefix (issue 11, item 4), as two processes, on MinIO (conditional writes)
 * and on Azurite. Each round, on a fresh prefix:
 *   1. writer A (the crash worker of test/crash/worker.ts, with its own hot directory) opens the
 *      F2 store and runs session w0 with a checkpoint every ~80 ms and hot → cold migrations;
 *   2. after a random delay (seeded), writer B opens the same prefix from another hot directory
 *      (another machine): its claim fences A;
 *   3. A must stop with FencedError at its next publish (the worker exits with FATAL FencedError);
 *      B runs for a while and closes (a final checkpoint).
 * Checks per round:
 *   - B recovered exactly A's last acknowledged checkpoint (token and session serial): the new
 *     owner holds everything the old one had checkpointed;
 *   - in each manifest prefix (F2, hot, cold) the writer epochs, in seq order, never go back: each
 *     epoch's manifests form one contiguous run, and no manifest of A follows B's claim (counted
 *     as interleaved commits; must be 0);
 *   - a third open after B closed recovers B's last checkpoint with session w0 an exact prefix of
 *     its operations (the oracle of test/crash/workload.ts).
 * Rounds: F2KV_TWO_WRITERS_ROUNDS per backend (default 5; each round spawns
 * three store openings, several seconds on a busy 2-core machine). Replay with F2KV_SEED=<seed> (printed).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Prng } from '../../src/core/prng.js';
import { openObjectStore, type OpenObjectStoreOptions } from '../../src/devices/open-object-store.js';
import { F2Kv } from '../../src/index.js';
import { ManifestStore, type TokenDescriptor } from '../../src/kv/checkpoint-manifest.js';
import { testSeed } from '../../test/helpers/prng.js';
import { buildWorker } from '../../test/crash/build-worker.js';
import { f2StoreOptions, type StoreLocation } from '../../test/crash/store-api.js';
import { verifySession } from '../../test/crash/verify.js';
import type { WorkerConfig } from '../../test/crash/worker.js';
import { SessionOracle, type WorkloadParams } from '../../test/crash/workload.js';
import { emptyStore, freshPrefix, minioStoreOptions, withBackend } from '../backends.js';

const SEED = testSeed('two-writers');
const ROUNDS = Number(process.env['F2KV_TWO_WRITERS_ROUNDS'] ?? 5);
const KEY_SPACE = 200;
/** Writer A must be fenced within this long after B is ready (it checkpoints every ~80 ms). */
const FENCE_DEADLINE_MS = 20_000;

const log = (line: string): void => {
  process.stdout.write(`[two-writers] ${line}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let workerJs = '';
let dir = '';
beforeAll(async () => {
  workerJs = await buildWorker();
  dir = await mkdtemp(join(tmpdir(), 'f2kv-two-writers-'));
}, 120_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Totals {
  rounds: number;
  fencedWithFencedError: number;
  claimRaces: number;
  checkpointsByA: number;
  interleavedCommits: number;
  manifestsChecked: number;
  lost: number;
}
const totals: Record<string, Totals> = {};
afterAll(() => {
  for (const [k, t] of Object.entries(totals)) log(`TOTAL ${k}: ${JSON.stringify(t)} (seed ${SEED})`);
});

/** A running worker process and what it printed. */
interface Writer {
  pid: number;
  ready: Promise<{ token: string | null; sessions: Record<string, number> }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** CKPT lines: token and the serials it covers. */
  checkpoints: { token: string; sessions: Record<string, number> }[];
  stderr: () => string;
  kill: () => void;
}

function startWriter(loc: StoreLocation, cfg: WorkerConfig): Writer {
  const child = spawn(process.execPath, [workerJs, JSON.stringify(cfg)], {
    env: { ...process.env, F2KV_CRASH_STORE: JSON.stringify(loc) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not spawn a writer');
  const pid = child.pid;
  let stderr = '';
  let buffered = '';
  const checkpoints: Writer['checkpoints'] = [];
  let onReady: (r: { token: string | null; sessions: Record<string, number> }) => void = () => undefined;
  let onNotReady: (e: Error) => void = () => undefined;
  const ready = new Promise<{ token: string | null; sessions: Record<string, number> }>((res, rej) => {
    onReady = res;
    onNotReady = rej;
  });
  ready.catch(() => undefined);
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.startsWith('READY ')) onReady(JSON.parse(line.slice(6)) as { token: string | null; sessions: Record<string, number> });
      const m = /^CKPT (\S+) (.*)$/.exec(line);
      if (m) checkpoints.push({ token: m[1]!, sessions: JSON.parse(m[2]!) as Record<string, number> });
    }
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-20_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('close', (code, signal) => {
      onNotReady(new Error(`writer ${pid} exited (code ${code}) before READY:\n${stderr.slice(-3000)}`));
      res({ code, signal });
    }),
  );
  return {
    pid, ready, exited, checkpoints, stderr: () => stderr,
    kill: () => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

/** Manifests of one prefix in seq order: their writer epochs, and how often an epoch went back. */
async function epochRuns(url: string, options: OpenObjectStoreOptions): Promise<{ epochs: number[]; interleaved: number; unreadable: number }> {
  const os = await openObjectStore(url, options);
  try {
    const entries = (await new ManifestStore<TokenDescriptor>(os).all()).reverse();
    const epochs: number[] = [];
    let interleaved = 0;
    let unreadable = 0;
    for (const e of entries) {
      if (e.manifest === undefined) {
        unreadable++;
        continue;
      }
      const last = epochs.at(-1);
      if (last !== undefined && e.manifest.writerEpoch < last) interleaved++;
      epochs.push(e.manifest.writerEpoch);
    }
    return { epochs, interleaved, unreadable };
  } finally {
    await os.close();
  }
}

function location(prefixUrl: (sub: string) => string, store: OpenObjectStoreOptions, hotDir: string): StoreLocation {
  return {
    logUrl: pathToFileURL(hotDir).href,
    checkpointUrl: prefixUrl('ckpt'),
    checkpointStore: store,
    keep: 100,
    pageSize: '8KiB',
    memorySize: '64KiB',
    buckets: 1024,
    cold: {
      url: prefixUrl('cold'),
      store,
      hotBudget: '96KiB',
      logPageSize: '32KiB',
      logMemorySize: '128KiB',
      expectedKeys: 2048,
      chunkSize: '64B',
      chunkCacheSize: '64KiB',
      coldBudget: '2MiB',
      readCacheSize: '32KiB',
    },
  };
}

async function round(name: string, r: number, rng: Prng, prefixUrl: (prefix: string, sub: string) => string, store: OpenObjectStoreOptions, t: Totals): Promise<void> {
  const prefix = freshPrefix(`two-writers-${name}`);
  const url = (sub: string): string => prefixUrl(prefix, sub);
  const label = `${name} round ${r + 1}`;
  const seed = (SEED + r * 104729 + (name === 'azurite' ? 1 : 0)) >>> 0;
  const params: WorkloadParams = { seed, keySpace: KEY_SPACE };
  const base: WorkerConfig = { seed, keySpace: KEY_SPACE, active: ['w0'], maxWindow: 8, checkpointEveryMs: 80, scheduleSeed: seed, maxRunMs: 60_000, opsPerSecond: 1000, migrateEveryMs: 300 };
  const locA = location(url, store, join(dir, `${name}-${r}-a`));
  const locB = location(url, store, join(dir, `${name}-${r}-b`));
  const t0 = performance.now();
  const phases: string[] = [];
  const phase = (what: string): void => void phases.push(`${what} ${Math.round(performance.now() - t0)}`);
  const a = startWriter(locA, { ...base, scheduleSeed: seed ^ 1 });
  let b: Writer | undefined;
  try {
    const readyA = await a.ready;
    phase('A ready');
    expect(readyA.token, `${label}: A opened a new store`).toBeNull();
    const delayMs = rng.nextInt(1200);
    await sleep(delayMs);
    const checkpointsBeforeB = a.checkpoints.length;
    // B opens the same prefix. Its claim can race with a publish of A (B lists the manifests, A
    // publishes the next seq, B's claim of that seq fails): B then fails to open with FencedError,
    // and opens again.
    let readyB: { token: string | null; sessions: Record<string, number> } | undefined;
    for (let attempt = 1; readyB === undefined; attempt++) {
      b = startWriter(locB, { ...base, scheduleSeed: seed ^ 2, maxRunMs: 800 + rng.nextInt(800) });
      try {
        readyB = await b.ready;
      } catch (e) {
        await b.exited;
        if (!/FencedError/.test(b.stderr()) || attempt >= 5) throw e;
        t.claimRaces++;
        await rm(join(dir, `${name}-${r}-b`), { recursive: true, force: true });
      }
    }
    phase('B ready');
    // A must be fenced at its next publish and stop.
    const exitA = await Promise.race([a.exited, sleep(FENCE_DEADLINE_MS).then(() => undefined)]);
    if (exitA === undefined) throw new Error(`${label}: writer A was not fenced within ${FENCE_DEADLINE_MS} ms of B's open (B ready, A still running)`);
    const fatal = /FATAL (.*)/.exec(a.stderr())?.[1] ?? '';
    expect(exitA.code, `${label}: writer A's exit (stderr: ${a.stderr().slice(-2000)})`).toBe(2);
    expect(fatal, `${label}: A stopped with FencedError`).toMatch(/^FencedError/);
    t.fencedWithFencedError++;
    phase('A fenced');
    const exitB = await b!.exited;
    phase('B done');
    expect(exitB.code, `${label}: writer B's exit (stderr: ${b!.stderr().slice(-2000)})`).toBe(0);

    // B recovered exactly A's last acknowledged checkpoint.
    const lastA = a.checkpoints.at(-1);
    t.checkpointsByA += a.checkpoints.length;
    expect(readyB.token, `${label}: B recovered A's last acknowledged checkpoint`).toBe(lastA?.token ?? null);
    if (lastA !== undefined) expect(readyB.sessions['w0'], `${label}: B's serial of w0`).toBe(lastA.sessions['w0']);

    // No interleaved commits in any manifest prefix.
    const runs: string[] = [];
    for (const [what, u] of [['f2', `${url('ckpt')}/f2`], ['hot', `${url('ckpt')}/hot`], ['cold', url('cold')]] as const) {
      const e = await epochRuns(u, store);
      t.interleavedCommits += e.interleaved;
      t.manifestsChecked += e.epochs.length;
      runs.push(`${what}=[${e.epochs.join(',')}]`);
      expect(e.interleaved, `${label}: ${what} manifests interleave writer epochs: ${e.epochs.join(',')}`).toBe(0);
      expect(e.unreadable, `${label}: unreadable ${what} manifests`).toBe(0);
    }

    phase('manifests checked');
    // A third open recovers B's last checkpoint: w0 is an exact prefix of its operations.
    const third = await F2Kv.open(f2StoreOptions({ ...locB, logUrl: pathToFileURL(join(dir, `${name}-${r}-c`)).href }, locB.cold!, true));
    try {
      const serial = third.continueSession('w0').serial;
      const verifier = third.startSession('verifier');
      const check = await verifySession(params, new SessionOracle(params, 'w0'), serial, (k) => verifier.read(k));
      if (check.mismatchCount > 0) t.lost += check.mismatchCount;
      expect(check.mismatches, `${label}: w0 at serial ${serial} after B closed`).toEqual([]);
      log(
        `${label}: B opened ${delayMs} ms after A (A had ${checkpointsBeforeB} checkpoints then, ${a.checkpoints.length} in all); A fenced: ${fatal.slice(0, 100)}; ` +
          `B recovered ${readyB.token ?? 'nothing'} (w0 serial ${readyB.sessions['w0'] ?? 0}); manifest epochs ${runs.join(' ')}; final w0 serial ${serial} verified; ms: ${phases.join(', ')}, verified ${Math.round(performance.now() - t0)}`,
      );
    } finally {
      await third.close();
    }
    t.rounds++;
  } finally {
    a.kill();
    b?.kill();
    await a.exited;
    if (b) await b.exited;
    for (const s of ['a', 'b', 'c']) await rm(join(dir, `${name}-${r}-${s}`), { recursive: true, force: true });
    const os = await openObjectStore(prefixUrl(prefix, ''), store).catch(() => undefined);
    if (os) {
      await emptyStore(os).catch(() => undefined);
      await os.close();
    }
  }
}

withBackend('s3', 'two writers on one prefix, two processes, on MinIO', (s3) => {
  it(`the second opener fences the first; no interleaved commits (${ROUNDS} rounds, random timing)`, async () => {
    const t: Totals = { rounds: 0, fencedWithFencedError: 0, claimRaces: 0, checkpointsByA: 0, interleavedCommits: 0, manifestsChecked: 0, lost: 0 };
    totals['minio'] = t;
    const store = minioStoreOptions(s3);
    const rng = new Prng(SEED);
    for (let r = 0; r < ROUNDS; r++) await round('minio', r, rng, (p, sub) => `s3://${s3.bucket}/${p}${sub ? `/${sub}` : ''}`, store, t);
    expect(t.interleavedCommits).toBe(0);
    expect(t.lost).toBe(0);
  }, 600_000);
});

withBackend('azure', 'two writers on one prefix, two processes, on Azurite', (az) => {
  it(`the second opener fences the first; no interleaved commits (${ROUNDS} rounds, random timing)`, async () => {
    const t: Totals = { rounds: 0, fencedWithFencedError: 0, claimRaces: 0, checkpointsByA: 0, interleavedCommits: 0, manifestsChecked: 0, lost: 0 };
    totals['azurite'] = t;
    const store: OpenObjectStoreOptions = { connectionString: az.connectionString };
    const rng = new Prng(SEED ^ 0xa5a5);
    for (let r = 0; r < ROUNDS; r++) await round('azurite', r, rng, (p, sub) => `az://${az.container}/${p}${sub ? `/${sub}` : ''}`, store, t);
    expect(t.interleavedCommits).toBe(0);
    expect(t.lost).toBe(0);
  }, 600_000);
});
