/**
 * The crash test's child process: opens (recovers) a checkpointed store, continues its sessions
 * from their recovered serial numbers and runs the deterministic workload of ./workload.ts until
 * it is killed (or until maxRunMs, then it closes cleanly and prints DONE).
 *
 *   node <compiled>/test/crash/worker.js '<WorkerConfig JSON>'
 *   env F2KV_CRASH_STORE='<StoreLocation JSON>' (kept out of argv: it may hold credentials)
 *
 * Protocol on stdout, one line each (stdout is a pipe, written synchronously on Linux, so a line
 * the parent reads was printed before the process died):
 *   READY <json {token, sessions}>          after open: the recovered token and serials
 *   CKPT-START <n>                          just before the n-th store.checkpoint() call
 *   CKPT <token> <json serials>             after it resolved: the serials it covers
 *   DONE <json serials>                     clean exit after maxRunMs
 * and for an F2 store (StoreLocation.cold), when the config asks for explicit compactions:
 *   MIGRATE-START <n>                       just before the n-th compactHotLog() (hot → cold)
 *   MIGRATE <n> <json>                      after it resolved (records moved, passes so far)
 *   COLD-COMPACT-START <n>                  just before the n-th compactColdLog()
 *   COLD-COMPACT <n> <json>                 after it resolved
 * Failures: `FATAL <message>` on stderr and exit code 2; a value that disagrees with the oracle:
 * `MISMATCH <detail>` on stderr and exit code 3.
 *
 * Concurrency: every active session runs batches of 1..maxWindow operations in flight at once
 * (consecutive serials, hence distinct keys: maxWindow ≤ keySpace), awaits the batch and starts the
 * next. Per-key order is therefore the serial order, whatever order the store completes pending
 * operations in, and the oracle's prefix semantics hold. Sessions run concurrently with each other
 * and with checkpoints, which start every checkpointEveryMs (± 50 %).
 */
import { Prng } from '../../src/core/prng.js';
import { F2Kv } from '../../src/index.js';
import { continueSession, openStore, recoveredOf, type CrashSession, type StoreLocation } from './store-api.js';
import { applyOp, describe, opFor, rmwFunction, SessionOracle, valueString, type KeyState, type WorkloadParams } from './workload.js';

export interface WorkerConfig {
  seed: number;
  keySpace: number;
  /** Sessions w0..w{n-1} that run operations in this run (others are continued and left idle). */
  active: string[];
  /** Upper bound of operations in flight per session (≤ keySpace). */
  maxWindow: number;
  checkpointEveryMs: number;
  /** A seed for the worker's own choices (batch sizes, checkpoint jitter); not part of the oracle. */
  scheduleSeed: number;
  maxRunMs: number;
  /** Operations per second over all sessions (the worker sleeps when ahead); 0: as fast as it goes. */
  opsPerSecond: number;
  /** Run automatic compaction (log budget compactionMaxLogSize) while writing and checkpointing. */
  compactionMaxLogSize?: string;
  /** F2 only: call compactHotLog() every this many ms (± 50 %); 0 or absent: only automatic migration. */
  migrateEveryMs?: number;
  /** F2 only: call compactColdLog() every this many ms (± 50 %); 0 or absent: only automatic cold compaction. */
  coldCompactEveryMs?: number;
}

const decoder = new TextDecoder();

function line(text: string): void {
  process.stdout.write(`${text}\n`);
}

function fatal(kind: 'FATAL' | 'MISMATCH', message: string): never {
  process.stderr.write(`${kind} ${message}\n`);
  process.exit(kind === 'FATAL' ? 2 : 3);
}

