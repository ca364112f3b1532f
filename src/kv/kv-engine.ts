/**
 * KvEngine: FASTER's key-value engine, a hash index over a HybridLog, generic over its index
 * (KvIndex). The hot tier's FasterKv (src/hot) is this engine with a MemHashIndex.
 *
 * Every operation first runs synchronously against memory. It completes there when the chain
 * for its key resolves within [head, tail) (the common case), and otherwise reports PENDING:
 * the record is on the device (a read goes pending on I/O) or the tail cannot advance until a
 * flush completes (backpressure). The async API continues pending operations; after every await
 * it re-checks the index entry, since other operations may have run meanwhile.
 */
import { READ_CACHE_BIT, TWO_POW_32 } from '../core/address.js';
import { ClosedError, ConfigError, F2Error, FencedError } from '../core/errors.js';
import { Fence, type FencedListener } from '../core/fence.js';
import { hashKey, lastTag } from '../core/key-hash.js';
import { componentLogger, redactUrl } from '../core/logger.js';
import {
  alignRecordSize,
  FLAG_TOMBSTONE,
  FLAG_VERSION_ODD,
  keyBytesEqual,
  RECORD_HEADER_BYTES,
  recordKeyEquals,
  recordPrevious,
  writeRecordHeader,
} from '../core/record-layout.js';
import type { StorageDevice } from '../devices/storage-device.js';
import type { ObjectStoreStats } from '../devices/object-store-stats.js';
import { ReadCache, type ReadCacheStats } from '../log/read-cache.js';
import { HybridLog, type DeviceRecord, type HybridLogStats } from '../log/hybrid-log.js';
import { scanLog, type ScanRecord } from '../log/log-scanner.js';
import { AutoCompactor } from './auto-compactor.js';
import { compactionBoundary, compactLog, type CompactionMode, type CompactionResult } from './compaction.js';
import { INDEX_NOT_FOUND, INDEX_PENDING, type ChainSplitter, type KvIndex, type KvIndexStats } from './kv-index.js';
import type { ResolvedOptions } from './options.js';
import { emptyCheckpointStats, type CheckpointManager, type CheckpointStats, type RecoveredCheckpoint } from './checkpoint-manager.js';
import { Session } from './session.js';
import type { DiscardRange } from './checkpoint-manifest.js';
import type { OperationLog } from './operation-log.js';
import { copyValue } from '../core/value-copy.js';

/** Returned by the synchronous API when the operation must continue asynchronously. */
export const PENDING: unique symbol = Symbol('f2kv.PENDING');
export type Pending = typeof PENDING;

/** Result codes of the internal synchronous operations. */
export const OK = 0;
export const NOT_FOUND = -1;
/** The chain continues below head: the record must be read from the device. */
export const PENDING_IO = -2;
/** The tail cannot advance until flushes/evictions complete. */
export const PENDING_ROOM = -3;
/** track(): an operation outside the checkpoint versions (maintenance). */
export const NOT_VERSIONED = -1;
/** The index entry changed while the operation waited: retry from the index. */
export const CHANGED = -4;

/** RMW update function: receives the current value (undefined when absent) and returns the new one (a string is stored as UTF-8). It must be pure: it may run more than once. */
export type RmwFunction = (old: Uint8Array | undefined) => Uint8Array | string;

/** Operation counters of a store, cumulative since open (KvEngineStats.operations). */
export interface OperationStats {
  /** Reads started. */
  reads: number;
  /** Upserts started. */
  upserts: number;
  /** Read-modify-writes started. */
  rmws: number;
  /** Deletes started. */
  deletes: number;
  /** Updates done in place in the mutable region of the log. */
  inPlaceUpdates: number;
  /** Records appended to the log tail. */
  appends: number;
  /** Reads that had to go to the device asynchronously. */
  pendingReads: number;
  /** Reads of the sync API that followed their chain onto the device synchronously (no PENDING). */
  syncDeviceReads: number;
  /** Times an append waited for the tail to have room (flushes and evictions to complete). */
  pendingRoomWaits: number;
  /** Operations retried because the index entry changed while they waited. */
  retries: number;
}

/** Counters and sizes of a hot store, returned by FasterKv.stats(). */
export interface KvEngineStats {
  /** Operation counters. */
  operations: OperationStats;
  /** Index statistics; load, growths and lastGrowthMs only for an index that grows (MemHashIndex). */
  index: KvIndexStats & {
    /** Entries in use per entry slot of the main buckets. */
    load?: number;
    /** Index doublings completed. */
    growths?: number;
    /** Duration of the last doubling in milliseconds. */
    lastGrowthMs?: number;
  };
  /** Read cache statistics, undefined when the read cache is off. */
  readCache: ReadCacheStats | undefined;
  /** Compaction passes and their totals. */
  compaction: {
    /** Compaction passes completed. */
    passes: number;
    /** Live records copied to the tail, in total. */
    recordsCopied: number;
    /** Log bytes below the begin address reclaimed, in total. */
    bytesReclaimed: number;
  };
  /** Log addresses and sizes. */
  log: HybridLogStats;
  /** Device I/O counters and the device's name. */
  device: ReturnType<StorageDevice['stats']> & {
    /** Device name (e.g. file path or object store URL). */
    name: string;
  };
  /** Active sessions. */
  sessions: number;
  /** Checkpoints taken, periodic and failed, and their durations (all zero without a checkpoint store). */
  checkpoints: CheckpointStats;
}

