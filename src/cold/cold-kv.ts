/**
 * ColdKv: the cold tier, a key-value store whose log and index live on object storage.
 *
 * - The **cold log** is a HybridLog over an ObjectLogDevice (`log/` under the store's URL): every
 *   write appends (no in-place updates on object storage), pages of several MiB become objects
 *   of the same size, and a record below the in-memory pages costs one ranged GET.
 * - The **ColdIndex** maps a key's hash to the newest record of its slot chain: a small table in
 *   memory leading to hash chunks kept in an inner store on object storage (`chunks/`).
 * - A write appends its record linked to the chain head it read, then compare-and-sets the slot
 *   from that head to the record; a lost race leaves the appended record unreachable (garbage
 *   for compaction) and retries. So concurrent writers of one slot serialize on the slot.
 * - Compaction of the cold log copies live records (the chain for the key leads to them,
 *   compared key by key) to the tail, drops tombstones and shadowed versions (the cold tier is
 *   the last one), moves begin and deletes the objects wholly below it; the chunk store compacts
 *   its own log on its budget.
 * - Checkpoints: new operations wait at a gate while the ones in flight drain (milliseconds),
 *   the table, both log tails and the session serial numbers are captured in one synchronous
 *   step, then both logs are flushed and the table and a manifest are published. Each session's
 *   recovered state is therefore an exact prefix of its operations.
 *
 * It is usable on its own (ColdKv.open, sessions with the same API as FasterKv's) and is the
 * cold tier of F2Kv, which writes to it only through compaction.
 */
import { ClosedError, ConfigError, CorruptionError, FencedError } from '../core/errors.js';
import { Fence, type FencedListener } from '../core/fence.js';
import type { IntervalTask } from '../core/interval-task.js';
import { componentLogger } from '../core/logger.js';
import { emptyCheckpointStats, type CheckpointStats } from '../kv/checkpoint-manager.js';
import { startFenceWatch } from '../kv/fence-watch.js';
import { resolveOptions } from '../kv/options.js';
import { startPeriodicCheckpoints } from '../kv/periodic-checkpoints.js';
import { KvEngine, PENDING, type RmwFunction, checkValue } from '../kv/kv-engine.js';
import { HybridLog } from '../log/hybrid-log.js';
import { MemHashIndex } from '../hot/mem-hash-index.js';
import { ObjectLogDevice } from '../devices/object-log-device.js';
import { openObjectStore } from '../devices/open-object-store.js';
import type { ObjectStore } from '../devices/object-store.js';
import type { ObjectStoreStats } from '../devices/object-store-stats.js';
import { scanLog } from '../log/log-scanner.js';
import { ColdIndex, CHUNK_PENDING, type ColdIndexStats } from './cold-index.js';
import { ColdLog, ON_DEVICE, TRUNCATED, type ColdRecord, type ReadCounter } from './cold-log.js';
import { chunkRecordBytes, resolveColdOptions, type ColdKvOptions, type ResolvedColdOptions } from './cold-options.js';
import { claimCold, otherColdTokens, publishCold, retainCold, type ColdCheckpointDescriptor, type ColdClaim } from './cold-checkpoint.js';
import { ColdSession } from './cold-session.js';

/** Outcome of one cold-log compaction pass (ColdKv.compact). */
export interface ColdCompactionResult {
  /** Log address the pass started from (the begin address before it). */
  fromAddress: number;
  /** Log address the pass compacted up to; the new begin address. */
  untilAddress: number;
  /** Records read in [fromAddress, untilAddress). */
  recordsScanned: number;
  /** Live records copied to the tail. */
  recordsCopied: number;
  /** Tombstones dropped (the cold tier is the last tier, so deletes need no marker below it). */
  tombstonesDropped: number;
  /** Log bytes below the new begin address, whose objects were deleted or became deletable. */
  bytesReclaimed: number;
  /** GETs spent deciding liveness and reading records. */
  gets: number;
  /** Wall-clock duration of the pass in milliseconds. */
  durationMs: number;
}

