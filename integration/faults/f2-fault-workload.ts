/**
 * The F2 workload the fault tests run while they break the network or the server, and the
 * recovery check that follows.
 *
 * Workload: an F2Kv whose hot log is local (a small hot budget, so hot → cold migration runs all
 * the time) and whose cold tier and checkpoints are on an object store reached through whatever
 * the test puts in between (a Toxiproxy proxy, a MinIO that is killed). Several sessions run the
 * deterministic operations of test/crash/workload.ts in batches on distinct keys; a timer in the
 * test starts a checkpoint every `checkpointEveryMs` (one at a time). Every operation and
 * checkpoint is timed and must settle — resolve, or reject with an F2Error subclass — within
 * `hangMs`; anything else is counted as a hang or an untyped failure.
 *
 * Oracle: per session, the effect of every operation by serial number (a value written, a key
 * deleted, or nothing: reads and failed operations). Operations on one key never overlap, so the
 * state after serials 1..n is the replay of those effects.
 *
 * Recovery check (after the first instance is abandoned, as a crash would leave it): open the
 * store again directly (no proxy), and require that
 *   - the recovered checkpoint covers every operation acknowledged before the last completed
 *     checkpoint (each session's recovered serial ≥ its serial when that checkpoint was called);
 *   - each session's keys hold exactly the state after its operations 1..recovered serial;
 *   - every manifest of the F2, hot and cold prefixes decodes (checksum intact), and opening and
 *     reading raise no CorruptionError.
 */
import { F2Error } from '../../src/core/errors.js';
import { Prng } from '../../src/core/prng.js';
import type { ObjectStoreStats } from '../../src/devices/object-store-stats.js';
import { openObjectStore, type OpenObjectStoreOptions } from '../../src/devices/open-object-store.js';
import { joinUrl } from '../../src/f2/f2-options.js';
import { F2Kv, type F2KvOptions } from '../../src/index.js';
import type { F2Session } from '../../src/f2/f2-session.js';
import { ManifestStore } from '../../src/kv/checkpoint-manifest.js';
import { applyOp, keyOf, opFor, rmwFunction, valueString, type KeyState, type WorkloadParams } from '../../test/crash/workload.js';

export interface FaultStoreLocation {
  /** The hot log directory (file:// URL). */
  hotUrl: string;
  coldUrl: string;
  checkpointUrl: string;
  /** Object-store options: endpoint (through the fault), credentials, request policy. */
  store: OpenObjectStoreOptions;
}

/** F2 options sized so that migration, cold reads and chunk I/O happen within seconds. */
export function faultStoreOptions(loc: FaultStoreLocation, recover: boolean): F2KvOptions {
  return {
    hot: {
      index: { buckets: 1024 },
      log: { device: loc.hotUrl, pageSize: '8KiB', memorySize: '64KiB' },
      readCache: { memorySize: '32KiB', pageSize: '8KiB' },
    },
    cold: {
      url: loc.coldUrl,
      store: loc.store,
      index: { expectedKeys: 4096, chunkSize: '64B', chunkCacheSize: '64KiB' },
      log: { pageSize: '32KiB', memorySize: '128KiB' },
    },
    compaction: { hotToCold: { maxLogSize: '96KiB' }, coldToCold: { maxLogSize: '2MiB' } },
    checkpoint: { url: loc.checkpointUrl, store: loc.store, keep: 3 },
    recover,
  };
}

export interface WorkloadCounts {
  opsAttempted: number;
  opsAcknowledged: number;
  /** Failed with an F2Error subclass, by error name. */
  opsFailedTyped: Record<string, number>;
  /** Failed with something that is not an F2Error (must be 0). */
  opsFailedUntyped: number;
  checkpointsAttempted: number;
  checkpointsCompleted: number;
  checkpointsFailedTyped: Record<string, number>;
  checkpointsFailedUntyped: number;
  /** Operations or checkpoints that did not settle within hangMs (must be 0). */
  hangs: number;
  longestOpMs: number;
  longestCheckpointMs: number;
  /** Object-store retries of the cold tier and the hot checkpoints. */
  retries: number;
  /** Object-store requests that failed after their retries. */
  requestErrors: number;
  migrations: number;
  recordsMigrated: number;
  coldReads: number;
  /** The first untyped failures, for the report. */
  untyped: string[];
}

/** What one session did: the effect of each operation by serial (index 0 unused). */
interface SessionLog {
  sid: string;
  session: F2Session;
  /** The first serial this instance issued (1 for a new store). */
  firstSerial: number;
  /** effects[serial]: KeyState written, null deleted, undefined nothing. */
  effects: (KeyState | null | undefined)[];
  /** Slot of each serial. */
  slots: number[];
  state: Map<number, KeyState>;
}

