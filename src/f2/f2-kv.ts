/**
 * F2Kv: the two-tier store. A hot FasterKv (hash index + hybrid log in memory and on a local
 * file, with its read cache) serves the working set; a ColdKv on object storage keeps everything
 * else. This is the only module that knows there are two tiers.
 *
 * - Reads search hot (read cache, memory, hot device), then cold; writes go to hot; deletes
 *   always leave a hot tombstone; RMW reads cold when the key has no hot record and inserts the
 *   result into hot only if the hot chain did not change meanwhile (see F2Session).
 * - Hot → cold migration is the hot engine's compaction (on the hot log's budget, with writer
 *   backpressure, or on demand with compactHotLog()); cold → cold compaction runs on the cold
 *   log's budget or on demand with compactColdLog().
 * - One checkpoint token covers both tiers: migration pauses, the hot tier takes its CPR
 *   checkpoint (sessions' serial numbers), the cold tier captures its state, migration resumes,
 *   and the F2 manifest naming both tokens is published last.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { CorruptionError, F2Error, FencedError } from '../core/errors.js';
import { Fence, type FencedListener } from '../core/fence.js';
import type { IntervalTask } from '../core/interval-task.js';
import { componentLogger } from '../core/logger.js';
import { ColdKv, type ColdCompactionResult, type ColdKvStats } from '../cold/cold-kv.js';
import { openObjectStore } from '../devices/open-object-store.js';
import type { ObjectStoreStats } from '../devices/object-store-stats.js';
import type { ObjectStore } from '../devices/object-store.js';
import { FasterKv } from '../hot/faster-kv.js';
import { emptyCheckpointStats, type CheckpointStats } from '../kv/checkpoint-manager.js';
import type { CompactionResult } from '../kv/compaction.js';
import { startFenceWatch } from '../kv/fence-watch.js';
import type { KvEngineStats } from '../kv/kv-engine.js';
import { openOperationLog } from '../kv/operation-log-recovery.js';
import type { OperationLog, OperationLogStats, ReplayResult } from '../kv/operation-log.js';
import { startPeriodicCheckpoints } from '../kv/periodic-checkpoints.js';
import { F2Manifests } from './f2-checkpoint.js';
import { joinUrl, resolveF2Options, type F2KvOptions, type ResolvedF2Options } from './f2-options.js';
import { F2Session, type TierReadStats } from './f2-session.js';
import { HotToColdMigrator, type MigrationStats } from './hot-to-cold.js';
import { f2TokensNotNeeding } from './verify-store.js';

/**
 * A tier's CorruptionError at open names that tier's tokens; the user opens F2 checkpoints. This
 * restates it with the F2 checkpoints that do not need the damaged object (from the manifests).
 */
async function damagedTier(err: unknown, tier: 'hot' | 'cold', token: string, f2Store: ObjectStore, resolved: ResolvedF2Options): Promise<unknown> {
  if (!(err instanceof CorruptionError) || err.object === undefined) return err;
  const object = err.object;
  const inner = err.cause instanceof CorruptionError ? err.cause.message : err.message;
  const [url, options] = tier === 'hot' ? [joinUrl(resolved.checkpoint.url, 'hot'), resolved.checkpoint.store] : [resolved.coldInput.url, resolved.coldInput.store];
  let instead: string;
  try {
    const tierStore = await openObjectStore(url, { ...options, createIfMissing: false });
    try {
      const tokens = await f2TokensNotNeeding(f2Store, tierStore, tier, object, token);
      instead = tokens.length > 0
        ? `F2 checkpoints that do not need it: ${tokens.join(', ')} (open with recover: "${tokens[0]}")`
        : 'no other F2 checkpoint can do without it: restore the store from a backup, or open with recover: false for a new, empty store';
    } finally {
      await tierStore.close().catch(() => undefined);
    }
  } catch {
    instead = 'the other checkpoints could not be listed';
  }
  return new CorruptionError(`F2 checkpoint ${token} is damaged: its ${tier} tier's ${inner}; ${instead}`, object, { cause: err });
}

const log = componentLogger('f2kv');