/** The storage engine shared by FasterKv and the cold tier's chunk store: a HybridLog plus a hash index, sessions, compaction and checkpoints. Use it through FasterKv. */
export class KvEngine<I extends KvIndex = KvIndex> implements ChainSplitter {
  /** The hash index. @internal */
  readonly index: I;
  /** The hybrid log holding the records. */
  readonly hlog: HybridLog;
  /** Resolved options (defaults applied). @internal */
  readonly options: ResolvedOptions;
  /** The read cache, undefined when off. @internal */
  readonly readCache: ReadCache | undefined;
  /** Set once another writer claims this store: writes then fail with FencedError (see Fence). */
  readonly fence: Fence;
  /** Set by splitChain (index growth). */
  splitLow = 0;
  /** Upper bound of the chain split in progress (see splitLow). @internal */
  splitHigh = 0;
  /**
   * Lowest address that log truncation must keep (a durable checkpoint may need the log above it).
   * Compaction copies records below it but does not move begin past it.
   */
  truncationLimit: () => number = () => Number.MAX_SAFE_INTEGER;
  /** Compaction counters. @internal */
  readonly compactionStats = { passes: 0, recordsCopied: 0, bytesReclaimed: 0 };
  /** Checkpoints taken (durable) and failed, and their durations in milliseconds. */
  private autoCompactor: AutoCompactor | undefined;
  private checkpoints: CheckpointManager | undefined;
  /** The checkpoint this store was recovered from, if any. */
  recoveredCheckpoint: RecoveredCheckpoint | undefined;
  private appendsSinceGrowthCheck = 0;
  /** True while compaction appends its copies (they are exempt from the log-size backpressure). */
  private compactionAppend = false;
  private compacting: Promise<CompactionResult> | undefined;
  /** Address where the last PENDING_IO operation must continue on the device. */
  pendingAddress = 0;
  /** Entry address seen by the last operation (to detect concurrent changes after an await). */
  pendingEntryAddress = 0;
  /** Value produced by the last rmw, for callers of the sync API. */
  lastRmwValue: Uint8Array | undefined = undefined;
  /**
   * Set when a lower tier (F2's cold store) may hold older versions of keys: a delete always
   * leaves a tombstone (even with no entry, or a chain truncated away), and an rmw whose chain
   * ends in this log returns NOT_FOUND instead of starting from "absent" (the caller reads the
   * lower tier and completes it with rmwAfterLowerTier).
   */
  lowerTier = false;
  /**
   * The operation log (AOF) that sessions append every write to, in the step that applies it;
   * undefined without a `durability` section. Owned (opened, replayed, truncated, closed) by the
   * store that attached it: FasterKv, or F2Kv for its hot tier.
   */
  operationLog: OperationLog | undefined;
  /** Set by a tier that takes the compacted records (F2's hot→cold migration) instead of copying them to the tail. */
  compactor: ((until: number) => Promise<CompactionResult>) | undefined;

  // CPR (checkpoints): each operation belongs to the version current when it was issued; records
  // carry its parity. A checkpoint of version v holds every record of version <= v.
  /** Current version: operations issued now belong to it. */
  version = 1;
  /** FLAG_VERSION_ODD when `version` is odd. */
  parityFlag = FLAG_VERSION_ODD;
  /** Parity of the operation now running (set by the session before each synchronous step). */
  opParity = FLAG_VERSION_ODD;
  /** Async operations in flight, by version parity (index 0 even, 1 odd). */
  readonly inFlightByParity = [0, 0];
  private drainWaiters: { parity: number; resolve: () => void }[] = [];
  /**
   * Ranges of records written by a version that no checkpoint completed before a crash: skipped
   * by every reader. discardBelow is the highest `to`, for a one-comparison fast path.
   */
  discard: DiscardRange[] = [];
  /** Highest end of the discard ranges. @internal */
  discardBelow = 0;
  /** Serial numbers of sessions that are not active (ended, or recovered and not continued). */
  readonly sessionSerials = new Map<string, number>();

  private closed = false;
  private closing: Promise<void> | undefined;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private sessionCount = 0;
  private readonly sessions = new Map<string, Session>();
  private readonly log = componentLogger('faster-kv');
  /** Operation counters, incremented by sessions. @internal */
  readonly opStats: OperationStats = {
    reads: 0, upserts: 0, rmws: 0, deletes: 0, inPlaceUpdates: 0, appends: 0, pendingReads: 0, syncDeviceReads: 0, pendingRoomWaits: 0, retries: 0,
  };

  protected constructor(index: I, hlog: HybridLog, options: ResolvedOptions) {
    this.index = index;
    this.hlog = hlog;
    this.options = options;
    if (options.readCache.enabled) {
      const rc = new ReadCache(options.readCache.memorySize, options.readCache.pageSize);
      rc.unlink = (address, key, keyLength, previous) => {
        const handle = this.index.findEntry(hashKey(key, keyLength), lastTag());
        if (handle >= 0 && this.index.entryAddress(handle) === address) this.index.setEntryAddress(handle, previous);
      };
      rc.relink = (from, to, key, keyLength) => {
        const handle = this.index.findEntry(hashKey(key, keyLength), lastTag());
        if (handle >= 0 && this.index.entryAddress(handle) === from) this.index.setEntryAddress(handle, to);
      };
      this.readCache = rc;
    }
    if (index.grow !== undefined) index.splitter = this;
    if (options.compaction.enabled) this.autoCompactor = new AutoCompactor(this, options.compaction);
    const url = options.checkpoint.url;
    this.fence = new Fence(url !== undefined ? `the store at ${redactUrl(url)}` : `the store with log ${hlog.device.name}`);
    this.fence.onFenced(() => this.autoCompactor?.stop());
  }

  /** True once another writer has claimed this store: writes fail with FencedError, reads continue. */
  get isFenced(): boolean {
    return this.fence.fenced;
  }

  /**
   * Calls `listener` once when this store is fenced (another writer claimed it). Returns a
   * function that removes the listener. A service stops sending writes, closes the store and
   * exits or reopens it.
   */
  onFenced(listener: FencedListener): () => void {
    return this.fence.onFenced(listener);
  }

  /** Creates a log for an engine: the device, memory, page size and mutable fraction of `options`. */
  static newLog(device: StorageDevice, options: ResolvedOptions): HybridLog {
    return new HybridLog({
      device,
      memorySize: options.log.memorySize,
      pageSize: options.log.pageSize,
      mutableFraction: options.log.mutableFraction,
    });
  }