export interface RunHandle {
  counts: WorkloadCounts;
  /** Serials per session covered by the last checkpoint that completed (its call time). */
  lastCompleted: { token: string; serials: Record<string, number>; calledAt: number } | undefined;
  sessions: Map<string, SessionLog>;
  params: WorkloadParams;
}

export interface RunOptions {
  label: string;
  seed: number;
  sessions: number;
  keySpace: number;
  maxWindow: number;
  checkpointEveryMs: number;
  /** An operation or checkpoint pending longer than this is a hang. */
  hangMs: number;
  /**
   * Returns when the workload should stop (the fault schedule is over). `checkpoint()` starts a
   * checkpoint now (counted like the timer's; chained behind one in flight) and resolves with
   * whether it completed.
   */
  schedule: (ctx: { checkpoint: () => Promise<boolean> }) => Promise<void>;
  log: (line: string) => void;
}

function errorName(err: unknown): string {
  if (err instanceof F2Error) return `${err.name}(${err.code})`;
  return err instanceof Error ? err.name : typeof err;
}

const sumRetries = (s: ObjectStoreStats | undefined): number => s?.retries ?? 0;
const sumErrors = (s: ObjectStoreStats | undefined): number => s?.errors ?? 0;

/**
 * Runs the workload on `store` until `o.schedule()` returns, then waits for every operation and
 * checkpoint to settle (each within hangMs) and returns what happened. The store stays open.
 */
