/**
 * The demo's phases. Each phase runs against the shared DemoContext and returns what it did; the
 * runner (demo.ts) times nothing itself and prints each phase's result. To add a phase, write a
 * DemoPhase and add it to `defaultPhases`. Phases see the store through DemoStore and DemoSession,
 * which both the two-tier F2Kv and the hot-only FasterKv satisfy.
 */
import { PENDING, PENDING_CODE, type RmwFunction } from '../index.js';
import type { Bytes } from '../core/bytes.js';
import type { Pending } from '../kv/kv-engine.js';
import type { Prng } from '../core/prng.js';
import type { DemoOracle } from './demo-oracle.js';
import { KEY_BYTES, maxValueSize } from './demo-oracle.js';
import { InFlight } from './in-flight.js';
import type { Io } from './io.js';
import { Activity, Progress } from './progress.js';
import { formatBytes, formatCount, table } from './format.js';
import type { ColdCompactionResult } from '../cold/cold-kv.js';

export interface DemoSettings {
  records: number;
  operations: number;
  valueSize: number;
  /** Asynchronous operations allowed in flight at once. */
  concurrency: number;
  /** Read every key back at the end. */
  verify: boolean;
  mix: WorkloadMix;
}

/** Fractions of the mixed workload (they sum to 1), and how keys and APIs are picked. */
export interface WorkloadMix {
  read: number;
  upsert: number;
  rmw: number;
  delete: number;
  /** Fraction of operations that go to the hot set; the rest pick any key. */
  hotOperations: number;
  /** Size of the hot set as a fraction of the keys. */
  hotKeys: number;
  /** Fraction of operations issued through the async API; the rest try the sync fast path first. */
  asyncApi: number;
}

export const DEFAULT_MIX: WorkloadMix = {
  read: 0.5, upsert: 0.3, rmw: 0.15, delete: 0.05, hotOperations: 0.5, hotKeys: 0.05, asyncApi: 0.5,
};

/** What the phases use of a session (F2Session and the hot tier's Session both have it). */
export interface DemoSession {
  readonly serial: number;
  read(key: Bytes): Promise<Uint8Array | undefined>;
  readSync(key: Bytes): Uint8Array | undefined | Pending;
  readInto(key: Bytes, out: Uint8Array): number;
  upsert(key: Bytes, value: Bytes): Promise<void>;
  upsertSync(key: Bytes, value: Bytes): void | Pending;
  rmw(key: Bytes, fn: RmwFunction): Promise<Uint8Array>;
  rmwSync(key: Bytes, fn: RmwFunction): Uint8Array | Pending;
  delete(key: Bytes): Promise<void>;
  deleteSync(key: Bytes): void | Pending;
  end(): void;
}

/** What the phases use of a store. */
export interface DemoStore {
  checkpoint(): Promise<string>;
  /** One line on what a checkpoint now covers (log sizes). */
  describeLogs(): string;
}

export interface DemoContext {
  readonly settings: DemoSettings;
  readonly io: Io;
  readonly store: DemoStore;
  readonly session: DemoSession;
  readonly oracle: DemoOracle;
  readonly rng: Prng;
}

export interface PhaseResult {
  name: string;
  operations: number;
  ms: number;
  /** Extra text the phase wants printed under its name (a breakdown table). */
  details?: string;
  /** Machine-readable details for --json. */
  data?: Record<string, unknown>;
}

export interface DemoPhase {
  readonly name: string;
  run(ctx: DemoContext): Promise<PhaseResult>;
}

/** Operations between two turns of the event loop, so device writes and reads complete meanwhile. */
const YIELD_EVERY = 1024;
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// ---------------------------------------------------------------------------------------- load

