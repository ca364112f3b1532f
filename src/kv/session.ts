/**
 * A session: the handle through which an application runs operations. Each operation gets the
 * next serial number of its session; a checkpoint records, per session, the serial number up to
 * which operations are durable (concurrent prefix recovery).
 *
 * Two APIs over one engine:
 * - async (`read`, `upsert`, `rmw`, `delete`): always correct, whatever is in memory;
 * - sync fast path (`readSync`, `readInto`, `upsertSync`, `rmwSync`, `deleteSync`): completes in
 *   memory or returns PENDING, in which case nothing happened (no serial number is used) and the
 *   caller uses the async call instead.
 */
import { ScratchEncoder, valueBytes, type Bytes } from '../core/bytes.js';
import { ClosedError, ConfigError } from '../core/errors.js';
import { FLAG_TOMBSTONE, RECORD_HEADER_BYTES } from '../core/record-layout.js';
import type { DeviceRecord } from '../log/hybrid-log.js';
import type { KvEngine, Pending, RmwFunction } from './kv-engine.js';
import { NOT_FOUND, OK, PENDING, PENDING_IO, PENDING_ROOM } from './kv-engine.js';
import type { KvIndex } from './kv-index.js';
import type { WriteOptions } from './durability-options.js';
import { ENTRY_DELETE, ENTRY_UPSERT, type OperationLog } from './operation-log.js';
import { copyValue } from '../core/value-copy.js';

/** readInto's result when the value is on the device: use read() instead. */
export const PENDING_CODE = -2;

/** A session of FasterKv (from FasterKv.startSession): reads and writes numbered by serial number for checkpoints (CPR), with async calls that always complete and sync fast paths that return PENDING when they would need I/O (nothing happened then; use the async call). */
export class Session {
  /** Session id; pass it to continueSession after recovery. */
  readonly id: string;
  /** Serial number of the last operation started by this session. */
  serial = 0;
  private readonly store: KvEngine<KvIndex>;
  private readonly encoder = new ScratchEncoder();
  private ended = false;

  constructor(store: KvEngine<KvIndex>, id: string, serial = 0) {
    this.store = store;
    this.id = id;
    this.serial = serial;
    this.loggedPrefix = serial;
  }

  /** key() for a write: also refuses it (FencedError) once another writer claimed the store. */
  private writeKey(key: Bytes): Uint8Array {
    const k = this.key(key);
    if (this.store.fence.fenced) throw this.store.fence.refusal('write');
    return k;
  }

  /** Encodes the key, checks the session is usable, and stamps the operation with the current version. */
  private key(key: Bytes): Uint8Array {
    if (this.ended) throw new ClosedError(`session ${this.id}`);
    const store = this.store;
    store.throwIfClosed();
    store.opParity = store.parityFlag;
    return key instanceof Uint8Array ? key : this.encoder.bytes(key, 'key');
  }

  // ------------------------------------------------------------------ sync fast path

  /** Numbers and counts a read and looks for its record in memory (see KvEngine.findInMemory). */
  private startRead(k: Uint8Array): number {
    this.serial++;
    this.store.opStats.reads++;
    return this.store.findInMemory(k, k.length);
  }

  /**
   * The value (a copy, see copyValue: 65 B to 2 KiB values share a slab ArrayBuffer, so use the
   * view, not `.buffer`), undefined when absent, or PENDING when the record is on the device.
   */
  readSync(key: Bytes): Uint8Array | undefined | Pending {
    const store = this.store;
    const k = this.key(key);
    const address = this.startRead(k);
    if (address > 0) return store.valueAt(address);
    if (address === NOT_FOUND) return undefined;
    const record = store.readDeviceSync(k, k.length);
    if (record !== null) return record === undefined ? undefined : deviceValue(record);
    return this.notDone(store.opStats, 'reads');
  }

  /**
   * A sync call that returns PENDING did nothing: it gives back its serial number and its count,
   * so that the async call the caller makes next is the one operation that happens.
   */
  private notDone(stats: { reads: number; upserts: number; rmws: number; deletes: number }, kind: 'reads' | 'upserts' | 'rmws' | 'deletes'): Pending {
    this.serial--;
    stats[kind]--;
    return PENDING;
  }