export async function runWorkload(store: F2Kv, o: RunOptions): Promise<RunHandle> {
  const params: WorkloadParams = { seed: o.seed, keySpace: o.keySpace };
  const rng = new Prng(o.seed ^ 0x71c3a5e9);
  const counts: WorkloadCounts = {
    opsAttempted: 0, opsAcknowledged: 0, opsFailedTyped: {}, opsFailedUntyped: 0,
    checkpointsAttempted: 0, checkpointsCompleted: 0, checkpointsFailedTyped: {}, checkpointsFailedUntyped: 0,
    hangs: 0, longestOpMs: 0, longestCheckpointMs: 0, retries: 0, requestErrors: 0, migrations: 0, recordsMigrated: 0, coldReads: 0,
    untyped: [],
  };
  const sessions = new Map<string, SessionLog>();
  for (let i = 0; i < o.sessions; i++) {
    const sid = `w${i}`;
    const session = store.startSession(sid);
    sessions.set(sid, { sid, session, firstSerial: session.serial + 1, effects: [], slots: [], state: new Map() });
  }
  let lastCompleted: RunHandle['lastCompleted'];
  let stopping = false;
  const outstanding = new Set<Promise<unknown>>();

  /** Awaits `p`, timing it; a rejection must be an F2Error. Never rejects itself. */
  const watch = async <T>(what: 'op' | 'checkpoint', p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; err: unknown }> => {
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<'hang'>((r) => {
      timer = setTimeout(() => r('hang'), o.hangMs);
    });
    try {
      const settled = await Promise.race([p.then((value) => ({ ok: true as const, value }), (err: unknown) => ({ ok: false as const, err })), hang]);
      if (settled === 'hang') {
        counts.hangs++;
        o.log(`HANG: a ${what} did not settle within ${o.hangMs} ms`);
        return { ok: false, err: new Error('hang') };
      }
      const ms = performance.now() - t0;
      if (what === 'op') counts.longestOpMs = Math.max(counts.longestOpMs, ms);
      else counts.longestCheckpointMs = Math.max(counts.longestCheckpointMs, ms);
      return settled;
    } finally {
      clearTimeout(timer);
    }
  };

  const failed = (what: 'op' | 'checkpoint', err: unknown): void => {
    if (err instanceof F2Error) {
      const m = what === 'op' ? counts.opsFailedTyped : counts.checkpointsFailedTyped;
      m[errorName(err)] = (m[errorName(err)] ?? 0) + 1;
    } else {
      if (what === 'op') counts.opsFailedUntyped++;
      else counts.checkpointsFailedUntyped++;
      if (counts.untyped.length < 5) counts.untyped.push(`${what}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    }
  };

  const mismatches: string[] = [];
  const runSession = async (s: SessionLog): Promise<void> => {
    while (!stopping) {
      const width = 1 + rng.nextInt(o.maxWindow);
      const batch: Promise<void>[] = [];
      for (let i = 0; i < width; i++) {
        const serial = s.session.serial + 1;
        const op = opFor(params, s.sid, serial);
        const before = s.state.get(op.slot);
        let call: Promise<unknown>;
        let next: KeyState | null | undefined;
        switch (op.kind) {
          case 'upsert':
            next = { serial, count: 0 };
            call = s.session.upsert(op.key, valueString(params, s.sid, op.slot, next));
            break;
          case 'rmw':
            next = { serial, count: before === undefined ? 1 : before.count + 1 };
            call = s.session.rmw(op.key, rmwFunction(params, s.sid, op, before, (d) => mismatches.push(d)));
            break;
          case 'delete':
            next = null;
            call = s.session.delete(op.key);
            break;
          case 'read': {
            const expected = before === undefined ? undefined : valueString(params, s.sid, op.slot, before);
            next = undefined;
            call = s.session.read(op.key).then((v) => {
              const got = v === undefined ? undefined : new TextDecoder().decode(v);
              if (got !== expected) mismatches.push(`read ${op.key} serial ${serial}: got ${String(got).slice(0, 40)}, expected ${String(expected).slice(0, 40)}`);
            });
            break;
          }
        }
        if (s.session.serial !== serial) throw new Error(`session ${s.sid}: serial ${s.session.serial} after issuing op ${serial}`);
        counts.opsAttempted++;
        s.slots[serial] = op.slot;
        const settled = watch('op', call).then((r) => {
          if (r.ok) {
            counts.opsAcknowledged++;
            s.effects[serial] = next;
            if (next === null) s.state.delete(op.slot);
            else if (next !== undefined) applyOp(s.state, op);
          } else {
            s.effects[serial] = undefined;
            failed('op', r.err);
          }
        });
        batch.push(settled);
      }
      const all = Promise.all(batch);
      outstanding.add(all);
      await all;
      outstanding.delete(all);
      if (mismatches.length > 0) throw new Error(`${o.label}: values read during the run disagree with the oracle:\n  ${mismatches.slice(0, 8).join('\n  ')}`);
      // Let timers and I/O run even when every operation completed in memory.
      await new Promise<void>((r) => setImmediate(r));
    }
  };

  let checkpointInFlight: Promise<boolean> | undefined;
  const checkpoint = (): Promise<boolean> => {
    // With none in flight, the checkpoint covers every operation issued so far (CPR); otherwise it
    // starts when the one in flight ends: wait for that first, so that `serials` is exact.
    const previous = checkpointInFlight ?? Promise.resolve(true);
    const p = previous.then(() => {
      const serials = Object.fromEntries([...sessions.values()].map((s) => [s.sid, s.session.serial]));
      const calledAt = performance.now();
      counts.checkpointsAttempted++;
      return watch('checkpoint', store.checkpoint()).then((r) => {
        if (r.ok) {
          counts.checkpointsCompleted++;
          if (lastCompleted === undefined || calledAt > lastCompleted.calledAt) lastCompleted = { token: r.value, serials, calledAt };
        } else {
          failed('checkpoint', r.err);
        }
        return r.ok;
      });
    });
    checkpointInFlight = p;
    void p.then(() => {
      if (checkpointInFlight === p) checkpointInFlight = undefined;
    });
    return p;
  };
  const checkpointTimer = setInterval(() => {
    if (stopping || checkpointInFlight !== undefined) return;
    void checkpoint();
  }, o.checkpointEveryMs);

  const sessionRuns = [...sessions.values()].map(runSession);
  try {
    await o.schedule({ checkpoint });
  } finally {
    stopping = true;
    clearInterval(checkpointTimer);
  }
  await Promise.all(sessionRuns);
  while (checkpointInFlight !== undefined) await checkpointInFlight;
  const st = store.stats();
  counts.retries = sumRetries(st.requests.cold) + sumRetries(st.requests.hotCheckpoints);
  counts.requestErrors = sumErrors(st.requests.cold) + sumErrors(st.requests.hotCheckpoints);
  counts.migrations = st.hotToCold.passes;
  counts.recordsMigrated = st.hotToCold.recordsMoved;
  counts.coldReads = st.reads.cold;
  return { counts, lastCompleted, sessions, params };
}

/** The expected value of each slot of a session after its serials up to `serial`. */
function expectedAt(s: SessionLog, serial: number, keySpace: number): Map<number, KeyState> {
  const state = new Map<number, KeyState>();
  for (let n = s.firstSerial; n <= serial; n++) {
    const e = s.effects[n];
    const slot = s.slots[n];
    if (slot === undefined) throw new Error(`session ${s.sid}: no record of serial ${n}`);
    if (e === null) state.delete(slot);
    else if (e !== undefined) state.set(slot, e);
  }
  if (state.size > keySpace) throw new Error('more keys than the key space');
  return state;
}

export interface RecoveryReport {
  token: string | undefined;
  /** Operations covered by the recovered checkpoint beyond the last acknowledged one. */
  beyondAcknowledged: number;
  /** Acknowledged operations the recovery does not hold (must be 0). */
  lost: number;
  keysChecked: number;
  manifestsChecked: number;
  openMs: number;
}

/**
 * Opens the store again at `direct` (the object store without the fault in between) and checks
 * it against the run: coverage of the last completed checkpoint, exact prefixes, readable
 * manifests. Throws with the details on any violation; closes the store.
 */
export async function verifyRecovery(direct: FaultStoreLocation, run: RunHandle, label: string): Promise<RecoveryReport> {
  const t0 = performance.now();
  const store = await F2Kv.open(faultStoreOptions(direct, true));
  const openMs = performance.now() - t0;
  const report: RecoveryReport = { token: store.recoveredToken, beyondAcknowledged: 0, lost: 0, keysChecked: 0, manifestsChecked: 0, openMs };
  try {
    const hotSessions = store.hot.recoveredCheckpoint?.sessions ?? {};
    const problems: string[] = [];
    if (run.lastCompleted !== undefined && store.recoveredToken === undefined) problems.push(`nothing recovered, but checkpoint ${run.lastCompleted.token} completed`);
    const verifier = store.startSession('verifier');
    for (const s of run.sessions.values()) {
      const recovered = hotSessions[s.sid] ?? 0;
      const acknowledged = run.lastCompleted?.serials[s.sid] ?? 0;
      if (recovered < acknowledged) {
        report.lost += acknowledged - recovered;
        problems.push(`session ${s.sid}: the last completed checkpoint ${run.lastCompleted?.token} covers serial ${acknowledged}, recovered only ${recovered}`);
        continue;
      }
      if (recovered > s.session.serial) {
        problems.push(`session ${s.sid}: recovered serial ${recovered} beyond the last issued ${s.session.serial}`);
        continue;
      }
      report.beyondAcknowledged += recovered - acknowledged;
      if (store.continueSession(s.sid).serial !== recovered) problems.push(`continueSession(${s.sid}).serial != ${recovered}`);
      const expected = expectedAt(s, recovered, run.params.keySpace);
      const slots = Array.from({ length: run.params.keySpace }, (_, i) => i);
      for (let base = 0; base < slots.length; base += 64) {
        const part = slots.slice(base, base + 64);
        const values = await Promise.all(part.map((slot) => verifier.read(keyOf(s.sid, slot))));
        part.forEach((slot, i) => {
          const v = values[i];
          const got = v === undefined ? undefined : new TextDecoder().decode(v);
          const st = expected.get(slot);
          const want = st === undefined ? undefined : valueString(run.params, s.sid, slot, st);
          report.keysChecked++;
          if (got !== want && problems.length < 20) {
            problems.push(`${keyOf(s.sid, slot)} at serial ${recovered}: got ${String(got).slice(0, 50)}, expected ${String(want).slice(0, 50)}`);
          }
        });
      }
    }
    // Every manifest of the three prefixes must decode (checksums intact).
    for (const url of [joinUrl(direct.checkpointUrl, 'f2'), joinUrl(direct.checkpointUrl, 'hot'), direct.coldUrl]) {
      const os = await openObjectStore(url, direct.store);
      try {
        for (const e of await new ManifestStore(os).all()) {
          report.manifestsChecked++;
          if (e.error !== undefined) problems.push(`manifest ${url}/${e.key} unreadable: ${e.error instanceof Error ? e.error.message : String(e.error)}`);
        }
      } finally {
        await os.close();
      }
    }
    if (problems.length > 0) throw new Error(`${label}: recovery check failed (recovered ${store.recoveredToken ?? 'nothing'}):\n  ${problems.join('\n  ')}`);
  } finally {
    await store.close();
  }
  return report;
}

export function describeCounts(c: WorkloadCounts): string {
  const fmt = (r: Record<string, number>): string => Object.entries(r).map(([k, v]) => `${k}:${v}`).join(',') || 'none';
  return (
    `ops attempted=${c.opsAttempted} acknowledged=${c.opsAcknowledged} failedTyped={${fmt(c.opsFailedTyped)}} failedUntyped=${c.opsFailedUntyped}; ` +
    `checkpoints attempted=${c.checkpointsAttempted} completed=${c.checkpointsCompleted} failedTyped={${fmt(c.checkpointsFailedTyped)}} failedUntyped=${c.checkpointsFailedUntyped}; ` +
    `retries=${c.retries} requestErrors=${c.requestErrors}; longest op=${Math.round(c.longestOpMs)} ms, longest checkpoint=${Math.round(c.longestCheckpointMs)} ms; ` +
    `hangs=${c.hangs}; migrations=${c.migrations} (${c.recordsMigrated} records), cold reads=${c.coldReads}`
  );
}