export const loadPhase: DemoPhase = {
  name: 'load',
  async run(ctx) {
    const { session, oracle, settings } = ctx;
    const progress = new Progress(ctx.io, 'load', settings.records);
    const key = new Uint8Array(KEY_BYTES);
    let viaAsync = 0;
    const started = performance.now();
    for (let k = 0; k < settings.records; k++) {
      oracle.keyInto(k, key);
      const value = oracle.load(k);
      if (session.upsertSync(key, value) === PENDING) {
        viaAsync++;
        await session.upsert(key, value);
      }
      if ((k & (YIELD_EVERY - 1)) === YIELD_EVERY - 1) {
        progress.update(k + 1);
        await yieldToEventLoop();
      }
    }
    progress.finish(settings.records);
    const ms = performance.now() - started;
    return {
      name: this.name,
      operations: settings.records,
      ms,
      details: `  ${formatCount(settings.records - viaAsync)} upserts on the sync fast path, ${formatCount(viaAsync)} waited for log space (async)\n`,
      data: { syncUpserts: settings.records - viaAsync, waitedForSpace: viaAsync },
    };
  },
};

// ---------------------------------------------------------------------------------------- mixed

type OpKind = 'read' | 'upsert' | 'rmw' | 'delete';
const OP_KINDS: readonly OpKind[] = ['read', 'upsert', 'rmw', 'delete'];

interface OpCounts {
  /** Completed on the sync fast path. */
  sync: number;
  /** Sync fast path answered PENDING; finished with the async API. */
  pending: number;
  /** Issued through the async API directly. */
  async: number;
}