  /**
   * Copies the value into `out` without allocating. Returns the value length (copied only when it
   * fits in `out`), -1 when absent, or PENDING_CODE (-2) when the record is on the device.
   */
  readInto(key: Bytes, out: Uint8Array): number {
    const store = this.store;
    const k = this.key(key);
    const address = this.startRead(k);
    if (address > 0) return store.valueInto(address, out);
    if (address === NOT_FOUND) return -1;
    const record = store.readDeviceSync(k, k.length);
    if (record !== null) return record === undefined ? -1 : deviceValueInto(record, out);
    this.notDone(store.opStats, 'reads');
    return PENDING_CODE;
  }

  /** Upserts in memory; PENDING only when the log must wait for a flush (then use upsert()). */
  upsertSync(key: Bytes, value: Bytes): void | Pending {
    const k = this.writeKey(key);
    const v = value instanceof Uint8Array ? value : valueBytes(value, 'value');
    const store = this.store;
    this.serial++;
    store.opStats.upserts++;
    if (store.upsertInMemory(k, k.length, v) === PENDING_ROOM) return this.notDone(store.opStats, 'upserts');
    if (store.operationLog !== undefined) this.logWrite(store.operationLog, ENTRY_UPSERT, this.serial, k, v);
  }

  /** RMW in memory: the new value, or PENDING when the old value is on the device or the log is full. */
  rmwSync(key: Bytes, fn: RmwFunction): Uint8Array | Pending {
    const k = this.writeKey(key);
    const store = this.store;
    this.serial++;
    store.opStats.rmws++;
    let r = store.rmwInMemory(k, k.length, fn);
    if (r === PENDING_IO) {
      // The old value is on the device: read it here when the device reads synchronously.
      const seenEntry = store.pendingEntryAddress;
      const record = store.findOnDeviceSync(k, k.length);
      if (record !== null) {
        store.opStats.syncDeviceReads++;
        r = store.rmwAfterIo(k, k.length, fn, record === undefined ? undefined : deviceValue(record), seenEntry);
      }
    }
    if (r !== OK) return this.notDone(store.opStats, 'rmws');
    const next = store.lastRmwValue!;
    if (store.operationLog !== undefined) this.logWrite(store.operationLog, ENTRY_UPSERT, this.serial, k, next);
    return next;
  }

  /** Delete in memory, or PENDING (use delete). */
  deleteSync(key: Bytes): void | Pending {
    const k = this.writeKey(key);
    const store = this.store;
    this.serial++;
    store.opStats.deletes++;
    if (store.deleteInMemory(k, k.length) === PENDING_ROOM) return this.notDone(store.opStats, 'deletes');
    if (store.operationLog !== undefined) this.logWrite(store.operationLog, ENTRY_DELETE, this.serial, k, undefined);
  }

  // ------------------------------------------------------------------ async API

  /** The value stored for key, or undefined when absent; reads the device when the record is not in memory. */
  async read(key: Bytes): Promise<Uint8Array | undefined> {
    const k = this.key(key);
    const store = this.store;
    const address = this.startRead(k);
    if (address > 0) return store.valueAt(address);
    if (address === NOT_FOUND) return undefined;
    const copy = k.slice();
    return store.track(() => this.readPending(copy, store.pendingAddress, store.pendingEntryAddress), store.opParity);
  }

  private async readPending(key: Uint8Array, address: number, seenEntry: number): Promise<Uint8Array | undefined> {
    const store = this.store;
    for (;;) {
      const record = await store.findOnDevice(key, key.length, address);
      if (record !== null) {
        store.cacheDeviceRecord(key, key.length, record, seenEntry);
        return record === undefined ? undefined : deviceValue(record);
      }
      // The log was truncated under the read: start again from the index.
      store.opStats.retries++;
      const again = store.findInMemory(key, key.length);
      if (again > 0) return store.valueAt(again);
      if (again === NOT_FOUND) return undefined;
      address = store.pendingAddress;
      seenEntry = store.pendingEntryAddress;
    }
  }

  /**
   * Upserts. With `{ durable: true }` (or a store in durability mode 'commit') it resolves only
   * once the write, and every earlier write of this session, survives a crash.
   */
  async upsert(key: Bytes, value: Bytes, options?: WriteOptions): Promise<void> {
    const k = this.writeKey(key);
    const v = value instanceof Uint8Array ? value : valueBytes(value, 'value');
    const store = this.store;
    const durable = this.checkDurable(options);
    this.serial++;
    store.opStats.upserts++;
    if (store.upsertInMemory(k, k.length, v) === OK) {
      if (store.operationLog === undefined) return;
      return this.logWrite(store.operationLog, ENTRY_UPSERT, this.serial, k, v, durable);
    }
    return this.writeWhenRoom(k, ENTRY_UPSERT, v, durable, (copy) => store.upsertInMemory(copy, copy.length, v));
  }

