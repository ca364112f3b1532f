/**
 * The durable-acknowledgement kill test's child process: opens (recovers) a store with an
 * operation log, checks every session against the deterministic workload of ./workload.ts up to
 * its recovered serial number, then writes with durable acknowledgements until it is killed.
 *
 *   node <compiled>/test/crash/durable-worker.js '<DurableWorkerConfig JSON>'
 *   env F2KV_CRASH_STORE='<StoreLocation JSON>' (kept out of argv: it may hold credentials)
 *
 * stdout, one line each (written synchronously to a pipe, so a line the parent read was printed
 * before the process died):
 *   READY <json {sessions, keysChecked, replayed}>   after recovery and the check
 *   ACK <session> <serial>                           a write resolved as durable
 *   DONE                                             clean exit (maxRunMs 0: check only)
 * stderr: `MISMATCH <detail>` (exit 3) when the recovered state is not the exact prefix;
 * `FATAL <message>` (exit 2) on any other failure.
 */
import { Prng } from '../../src/core/prng.js';
import { F2Kv, FasterKv, type DurabilityOptions, type RmwFunction, type WriteOptions } from '../../src/index.js';
import { f2StoreOptions, storeOptions, type StoreLocation } from './store-api.js';
import { verifySession } from './verify.js';
import { applyOp, opFor, rmwFunction, SessionOracle, valueString, type KeyState, type WorkloadParams } from './workload.js';

export interface DurableWorkerConfig {
  seed: number;
  keySpace: number;
  sessions: string[];
  /** Operations in flight per session: batches of 1..maxWindow (≤ keySpace, so distinct keys). */
  maxWindow: number;
  durability: DurabilityOptions;
  /** Share of writes that pass `{ durable: true }` (mode 'commit' acknowledges every write as durable). */
  durableShare: number;
  checkpointEveryMs: number;
  scheduleSeed: number;
  /** 0: recover, check and exit. */
  maxRunMs: number;
}

/** What the worker uses of a session (FasterKv's Session and F2Session both have it). */
interface DurableSession {
  readonly serial: number;
  read(key: string): Promise<Uint8Array | undefined>;
  upsert(key: string, value: string, options?: WriteOptions): Promise<void>;
  rmw(key: string, fn: RmwFunction, options?: WriteOptions): Promise<Uint8Array>;
  delete(key: string, options?: WriteOptions): Promise<void>;
}

function line(text: string): void {
  process.stdout.write(`${text}\n`);
}

function fatal(kind: 'FATAL' | 'MISMATCH', message: string): never {
  process.stderr.write(`${kind} ${message}\n`);
  process.exit(kind === 'FATAL' ? 2 : 3);
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? 'null') as DurableWorkerConfig | null;
  const locText = process.env['F2KV_CRASH_STORE'];
  if (cfg === null || locText === undefined) fatal('FATAL', 'usage: durable-worker.js <config JSON> with F2KV_CRASH_STORE=<store JSON>');
  const loc = JSON.parse(locText) as StoreLocation;
  const params: WorkloadParams = { seed: cfg.seed, keySpace: cfg.keySpace };
  const rng = new Prng(cfg.scheduleSeed);
  const store: FasterKv | F2Kv = loc.cold !== undefined
    ? await F2Kv.open({ ...f2StoreOptions(loc, loc.cold, true), durability: cfg.durability })
    : await FasterKv.open({ ...storeOptions(loc, true), durability: cfg.durability });

  // Recovery check: each session holds exactly the state after its operations 1..serial.
  const sessions = new Map<string, DurableSession>();
  const reader = store.startSession(`verify-${process.pid}`);
  let keysChecked = 0;
  for (const sid of cfg.sessions) {
    const s = store.continueSession(sid);
    sessions.set(sid, s);
    const check = await verifySession(params, new SessionOracle(params, sid), s.serial, (k) => reader.read(k));
    keysChecked += check.keysChecked;
    if (check.mismatchCount > 0) fatal('MISMATCH', `session ${sid} at recovered serial ${s.serial}: ${check.mismatchCount} keys differ:\n${check.mismatches.join('\n')}`);
  }
  reader.end();
  const serials = Object.fromEntries([...sessions].map(([sid, s]) => [sid, s.serial]));
  line(`READY ${JSON.stringify({ sessions: serials, keysChecked, replayed: store.replayed?.entriesApplied ?? 0 })}`);
  if (cfg.maxRunMs === 0) {
    await store.close();
    line('DONE');
    return;
  }

  let stopping = false;
  const failures: string[] = [];
  const allDurable = (cfg.durability.mode ?? 'commit') === 'commit';
  const runSession = async (sid: string): Promise<void> => {
    const s = sessions.get(sid)!;
    const state = new Map<number, KeyState>(new SessionOracle(params, sid).at(s.serial));
    while (!stopping) {
      const width = 1 + rng.nextInt(cfg.maxWindow);
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < width; i++) {
        const op = opFor(params, sid, s.serial + 1);
        const before = state.get(op.slot);
        const durable = allDurable || rng.nextFloat() < cfg.durableShare;
        const options = durable ? { durable: true } : undefined;
        const ack = (): void => {
          if (durable) line(`ACK ${sid} ${op.serial}`);
        };
        switch (op.kind) {
          case 'upsert': {
            const next = applyOp(state, op)!;
            pending.push(s.upsert(op.key, valueString(params, sid, op.slot, next), options).then(ack));
            break;
          }
          case 'rmw':
            applyOp(state, op);
            pending.push(s.rmw(op.key, rmwFunction(params, sid, op, before, (d) => failures.push(d)), options).then(ack));
            break;
          case 'delete':
            applyOp(state, op);
            pending.push(s.delete(op.key, options).then(ack));
            break;
          case 'read':
            pending.push(s.read(op.key));
            break;
        }
        if (s.serial !== op.serial) fatal('FATAL', `session ${sid}: serial ${s.serial} after op ${op.serial}`);
      }
      await Promise.all(pending);
      if (failures.length > 0) fatal('MISMATCH', failures.join('\n'));
    }
  };
  const checkpointLoop = async (): Promise<void> => {
    while (!stopping) {
      await new Promise<void>((r) => setTimeout(r, cfg.checkpointEveryMs * (0.5 + rng.nextFloat())));
      if (!stopping) await store.checkpoint();
    }
  };
  const stop = setTimeout(() => (stopping = true), cfg.maxRunMs);
  await Promise.all([...cfg.sessions.map(runSession), checkpointLoop()]);
  clearTimeout(stop);
  await store.close();
  line('DONE');
}

main().catch((e: unknown) => fatal('FATAL', e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e)));