/** Counters and sizes of an F2Kv and both its tiers, returned by F2Kv.stats(); counters are cumulative since open. */
export interface F2KvStats {
  /** Session operations by kind (counted on the hot tier) and retries in both tiers. */
  operations: {
    /** Reads started. */
    reads: number;
    /** Upserts started. */
    upserts: number;
    /** Read-modify-writes started. */
    rmws: number;
    /** Deletes started. */
    deletes: number;
    /** Operations retried in either tier (index entry or cold slot changed meanwhile). */
    retries: number;
  };
  /** Where reads were served from. */
  reads: TierReadStats;
  /** Object GETs per read served by the cold tier (chunk + record reads). */
  getsPerColdRead: number;
  /** Statistics of the hot tier. */
  hot: KvEngineStats;
  /** Statistics of the cold tier. */
  cold: ColdKvStats;
  /** Hot → cold migration passes and what they moved. */
  hotToCold: MigrationStats;
  /** Cold → cold compaction passes (the cold tier's compaction statistics). */
  coldToCold: ColdKvStats['compaction'];
  /** Checkpoints of the whole store and their durations. */
  checkpoints: CheckpointStats;
  /** Object-store requests and bytes by tier. */
  requests: {
    /** Requests of the hot tier's checkpoint store, undefined without one. */
    hotCheckpoints: ObjectStoreStats | undefined;
    /** Requests of the cold tier's object store. */
    cold: ObjectStoreStats;
  };
  /** Memory by structure, bytes. */
  memory: {
    /** Hot hash index. */
    hotIndex: number;
    /** Hot log page frames. */
    hotLog: number;
    /** Read cache pages (0 when off). */
    readCache: number;
    /** Cold index table in memory. */
    coldTable: number;
    /** Cold hash chunks in memory (chunk log pages and chunk read cache). */
    chunkCache: number;
    /** Cold log write buffer pages. */
    coldLogBuffer: number;
    /** Sum of the above. */
    total: number;
  };
  /** Estimated object-store cost: dollars in total and per million operations (prices as configured). */
  cost: {
    /** Estimated dollars spent on requests since open. */
    dollars: number;
    /** dollars per million session operations. */
    perMillionOps: number;
    /** The request prices used, dollars per 1,000 requests by kind. */
    prices: ResolvedF2Options['prices'];
  };
  /** Longest event-loop pause since open, milliseconds (includes migration and compaction slices). */
  longestEventLoopPauseMs: number;
}

/** The two-tier store: a hot FasterKv on a local file in front of a ColdKv on object storage, with one checkpoint token for both. Open with F2Kv.open, then use sessions (startSession). See the module comment for how reads, writes, migration and checkpoints work. */
export class F2Kv {
  /** Resolved options (defaults applied); used by the CLI and the metrics. @internal */
  readonly options: ResolvedF2Options;
  private readonly sessions = new Map<string, F2Session>();
  private readonly reads: TierReadStats = { hotMemory: 0, readCache: 0, hotDevice: 0, cold: 0, notFound: 0 };
  private readonly migrator: HotToColdMigrator;
  private checkpointing: Promise<string> | undefined;
  private readonly checkpointStats: CheckpointStats = emptyCheckpointStats();
  private lastCheckpointState = '';
  private closing: Promise<void> | undefined;
  private closed = false;
  /**
   * Set once another writer claims the store, found in either tier or in the F2 manifests: the
   * three fences are linked, so each tier refuses writes too.
   */
  readonly fence: Fence;
  /** Background tasks: periodic checkpoints and the claim check (stopped by close()). */
  private timers: IntervalTask[] = [];
  private readonly loopDelay: IntervalHistogram;
  private sessionCount = 0;

  private constructor(
    /** The hot tier. */
    readonly hot: FasterKv,
    /** The cold tier. */
    readonly cold: ColdKv,
    private readonly manifests: F2Manifests,
    options: ResolvedF2Options,
  ) {
    this.options = options;
    this.migrator = new HotToColdMigrator(hot, cold);
    hot.lowerTier = true;
    hot.compactor = (until: number): Promise<CompactionResult> => this.migrator.migrate(until);
    this.loopDelay = monitorEventLoopDelay({ resolution: 10 });
    this.loopDelay.enable();
    // The newest F2 manifest holds this state (the recovered checkpoint, or an empty store).
    this.lastCheckpointState = this.stateKey();
    this.fence = new Fence(`the F2 store at ${manifests.store.url}`);
    for (const tier of [hot.fence, cold.fence]) {
      tier.onFenced((err) => this.fence.fence(err));
      this.fence.onFenced((err) => tier.fence(err));
    }
    const ck = options.checkpoint;
    const periodic = startPeriodicCheckpoints(
      ck.intervalMs,
      { busy: () => this.checkpointing !== undefined, unchanged: () => this.stateKey() === this.lastCheckpointState, checkpoint: () => this.checkpoint() },
      this.checkpointStats,
      this.fence,
    );
    const watch = startFenceWatch(ck.fenceCheckIntervalMs, this.fence, () => this.checkClaim());
    this.timers = [periodic, watch].filter((t) => t !== undefined);
  }