  /**
   * Positions a new engine at a recovered checkpoint: its version, the ranges of records that no
   * checkpoint holds, and the serial numbers of its sessions.
   */
  restoreState(recovered: RecoveredCheckpoint, version: number, discard: DiscardRange[]): void {
    this.version = version;
    this.parityFlag = version % 2 === 1 ? FLAG_VERSION_ODD : 0;
    this.discard = discard;
    this.discardBelow = Math.max(0, ...discard.map((d) => d.to));
    for (const [id, serial] of Object.entries(recovered.sessions)) this.sessionSerials.set(id, serial);
    this.recoveredCheckpoint = recovered;
  }

  /** Takes checkpoints through `manager`; log truncation then keeps what they need. */
  attachCheckpoints(manager: CheckpointManager): void {
    this.checkpoints = manager;
    manager.bindFence(this.fence);
    this.truncationLimit = () => manager.truncationLimit();
  }

  /**
   * Takes a checkpoint; resolves with its token once it is durable. Covers, for each session,
   * every operation issued before the call (its serial number is recorded), and nothing issued
   * after. Operations continue while it runs.
   */
  async checkpoint(): Promise<string> {
    this.throwIfClosed();
    const manager = this.checkpoints;
    if (!manager) throw new ConfigError('checkpoint.url', 'this store has no checkpoint store; set checkpoint.url (e.g. "file:///var/lib/f2kv/checkpoints")');
    return manager.checkpoint(this);
  }

  /** Lowest operation-log address a retained checkpoint replays from (undefined: none records one). */
  operationLogLimit(): number | undefined {
    return this.checkpoints?.operationLogLimit();
  }

  /** Requests and bytes of the checkpoint store, if this store has one. */
  checkpointStoreStats(): ObjectStoreStats | undefined {
    return this.checkpoints?.store.stats();
  }

  /** Tokens of the checkpoints in the checkpoint store, newest first. */
  async listCheckpoints(): Promise<string[]> {
    if (!this.checkpoints) return [];
    return this.checkpoints.tokens();
  }

  /** Resolves when no checkpoint is between its version switch and its capture (see compaction). */
  checkpointCaptured(): Promise<void> {
    return this.checkpoints ? this.checkpoints.captured() : Promise.resolve();
  }

  /** Called by a checkpoint at its version switch: no writer may stay throttled behind compaction. */
  onVersionSwitch(): void {
    this.autoCompactor?.release();
  }

  /** True while a checkpoint waits for the operations of its version to finish. */
  get checkpointSwitching(): boolean {
    return this.checkpoints?.switching ?? false;
  }