/** Counters and sizes of a ColdKv, returned by ColdKv.stats(); counters are cumulative since open. */
export interface ColdKvStats {
  /** Session operations by kind, CAS retries on the slot, and reads that found no record. */
  operations: {
    /** Reads by ColdSessions (F2 reads of the cold tier count in readGets, not here). */
    reads: number;
    /** Upserts by ColdSessions. */
    upserts: number;
    /** Read-modify-writes by ColdSessions. */
    rmws: number;
    /** Deletes by ColdSessions. */
    deletes: number;
    /** Slot updates retried because the slot changed first (lost compare-and-set), compaction copies included. */
    retries: number;
    /** Session reads that found no value (absent or deleted). */
    notFound: number;
  };
  /** Object GETs spent by lookups (chunk reads + record reads) per lookup that went past memory or not. */
  getsPerRead: number;
  /** Lookups by key and the chunk and record GETs they cost. */
  readGets: {
    /** Lookups by key (session reads and F2 reads from the cold tier). */
    lookups: number;
    /** GETs of hash chunks. */
    chunk: number;
    /** Ranged GETs of log records. */
    record: number;
  };
  /** Index statistics plus the in-memory table's bytes per expected key. */
  index: ColdIndexStats & {
    /** In-memory table bytes divided by expectedKeys. */
    tableBytesPerKey: number;
    /** The configured number of keys the index is sized for. */
    expectedKeys: number;
  };
  /** Cold log addresses, on-device bytes (tail − begin), pages flushed and in-memory page bytes. */
  log: {
    /** Lowest valid log address. */
    beginAddress: number;
    /** Next address to be written. */
    tailAddress: number;
    /** Bytes between begin and tail. */
    bytes: number;
    /** Pages written to the object store since open. */
    pagesFlushed: number;
    /** Bytes held by in-memory pages. */
    memoryBytes: number;
  };
  /** Cold-log compaction passes and their totals; longestPassMs is the slowest pass. */
  compaction: {
    /** Compaction passes completed. */
    passes: number;
    /** Live records copied to the tail, in total. */
    recordsCopied: number;
    /** Tombstones dropped, in total. */
    tombstonesDropped: number;
    /** Log bytes reclaimed, in total. */
    bytesReclaimed: number;
    /** Duration of the slowest pass in milliseconds. */
    longestPassMs: number;
  };
  /** Checkpoint counts and timings. */
  checkpoints: CheckpointStats;
  /** Requests and bytes by kind (GET, PUT, LIST, DELETE, HEAD) on the cold tier's object store. */
  requests: ObjectStoreStats;
  /** PUTs per MiB written to the cold log and the chunk log. */
  putsPerMiB: number;
}

const log = componentLogger('cold-kv');

/** The cold tier store; open with ColdKv.open, then use sessions (startSession) for reads and writes. See the module comment for the design. */
export class ColdKv {
  /** Resolved options (defaults applied). @internal */
  readonly options: ResolvedColdOptions;
  /** The hash index (in-memory table + chunk store); used by F2Kv and the metrics. @internal */
  readonly index: ColdIndex;
  /** Record access on top of hlog; used by F2Kv. @internal */
  readonly coldLog: ColdLog;
  /** The cold log: a HybridLog over the object store's `log/` prefix. */
  readonly hlog: HybridLog;
  /** The checkpoint this store was recovered from, if any. */
  readonly recoveredToken: string | undefined;
  private readonly sessions = new Map<string, ColdSession>();
  private readonly sessionSerials = new Map<string, number>();
  private sessionCount = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Set by abandon(): close() then writes nothing. */
  private abandoned = false;
  /** Background tasks: periodic checkpoints and the claim check (stopped by close()). */
  private timers: IntervalTask[] = [];
  /** Set while a checkpoint drains: new session operations wait for it. */
  gate: Promise<void> | undefined;
  private inFlight = 0;
  private drainWaiters: (() => void)[] = [];
  private checkpointing: Promise<string> | undefined;
  /** Begin addresses a checkpoint in progress needs (until it is retained or abandoned). */
  private pendingBegins: { log: number; chunks: number } | undefined;
  private compacting: Promise<ColdCompactionResult> | undefined;
  /** Log size (tail − begin) when the last compaction pass ended. */
  private sizeAfterPass = 0;
  /** Appended records whose slot update is in flight (see link()). */
  private readonly unlinked = new Set<number>();
  private lastCheckpointTail = -1;
  private lastCheckpointSerials = '';
  /** Operation counters, incremented by ColdSession and F2Kv. @internal */
  readonly opStats = { reads: 0, upserts: 0, rmws: 0, deletes: 0, retries: 0, notFound: 0 };
  /** Lookups by key (session reads and F2's reads from the cold tier) and the GETs they cost. */
  private readonly readCost = { lookups: 0, chunk: 0, record: 0 };
  private readonly compactionStats = { passes: 0, recordsCopied: 0, tombstonesDropped: 0, bytesReclaimed: 0, longestPassMs: 0 };
  private readonly checkpointStats: CheckpointStats = emptyCheckpointStats();

