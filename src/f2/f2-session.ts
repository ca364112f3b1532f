/**
 * A session of the two-tier store. It is a hot-tier session (its serial numbers are what the
 * hot tier's CPR checkpoints record) whose reads and read-modify-writes continue into the cold
 * tier when the key's hot chain ends:
 *
 * - read: hot (read cache, hot memory, hot device), then cold. A hot tombstone ends the search.
 *   A value found in cold is copied into the hot read cache only if the hot chain did not change
 *   meanwhile.
 * - upsert: hot. delete: always a hot tombstone (the hot engine runs with `lowerTier`).
 * - rmw: a live hot record is updated as in FasterKv; a hot tombstone means "start from absent";
 *   no hot record: read cold, apply fn, and append the result to hot only if the hot chain has
 *   not changed since it was seen empty (otherwise retry from a fresh look at hot).
 */
import { ClosedError } from '../core/errors.js';
import { ScratchEncoder, type Bytes } from '../core/bytes.js';
import type { ColdKv } from '../cold/cold-kv.js';
import { NOT_FOUND, OK, PENDING, PENDING_IO, PENDING_ROOM, type KvEngine, type Pending, type RmwFunction } from '../kv/kv-engine.js';
import type { KvIndex } from '../kv/kv-index.js';
import { deviceValue, deviceValueInto, PENDING_CODE, type Session } from '../kv/session.js';
import type { WriteOptions } from '../kv/durability-options.js';
import { ENTRY_UPSERT } from '../kv/operation-log.js';
import { READ_CACHE_BIT } from '../core/address.js';

/** Where reads were served from. */
export interface TierReadStats {
  /** Reads served from the hot log's memory. */
  hotMemory: number;
  /** Reads served from the hot tier's read cache. */
  readCache: number;
  /** Reads served from the hot tier's device. */
  hotDevice: number;
  /** Reads served by the cold tier. */
  cold: number;
  /** Reads that found no value (absent or deleted). */
  notFound: number;
}

/** A session of F2Kv (from F2Kv.startSession): the FasterKv session API across both tiers. Reads search hot then cold; writes go to the hot tier. */
export class F2Session {
  private readonly encoder = new ScratchEncoder();

  constructor(
    private readonly hot: KvEngine<KvIndex>,
    private readonly cold: ColdKv,
    /** The hot-tier session that carries this session's id and serial numbers. */
    readonly inner: Session,
    private readonly reads: TierReadStats,
  ) {}

  /** Session id; pass it to F2Kv.continueSession after recovery. */
  get id(): string {
    return this.inner.id;
  }

  /** Serial number of the last operation started by this session. */
  get serial(): number {
    return this.inner.serial;
  }

  private key(key: Bytes): Uint8Array {
    if (this.ended) throw new ClosedError(`session ${this.id}`);
    const hot = this.hot;
    hot.throwIfClosed();
    hot.opParity = hot.parityFlag;
    return this.encoder.bytes(key, 'key');
  }

  private ended = false;

  /** key() for a write: also refuses it (FencedError) once another writer claimed the store. */
  private writeKey(key: Bytes): Uint8Array {
    const k = this.key(key);
    const fence = this.hot.fence;
    if (fence.fenced) throw fence.refusal('write');
    return k;
  }

  // ------------------------------------------------------------------ reads

  /** The value stored for key, or undefined when absent: searched in the hot tier (read cache, memory, device), then the cold tier. */
  async read(key: Bytes): Promise<Uint8Array | undefined> {
    const k = this.key(key);
    const hot = this.hot;
    this.readStarted();
    const address = hot.findInMemory(k, k.length);
    if (address > 0) return this.servedInMemory(address);
    const copy = k.slice();
    if (address === NOT_FOUND) {
      const seen = hot.entryAddressOf(copy);
      return hot.track(() => this.readCold(copy, seen), hot.opParity);
    }
    return hot.track(() => this.readPending(copy, hot.pendingAddress, hot.pendingEntryAddress), hot.opParity);
  }