  /** The claim check (one LIST of the F2 manifests): fences the store when another writer claimed it. */
  private async checkClaim(): Promise<boolean> {
    if (this.fence.fenced) return true;
    const other = await this.manifests.newerWriter();
    if (other !== undefined) this.fence.fence(other);
    return this.fence.fenced;
  }

  /** The F2 checkpoint this store was recovered from, if any. */
  get recoveredToken(): string | undefined {
    return this.manifests.chosen?.token;
  }

  /**
   * Opens (or creates) the two-tier store: claims it as its single writer and recovers both tiers
   * from the newest F2 checkpoint (or `recover: token`; `recover: false` starts a new store).
   * With the hot directory gone (a fresh machine), the hot tier is rebuilt from the checkpoint store.
   */
  static async open(options: F2KvOptions): Promise<F2Kv> {
    const resolved = resolveF2Options(options);
    const f2Url = joinUrl(resolved.checkpoint.url, 'f2');
    const store = await openObjectStore(f2Url, { createIfMissing: f2Url.startsWith('file:'), ...resolved.checkpoint.store });
    let hot: FasterKv | undefined;
    let cold: ColdKv | undefined;
    try {
      const manifests = await F2Manifests.claim(store, resolved.recover, resolved.checkpoint.keep);
      const chosen = manifests.chosen;
      try {
        hot = await claimTier(() => FasterKv.open({ ...resolved.hotInput, recover: chosen?.hot ?? false }));
      } catch (err) {
        throw chosen ? await damagedTier(err, 'hot', chosen.token, store, resolved) : err;
      }
      try {
        cold = await claimTier(() => ColdKv.open({ ...resolved.coldInput, recover: chosen?.cold ?? false }, 'cold.'));
      } catch (err) {
        throw chosen ? await damagedTier(err, 'cold', chosen.token, store, resolved) : err;
      }
      log.debug({ recovered: chosen?.token, hot: chosen?.hot, cold: chosen?.cold, epoch: manifests.writerEpoch }, 'F2 store opened');
      const f2 = new F2Kv(hot, cold, manifests, resolved);
      if (resolved.durability !== undefined) await f2.startOperationLog(resolved);
      return f2;
    } catch (err) {
      await hot?.close().catch(() => undefined);
      await cold?.close().catch(() => undefined);
      await store.close().catch(() => undefined);
      throw err;
    }
  }

  // ------------------------------------------------------------------ sessions

  /** Starts a session with the given id (or a generated one); its hot-tier session carries the id and serial numbers. @throws ConfigError if a session with that id is active; ClosedError after close(). */
  startSession(id?: string): F2Session {
    this.throwIfClosed();
    const sessionId = id ?? `f${++this.sessionCount}-${Date.now().toString(36)}`;
    const s = new F2Session(this.hot, this.cold, this.hot.startSession(sessionId), this.reads);
    this.sessions.set(sessionId, s);
    return s;
  }

  /** Continues a session after recovery: `serial` is the last of its operations that survived. */
  continueSession(id: string): F2Session {
    this.throwIfClosed();
    const s = new F2Session(this.hot, this.cold, this.hot.continueSession(id), this.reads);
    this.sessions.set(id, s);
    return s;
  }

  private throwIfClosed(): void {
    if (this.closed) throw new F2Error('CLOSED', 'the store is closed');
  }

  // ------------------------------------------------------------------ compaction

  /**
   * Moves the hot log's records below `until` (default: everything below the read-only
   * boundary, the part no longer updated in place) to the cold tier, then frees them in hot.
   */
  async compactHotLog(until?: number): Promise<CompactionResult> {
    this.throwIfClosed();
    this.fence.throwIfFenced('compaction');
    const hlog = this.hot.hlog;
    if (until === undefined) {
      await hlog.shiftReadOnlyInSlices(hlog.tailAddress);
      this.throwIfClosed();
      until = hlog.readOnlyAddress;
    }
    if (until <= hlog.beginAddress) {
      return { mode: 'lookup', fromAddress: hlog.beginAddress, untilAddress: hlog.beginAddress, newBeginAddress: hlog.beginAddress,
        recordsScanned: 0, recordsCopied: 0, tombstonesDropped: 0, bytesReclaimed: 0, durationMs: 0 };
    }
    return this.hot.compact(until);
  }