  /** Deletes key. With `{ durable: true }` (or durability mode 'commit') it resolves only once the delete survives a crash. @throws FencedError once another writer claimed the store. */
  async delete(key: Bytes, options?: WriteOptions): Promise<void> {
    const k = this.writeKey(key);
    const store = this.store;
    const durable = this.checkDurable(options);
    this.serial++;
    store.opStats.deletes++;
    if (store.deleteInMemory(k, k.length) === OK) {
      if (store.operationLog === undefined) return;
      return this.logWrite(store.operationLog, ENTRY_DELETE, this.serial, k, undefined, durable);
    }
    return this.writeWhenRoom(k, ENTRY_DELETE, undefined, durable, (copy) => store.deleteInMemory(copy, copy.length));
  }

  /**
   * The pending path of upsert and delete (the log's tail must wait for a flush): retries `apply`
   * on a copy of the key once there is room, under the operation's version, then logs the write.
   */
  private async writeWhenRoom(
    k: Uint8Array,
    entry: typeof ENTRY_UPSERT | typeof ENTRY_DELETE,
    value: Uint8Array | undefined,
    durable: boolean,
    apply: (copy: Uint8Array) => number,
  ): Promise<void> {
    const store = this.store;
    const copy = k.slice();
    const parity = store.opParity;
    const serial = this.serial;
    this.writePending(serial);
    let wait: Promise<void> | undefined;
    try {
      await store.track(async () => {
        do {
          await store.waitForRoom();
          store.opParity = parity;
        } while (apply(copy) !== OK);
        if (store.operationLog !== undefined) wait = this.logWrite(store.operationLog, entry, serial, copy, value, durable);
      }, parity);
    } finally {
      this.writeSettled(serial);
    }
    if (wait !== undefined) await wait;
  }

  /**
   * Read-modify-write: fn(old) → new, where old is undefined if the key is absent. fn must be
   * a pure function of its input: it may run more than once when the operation retries. The
   * operation log records the result (an upsert), so recovery never runs fn.
   */
  async rmw(key: Bytes, fn: RmwFunction, options?: WriteOptions): Promise<Uint8Array> {
    const k = this.writeKey(key);
    const store = this.store;
    const durable = this.checkDurable(options);
    this.serial++;
    store.opStats.rmws++;
    const r = store.rmwInMemory(k, k.length, fn);
    if (r === OK) {
      const next = store.lastRmwValue!;
      if (store.operationLog === undefined) return next;
      const wait = this.logWrite(store.operationLog, ENTRY_UPSERT, this.serial, k, next, durable);
      if (wait !== undefined) await wait;
      return next;
    }
    const copy = k.slice();
    const parity = store.opParity;
    const serial = this.serial;
    this.writePending(serial);
    let wait: Promise<void> | undefined;
    const applied = (): void => {
      if (store.operationLog !== undefined) wait = this.logWrite(store.operationLog, ENTRY_UPSERT, serial, copy, store.lastRmwValue!, durable);
    };
    let next: Uint8Array;
    try {
      next = await store.track(() => this.rmwPending(copy, fn, r, parity, applied), parity);
    } finally {
      this.writeSettled(serial);
    }
    if (wait !== undefined) await wait;
    return next;
  }

  /** Continues a pending RMW; `applied` runs in the synchronous step in which its result is applied. */
  private async rmwPending(key: Uint8Array, fn: RmwFunction, first: number, parity: number, applied: () => void): Promise<Uint8Array> {
    const store = this.store;
    let r = first;
    for (;;) {
      if (r === PENDING_ROOM) {
        await store.waitForRoom();
      } else if (r === PENDING_IO) {
        const seenEntry = store.pendingEntryAddress;
        const record = await store.findOnDevice(key, key.length, store.pendingAddress);
        if (record !== null) {
          const old = record === undefined ? undefined : deviceValue(record);
          // Apply only if no newer version of the chain appeared while we waited.
          store.opParity = parity;
          const appended = store.rmwAfterIo(key, key.length, fn, old, seenEntry);
          if (appended === OK) {
            applied();
            return store.lastRmwValue!;
          }
          if (appended === PENDING_ROOM) await store.waitForRoom();
        }
        store.opStats.retries++;
      }
      store.opParity = parity;
      r = store.rmwInMemory(key, key.length, fn);
      if (r === OK) {
        applied();
        return store.lastRmwValue!;
      }
    }
  }