  private constructor(
    /** The object store under this tier's URL prefix. */
    readonly store: ObjectStore,
    private readonly claim: ColdClaim,
    /** Set once another writer claims this prefix: writes then fail with FencedError, reads continue. */
    readonly fence: Fence,
    options: ResolvedColdOptions,
    index: ColdIndex,
    hlog: HybridLog,
    private readonly expectedKeys: number,
  ) {
    this.options = options;
    this.index = index;
    this.hlog = hlog;
    this.coldLog = new ColdLog(hlog);
    this.recoveredToken = claim.chosen?.token;
    for (const [id, serial] of Object.entries(claim.chosen?.sessions ?? {})) this.sessionSerials.set(id, serial);
    // The chunk store's compaction moves its begin but never deletes objects; retention does.
    index.store.truncationLimit = () => 0;
  }

  /**
   * Opens (or creates) the cold store at `options.url`: claims the prefix as its single writer
   * and recovers the newest checkpoint (or `recover: token`, or none with `recover: false`).
   */
  static async open(options: ColdKvOptions, sectionName = ''): Promise<ColdKv> {
    const resolved = resolveColdOptions(options, sectionName);
    const store = await openObjectStore(resolved.url, { createIfMissing: resolved.url.startsWith('file:'), ...resolved.store });
    const opened: { close(): Promise<void> }[] = [];
    try {
      const claim = await claimCold(store, resolved.recover, resolved.checkpoint.keep);
      const chosen = claim.chosen;
      if (chosen && (chosen.chunks.chunks !== resolved.index.chunks || chosen.chunks.chunkSlots !== resolved.index.chunkSlots)) {
        log.warn(
          { configured: { chunks: resolved.index.chunks, slots: resolved.index.chunkSlots }, checkpoint: chosen.chunks },
          'the cold index geometry is fixed by the checkpoint; using its chunk count and chunk size',
        );
      }
      const chunks = chosen?.chunks.chunks ?? resolved.index.chunks;
      const chunkSlots = chosen?.chunks.chunkSlots ?? resolved.index.chunkSlots;
      const chunkPageSize = chosen?.chunks.pageSize ?? resolved.index.chunkPageSize;
      const pageSize = chosen?.log.pageSize ?? resolved.log.pageSize;
      const seqBase = claim.writerEpoch * 2 ** 32;
      const fence = new Fence(`the cold store at ${store.url}`);
      // Objects are deleted only while this writer still owns the prefix (one LIST); a newer
      // writer found there fences this store at once.
      const mayDelete = async (): Promise<boolean> => !(await checkColdClaim(claim, fence));
      const logDevice = await ObjectLogDevice.open(store, { prefix: 'log/', objectSize: pageSize, blockSize: resolved.log.blockSize, seqBase, mayDelete });
      logDevice.onFenced = (err) => fence.fence(err);
      opened.push(logDevice);
      const chunkDevice = await ObjectLogDevice.open(store, {
        prefix: 'chunks/',
        objectSize: chunkPageSize,
        blockSize: Math.min(chunkPageSize, 4096),
        seqBase,
        mayDelete,
      });
      chunkDevice.onFenced = (err) => fence.fence(err);
      opened.push(chunkDevice);

      const recordBytes = chunkRecordBytes(chunkSlots);
      const cache = resolved.index.chunkCacheSize;
      const chunkLogBudget = Math.max(16 * chunkPageSize, 3 * chunks * recordBytes);
      const chunkOptions = resolveOptions({
        index: { buckets: Math.max(16, chunks / 4), autoGrow: true },
        log: { device: chunkDevice, memorySize: Math.floor(cache / 2), pageSize: chunkPageSize, mutableFraction: 0.9 },
        readCache: { memorySize: Math.floor(cache / 2), pageSize: chunkPageSize },
        compaction: { enabled: true, maxLogSize: chunkLogBudget, triggerFraction: 0.8, compactFraction: 0.25, mode: 'lookup' },
        checkpoint: { onClose: false },
        recover: false,
      });
      const chunkLog = new HybridLog({
        device: chunkDevice,
        memorySize: chunkOptions.log.memorySize,
        pageSize: chunkPageSize,
        mutableFraction: 0.9,
        readEstimateBytes: recordBytes,
      });
      const coldLog = new HybridLog({
        device: logDevice,
        memorySize: resolved.log.memorySize,
        pageSize,
        mutableFraction: 1 / 64,
        readEstimateBytes: resolved.log.blockSize,
      });
      let table: MemHashIndex;
      if (chosen) {
        const others = (): Promise<string> => otherColdTokens(claim, chosen.token);
        try {
          const bytes = await store.get(chosen.table.key);
          if (bytes.length !== chosen.table.bytes) {
            throw new CorruptionError(`cold index table ${chosen.table.key} has ${bytes.length} bytes, expected ${chosen.table.bytes} (truncated?)`, chosen.table.key);
          }
          table = MemHashIndex.fromSnapshot(bytes, chosen.table.key);
          await chunkLog.recover(chosen.chunks.beginAddress, chosen.chunks.finalAddress, (a, n) => readExactly(chunkDevice, a, n));
          await coldLog.recover(chosen.log.beginAddress, chosen.log.finalAddress, (a, n) => readExactly(logDevice, a, n));
        } catch (err) {
          if (!(err instanceof CorruptionError)) throw err;
          const o = await others().catch(() => 'older checkpoints could not be listed');
          throw new CorruptionError(`cold checkpoint ${chosen.token} is damaged: ${err.message}; ${o} (open with recover: "<token>")`, err.object, {
            cause: err,
          });
        }
      } else {
        table = new MemHashIndex(chunkOptions.index.buckets);
      }
      const chunkStore = KvEngine.create(table, chunkLog, chunkOptions);
      const index = new ColdIndex(chunkStore, chunks, chunkSlots);
      const expectedKeys = resolved.index.expectedKeys;
      const kv = new ColdKv(store, claim, fence, { ...resolved, index: { ...resolved.index, chunks, chunkSlots, chunkPageSize }, log: { ...resolved.log, pageSize } }, index, coldLog, expectedKeys);
      // The newest manifest holds this state (the recovered checkpoint, or an empty store).
      kv.lastCheckpointTail = kv.hlog.tailAddress;
      kv.lastCheckpointSerials = JSON.stringify(kv.sessionSnapshot());
      kv.startTimers();
      log.debug({ url: store.url, recovered: chosen?.token, epoch: claim.writerEpoch }, 'cold store opened');
      return kv;
    } catch (err) {
      for (const d of opened.reverse()) await d.close().catch(() => undefined);
      await store.close().catch(() => undefined);
      throw err;
    }
  }