  /** Compacts the cold log now (live records to its tail; tombstones and shadowed versions dropped). */
  compactColdLog(until?: number): Promise<ColdCompactionResult> {
    try {
      this.throwIfClosed();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.cold.compact(until ?? this.cold.hlog.readOnlyAddress);
  }

  // ------------------------------------------------------------------ checkpoints

  /**
   * Takes a checkpoint of both tiers under one token; resolves once durable. For every session it
   * covers each operation issued before the call and none after (CPR), with migrations paused
   * for its duration. If any part fails, it rejects and the previous checkpoint stays in force.
   */
  checkpoint(): Promise<string> {
    try {
      this.throwIfClosed();
      this.fence.throwIfFenced('checkpoint');
    } catch (err) {
      return Promise.reject(err);
    }
    const previous = this.checkpointing;
    // Without a checkpoint in progress the switch happens within this call (CPR: it covers the
    // operations issued before the call); otherwise when the previous one completes.
    const p = previous === undefined ? this.takeCheckpoint() : previous.catch(() => undefined).then(() => this.takeCheckpoint());
    this.checkpointing = p;
    void p.finally(() => {
      if (this.checkpointing === p) this.checkpointing = undefined;
    }).catch(() => undefined);
    return p;
  }

  private async takeCheckpoint(): Promise<string> {
    const started = performance.now();
    // In one synchronous step: no migration pass may start from here until the cold capture,
    // the sessions' serial numbers are read, and the hot checkpoint switches its version (it
    // records the same serial numbers: nothing runs in between).
    this.migrator.pause();
    const sessions = this.hot.sessionSnapshot();
    const aofAddress = this.aof?.tailAddress;
    const state = this.stateKey();
    const hotCheckpoint = this.hot.checkpoint();
    let hotToken: string;
    let coldToken: string;
    try {
      hotToken = await hotCheckpoint;
      coldToken = await this.cold.checkpoint();
    } catch (err) {
      this.failedCheckpoint(err);
      throw err;
    } finally {
      this.migrator.unpause();
    }
    try {
      const token = await this.manifests.publish(hotToken, coldToken, sessions, this.options.checkpoint.keep, aofAddress);
      const limit = this.manifests.operationLogLimit();
      if (this.aof !== undefined && limit !== undefined) await this.aof.truncateUntil(limit);
      this.checkpointStats.taken++;
      this.checkpointStats.lastToken = token;
      this.checkpointStats.lastMs = performance.now() - started;
      this.lastCheckpointState = state;
      return token;
    } catch (err) {
      this.failedCheckpoint(err);
      throw err;
    }
  }

  private failedCheckpoint(err: unknown): void {
    this.checkpointStats.failed++;
    this.checkpointStats.lastError = err instanceof Error ? err.message : String(err);
    if (err instanceof FencedError) this.fence.fence(err);
  }

  /**
   * What a checkpoint must capture, read at its version switch: the hot tail and the sessions'
   * serial numbers (migration moves data between tiers but changes neither). close() skips its
   * final checkpoint only when both are unchanged since the last one.
   */
  private stateKey(): string {
    return `${this.hot.hlog.tailAddress}/${JSON.stringify(this.hot.sessionSnapshot())}`;
  }

  /** Tokens of the F2 checkpoints, newest first. */
  listCheckpoints(): Promise<string[]> {
    return this.manifests.tokens();
  }

  /**
   * True once another writer has claimed the store (seen in either tier or in the F2 manifests):
   * writes, checkpoints and compactions fail with FencedError; reads continue; close() publishes nothing.
   */
  get isFenced(): boolean {
    return this.fence.fenced;
  }

  /** Calls `listener` once when the store is fenced; returns a function that removes it. */
  onFenced(listener: FencedListener): () => void {
    return this.fence.onFenced(listener);
  }

  // ------------------------------------------------------------------ stats and lifecycle

  /** Current counters and sizes of both tiers, memory by structure and estimated request cost (synchronous, no requests). */
  stats(): F2KvStats {
    const hot = this.hot.stats();
    const cold = this.cold.stats();
    const hotRequests = this.hot.checkpointStoreStats();
    const prices = this.options.prices;
    const costOf = (s: ObjectStoreStats | undefined): number => {
      if (!s) return 0;
      const k = s.byKind;
      return (k.GET.requests * prices.get + k.PUT.requests * prices.put + k.LIST.requests * prices.list + k.HEAD.requests * prices.head + k.DELETE.requests * prices.delete) / 1000;
    };
    const dollars = costOf(cold.requests) + costOf(hotRequests);
    const ops = hot.operations.reads + hot.operations.upserts + hot.operations.rmws + hot.operations.deletes;
    const coldTable = cold.index.tableBytes;
    const memory = {
      hotIndex: hot.index.bytes,
      hotLog: hot.log.memoryBytes,
      readCache: hot.readCache?.memoryBytes ?? 0,
      coldTable,
      chunkCache: cold.index.chunkCacheBytes,
      coldLogBuffer: cold.log.memoryBytes,
      total: 0,
    };
    memory.total = memory.hotIndex + memory.hotLog + memory.readCache + memory.coldTable + memory.chunkCache + memory.coldLogBuffer;
    return {
      operations: {
        reads: hot.operations.reads, upserts: hot.operations.upserts, rmws: hot.operations.rmws, deletes: hot.operations.deletes,
        retries: hot.operations.retries + cold.operations.retries,
      },
      reads: { ...this.reads },
      getsPerColdRead: cold.getsPerRead,
      hot,
      cold,
      hotToCold: { ...this.migrator.stats },
      coldToCold: cold.compaction,
      checkpoints: { ...this.checkpointStats },
      requests: { hotCheckpoints: hotRequests, cold: cold.requests },
      memory,
      cost: { dollars, perMillionOps: ops === 0 ? 0 : (dollars / ops) * 1e6, prices },
      longestEventLoopPauseMs: this.loopDelay.max / 1e6,
    };
  }

  /**
   * Waits for operations, takes a final checkpoint of both tiers when anything changed
   * (checkpoint.onClose), and closes both tiers. A fenced store closes without publishing.
   */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    let failure: unknown;
    await this.stopTimers();
    if (this.options.checkpoint.onClose && !this.isFenced && this.stateKey() !== this.lastCheckpointState) {
      try {
        await this.checkpoint();
      } catch (err) {
        if (!(err instanceof FencedError)) failure = err;
      }
    }
    await this.checkpointing?.catch(() => undefined);
    this.closed = true;
    this.loopDelay.disable();
    for (const s of this.sessions.values()) s.end();
    this.sessions.clear();
    await this.hot.close().catch((err: unknown) => (failure ??= err));
    await this.cold.close().catch((err: unknown) => (failure ??= err));
    await this.aof?.close().catch((err: unknown) => (failure ??= err));
    await this.manifests.store.close().catch(() => undefined);
    if (failure !== undefined) throw failure;
  }