  /** Serial numbers of every known session (active and inactive), for a checkpoint. */
  sessionSnapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, serial] of this.sessionSerials) out[id] = serial;
    for (const [id, s] of this.sessions) out[id] = s.serial;
    return out;
  }

  /**
   * Continues a session by id: after recovery, its serial number is the one up to which its
   * operations survived (the client replays what follows); a new id starts at 0.
   */
  continueSession(id: string): Session {
    this.throwIfClosed();
    if (this.sessions.has(id)) throw new ConfigError('session', `session "${id}" is already active`);
    const s = new Session(this, id, this.sessionSerials.get(id) ?? 0);
    this.sessionSerials.delete(id);
    this.sessions.set(id, s);
    return s;
  }

  /** Builds a store over a given index and log (used by tiers that bring their own index). */
  static create<J extends KvIndex>(index: J, hlog: HybridLog, options: ResolvedOptions): KvEngine<J> {
    return new KvEngine(index, hlog, options);
  }

  /** True once close() or abandon() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Starts a session with the given id (or a generated one). @throws ConfigError if a session with that id is active; ClosedError after close(). */
  startSession(id?: string): Session {
    this.throwIfClosed();
    const sessionId = id ?? `s${++this.sessionCount}-${Date.now().toString(36)}`;
    if (this.sessions.has(sessionId)) throw new ConfigError('session', `session id "${sessionId}" is already active`);
    const s = new Session(this, sessionId);
    this.sessions.set(sessionId, s);
    return s;
  }

  /** @internal */
  endSession(session: Session): void {
    this.sessions.delete(session.id);
    this.sessionSerials.set(session.id, session.serial);
  }

  /** Throws ClosedError once close() was called. @internal */
  throwIfClosed(): void {
    if (this.closed) throw new ClosedError('store');
  }

  // ---------------------------------------------------------------- synchronous core

  /**
   * Finds the newest record of `key` in memory. Returns its address (≥ head), NOT_FOUND, or
   * PENDING_IO with pendingAddress set to where the chain continues on the device.
   */
  findInMemory(key: Uint8Array, length: number): number {
    const hash = hashKey(key, length);
    const index = this.index;
    const handle = index.findEntry(hash, lastTag());
    if (handle < 0) {
      if (handle === INDEX_PENDING) return this.indexPending();
      return NOT_FOUND;
    }
    const hlog = this.hlog;
    let address = index.entryAddress(handle);
    this.pendingEntryAddress = address;
    if (address >= READ_CACHE_BIT) {
      const rc = this.readCache!;
      if (rc.keyEquals(address, key, length)) {
        rc.hits++;
        rc.markRead(address);
        return address;
      }
      address = rc.previous(address);
    }
    const begin = hlog.beginAddress;
    const low = hlog.headAddress > begin ? hlog.headAddress : begin;
    const pageSize = hlog.pageSize;
    const frameCount = hlog.frameCount;
    while (address >= low) {
      const page = Math.floor(address / pageSize);
      // page < frameCount until the ring of frames wraps: no division on a young log.
      const f = page < frameCount ? page : page % frameCount;
      const offset = address - page * pageSize;
      const w = offset >>> 2;
      const u32 = hlog.frames32[f]!;
      if (u32[w + 2] === length && keyBytesEqual(hlog.frames8[f]!, offset + RECORD_HEADER_BYTES, key, length)) {
        if (address >= this.discardBelow || !this.isDiscarded(address, u32[w + 1]!)) return address;
      }
      address = u32[w]! + (u32[w + 1]! & 0xffff) * TWO_POW_32;
    }
    if (address < begin) return NOT_FOUND;
    this.pendingAddress = address;
    return PENDING_IO;
  }

  /** The address the key's index entry holds now (0 when it has none): a snapshot to detect later changes. */
  entryAddressOf(key: Uint8Array): number {
    const handle = this.index.findEntry(hashKey(key, key.length), lastTag());
    return handle < 0 ? 0 : this.index.entryAddress(handle);
  }

  /** True when the record at `address` (flags word `word1`) was written by a version lost in a crash. */
  isDiscarded(address: number, word1: number): boolean {
    for (const d of this.discard) {
      if (address >= d.from && address < d.to && ((word1 & FLAG_VERSION_ODD) !== 0) === d.odd) return true;
    }
    return false;
  }

  /** The main-log start of the chain behind an entry (skipping a read-cache copy in front). */
  chainStart(entryAddress: number): number {
    return entryAddress >= READ_CACHE_BIT ? this.readCache!.previous(entryAddress) : entryAddress;
  }

  /** Copies the value of the in-memory record at `address` into a new array (undefined for a tombstone). */
  valueAt(address: number): Uint8Array | undefined {
    if (address >= READ_CACHE_BIT) return this.readCache!.valueAt(address);
    const hlog = this.hlog;
    const pageSize = hlog.pageSize;
    const frameCount = hlog.frameCount;
    const page = Math.floor(address / pageSize);
    const f = page < frameCount ? page : page % frameCount;
    const offset = address - page * pageSize;
    const u32 = hlog.frames32[f]!;
    const w = offset >>> 2;
    if ((u32[w + 1]! & FLAG_TOMBSTONE) !== 0) return undefined;
    const start = offset + RECORD_HEADER_BYTES + u32[w + 2]!;
    const length = u32[w + 3]!;
    return copyValue(hlog.frames8[f]!, start, length);
  }

  /** Copies the value at `address` into `out`; returns its length, or NOT_FOUND for a tombstone. */
  valueInto(address: number, out: Uint8Array): number {
    if (address >= READ_CACHE_BIT) return this.readCache!.valueInto(address, out);
    const hlog = this.hlog;
    const pageSize = hlog.pageSize;
    const frameCount = hlog.frameCount;
    const page = Math.floor(address / pageSize);
    const f = page < frameCount ? page : page % frameCount;
    const offset = address - page * pageSize;
    const u32 = hlog.frames32[f]!;
    const w = offset >>> 2;
    if ((u32[w + 1]! & FLAG_TOMBSTONE) !== 0) return NOT_FOUND;
    const length = u32[w + 3]!;
    if (length <= out.length) {
      const start = offset + RECORD_HEADER_BYTES + u32[w + 2]!;
      const src = hlog.frames8[f]!;
      if (length <= 16) for (let i = 0; i < length; i++) out[i] = src[start + i]!;
      else out.set(src.subarray(start, start + length));
    }
    return length;
  }

  /** Upsert in memory: OK, or PENDING_ROOM when the tail must wait for a flush. */
  upsertInMemory(key: Uint8Array, keyLength: number, value: Uint8Array): number {
    const hash = hashKey(key, keyLength);
    const handle = this.index.findOrCreateEntry(hash, lastTag());
    if (handle === INDEX_PENDING) return this.indexPending();
    const hlog = this.hlog;
    let entryAddress = this.index.entryAddress(handle);
    if (entryAddress >= READ_CACHE_BIT) entryAddress = this.readCache!.previous(entryAddress);
    let address = entryAddress;
    const readOnly = hlog.readOnlyAddress;
    const pageSize = hlog.pageSize;
    const frameCount = hlog.frameCount;
    const valueLength = value.length;
    while (address >= readOnly) {
      const page = Math.floor(address / pageSize);
      const f = page < frameCount ? page : page % frameCount;
      const offset = address - page * pageSize;
      const u32 = hlog.frames32[f]!;
      const u8 = hlog.frames8[f]!;
      const w = offset >>> 2;
      if (recordKeyEquals(u8, u32, offset, key, keyLength)) {
        if (RECORD_HEADER_BYTES + keyLength + valueLength <= u32[w + 4]! && (u32[w + 1]! & FLAG_VERSION_ODD) === this.opParity) {
          const start = offset + RECORD_HEADER_BYTES + keyLength;
          if (valueLength <= 16) for (let i = 0; i < valueLength; i++) u8[start + i] = value[i]!;
          else u8.set(value, start);
          u32[w + 3] = valueLength;
          u32[w + 1] = u32[w + 1]! & ~FLAG_TOMBSTONE;
          this.opStats.inPlaceUpdates++;
          return OK;
        }
        break;
      }
      address = recordPrevious(u32, w);
    }
    return this.appendRecord(handle, entryAddress, key, keyLength, value, 0);
  }

  /**
   * Appends a record at the tail and points the index entry at it (unlinking a read-cache copy
   * that stood in front of the chain). `previous` is the chain's main-log start. Returns OK or
   * PENDING_ROOM. `value` may be undefined for a tombstone.
   */
  appendRecord(
    handle: number,
    previous: number,
    key: Uint8Array,
    keyLength: number,
    value: Uint8Array | undefined,
    flags: number,
  ): number {
    const valueLength = value === undefined ? 0 : value.length;
    const size = alignRecordSize(keyLength, valueLength);
    const hlog = this.hlog;
    if (this.autoCompactor !== undefined && !this.compactionAppend && this.autoCompactor.shouldThrottle()) {
      this.opStats.pendingRoomWaits++;
      return PENDING_ROOM;
    }
    const address = hlog.allocate(size);
    if (address === 0) {
      this.opStats.pendingRoomWaits++;
      return PENDING_ROOM;
    }
    const page = Math.floor(address / hlog.pageSize);
    const frameCount = hlog.frameCount;
    const f = page < frameCount ? page : page % frameCount;
    const offset = address - page * hlog.pageSize;
    const u32 = hlog.frames32[f]!;
    const u8 = hlog.frames8[f]!;
    writeRecordHeader(u32, offset >>> 2, previous, flags | this.opParity, keyLength, valueLength, size);
    let p = offset + RECORD_HEADER_BYTES;
    if (keyLength <= 16) for (let i = 0; i < keyLength; i++) u8[p++] = key[i]!;
    else {
      u8.set(key.subarray(0, keyLength), p);
      p += keyLength;
    }
    if (value !== undefined) {
      if (valueLength <= 16) for (let i = 0; i < valueLength; i++) u8[p + i] = value[i]!;
      else u8.set(value, p);
    }
    const replaced = this.index.entryAddress(handle);
    if (replaced >= READ_CACHE_BIT) this.readCache!.invalidate(replaced);
    this.index.setEntryAddress(handle, address);
    this.opStats.appends++;
    this.autoCompactor?.onAppend();
    if ((++this.appendsSinceGrowthCheck & 1023) === 0) this.maybeGrowIndex();
    return OK;
  }

  /**
   * RMW in memory. Returns OK (lastRmwValue holds the new value), PENDING_IO (the old value is on
   * the device at pendingAddress) or PENDING_ROOM.
   */
  rmwInMemory(key: Uint8Array, keyLength: number, fn: RmwFunction): number {
    const hash = hashKey(key, keyLength);
    const handle = this.index.findOrCreateEntry(hash, lastTag());
    if (handle === INDEX_PENDING) return this.indexPending();
    const hlog = this.hlog;
    let entryAddress = this.index.entryAddress(handle);
    this.pendingEntryAddress = entryAddress;
    if (entryAddress >= READ_CACHE_BIT) {
      const rc = this.readCache!;
      const cached = entryAddress;
      entryAddress = rc.previous(cached);
      if (rc.keyEquals(cached, key, keyLength)) {
        rc.hits++;
        const next = checkValue(fn(rc.valueAt(cached)));
        this.lastRmwValue = next;
        return this.appendRecord(handle, entryAddress, key, keyLength, next, 0);
      }
    }
    let address = entryAddress;
    const begin = hlog.beginAddress;
    const low = hlog.headAddress > begin ? hlog.headAddress : begin;
    const pageSize = hlog.pageSize;
    const frameCount = hlog.frameCount;
    while (address >= low) {
      const page = Math.floor(address / pageSize);
      const f = page < frameCount ? page : page % frameCount;
      const offset = address - page * pageSize;
      const u32 = hlog.frames32[f]!;
      const u8 = hlog.frames8[f]!;
      const w = offset >>> 2;
      if (recordKeyEquals(u8, u32, offset, key, keyLength) && (address >= this.discardBelow || !this.isDiscarded(address, u32[w + 1]!))) {
        const tombstone = (u32[w + 1]! & FLAG_TOMBSTONE) !== 0;
        const start = offset + RECORD_HEADER_BYTES + keyLength;
        const old = tombstone ? undefined : copyValue(u8, start, u32[w + 3]!);
        const next = checkValue(fn(old));
        this.lastRmwValue = next;
        if (
          !tombstone &&
          address >= hlog.readOnlyAddress &&
          RECORD_HEADER_BYTES + keyLength + next.length <= u32[w + 4]! &&
          (u32[w + 1]! & FLAG_VERSION_ODD) === this.opParity
        ) {
          u8.set(next, start);
          u32[w + 3] = next.length;
          this.opStats.inPlaceUpdates++;
          return OK;
        }
        return this.appendRecord(handle, entryAddress, key, keyLength, next, 0);
      }
      address = recordPrevious(u32, w);
    }
    if (address >= begin) {
      this.pendingAddress = address;
      return PENDING_IO;
    }
    if (this.lowerTier) return NOT_FOUND;
    const next = checkValue(fn(undefined));
    this.lastRmwValue = next;
    return this.appendRecord(handle, entryAddress, key, keyLength, next, 0);
  }

  /** Delete in memory: a tombstone in place (mutable region) or at the tail. OK or PENDING_ROOM. */
  deleteInMemory(key: Uint8Array, keyLength: number): number {
    const hash = hashKey(key, keyLength);
    const tag = lastTag();
    const handle = this.lowerTier ? this.index.findOrCreateEntry(hash, tag) : this.index.findEntry(hash, tag);
    if (handle === INDEX_PENDING) return this.indexPending();
    if (handle === INDEX_NOT_FOUND) return OK;
    const hlog = this.hlog;
    const entryAddress = this.chainStart(this.index.entryAddress(handle));
    let address = entryAddress;
    const readOnly = hlog.readOnlyAddress;
    const pageSize = hlog.pageSize;
    const frameCount = hlog.frameCount;
    while (address >= readOnly) {
      const page = Math.floor(address / pageSize);
      const f = page < frameCount ? page : page % frameCount;
      const offset = address - page * pageSize;
      const u32 = hlog.frames32[f]!;
      const w = offset >>> 2;
      if (recordKeyEquals(hlog.frames8[f]!, u32, offset, key, keyLength)) {
        if ((u32[w + 1]! & FLAG_VERSION_ODD) !== this.opParity) break;
        u32[w + 1] = u32[w + 1]! | FLAG_TOMBSTONE;
        u32[w + 3] = 0;
        this.opStats.inPlaceUpdates++;
        return OK;
      }
      address = recordPrevious(u32, w);
    }
    if (!this.lowerTier && entryAddress < hlog.beginAddress && this.index.entryAddress(handle) < READ_CACHE_BIT) {
      // The whole chain was truncated away: nothing to shadow.
      return OK;
    }
    return this.appendRecord(handle, entryAddress, key, keyLength, undefined, FLAG_TOMBSTONE);
  }

  /**
   * Completes an RMW whose old value came from the device: applies fn(old) and appends the result,
   * unless the chain changed since `seenEntry` was read (then returns CHANGED and the caller retries).
   */
  rmwAfterIo(key: Uint8Array, keyLength: number, fn: RmwFunction, old: Uint8Array | undefined, seenEntry: number): number {
    const hash = hashKey(key, keyLength);
    const handle = this.index.findOrCreateEntry(hash, lastTag());
    if (handle === INDEX_PENDING) return this.indexPending();
    const entryAddress = this.index.entryAddress(handle);
    if (entryAddress !== seenEntry) return CHANGED;
    const next = checkValue(fn(old));
    this.lastRmwValue = next;
    return this.appendRecord(handle, this.chainStart(entryAddress), key, keyLength, next, 0);
  }

  /**
   * Completes an RMW whose chain ended in this log (lowerTier): `old` is the lower tier's value.
   * Appends fn(old) only if the chain has not changed since `seenEntry` (nothing newer appeared
   * in this tier meanwhile); otherwise returns CHANGED and the caller retries from fresh state.
   */
  rmwAfterLowerTier(key: Uint8Array, fn: RmwFunction, old: Uint8Array | undefined, seenEntry: number): number {
    return this.rmwAfterIo(key, key.length, fn, old, seenEntry);
  }

  /**
   * Caches a value found in a lower tier in the read cache, in front of the key's chain, if the
   * chain has not changed since `seenEntry` (so that no newer version can be hidden behind it).
   */
  cacheLowerTierValue(key: Uint8Array, value: Uint8Array, seenEntry: number): void {
    const rc = this.readCache;
    if (rc === undefined || seenEntry >= READ_CACHE_BIT) return;
    const handle = this.index.findOrCreateEntry(hashKey(key, key.length), lastTag());
    if (handle < 0 || this.index.entryAddress(handle) !== seenEntry) return;
    const cached = rc.insert(key, key.length, value, seenEntry, 0);
    if (cached !== 0 && this.index.entryAddress(handle) === seenEntry) this.index.setEntryAddress(handle, cached);
  }

  /**
   * Copies a record read from the device into the read cache, in front of its chain, if the
   * chain has not changed since `seenEntry` and has no cached copy yet.
   */
  cacheDeviceRecord(key: Uint8Array, keyLength: number, record: DeviceRecord | undefined, seenEntry: number): void {
    const rc = this.readCache;
    if (rc === undefined) return;
    rc.misses++;
    if (record === undefined || seenEntry >= READ_CACHE_BIT) return;
    const handle = this.index.findEntry(hashKey(key, keyLength), lastTag());
    if (handle < 0 || this.index.entryAddress(handle) !== seenEntry) return;
    const u32 = record.u32;
    const flags = u32[1]! & FLAG_TOMBSTONE;
    const valueStart = RECORD_HEADER_BYTES + keyLength;
    const value = flags !== 0 ? undefined : record.u8.subarray(valueStart, valueStart + u32[3]!);
    const cached = rc.insert(key, keyLength, value, seenEntry, flags);
    // Inserting may have evicted read-cache pages and changed entries: re-check before linking.
    if (cached !== 0 && this.index.entryAddress(handle) === seenEntry) this.index.setEntryAddress(handle, cached);
  }

  /**
   * Conditional insert: appends (key, value) — a tombstone when value is undefined — only if no
   * record of the key exists above `sinceAddress` (following the chain onto the device when
   * needed). Returns true when inserted, false when a newer version exists. The liveness test of
   * compaction and of cross-tier RMW.
   */
  async conditionalInsert(key: Uint8Array, value: Uint8Array | undefined, sinceAddress: number): Promise<boolean> {
    const keyLength = key.length;
    for (;;) {
      const hash = hashKey(key, keyLength);
      let handle = this.index.findOrCreateEntry(hash, lastTag());
      if (handle === INDEX_PENDING) handle = await this.index.findOrCreateEntryAsync(hash, lastTag());
      const seen = this.index.entryAddress(handle);
      const hlog = this.hlog;
      let address = this.chainStart(seen);
      const begin = hlog.beginAddress;
      const low = Math.max(hlog.headAddress, begin, sinceAddress + 1);
      while (address >= low) {
        const page = Math.floor(address / hlog.pageSize);
        const f = page % hlog.frameCount;
        const offset = address - page * hlog.pageSize;
        const u32 = hlog.frames32[f]!;
        if (recordKeyEquals(hlog.frames8[f]!, u32, offset, key, keyLength) && !this.isDiscarded(address, u32[(offset >>> 2) + 1]!)) return false;
        address = recordPrevious(u32, offset >>> 2);
      }
      if (address > sinceAddress && address >= begin) {
        // The chain continues on the device above sinceAddress: look there, then re-validate.
        let newer = false;
        while (address > sinceAddress && address >= hlog.beginAddress) {
          const record = await hlog.readRecord(address);
          if (recordKeyEquals(record.u8, record.u32, 0, key, keyLength) && !this.isDiscarded(address, record.u32[1]!)) {
            newer = true;
            break;
          }
          address = recordPrevious(record.u32, 0);
        }
        if (newer) return false;
        const again = this.index.findEntry(hashKey(key, keyLength), lastTag());
        if (again < 0 || this.index.entryAddress(again) !== seen) {
          this.opStats.retries++;
          continue;
        }
        handle = again;
      }
      this.compactionAppend = true;
      this.opParity = this.parityFlag;
      let r: number;
      try {
        r = this.appendRecord(handle, this.chainStart(seen), key, keyLength, value, value === undefined ? FLAG_TOMBSTONE : 0);
      } finally {
        this.compactionAppend = false;
      }
      if (r === OK) return true;
      await this.hlog.waitForRoom();
      this.opStats.retries++;
    }
  }

  /**
   * Address of the newest record of `key` (in memory or on the device), or 0 if there is none.
   * Read-cache copies are not counted: the address is always a main-log address.
   */
  async latestAddress(key: Uint8Array): Promise<number> {
    const keyLength = key.length;
    const handle = this.index.findEntry(hashKey(key, keyLength), lastTag());
    if (handle < 0) return 0;
    const hlog = this.hlog;
    let address = this.chainStart(this.index.entryAddress(handle));
    const low = Math.max(hlog.headAddress, hlog.beginAddress);
    while (address >= low) {
      const page = Math.floor(address / hlog.pageSize);
      const f = page % hlog.frameCount;
      const offset = address - page * hlog.pageSize;
      const u32 = hlog.frames32[f]!;
      if (recordKeyEquals(hlog.frames8[f]!, u32, offset, key, keyLength) && !this.isDiscarded(address, u32[(offset >>> 2) + 1]!)) return address;
      address = recordPrevious(u32, offset >>> 2);
    }
    const record = address >= hlog.beginAddress ? await this.findOnDevice(key, keyLength, address) : undefined;
    return record ? record.address : 0;
  }

  /**
   * Iterates over the records of [from, to) (default: the whole log) in address order. With
   * liveOnly, yields only the newest version of each key, and no tombstones.
   */
  async *scan(options: { from?: number; to?: number; liveOnly?: boolean } = {}): AsyncGenerator<ScanRecord> {
    this.throwIfClosed();
    const from = options.from ?? this.hlog.beginAddress;
    const to = options.to ?? this.hlog.tailAddress;
    for await (const record of scanLog(this.hlog, from, to)) {
      if (record.address < this.discardBelow && this.isDiscarded(record.address, record.flags)) continue;
      if (options.liveOnly) {
        if (record.tombstone) continue;
        if ((await this.latestAddress(record.key)) !== record.address) continue;
      }
      yield record;
    }
  }

  /**
   * Compacts [begin, untilAddress): copies every live record to the tail (conditional insert),
   * drops what is shadowed (and tombstones with nothing older left), then moves begin and frees
   * the device space. untilAddress must lie in (begin, readOnly].
   */
  compact(untilAddress: number, options: { mode?: CompactionMode; keepTombstones?: boolean } = {}): Promise<CompactionResult> {
    try {
      this.throwIfClosed();
      this.fence.throwIfFenced('compaction');
      compactionBoundary(this, untilAddress);
    } catch (err) {
      return Promise.reject(err);
    }
    const mode = options.mode ?? this.options.compaction.mode;
    const previous = this.compacting;
    const run = async (): Promise<CompactionResult> => {
      // Passes run one at a time; a range that an earlier pass already covered is a no-op.
      if (previous) await previous.catch(() => undefined);
      if (this.compactor !== undefined) return this.compactor(untilAddress);
      return compactLog(this, untilAddress, mode, options.keepTombstones ?? false);
    };
    const p = this.track(run, NOT_VERSIONED);
    this.compacting = p;
    return p.finally(() => {
      if (this.compacting === p) this.compacting = undefined;
    });
  }

  /** Doubles the hash index while operations continue (see MemHashIndex.grow). */
  async growIndex(): Promise<void> {
    this.throwIfClosed();
    const index = this.index;
    if (index.grow === undefined) throw new F2Error('UNSUPPORTED', 'this index does not grow');
    await this.track(() => index.grow!(), NOT_VERSIONED);
  }

  /** ChainSplitter for index growth. */
  splitChain(address: number, bit: number): void {
    if (address >= READ_CACHE_BIT) {
      // Drop the cached copy: the chain it fronts is being split.
      this.readCache!.invalidate(address);
      address = this.readCache!.previous(address);
    }
    const hlog = this.hlog;
    let lowSide = 0;
    let highSide = 0;
    const begin = hlog.beginAddress;
    const low = Math.max(hlog.headAddress, begin);
    while (address >= low && (lowSide === 0 || highSide === 0)) {
      const page = Math.floor(address / hlog.pageSize);
      const f = page % hlog.frameCount;
      const offset = address - page * hlog.pageSize;
      const u32 = hlog.frames32[f]!;
      const w = offset >>> 2;
      const h = hashKey(hlog.frames8[f]!.subarray(offset + RECORD_HEADER_BYTES), u32[w + 2]!);
      if ((h & bit) === 0) {
        if (lowSide === 0) lowSide = address;
      } else if (highSide === 0) highSide = address;
      address = recordPrevious(u32, w);
    }
    if (address >= begin && address > 0) {
      if (lowSide === 0) lowSide = address;
      if (highSide === 0) highSide = address;
    }
    this.splitLow = lowSide;
    this.splitHigh = highSide;
  }

  /** Starts automatic index growth when the load passes index.maxLoad. */
  maybeGrowIndex(): void {
    const index = this.index;
    if (!this.options.index.autoGrow || index.grow === undefined || index.growing || this.closed) return;
    if ((index.load ?? 0) > this.options.index.maxLoad) {
      index.grow().catch((err: unknown) => this.log.error({ err }, 'automatic index growth failed'));
    }
  }

  // ---------------------------------------------------------------- asynchronous continuations

  /**
   * Follows a chain on the device from `address` until the record of `key`. Returns the record,
   * or undefined when the chain ends. Returns null when the log was truncated under the read
   * (the caller restarts the operation from the index).
   */
  async findOnDevice(key: Uint8Array, length: number, address: number): Promise<DeviceRecord | undefined | null> {
    const hlog = this.hlog;
    this.opStats.pendingReads++;
    while (address >= hlog.beginAddress) {
      let record: DeviceRecord;
      try {
        record = await hlog.readRecord(address);
      } catch (err) {
        if (address < hlog.beginAddress) return null;
        throw err;
      }
      if (address < hlog.beginAddress) return null;
      if (recordKeyEquals(record.u8, record.u32, 0, key, length) && !this.isDiscarded(address, record.u32[1]!)) return record;
      address = recordPrevious(record.u32, 0);
    }
    return undefined;
  }

  /**
   * findOnDevice on the calling thread, for the sync API, when the device reads synchronously (a
   * local file: a page-cache hit costs a few µs, where an async read waits for a thread-pool round
   * trip). Starts at pendingAddress (set by the PENDING_IO that led here). Returns the record,
   * undefined when the chain ends, or null when it cannot finish synchronously (the caller goes
   * PENDING and continues with the async API). Nothing can move begin while it runs.
   */
  findOnDeviceSync(key: Uint8Array, length: number): DeviceRecord | undefined | null {
    const hlog = this.hlog;
    if (!hlog.syncReads) return null;
    let address = this.pendingAddress;
    while (address >= hlog.beginAddress) {
      const record = hlog.readRecordSync(address);
      if (record === undefined) return null;
      if (recordKeyEquals(record.u8, record.u32, 0, key, length) && !this.isDiscarded(address, record.u32[1]!)) return record;
      address = recordPrevious(record.u32, 0);
    }
    return undefined;
  }

  /**
   * Completes a read that went PENDING_IO synchronously when the device allows (see
   * findOnDeviceSync), caching the record found in the read cache as the async path does.
   * Returns null when the caller must continue with the async API.
   */
  readDeviceSync(key: Uint8Array, length: number): DeviceRecord | undefined | null {
    const seenEntry = this.pendingEntryAddress;
    const record = this.findOnDeviceSync(key, length);
    if (record === null) return null;
    this.opStats.syncDeviceReads++;
    this.cacheDeviceRecord(key, length, record, seenEntry);
    return record;
  }

  /** Runs `op` as an in-flight operation: close() waits for it. */
  /**
   * Runs `op` as an in-flight operation: close() waits for it. A session operation passes its
   * version parity, and a checkpoint waits for the operations of its version; maintenance
   * (compaction, growth) passes NOT_VERSIONED and is not waited for.
   */
  async track<T>(op: () => Promise<T>, parity: number = this.parityFlag): Promise<T> {
    this.throwIfClosed();
    this.inFlight++;
    const slot = parity === NOT_VERSIONED ? -1 : parity === 0 ? 0 : 1;
    if (slot >= 0) this.inFlightByParity[slot]!++;
    try {
      return await op();
    } finally {
      this.inFlight--;
      if (slot >= 0) {
        this.inFlightByParity[slot]!--;
        if (this.inFlightByParity[slot] === 0 && this.drainWaiters.length > 0) this.wakeDrainWaiters();
      }
      if (this.inFlight === 0 && this.idleWaiters.length > 0) {
        const w = this.idleWaiters;
        this.idleWaiters = [];
        for (const fn of w) fn();
      }
    }
  }

  /** Resolves when no async operation of the given version parity is in flight. */
  drained(parity: number): Promise<void> {
    const slot = parity === 0 ? 0 : 1;
    if (this.inFlightByParity[slot] === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push({ parity: slot, resolve }));
  }

  private wakeDrainWaiters(): void {
    const keep: { parity: number; resolve: () => void }[] = [];
    for (const w of this.drainWaiters) {
      if (this.inFlightByParity[w.parity] === 0) w.resolve();
      else keep.push(w);
    }
    this.drainWaiters = keep;
  }

  /** Resolves when an operation that returned PENDING_ROOM may retry. */
  waitForRoom(): Promise<void> {
    if (this.autoCompactor?.shouldThrottle()) return this.autoCompactor.whenPassDone();
    return this.hlog.waitForRoom();
  }

  private indexPending(): number {
    throw new F2Error('INDEX_PENDING', 'this index answers asynchronously; use the async API');
  }


  // ---------------------------------------------------------------- lifecycle

  /** Current counters and sizes (synchronous, no I/O). */
  stats(): KvEngineStats {
    const index = this.index;
    const extra = index.grow !== undefined ? { load: index.load, growths: index.growths, lastGrowthMs: index.lastGrowthMs } : {};
    return {
      operations: { ...this.opStats },
      index: { ...index.stats(), ...extra },
      readCache: this.readCache?.stats(),
      compaction: { ...this.compactionStats },
      log: this.hlog.stats(),
      device: { name: this.hlog.device.name, ...this.hlog.device.stats() },
      sessions: this.sessions.size,
      checkpoints: this.checkpoints ? { ...this.checkpoints.stats } : emptyCheckpointStats(),
    };
  }

  /**
   * Stops this instance where it stands, writing nothing more (no flush, no checkpoint): what a
   * process that dies leaves behind. Further operations throw ClosedError. For crash tests.
   */
  abandon(): void {
    this.autoCompactor?.stop();
    this.closed = true;
  }

  /** Waits for in-flight operations, flushes the log to its device and closes the device. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    this.autoCompactor?.stop();
    const manager = this.checkpoints;
    let failure: unknown;
    if (manager && this.options.checkpoint.onClose && !this.fence.fenced && !manager.unchangedSince(this)) {
      try {
        await manager.checkpoint(this);
      } catch (err) {
        // Fenced meanwhile: the close succeeds and publishes nothing (the new owner's state stands).
        if (!(err instanceof FencedError)) failure = err;
      }
    }
    this.closed = true;
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    const device = this.hlog.device;
    if (this.fence.fenced && device.discard !== undefined) {
      // The prefix belongs to another writer: upload nothing more to it.
      await device.discard();
    } else {
      await this.hlog.close();
      await device.close();
    }
    await manager?.close();
    this.sessions.clear();
    if (failure !== undefined) throw failure;
    this.log.debug('closed');
  }
}

export function checkValue(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return new TextEncoder().encode(v);
  throw new TypeError(`rmw function must return a Uint8Array or a string, got ${v === null ? 'null' : typeof v}`);
}