  // ------------------------------------------------------------------ sessions

  /** Starts a session with the given id (or a generated one). @throws ConfigError if a session with that id is active; ClosedError after close(). */
  startSession(id?: string): ColdSession {
    this.throwIfClosed();
    const sessionId = id ?? `c${++this.sessionCount}-${Date.now().toString(36)}`;
    if (this.sessions.has(sessionId)) throw new ConfigError('session', `session id "${sessionId}" is already active`);
    const s = new ColdSession(this, sessionId, this.sessionSerials.get(sessionId) ?? 0);
    this.sessionSerials.delete(sessionId);
    this.sessions.set(sessionId, s);
    return s;
  }

  /** Continues a session after recovery: its serial is the last operation that survived. */
  continueSession(id: string): ColdSession {
    return this.startSession(id);
  }

  /** @internal */
  endSession(s: ColdSession): void {
    this.sessions.delete(s.id);
    this.sessionSerials.set(s.id, s.serial);
  }

  /** Starts the periodic checkpoints and the claim check (each when its interval is not 0). */
  private startTimers(): void {
    const ck = this.options.checkpoint;
    const periodic = startPeriodicCheckpoints(
      ck.intervalMs,
      { busy: () => this.checkpointing !== undefined, unchanged: () => this.unchangedSinceCheckpoint(), checkpoint: () => this.checkpoint() },
      this.checkpointStats,
      this.fence,
    );
    const watch = startFenceWatch(ck.fenceCheckIntervalMs, this.fence, () => checkColdClaim(this.claim, this.fence));
    this.timers = [periodic, watch].filter((t) => t !== undefined);
  }

  private async stopTimers(): Promise<void> {
    const timers = this.timers;
    this.timers = [];
    await Promise.all(timers.map((t) => t.stop()));
  }

  /** @internal Runs a session operation: waits at a checkpoint's gate, counts it as in flight. */
  async run<T>(op: () => Promise<T>): Promise<T> {
    while (this.gate) await this.gate;
    this.throwIfClosed();
    this.inFlight++;
    try {
      return await op();
    } finally {
      if (--this.inFlight === 0 && this.drainWaiters.length > 0) {
        const w = this.drainWaiters;
        this.drainWaiters = [];
        for (const fn of w) fn();
      }
    }
  }

  /** Throws ClosedError once close() was called. @internal */
  throwIfClosed(): void {
    if (this.closed) throw new ClosedError('cold store');
  }

  /** Throws ClosedError, or FencedError once another writer claimed the prefix. */
  throwIfWritable(operation = 'write'): void {
    this.throwIfClosed();
    if (this.fence.fenced) throw this.fence.refusal(operation);
  }

  // ------------------------------------------------------------------ record operations

  /** The newest record of `key` (a value or a tombstone), or undefined when cold has none. */
  async find(key: Uint8Array): Promise<ColdRecord | undefined> {
    const hash = ColdIndex.hash(key);
    const counter: ReadCounter = { gets: 0 };
    this.readCost.lookups++;
    try {
      for (;;) {
        const beginSeen = this.hlog.beginAddress;
        const head = await this.index.head(hash, counter);
        const r = await this.coldLog.walk(key, head, beginSeen, counter);
        if (r !== TRUNCATED) return r;
        this.opStats.retries++;
      }
    } finally {
      this.readCost.record += counter.gets;
      this.readCost.chunk += counter.chunkGets ?? 0;
    }
  }