  /** The value, undefined when absent, or PENDING when it must be read from the hot device or cold. */
  readSync(key: Bytes): Uint8Array | undefined | Pending {
    const k = this.key(key);
    const hot = this.hot;
    const address = hot.findInMemory(k, k.length);
    if (address > 0) {
      this.readStarted();
      return this.servedInMemory(address);
    }
    if (address !== NOT_FOUND) {
      // On the hot device: read it here when the device reads synchronously (a local file).
      const record = hot.readDeviceSync(k, k.length);
      if (record === null) return PENDING;
      if (record !== undefined) {
        this.readStarted();
        const value = deviceValue(record);
        this.countDevice(value !== undefined);
        return value;
      }
      // The hot chain ended on the device: the key can only be in cold.
    }
    const found = this.cold.findSync(k);
    if (found === PENDING) return PENDING;
    this.readStarted();
    if (found === undefined || found.tombstone) {
      this.reads.notFound++;
      return undefined;
    }
    this.reads.cold++;
    return found.value;
  }

  /**
   * Copies the value into `out`: its length (copied when it fits), -1 when absent, or
   * PENDING_CODE when it must be read from the hot device or cold (use read()).
   */
  readInto(key: Bytes, out: Uint8Array): number {
    const k = this.key(key);
    const hot = this.hot;
    const address = hot.findInMemory(k, k.length);
    if (address === PENDING_IO) {
      const record = hot.readDeviceSync(k, k.length);
      if (record === null || record === undefined) return PENDING_CODE;
      this.readStarted();
      const n = deviceValueInto(record, out);
      this.countDevice(n >= 0);
      return n;
    }
    if (address <= 0) return PENDING_CODE;
    this.readStarted();
    const n = hot.valueInto(address, out);
    this.count(address, n >= 0);
    return n;
  }

  /** Numbers and counts a read (a sync call does so only when it completes: PENDING does neither). */
  private readStarted(): void {
    this.inner.serial++;
    this.hot.opStats.reads++;
  }

  /** Counts a read answered from a record on the hot device (a tombstone: not found). */
  private countDevice(found: boolean): void {
    if (found) this.reads.hotDevice++;
    else this.reads.notFound++;
  }

  private servedInMemory(address: number): Uint8Array | undefined {
    const value = this.hot.valueAt(address);
    this.count(address, value !== undefined);
    return value;
  }

  private count(address: number, found: boolean): void {
    if (!found) this.reads.notFound++;
    else if (address >= READ_CACHE_BIT) this.reads.readCache++;
    else this.reads.hotMemory++;
  }

  private async readPending(key: Uint8Array, address: number, seenEntry: number): Promise<Uint8Array | undefined> {
    const hot = this.hot;
    for (;;) {
      const record = await hot.findOnDevice(key, key.length, address);
      if (record !== null && record !== undefined) {
        hot.cacheDeviceRecord(key, key.length, record, seenEntry);
        const value = deviceValue(record);
        this.countDevice(value !== undefined);
        return value;
      }
      if (record === undefined) return this.readCold(key, seenEntry);
      // The hot log was truncated under the read (migrated to cold): look again from the index.
      hot.opStats.retries++;
      const again = hot.findInMemory(key, key.length);
      if (again > 0) return this.servedInMemory(again);
      if (again === NOT_FOUND) return this.readCold(key, hot.entryAddressOf(key));
      address = hot.pendingAddress;
      seenEntry = hot.pendingEntryAddress;
    }
  }

  private async readCold(key: Uint8Array, seenEntry: number): Promise<Uint8Array | undefined> {
    const found = await this.cold.find(key);
    if (found === undefined || found.tombstone) {
      this.reads.notFound++;
      return undefined;
    }
    this.reads.cold++;
    this.hot.cacheLowerTierValue(key, found.value!, seenEntry);
    return found.value;
  }

  // ------------------------------------------------------------------ writes

  /** Upserts into hot. `{ durable: true }`: resolves once the write survives a crash (see Session.upsert). */
  upsert(key: Bytes, value: Bytes, options?: WriteOptions): Promise<void> {
    return this.inner.upsert(key, value, options);
  }

  /** Upsert in the hot tier's memory, or PENDING (nothing happened; use upsert). */
  upsertSync(key: Bytes, value: Bytes): void | Pending {
    return this.inner.upsertSync(key, value);
  }

  /** Appends a hot tombstone (always: cold may hold older versions). */
  delete(key: Bytes, options?: WriteOptions): Promise<void> {
    return this.inner.delete(key, options);
  }

  /** Delete in the hot tier's memory, or PENDING (nothing happened; use delete). */
  deleteSync(key: Bytes): void | Pending {
    return this.inner.deleteSync(key);
  }