  /**
   * Stops this instance where it stands, writing nothing more (a crashed process), and releases
   * its directory lock as the death of its process would. For crash tests.
   */
  async abandon(): Promise<void> {
    void this.stopTimers();
    this.closed = true;
    this.loopDelay.disable();
    this.hot.abandon();
    this.cold.abandon();
    await this.aof?.abandon();
    await this.hot.directoryLock?.release();
  }

  // ------------------------------------------------------------------ durability (operation log)

  private aof: OperationLog | undefined;
  /** What the replay of the operation log at open applied (undefined without one). */
  replayed: ReplayResult | undefined;

  /** Entries, commits and addresses of the operation log (undefined without a `durability` section). */
  operationLogStats(): OperationLogStats | undefined {
    return this.aof?.stats();
  }

  /**
   * Opens the F2 operation log, replays it into the hot tier past the recovered F2 checkpoint (the
   * writes that checkpoint does not hold; migrations are not logged) and attaches it to the hot tier.
   */
  private async startOperationLog(resolved: ResolvedF2Options): Promise<void> {
    const chosen = this.manifests.chosen;
    try {
      const { log: aof, replayed } = await openOperationLog(this.hot, resolved.durability!, {
        replay: resolved.recover === true,
        from: chosen?.aofAddress,
        sessions: chosen?.sessions ?? {},
      });
      this.aof = aof;
      this.replayed = replayed;
    } catch (err) {
      // Not close(): its final checkpoint would publish a half-replayed state.
      await this.abandon().catch(() => undefined);
      throw err;
    }
  }

  private async stopTimers(): Promise<void> {
    const timers = this.timers;
    this.timers = [];
    await Promise.all(timers.map((t) => t.stop()));
  }
}

/**
 * Opens a tier, again when its claim lost a race: a writer this open supersedes may publish a
 * tier checkpoint between the F2 claim and the tier's (it is fenced at its next F2 publish).
 */
async function claimTier<T>(open: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await open();
    } catch (err) {
      if (!(err instanceof FencedError) || attempt >= 3) throw err;
      log.debug({ attempt }, 'a tier claim lost to the writer being superseded; claiming again');
    }
  }
}