  /**
   * The newest record of `key` if it can be found in memory (chunk cached, record in the log's
   * memory), undefined when absent, or PENDING.
   */
  findSync(key: Uint8Array): ColdRecord | undefined | typeof PENDING {
    const head = this.index.headSync(ColdIndex.hash(key));
    if (head === CHUNK_PENDING) return PENDING;
    const r = this.coldLog.walkInMemory(key, head);
    return r === ON_DEVICE ? PENDING : r;
  }

  /** Appends a version of `key` (a tombstone when value is undefined) and links it. Returns its address. */
  async put(key: Uint8Array, value: Uint8Array | undefined): Promise<number> {
    this.throwIfWritable();
    const hash = ColdIndex.hash(key);
    for (;;) {
      const head = await this.index.head(hash);
      const address = await this.appendUnlinked(head, key, value, value === undefined);
      if (await this.link(hash, head, address)) {
        this.afterAppend();
        return address;
      }
      this.opStats.retries++;
    }
  }

  /** put() in memory: the address, or PENDING when the chunk or room in the log is not at hand. */
  putSync(key: Uint8Array, value: Uint8Array | undefined): number | typeof PENDING {
    this.throwIfWritable();
    const hash = ColdIndex.hash(key);
    const head = this.index.headSync(hash);
    if (head === CHUNK_PENDING) return PENDING;
    const address = this.coldLog.tryAppend(head, key, value, value === undefined);
    if (address === 0) return PENDING;
    // The chunk was in memory a moment ago; if the inner store cannot update it synchronously the
    // appended record stays unlinked (garbage) and the caller retries asynchronously.
    const swapped = this.index.compareAndSetSync(hash, head, address);
    if (swapped !== true) return PENDING;
    this.afterAppend();
    return address;
  }

  /**
   * Read-modify-write: applies fn to the newest value (undefined when absent or deleted) and
   * appends the result, unless the chain changed meanwhile (then it retries).
   */
  async rmw(key: Uint8Array, fn: RmwFunction): Promise<Uint8Array> {
    this.throwIfWritable();
    const hash = ColdIndex.hash(key);
    for (;;) {
      const beginSeen = this.hlog.beginAddress;
      const head = await this.index.head(hash);
      const found = await this.coldLog.walk(key, head, beginSeen);
      if (found === TRUNCATED) {
        this.opStats.retries++;
        continue;
      }
      const next = checkValue(fn(found?.tombstone === false ? found.value : undefined));
      const address = await this.appendUnlinked(head, key, next, false);
      if (await this.link(hash, head, address)) {
        this.afterAppend();
        return next;
      }
      this.opStats.retries++;
    }
  }

  /** Appends a record (waiting for room) and registers it as unlinked until link() settles. */
  private async appendUnlinked(previous: number, key: Uint8Array, value: Uint8Array | undefined, tombstone: boolean): Promise<number> {
    for (;;) {
      const address = this.coldLog.tryAppend(previous, key, value, tombstone);
      if (address !== 0) {
        this.unlinked.add(address);
        return address;
      }
      await this.hlog.waitForRoom();
    }
  }

  /**
   * Links an appended record: compare-and-sets its slot from `head`. While the set is in flight
   * the record is not reachable from the index, so compaction must not pass it (it would judge
   * it dead and move begin over it): `unlinked` holds such addresses and bounds compaction.
   */
  private async link(hash: number, head: number, address: number): Promise<boolean> {
    try {
      return await this.index.compareAndSet(hash, head, address);
    } finally {
      this.unlinked.delete(address);
    }
  }

  private afterAppend(): void {
    const c = this.options.compaction;
    if (!c.enabled || this.compacting !== undefined || this.closed) return;
    const size = this.hlog.tailAddress - this.hlog.beginAddress;
    // When live data alone exceeds the budget, a pass reclaims little: wait until the log has
    // grown by a pass's worth since the last pass instead of compacting back to back.
    if (size < Math.max(c.triggerFraction * c.maxLogSize, this.sizeAfterPass + c.compactFraction * c.maxLogSize)) return;
    const until = this.compactionTarget();
    if (until <= this.hlog.beginAddress) return;
    this.compact(until).catch((err: unknown) => {
      if (!this.closed) log.error({ err }, 'automatic cold compaction failed');
    });
  }