  /**
   * Read-modify-write across tiers: fn(old) → new, old undefined when absent (or deleted). fn
   * must be a pure function of its input: it may run more than once when the operation retries.
   */
  async rmw(key: Bytes, fn: RmwFunction, options?: WriteOptions): Promise<Uint8Array> {
    const k = this.writeKey(key);
    const hot = this.hot;
    const inner = this.inner;
    const durable = inner.checkDurable(options);
    inner.serial++;
    hot.opStats.rmws++;
    const r = hot.rmwInMemory(k, k.length, fn);
    if (r === OK) {
      const next = hot.lastRmwValue!;
      if (hot.operationLog === undefined) return next;
      const wait = inner.logWrite(hot.operationLog, ENTRY_UPSERT, inner.serial, k, next, durable);
      if (wait !== undefined) await wait;
      return next;
    }
    const copy = k.slice();
    const parity = hot.opParity;
    const serial = inner.serial;
    inner.writePending(serial);
    let wait: Promise<void> | undefined;
    // Runs in the synchronous step that applies the result: the log's order is the hot tier's.
    const applied = (): void => {
      if (hot.operationLog !== undefined) wait = inner.logWrite(hot.operationLog, ENTRY_UPSERT, serial, copy, hot.lastRmwValue!, durable);
    };
    let next: Uint8Array;
    try {
      next = await hot.track(() => this.rmwPending(copy, fn, r, parity, applied), parity);
    } finally {
      inner.writeSettled(serial);
    }
    if (wait !== undefined) await wait;
    return next;
  }

  /** RMW in hot memory: the new value, or PENDING (nothing happened; use rmw()). */
  rmwSync(key: Bytes, fn: RmwFunction): Uint8Array | Pending {
    const k = this.writeKey(key);
    const hot = this.hot;
    let r = hot.rmwInMemory(k, k.length, fn);
    if (r === PENDING_IO) {
      // The old value is on the hot device: read it here when the device reads synchronously.
      // A chain that ends there without the key needs the cold tier: PENDING.
      const seenEntry = hot.pendingEntryAddress;
      const record = hot.findOnDeviceSync(k, k.length);
      if (record !== null && record !== undefined) {
        hot.opStats.syncDeviceReads++;
        r = hot.rmwAfterIo(k, k.length, fn, deviceValue(record), seenEntry);
      }
    }
    if (r !== OK) return PENDING;
    this.inner.serial++;
    hot.opStats.rmws++;
    const next = hot.lastRmwValue!;
    if (hot.operationLog !== undefined) this.inner.logWrite(hot.operationLog, ENTRY_UPSERT, this.inner.serial, k, next);
    return next;
  }

  private async rmwPending(key: Uint8Array, fn: RmwFunction, first: number, parity: number, applied: () => void): Promise<Uint8Array> {
    const hot = this.hot;
    let r = first;
    for (;;) {
      // Every branch reads what it depends on from the hot tier afresh: no boundary recorded
      // before an await (a compaction may have passed it) is reused after one.
      if (r === PENDING_ROOM) {
        await hot.waitForRoom();
      } else if (r === PENDING_IO || r === NOT_FOUND) {
        const seenEntry = hot.pendingEntryAddress;
        let old: Uint8Array | undefined;
        let resolved = true;
        if (r === PENDING_IO) {
          const record = await hot.findOnDevice(key, key.length, hot.pendingAddress);
          if (record === null) resolved = false;
          else if (record !== undefined) old = deviceValue(record);
          else old = await this.coldValue(key);
        } else {
          old = await this.coldValue(key);
        }
        if (resolved) {
          hot.opParity = parity;
          const appended = hot.rmwAfterLowerTier(key, fn, old, seenEntry);
          if (appended === OK) {
            applied();
            return hot.lastRmwValue!;
          }
          if (appended === PENDING_ROOM) await hot.waitForRoom();
        }
      }
      hot.opStats.retries++;
      hot.opParity = parity;
      r = hot.rmwInMemory(key, key.length, fn);
      if (r === OK) {
        applied();
        return hot.lastRmwValue!;
      }
    }
  }

  private async coldValue(key: Uint8Array): Promise<Uint8Array | undefined> {
    const found = await this.cold.find(key);
    return found === undefined || found.tombstone ? undefined : found.value;
  }

  /** Ends the session; further calls throw. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.inner.end();
  }
}
