/**
 * A session of the cold store: the same API as a FasterKv session. Operations are numbered
 * (serial numbers) for checkpoints; the async API is always correct, the sync fast path
 * completes in memory (chunk cached, record in the log's memory) or returns PENDING, in which
 * case nothing happened and the caller uses the async call.
 */
import { ScratchEncoder, valueBytes, type Bytes } from '../core/bytes.js';
import { ClosedError } from '../core/errors.js';
import { checkValue, PENDING, type Pending, type RmwFunction } from '../kv/kv-engine.js';
import type { ColdKv } from './cold-kv.js';

/** A session of ColdKv (from ColdKv.startSession): reads and writes numbered by serial number, with async calls and sync fast paths that return PENDING when they would need object storage. */
export class ColdSession {
  /** Session id; pass it to ColdKv.continueSession after recovery. */
  readonly id: string;
  /** Serial number of the last operation started by this session. */
  serial: number;
  private readonly encoder = new ScratchEncoder();
  private ended = false;

  constructor(
    private readonly store: ColdKv,
    id: string,
    serial = 0,
  ) {
    this.id = id;
    this.serial = serial;
  }

  /** key() for a write: also refuses it (FencedError) once another writer claimed the store. */
  private writeKey(key: Bytes): Uint8Array {
    this.store.throwIfWritable();
    return this.key(key);
  }

  private key(key: Bytes): Uint8Array {
    if (this.ended) throw new ClosedError(`session ${this.id}`);
    this.store.throwIfClosed();
    return this.encoder.bytes(key, 'key');
  }

  /** The value stored for key, or undefined when absent. */
  async read(key: Bytes): Promise<Uint8Array | undefined> {
    const k = this.key(key).slice();
    this.serial++;
    const store = this.store;
    store.opStats.reads++;
    return store.run(async () => {
      const r = await store.find(k);
      if (r === undefined || r.tombstone) store.opStats.notFound++;
      return r?.value;
    });
  }

  /** The value, undefined when absent, or PENDING when the chunk or the record is on object storage. */
  readSync(key: Bytes): Uint8Array | undefined | Pending {
    const k = this.key(key);
    const r = this.store.findSync(k);
    if (r === PENDING) return PENDING;
    this.serial++;
    this.store.opStats.reads++;
    if (r === undefined || r.tombstone) this.store.opStats.notFound++;
    return r?.value;
  }

  /** Sets key to value. @throws FencedError once another writer claimed the store. */
  async upsert(key: Bytes, value: Bytes): Promise<void> {
    const k = this.writeKey(key).slice();
    const v = valueBytes(value, 'value');
    this.serial++;
    this.store.opStats.upserts++;
    await this.store.run(() => this.store.put(k, v));
  }

  /** Upsert in memory, or PENDING (nothing happened; use upsert). */
  upsertSync(key: Bytes, value: Bytes): void | Pending {
    const k = this.writeKey(key);
    const v = valueBytes(value, 'value');
    if (this.store.gate !== undefined || this.store.putSync(k, v) === PENDING) return PENDING;
    this.serial++;
    this.store.opStats.upserts++;
  }

  /** Deletes key (appends a tombstone). @throws FencedError once another writer claimed the store. */
  async delete(key: Bytes): Promise<void> {
    const k = this.writeKey(key).slice();
    this.serial++;
    this.store.opStats.deletes++;
    await this.store.run(() => this.store.put(k, undefined));
  }

  /** Delete in memory, or PENDING (nothing happened; use delete). */
  deleteSync(key: Bytes): void | Pending {
    const k = this.writeKey(key);
    if (this.store.gate !== undefined || this.store.putSync(k, undefined) === PENDING) return PENDING;
    this.serial++;
    this.store.opStats.deletes++;
  }

  /** fn(old) → new, old undefined when absent. fn must be pure: it may run more than once. */
  async rmw(key: Bytes, fn: RmwFunction): Promise<Uint8Array> {
    const k = this.writeKey(key).slice();
    this.serial++;
    this.store.opStats.rmws++;
    return this.store.run(() => this.store.rmw(k, fn));
  }

  /** RMW in memory, or PENDING (nothing happened). */
  rmwSync(key: Bytes, fn: RmwFunction): Uint8Array | Pending {
    const k = this.writeKey(key);
    const store = this.store;
    if (store.gate !== undefined) return PENDING;
    const found = store.findSync(k);
    if (found === PENDING) return PENDING;
    const next = checkValue(fn(found?.tombstone === false ? found.value : undefined));
    if (store.putSync(k, next) === PENDING) return PENDING;
    this.serial++;
    store.opStats.rmws++;
    return next;
  }

  /** Ends the session; further calls throw. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.store.endSession(this);
  }
}