export const mixedPhase: DemoPhase = {
  name: 'mixed workload',
  async run(ctx) {
    const { session, oracle, settings, rng } = ctx;
    const mix = settings.mix;
    const records = settings.records;
    const hotKeys = Math.max(1, Math.floor(records * mix.hotKeys));
    const inFlight = new InFlight(Math.max(1, Math.min(settings.concurrency, Math.floor(records / 4))));
    const busy = new Uint8Array(records);
    const counts: Record<OpKind, OpCounts> = {
      read: { sync: 0, pending: 0, async: 0 },
      upsert: { sync: 0, pending: 0, async: 0 },
      rmw: { sync: 0, pending: 0, async: 0 },
      delete: { sync: 0, pending: 0, async: 0 },
    };
    const key = new Uint8Array(KEY_BYTES);
    const readBuffer = new Uint8Array(maxValueSize(settings.valueSize));
    const readUpTo = mix.read;
    const upsertUpTo = readUpTo + mix.upsert;
    const rmwUpTo = upsertUpTo + mix.rmw;

    const pickKey = (): number => {
      for (;;) {
        const k = rng.nextFloat() < mix.hotOperations ? rng.nextInt(hotKeys) : rng.nextInt(records);
        if (busy[k] === 0) return k;
      }
    };
    /** Runs op on k in the background; k is not picked again until it finishes. */
    const background = (k: number, op: () => Promise<void>): Promise<void> => {
      busy[k] = 1;
      return inFlight.run(async () => {
        try {
          await op();
        } finally {
          busy[k] = 0;
        }
      });
    };

    const progress = new Progress(ctx.io, 'mixed', settings.operations);
    const started = performance.now();
    for (let i = 0; i < settings.operations; i++) {
      if (i > 0 && (i & (YIELD_EVERY - 1)) === 0) {
        progress.update(i);
        await yieldToEventLoop();
      }
      const k = pickKey();
      const r = rng.nextFloat();
      const kind: OpKind = r < readUpTo ? 'read' : r < upsertUpTo ? 'upsert' : r < rmwUpTo ? 'rmw' : 'delete';
      const useAsync = rng.nextFloat() < mix.asyncApi;
      const c = counts[kind];
      if (useAsync) c.async++;
      oracle.keyInto(k, key);

      if (kind === 'read') {
        const expected = oracle.expectedVersion(k);
        if (!useAsync) {
          // Alternate the two sync read calls: readInto (no allocation) and readSync (a copy).
          if ((i & 1) === 0) {
            const n = session.readInto(key, readBuffer);
            if (n !== PENDING_CODE) {
              c.sync++;
              oracle.check('readInto', k, expected, n < 0 ? undefined : readBuffer, n);
              continue;
            }
          } else {
            const v = session.readSync(key);
            if (v !== PENDING) {
              c.sync++;
              oracle.check('readSync', k, expected, v);
              continue;
            }
          }
          c.pending++;
        }
        const ownKey = oracle.key(k);
        await background(k, async () => {
          oracle.check(useAsync ? 'read' : 'read (after PENDING)', k, expected, await session.read(ownKey));
        });
      } else if (kind === 'upsert') {
        const value = oracle.upsert(k);
        if (!useAsync) {
          if (session.upsertSync(key, value) !== PENDING) {
            c.sync++;
            continue;
          }
          c.pending++;
        }
        const ownKey = oracle.key(k);
        await background(k, () => session.upsert(ownKey, value));
      } else if (kind === 'rmw') {
        const [fn, version] = oracle.rmw(k);
        if (!useAsync) {
          const v = session.rmwSync(key, fn);
          if (v !== PENDING) {
            c.sync++;
            oracle.check('rmwSync (result)', k, version, v);
            continue;
          }
          c.pending++;
        }
        const ownKey = oracle.key(k);
        await background(k, async () => {
          oracle.check(useAsync ? 'rmw (result)' : 'rmw after PENDING (result)', k, version, await session.rmw(ownKey, fn));
        });
      } else {
        oracle.delete(k);
        if (!useAsync) {
          if (session.deleteSync(key) !== PENDING) {
            c.sync++;
            continue;
          }
          c.pending++;
        }
        const ownKey = oracle.key(k);
        await background(k, () => session.delete(ownKey));
      }
    }
    await inFlight.drain();
    progress.finish(settings.operations);
    const ms = performance.now() - started;

    const pct = (x: number): string => `${Math.round(x * 100)}%`;
    const rows: string[][] = [['operation', 'count', 'sync fast path', 'PENDING → async', 'async API']];
    const total: OpCounts = { sync: 0, pending: 0, async: 0 };
    for (const kind of OP_KINDS) {
      const { sync, pending, async } = counts[kind];
      total.sync += sync;
      total.pending += pending;
      total.async += async;
      rows.push([kind, formatCount(sync + pending + async), formatCount(sync), formatCount(pending), formatCount(async)]);
    }
    rows.push(['total', formatCount(settings.operations), formatCount(total.sync), formatCount(total.pending), formatCount(total.async)]);
    const header =
      `  ${pct(mix.read)} read, ${pct(mix.upsert)} upsert, ${pct(mix.rmw)} rmw, ${pct(mix.delete)} delete; ` +
      `${pct(mix.hotOperations)} of operations on ${pct(mix.hotKeys)} of the keys, the rest uniform; ` +
      `${pct(mix.asyncApi)} through the async API, up to ${settings.concurrency} in flight\n`;
    return { name: this.name, operations: settings.operations, ms, details: header + table(rows), data: { counts } };
  },
};

// ---------------------------------------------------------------------------------------- verify

/** Reads every `stride`-th key back and checks it against the oracle. */
export function makeVerifyPhase(stride: number, name = stride === 1 ? 'verify all keys' : `verify every ${stride}th key`): DemoPhase {
  return {
  name,
  async run(ctx) {
    const { session, oracle, settings } = ctx;
    const inFlight = new InFlight(settings.concurrency);
    const progress = new Progress(ctx.io, 'verify', settings.records);
    const key = new Uint8Array(KEY_BYTES);
    let live = 0;
    let fromDevice = 0;
    const started = performance.now();
    let checked = 0;
    for (let k = 0; k < settings.records; k += stride) {
      checked++;
      const expected = oracle.expectedVersion(k);
      if (expected >= 0) live++;
      const v = session.readSync(oracle.keyInto(k, key));
      if (v !== PENDING) {
        oracle.check('verify readSync', k, expected, v);
      } else {
        fromDevice++;
        const ownKey = oracle.key(k);
        await inFlight.run(async () => void oracle.check('verify read', k, expected, await session.read(ownKey)));
      }
      if ((k & (YIELD_EVERY - 1)) === YIELD_EVERY - 1) progress.update(k + 1);
    }
    await inFlight.drain();
    progress.finish(settings.records);
    const ms = performance.now() - started;
    return {
      name,
      operations: checked,
      ms,
      details: `  ${formatCount(live)} live keys, ${formatCount(checked - live)} deleted; ` +
        `${formatCount(checked - fromDevice)} answered by the sync fast path, ${formatCount(fromDevice)} needed I/O (async read)\n`,
      data: { live, deleted: checked - live, fromDevice },
    };
  },
  };
}