  /** The end of the next automatic pass: compactFraction of the log, at most maxBytesPerPass, whole pages below readOnly. */
  private compactionTarget(): number {
    const c = this.options.compaction;
    const hlog = this.hlog;
    const size = hlog.tailAddress - hlog.beginAddress;
    const span = Math.min(Math.max(hlog.pageSize, Math.floor(size * c.compactFraction)), c.maxBytesPerPass);
    const target = Math.min(hlog.beginAddress + span, hlog.readOnlyAddress);
    return Math.floor(target / hlog.pageSize) * hlog.pageSize;
  }

  // ------------------------------------------------------------------ compaction

  /**
   * Compacts the cold log below `until` (default: the automatic pass's target; rounded down to a
   * page, at most readOnly): copies live records to the tail, drops tombstones and shadowed
   * versions, moves begin and deletes the objects wholly below it (never what a retained
   * checkpoint needs). Passes run one at a time.
   */
  compact(until?: number): Promise<ColdCompactionResult> {
    try {
      this.throwIfWritable('compaction');
    } catch (err) {
      return Promise.reject(err);
    }
    const previous = this.compacting;
    const p = (async (): Promise<ColdCompactionResult> => {
      if (previous) await previous.catch(() => undefined);
      return this.compactNow(until ?? this.compactionTarget());
    })();
    this.compacting = p;
    void p.finally(() => {
      if (this.compacting === p) this.compacting = undefined;
    }).catch(() => undefined);
    return p;
  }

  private async compactNow(until: number): Promise<ColdCompactionResult> {
    const started = performance.now();
    const hlog = this.hlog;
    const from = hlog.beginAddress;
    let limit = Math.min(until, hlog.readOnlyAddress);
    for (const a of this.unlinked) limit = Math.min(limit, a);
    const boundary = Math.floor(limit / hlog.pageSize) * hlog.pageSize;
    const result: ColdCompactionResult = {
      fromAddress: from, untilAddress: Math.max(from, boundary), recordsScanned: 0, recordsCopied: 0, tombstonesDropped: 0,
      bytesReclaimed: 0, gets: 0, durationMs: 0,
    };
    if (boundary <= from) return result;
    const counter: ReadCounter = { gets: 0 };
    for await (const r of scanLog(hlog, from, boundary)) {
      this.throwIfClosed();
      result.recordsScanned++;
      if (r.tombstone) {
        // Every older version of the key lies below this tombstone, so in the range: drop both.
        result.tombstonesDropped++;
        continue;
      }
      if (await this.copyIfLive(r.key, r.value, r.address, counter)) result.recordsCopied++;
    }
    // Objects below begin are deleted only by checkpoint retention, after this writer published
    // a checkpoint that no longer needs them: a superseded writer that has not noticed yet
    // never deletes what the new owner recovers from.
    if (boundary > hlog.beginAddress) await hlog.shiftBegin(boundary, 0);
    result.bytesReclaimed = boundary - from;
    this.sizeAfterPass = hlog.tailAddress - hlog.beginAddress;
    result.gets = counter.gets;
    result.durationMs = performance.now() - started;
    const s = this.compactionStats;
    s.passes++;
    s.recordsCopied += result.recordsCopied;
    s.tombstonesDropped += result.tombstonesDropped;
    s.bytesReclaimed += result.bytesReclaimed;
    s.longestPassMs = Math.max(s.longestPassMs, result.durationMs);
    log.debug(result, 'cold compaction pass done');
    return result;
  }

  /**
   * Copies the record of `key` at `address` to the tail if it is live: the chain from the slot's
   * head reaches `address` (an unlinked record of a failed write never does) with no newer
   * record of the key on the way. Then the copy is linked by compare-and-set (retried on a race).
   */
  private async copyIfLive(key: Uint8Array, value: Uint8Array | undefined, address: number, counter: ReadCounter): Promise<boolean> {
    const hash = ColdIndex.hash(key);
    for (;;) {
      const beginSeen = this.hlog.beginAddress;
      const head = await this.index.head(hash);
      if (head < address) return false;
      if (head > address) {
        const newer = await this.coldLog.walk(key, head, beginSeen, counter, address);
        if (newer === TRUNCATED) continue;
        if (newer !== undefined || counter.stoppedAt !== address) return false;
      }
      const copy = await this.appendUnlinked(head, key, value, false);
      if (await this.link(hash, head, copy)) return true;
      this.opStats.retries++;
    }
  }

  /** Lowest address of a log that truncation must keep: what retained and in-progress checkpoints need. */
  private truncationLimit(which: 'log' | 'chunks'): number {
    let limit = Number.MAX_SAFE_INTEGER;
    for (const c of this.claim.retained) limit = Math.min(limit, which === 'log' ? c.log.beginAddress : c.chunks.beginAddress);
    if (this.pendingBegins) limit = Math.min(limit, this.pendingBegins[which]);
    return limit;
  }