  // ------------------------------------------------------------------ durability (operation log)

  /**
   * Serial numbers of this session's writes that were issued but are not applied yet (they went
   * pending), ascending. A write's log entry records the prefix below the oldest of them.
   */
  private pendingWrites: number[] = [];
  /** Every write with a serial number up to this one is in the operation log. */
  private loggedPrefix = 0;
  private prefixWaiters: { serial: number; resolve: (seq: number) => void }[] = [];

  /** `{ durable: true }` needs an operation log; true when the write must wait for a commit. */
  checkDurable(options: WriteOptions | undefined): boolean {
    const log = this.store.operationLog;
    if (options?.durable === true) {
      if (log === undefined) {
        throw new ConfigError('durability', 'this store has no operation log, so a write cannot be made durable on its own; open it with durability: { mode: "checkpoint" } (or "commit"), or call checkpoint()');
      }
      return true;
    }
    return log !== undefined && log.mode === 'commit';
  }

  /** @internal A write of this session goes pending (applied in a later step). */
  writePending(serial: number): void {
    if (this.store.operationLog !== undefined) this.pendingWrites.push(serial);
  }

  /** @internal A pending write finished (applied and logged, or failed): it no longer holds the prefix back. */
  writeSettled(serial: number): void {
    const i = this.pendingWrites.indexOf(serial);
    if (i < 0) return;
    this.pendingWrites.splice(i, 1);
    const log = this.store.operationLog;
    if (log !== undefined) this.raisePrefix(this.currentPrefix(), log.lastSeq);
  }

  private currentPrefix(): number {
    return this.pendingWrites.length === 0 ? this.serial : this.pendingWrites[0]! - 1;
  }

  private raisePrefix(prefix: number, seq: number): void {
    if (prefix <= this.loggedPrefix) return;
    this.loggedPrefix = prefix;
    if (this.prefixWaiters.length === 0) return;
    const keep: { serial: number; resolve: (seq: number) => void }[] = [];
    for (const w of this.prefixWaiters) {
      if (w.serial <= prefix) w.resolve(seq);
      else keep.push(w);
    }
    this.prefixWaiters = keep;
  }

  /**
   * @internal Logs a write applied in memory in this same synchronous step. Returns, when the
   * write must be durable before it is acknowledged, the promise of that (undefined otherwise).
   */
  logWrite(log: OperationLog, kind: number, serial: number, key: Uint8Array, value: Uint8Array | undefined, durable = false): Promise<void> | undefined {
    const i = this.pendingWrites.length === 0 ? -1 : this.pendingWrites.indexOf(serial);
    if (i >= 0) this.pendingWrites.splice(i, 1);
    const prefix = this.currentPrefix();
    const seq = log.append(kind, this.id, serial, prefix, key, value);
    this.raisePrefix(prefix, seq);
    if (!durable) return undefined;
    if (prefix >= serial) return log.waitCommitted(seq);
    // An earlier write of this session is still pending: wait until it is logged too.
    return new Promise<number>((resolve) => this.prefixWaiters.push({ serial, resolve })).then((s) => log.waitCommitted(s));
  }

  /** Ends the session; further calls throw. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.store.endSession(this);
  }
}

/** The value of a record read from the device (a copy), or undefined for a tombstone. */
export function deviceValue(record: DeviceRecord): Uint8Array | undefined {
  const u32 = record.u32;
  if ((u32[1]! & FLAG_TOMBSTONE) !== 0) return undefined;
  const start = RECORD_HEADER_BYTES + u32[2]!;
  return copyValue(record.u8, start, u32[3]!);
}

/** Copies a device record's value into `out` (when it fits); returns its length, or -1 for a tombstone. */
export function deviceValueInto(record: DeviceRecord, out: Uint8Array): number {
  const u32 = record.u32;
  if ((u32[1]! & FLAG_TOMBSTONE) !== 0) return -1;
  const start = RECORD_HEADER_BYTES + u32[2]!;
  const length = u32[3]!;
  if (length <= out.length) out.set(record.u8.subarray(start, start + length));
  return length;
}