export const verifyPhase: DemoPhase = makeVerifyPhase(1);

// ------------------------------------------------------------------------------- checkpoint

/** Takes a checkpoint while the demo session keeps writing, and reports how long it took. */
export const checkpointPhase: DemoPhase = {
  name: 'checkpoint',
  async run(ctx) {
    const started = performance.now();
    const token = await Activity.run(ctx.io, 'checkpoint', () => ctx.store.checkpoint(), (t) => `token ${t} durable`);
    const ms = performance.now() - started;
    return {
      name: 'checkpoint',
      operations: 1,
      ms,
      details: `  token ${token}: ${ctx.store.describeLogs()}, durable in ${ms.toFixed(0)} ms\n`,
      data: { token },
    };
  },
};

// ------------------------------------------------------------------------ cold compaction

/** What the cold compaction phase needs: one on-demand pass over the oldest part of the cold log. */
export interface ColdCompactor {
  /** Compacts the oldest `fraction` of the cold log (live records to its tail; tombstones and shadowed versions dropped). */
  compactOldest(fraction: number): Promise<ColdCompactionResult>;
}

/** Compacts the oldest `fraction` of the cold log once, while nothing else runs. */
export function makeColdCompactionPhase(compactor: ColdCompactor, fraction: number): DemoPhase {
  return {
    name: 'compact cold log',
    async run(ctx) {
      const started = performance.now();
      const r = await Activity.run(ctx.io, 'compact cold log', () => compactor.compactOldest(fraction),
        (c) => `${formatCount(c.recordsScanned)} records scanned, ${formatBytes(c.bytesReclaimed)} reclaimed`);
      const ms = performance.now() - started;
      return {
        name: this.name,
        operations: r.recordsScanned,
        ms,
        details:
          `  oldest ${Math.round(fraction * 100)}% of the cold log [${formatCount(r.fromAddress)}, ${formatCount(r.untilAddress)}): ` +
          `${formatCount(r.recordsScanned)} records scanned, ${formatCount(r.recordsCopied)} live ones copied to the cold tail, ` +
          `${formatCount(r.tombstonesDropped)} tombstones dropped, ${formatBytes(r.bytesReclaimed)} reclaimed, ${formatCount(r.gets)} GETs\n`,
        data: { ...r },
      };
    },
  };
}

export function defaultPhases(settings: DemoSettings, cold?: ColdCompactor): DemoPhase[] {
  const phases = [loadPhase, mixedPhase];
  if (cold !== undefined) phases.push(makeColdCompactionPhase(cold, COLD_COMPACTION_FRACTION));
  phases.push(checkpointPhase);
  // Two-tier: most keys are read from the cold tier, a few GETs each; a sample of about
  // VERIFY_SAMPLE keys keeps the demo short (every key with --hot-only).
  if (settings.verify) phases.push(cold === undefined ? verifyPhase : makeVerifyPhase(Math.max(1, Math.floor(settings.records / VERIFY_SAMPLE))));
  return phases;
}

/** Keys the two-tier demo reads back after the workload and again after reopening. */
export const VERIFY_SAMPLE = 10_000;

/** Fraction of the cold log the demo's cold compaction phase compacts. */
export const COLD_COMPACTION_FRACTION = 0.25;