  // ------------------------------------------------------------------ checkpoints

  /**
   * Takes a checkpoint; resolves with its token once durable. It covers every session operation
   * issued before the call and none issued after (they wait while the earlier ones drain).
   */
  checkpoint(): Promise<string> {
    try {
      this.throwIfWritable('checkpoint');
    } catch (err) {
      return Promise.reject(err);
    }
    const previous = this.checkpointing;
    const p = (async (): Promise<string> => {
      if (previous) await previous.catch(() => undefined);
      return this.takeCheckpoint();
    })();
    this.checkpointing = p;
    void p.finally(() => {
      if (this.checkpointing === p) this.checkpointing = undefined;
    }).catch(() => undefined);
    return p;
  }

  private async takeCheckpoint(): Promise<string> {
    const started = performance.now();
    try {
      const token = await this.takeCheckpointNow(started);
      this.checkpointStats.taken++;
      this.checkpointStats.lastToken = token;
      this.checkpointStats.lastMs = performance.now() - started;
      return token;
    } catch (err) {
      this.checkpointStats.failed++;
      this.checkpointStats.lastError = err instanceof Error ? err.message : String(err);
      if (err instanceof FencedError) this.fence.fence(err);
      throw err;
    }
  }

  private async takeCheckpointNow(started: number): Promise<string> {
    this.throwIfWritable('checkpoint');
    const sessions = this.sessionSnapshot();
    let open = (): void => {};
    this.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let final: number;
    let begin: number;
    let table: ReturnType<ColdIndex['capture']>;
    let token: string;
    try {
      if (this.inFlight > 0) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
      // Capture, in one synchronous step.
      final = this.hlog.tailAddress;
      this.hlog.shiftReadOnly(final);
      begin = this.hlog.beginAddress;
      table = this.index.capture();
      this.pendingBegins = { log: begin, chunks: table.beginAddress };
    } finally {
      this.gate = undefined;
      open();
    }
    try {
      // A superseded writer uploads nothing: check the claim (one LIST) before flushing.
      if (await checkColdClaim(this.claim, this.fence)) throw this.fence.refusal('checkpoint');
      await this.hlog.flushUntil(final);
      await this.hlog.device.sync();
      const chunkLog = this.index.store.hlog;
      await chunkLog.flushUntil(table.finalAddress);
      await chunkLog.device.sync();
      const descriptor = await publishCold(
        this.store,
        this.claim,
        {
          log: { pageSize: this.hlog.pageSize, beginAddress: begin, finalAddress: final },
          chunks: {
            pageSize: chunkLog.pageSize,
            beginAddress: table.beginAddress,
            finalAddress: table.finalAddress,
            chunks: this.index.chunks,
            chunkSlots: this.index.chunkSlots,
          },
          sessions,
        },
        table.table,
        table.buckets,
      );
      this.claim.retained.unshift(descriptor);
      this.lastCheckpointTail = final;
      this.lastCheckpointSerials = JSON.stringify(sessions);
      log.debug({ token: descriptor.token, ms: performance.now() - started }, 'cold checkpoint published');
      token = descriptor.token;
    } finally {
      this.pendingBegins = undefined;
    }
    await this.retain();
    return token;
  }

  /** Drops checkpoints beyond `keep` and lets both logs free what no retained checkpoint needs. */
  private async retain(): Promise<void> {
    try {
      await retainCold(this.store, this.claim, this.options.checkpoint.keep);
      await this.hlog.truncateDevice(this.truncationLimit('log'));
      await this.index.store.hlog.truncateDevice(this.truncationLimit('chunks'));
    } catch (err) {
      log.warn({ err }, 'cold checkpoint retention failed; it will be retried at the next checkpoint');
    }
  }

  /** Tokens of the cold checkpoints, newest first. */
  async listCheckpoints(): Promise<string[]> {
    const entries = await this.claim.manifests.all();
    return [...new Set(entries.flatMap((e) => (e.manifest?.checkpoint ? [e.manifest.checkpoint.token] : [])))];
  }

  /** The retained checkpoint descriptors, newest first. */
  get checkpoints(): readonly ColdCheckpointDescriptor[] {
    return this.claim.retained;
  }

  /** Epoch of this writer's claim on the prefix; a writer that opens later gets a higher one and fences this one. */
  get writerEpoch(): number {
    return this.claim.writerEpoch;
  }

  /** True once another writer has claimed this prefix: writes fail with FencedError, reads continue. */
  get isFenced(): boolean {
    return this.fence.fenced;
  }

  /** Calls `listener` once when this store is fenced; returns a function that removes it. */
  onFenced(listener: FencedListener): () => void {
    return this.fence.onFenced(listener);
  }