async function main(): Promise<void> {
  const cfgText = process.argv[2];
  const locText = process.env['F2KV_CRASH_STORE'];
  if (cfgText === undefined || locText === undefined) fatal('FATAL', 'usage: worker.js <config JSON> with F2KV_CRASH_STORE=<store JSON>');
  const cfg = JSON.parse(cfgText) as WorkerConfig;
  const loc = JSON.parse(locText) as StoreLocation;
  if (cfg.maxWindow > cfg.keySpace) fatal('FATAL', `maxWindow ${cfg.maxWindow} must not exceed keySpace ${cfg.keySpace}`);
  const params: WorkloadParams = { seed: cfg.seed, keySpace: cfg.keySpace };
  const rng = new Prng(cfg.scheduleSeed);

  const store = await openStore(loc, true, cfg.compactionMaxLogSize);
  const recovered = recoveredOf(store);
  const known = new Set([...Object.keys(recovered?.sessions ?? {}), ...cfg.active]);
  const sessions = new Map<string, CrashSession>();
  for (const sid of [...known].sort()) {
    const s = continueSession(store, sid);
    const expected = recovered?.sessions[sid] ?? 0;
    if (s.serial !== expected) fatal('FATAL', `continueSession(${sid}).serial = ${s.serial}, recovered checkpoint says ${expected}`);
    sessions.set(sid, s);
  }
  const serials = (): Record<string, number> => Object.fromEntries([...sessions].map(([sid, s]) => [sid, s.serial]));
  line(`READY ${JSON.stringify({ token: recovered?.token ?? null, sessions: serials() })}`);

  let stopping = false;
  const failures: string[] = [];
  const onMismatch = (detail: string): void => {
    failures.push(detail);
  };

  const runSession = async (sid: string): Promise<void> => {
    const s = sessions.get(sid)!;
    // The worker's own view of the session's keys, from ops 1..serial (checks rmw and read results).
    const state = new Map<number, KeyState>(new SessionOracle(params, sid).at(s.serial));
    let batches = 0;
    const t0 = Date.now();
    let issued = 0;
    const perSessionRate = cfg.opsPerSecond / cfg.active.length;
    while (!stopping) {
      const width = 1 + rng.nextInt(cfg.maxWindow);
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < width; i++) {
        const op = opFor(params, sid, s.serial + 1);
        const before = state.get(op.slot);
        switch (op.kind) {
          case 'upsert': {
            const next = applyOp(state, op)!;
            pending.push(s.upsert(op.key, valueString(params, sid, op.slot, next)));
            break;
          }
          case 'rmw':
            applyOp(state, op);
            pending.push(s.rmw(op.key, rmwFunction(params, sid, op, before, onMismatch)));
            break;
          case 'delete':
            applyOp(state, op);
            pending.push(s.delete(op.key));
            break;
          case 'read': {
            const expected = before === undefined ? undefined : valueString(params, sid, op.slot, before);
            pending.push(
              s.read(op.key).then((v) => {
                const got = v === undefined ? undefined : decoder.decode(v);
                if (got !== expected) onMismatch(`read ${op.key} serial ${op.serial}: got ${describe(got)}, expected ${describe(expected)}`);
              }),
            );
            break;
          }
        }
        if (s.serial !== op.serial) {
          // A write refused before it took a serial number (a fenced store: FencedError) rejects
          // here and stops the worker with its reason; otherwise the serial is out of step.
          await Promise.all(pending);
          fatal('FATAL', `session ${sid}: serial ${s.serial} after op ${op.serial}`);
        }
      }
      await Promise.all(pending);
      if (failures.length > 0) fatal('MISMATCH', failures.join('\n'));
      issued += width;
      const aheadMs = perSessionRate > 0 ? (issued / perSessionRate) * 1000 - (Date.now() - t0) : 0;
      if (aheadMs >= 2) await new Promise<void>((r) => setTimeout(r, aheadMs));
      // Let timers (checkpoints, the parent's kill) and I/O run even when every op completed in memory.
      else if (++batches % 4 === 0) await new Promise<void>((r) => setImmediate(r));
    }
  };

  let checkpoints = 0;
  const checkpointLoop = async (): Promise<void> => {
    while (!stopping) {
      await new Promise<void>((r) => setTimeout(r, cfg.checkpointEveryMs * (0.5 + rng.nextFloat())));
      if (stopping) break;
      const covered = serials();
      line(`CKPT-START ${++checkpoints}`);
      const token = await store.checkpoint();
      line(`CKPT ${token} ${JSON.stringify(covered)}`);
    }
  };

  // F2: explicit hot → cold migrations and cold compactions at random moments (besides the
  // automatic ones on the tiers' budgets), announced so that the parent can kill during them.
  const maintenanceLoop = async (kind: 'MIGRATE' | 'COLD-COMPACT', everyMs: number | undefined): Promise<void> => {
    if (!(store instanceof F2Kv) || everyMs === undefined || everyMs <= 0) return;
    let n = 0;
    while (!stopping) {
      await new Promise<void>((r) => setTimeout(r, everyMs * (0.5 + rng.nextFloat())));
      if (stopping) break;
      line(`${kind}-START ${++n}`);
      if (kind === 'MIGRATE') {
        const r = await store.compactHotLog();
        line(`MIGRATE ${n} ${JSON.stringify({ moved: r.recordsCopied, scanned: r.recordsScanned, passes: store.stats().hotToCold.passes })}`);
      } else {
        const r = await store.compactColdLog();
        line(`COLD-COMPACT ${n} ${JSON.stringify({ copied: r.recordsCopied, scanned: r.recordsScanned, passes: store.stats().coldToCold.passes })}`);
      }
    }
  };

  // Everything awaits promises that nothing will settle: a deadlock inside the store. Node would
  // exit with code 0 here; say so instead.
  let finished = false;
  process.on('beforeExit', () => {
    if (!finished) fatal('FATAL', `deadlock: the event loop is empty but the workload has not finished (checkpoint ${checkpoints} started; serials ${JSON.stringify(serials())})`);
  });
  const stop = setTimeout(() => {
    stopping = true;
  }, cfg.maxRunMs);
  await Promise.all([
    ...cfg.active.map(runSession),
    checkpointLoop(),
    maintenanceLoop('MIGRATE', cfg.migrateEveryMs),
    maintenanceLoop('COLD-COMPACT', cfg.coldCompactEveryMs),
  ]);
  clearTimeout(stop);
  const final = serials();
  await store.close();
  finished = true;
  line(`DONE ${JSON.stringify(final)}`);
}

main().catch((e: unknown) => {
  const err = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
  fatal('FATAL', err);
});