  /** Last serial number of every session, live or recovered, keyed by session id (what a checkpoint records). @internal */
  sessionSnapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, serial] of this.sessionSerials) out[id] = serial;
    for (const [id, s] of this.sessions) out[id] = s.serial;
    return out;
  }

  private unchangedSinceCheckpoint(): boolean {
    return this.hlog.tailAddress === this.lastCheckpointTail && JSON.stringify(this.sessionSnapshot()) === this.lastCheckpointSerials;
  }

  // ------------------------------------------------------------------ stats and lifecycle

  /** Current counters and sizes (synchronous, no requests). */
  stats(): ColdKvStats {
    const index = this.index.stats();
    const h = this.hlog.stats();
    const requests = this.store.stats();
    const written = this.hlog.device.stats().bytesWritten + this.index.store.hlog.device.stats().bytesWritten;
    const lookups = this.readCost.lookups;
    return {
      operations: { ...this.opStats },
      getsPerRead: lookups === 0 ? 0 : (this.readCost.chunk + this.readCost.record) / lookups,
      readGets: { lookups, chunk: this.readCost.chunk, record: this.readCost.record },
      index: { ...index, expectedKeys: this.expectedKeys, tableBytesPerKey: index.tableBytes / this.expectedKeys },
      log: { beginAddress: h.beginAddress, tailAddress: h.tailAddress, bytes: h.tailAddress - h.beginAddress, pagesFlushed: h.pagesFlushed, memoryBytes: h.memoryBytes },
      compaction: { ...this.compactionStats },
      checkpoints: { ...this.checkpointStats },
      requests,
      putsPerMiB: written === 0 ? 0 : (requests.byKind.PUT?.requests ?? 0) / (written / (1024 * 1024)),
    };
  }

  /** Objects in the cold tier's prefix, in total and by top-level folder (log, chunks, checkpoints, manifest); one LIST. */
  async bucketStats(): Promise<{
    /** Objects under the prefix. */
    objects: number;
    /** Object count per top-level folder. */
    byPrefix: Record<string, number>;
  }> {
    const keys = await this.store.list('');
    const byPrefix: Record<string, number> = {};
    for (const k of keys) {
      const p = k.split('/')[0]!;
      byPrefix[p] = (byPrefix[p] ?? 0) + 1;
    }
    return { objects: keys.length, byPrefix };
  }

  /** True once close() or abandon() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Stops this instance where it stands, writing nothing more (no flush, no checkpoint, no
   * deletes): what a process that dies leaves behind. For crash tests.
   */
  abandon(): void {
    void this.stopTimers();
    this.closed = true;
    this.abandoned = true;
    this.index.store.abandon();
  }

  /** Waits for operations, takes a final checkpoint (checkpoint.onClose) and closes everything. */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    let failure: unknown;
    await this.stopTimers();
    await this.compacting?.catch(() => undefined);
    if (this.options.checkpoint.onClose && !this.fence.fenced && !this.abandoned && !this.unchangedSinceCheckpoint()) {
      try {
        await this.checkpoint();
      } catch (err) {
        failure = err;
      }
    }
    await this.checkpointing?.catch(() => undefined);
    this.closed = true;
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    this.sessions.clear();
    if (this.fence.fenced || this.abandoned) {
      // The prefix belongs to another writer (or this instance "crashed"): upload and delete nothing.
      this.index.store.abandon();
      for (const device of [this.hlog.device, this.index.store.hlog.device]) {
        await (device.discard?.() ?? device.close()).catch((err: unknown) => (failure ??= err));
      }
    } else {
      await this.index.close().catch((err: unknown) => (failure ??= err));
      await this.hlog.close().catch((err: unknown) => (failure ??= err));
      await this.hlog.device.close().catch((err: unknown) => (failure ??= err));
      await this.index.store.hlog.device.close().catch((err: unknown) => (failure ??= err));
    }
    await this.store.close();
    if (failure !== undefined && !(failure instanceof FencedError)) throw failure;
  }
}

/**
 * The claim check of a cold store (one LIST): fences it when another writer has published after
 * this writer's newest manifest. True when the store is fenced.
 */
async function checkColdClaim(claim: ColdClaim, fence: Fence): Promise<boolean> {
  if (fence.fenced) return true;
  const other = await claim.manifests.newerWriter(claim.seq, claim.writerId);
  if (other !== undefined) fence.fence(other);
  return fence.fenced;
}

async function readExactly(device: ObjectLogDevice, address: number, length: number): Promise<Uint8Array> {
  const bytes = await device.read(address, length);
  if (bytes.length < length) {
    throw new CorruptionError(`${device.name} lacks [${address}, ${address + length}) that the checkpoint needs`, device.name);
  }
  return bytes;
}
