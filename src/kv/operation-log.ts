/**
 * The operation log ("AOF", after Garnet's append-only file): every write of a store, appended to
 * a FasterLog in the same synchronous step as its in-memory update, so that the order of entries
 * is the order in which the updates were applied. Group commit: one FasterLog commit (flush, sync,
 * commit record) covers every entry appended before it; a durable write resolves once a commit
 * covers it (and every earlier write of its session, see Session).
 *
 * Entry (little endian):
 *   0 u8 kind (1 upsert, 2 delete, 3 session restart marker)   2 u16 session id bytes
 *   4 u32 key bytes   8 u32 value bytes   12 u32 reserved
 *   16 f64 serial: the session's serial number of the operation
 *   24 f64 prefix: every write of the session with a serial number <= prefix was appended before
 *      (or is) this entry; recovery restores each session up to the highest prefix it finds
 *   32 session id (UTF-8), key, value
 * An RMW is logged as the upsert of its result, so that replay never runs user code.
 *
 * A restart marker (kind 3, serial = prefix = r) is appended after a recovery replayed the log:
 * entries of that session above it with serial numbers > r were not recovered (a gap before them
 * was lost), and the session numbers its next operations from r + 1 again, so those old entries
 * must never be replayed.
 *
 * Checkpoints record the log's tail at their version switch (`aofAddress`). Recovery restores the
 * checkpoint, then replays the entries from that address whose serial number is above the
 * checkpoint's serial number for their session (an operation issued before the switch may finish
 * and be logged after it: the checkpoint holds it already).
 */
import { assert, ClosedError, CorruptionError, F2Error } from '../core/errors.js';
import { componentLogger } from '../core/logger.js';
import { FasterLog } from '../log/faster-log.js';
import type { StorageDevice } from '../devices/storage-device.js';
import type { ResolvedDurability } from './durability-options.js';

export const ENTRY_UPSERT = 1;
export const ENTRY_DELETE = 2;
export const ENTRY_RESTART = 3;
const HEADER_BYTES = 32;

const log = componentLogger('operation-log');

interface CommitWaiter {
  seq: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Counters and addresses of a store's operation log (durability). */
export interface OperationLogStats {
  /** Entries (logged writes) appended since open. */
  entries: number;
  /** Commits completed since open. */
  commits: number;
  /** Entries per commit, on average. */
  entriesPerCommit: number;
  /** Appends that found the log's memory full and were queued until a flush freed a page. */
  queuedAppends: number;
  /** Lowest address of the log still kept. */
  beginAddress: number;
  /** Address the next entry gets. */
  tailAddress: number;
  /** Entries below this address are durable. */
  committedUntilAddress: number;
}

/** One decoded entry (replay). */
export interface OperationEntry {
  address: number;
  kind: number;
  session: string;
  serial: number;
  prefix: number;
  key: Uint8Array;
  value: Uint8Array;
}

export class OperationLog {
  readonly mode: 'checkpoint' | 'commit';
  readonly url: string;
  private readonly intervalMs: number;
  private scratch = new Uint8Array(4096);
  private view = new DataView(this.scratch.buffer);
  /** Entries appended (logically: some may still wait in `queue` for room). */
  private appendedSeq = 0;
  /** Entries physically in the FasterLog. */
  private placedSeq = 0;
  private committedSeq = 0;
  /** Entries that found the FasterLog's memory full, in order; placed before any later entry. */
  private queue: Uint8Array[] = [];
  private draining = false;
  private waiters: CommitWaiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private committing = false;
  private lastCommitStart = 0;
  private failure: unknown;
  private closed = false;
  private abandoned = false;
  private commits = 0;
  private queuedAppends = 0;
  private readonly idBytes = new Map<string, Uint8Array>();

  private constructor(
    private readonly flog: FasterLog,
    private readonly device: StorageDevice,
    durability: ResolvedDurability,
  ) {
    this.mode = durability.mode;
    this.url = durability.log;
    this.intervalMs = durability.commitIntervalMs;
  }

  static async open(durability: ResolvedDurability): Promise<OperationLog> {
    const { openStorageDevice } = await import('../devices/open-storage-device.js');
    const createIfMissing = durability.store.createIfMissing ?? durability.log.startsWith('file:');
    const device = await openStorageDevice(durability.log, { ...durability.store, createIfMissing });
    try {
      const flog = await FasterLog.open({ device, memorySize: durability.memorySize, pageSize: durability.pageSize });
      return new OperationLog(flog, device, durability);
    } catch (err) {
      await device.close().catch(() => undefined);
      throw err;
    }
  }

  get beginAddress(): number {
    return this.flog.beginAddress;
  }

  /** The physical tail: what a checkpoint's version switch records. */
  get tailAddress(): number {
    return this.flog.tailAddress;
  }

  /** Sequence number of the last entry appended. */
  get lastSeq(): number {
    return this.appendedSeq;
  }

  // ---------------------------------------------------------------- append

  /**
   * Appends an entry; returns its sequence number (for waitCommitted). Synchronous: call it in the
   * same step as the in-memory update it records.
   */
  append(kind: number, session: string, serial: number, prefix: number, key: Uint8Array, value: Uint8Array | undefined): number {
    if (this.closed) throw new ClosedError('operation log');
    let id = this.idBytes.get(session);
    if (id === undefined) {
      id = Buffer.from(session, 'utf8');
      this.idBytes.set(session, id);
    }
    const valueLength = value === undefined ? 0 : value.length;
    const size = HEADER_BYTES + id.length + key.length + valueLength;
    if (size > this.scratch.length) {
      this.scratch = new Uint8Array(Math.max(size, this.scratch.length * 2));
      this.view = new DataView(this.scratch.buffer);
    }
    const b = this.scratch;
    const v = this.view;
    v.setUint8(0, kind);
    v.setUint8(1, 0);
    v.setUint16(2, id.length, true);
    v.setUint32(4, key.length, true);
    v.setUint32(8, valueLength, true);
    v.setUint32(12, 0, true);
    v.setFloat64(16, serial, true);
    v.setFloat64(24, prefix, true);
    b.set(id, HEADER_BYTES);
    b.set(key, HEADER_BYTES + id.length);
    if (value !== undefined) b.set(value, HEADER_BYTES + id.length + key.length);
    const entry = b.subarray(0, size);
    this.appendedSeq++;
    if (this.queue.length === 0 && this.flog.tryAppend(entry) !== 0) {
      this.placedSeq++;
    } else {
      this.queuedAppends++;
      this.queue.push(entry.slice());
      void this.drain();
    }
    return this.appendedSeq;
  }

  /** Places queued entries as the FasterLog frees pages. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        if (this.flog.tryAppend(this.queue[0]!) !== 0) {
          this.queue.shift();
          this.placedSeq++;
        } else {
          await this.flog.waitForRoom();
        }
      }
      if (this.waiters.length > 0) this.schedule();
    } catch (err) {
      this.fail(err);
    } finally {
      this.draining = false;
    }
  }

  // ---------------------------------------------------------------- group commit

  /** Resolves once a commit covers the entry with sequence number `seq`. */
  waitCommitted(seq: number): Promise<void> {
    if (seq <= this.committedSeq) return Promise.resolve();
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ seq, resolve, reject });
      this.schedule();
    });
  }

  /** Commits everything appended so far (a checkpoint's or close's flush). */
  async commitNow(): Promise<void> {
    await this.waitCommitted(this.appendedSeq);
  }

  private schedule(): void {
    if (this.timer !== undefined || this.committing || this.closed) return;
    const wait = Math.max(0, this.intervalMs - (performance.now() - this.lastCommitStart));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.commitOnce();
    }, wait);
  }

  private async commitOnce(): Promise<void> {
    if (this.committing || this.failure !== undefined || this.abandoned) return;
    this.committing = true;
    this.lastCommitStart = performance.now();
    const covered = this.placedSeq;
    try {
      await this.flog.commit();
      this.commits++;
      this.committedSeq = Math.max(this.committedSeq, covered);
      const keep: CommitWaiter[] = [];
      for (const w of this.waiters) {
        if (w.seq <= this.committedSeq) w.resolve();
        else keep.push(w);
      }
      this.waiters = keep;
    } catch (err) {
      // An abandoned log (a simulated crash) rejected its waiters already.
      if (!this.abandoned) this.fail(err);
    } finally {
      this.committing = false;
    }
    if (this.waiters.length > 0 && this.failure === undefined && this.placedSeq > this.committedSeq) this.schedule();
  }

  private fail(err: unknown): void {
    this.failure ??= err instanceof F2Error ? err : new F2Error('AOF_FAILED', `the operation log at ${this.url} failed; writes can no longer be made durable: ${String(err)}`, { cause: err });
    log.error({ err, url: this.url }, 'operation log failed');
    const w = this.waiters;
    this.waiters = [];
    for (const x of w) x.reject(this.failure);
  }

  // ---------------------------------------------------------------- recovery and truncation

  /** Entries in [from, committed tail), decoded. */
  async *entries(from: number): AsyncGenerator<OperationEntry> {
    const until = this.flog.committedUntilAddress;
    const start = Math.max(from, this.flog.beginAddress);
    if (start >= until) return;
    for await (const e of this.flog.scan(start, until)) yield decodeEntry(e.address, e.bytes);
  }

  /** Largest entry payload the log takes (a page minus its entry header). */
  get maxEntryBytes(): number {
    return this.flog.maxEntryBytes;
  }

  /** Drops every entry, durably (a new store, or a return to an older checkpoint). */
  async dropAll(): Promise<void> {
    await this.truncateUntil(this.flog.tailAddress);
    await this.flog.commit();
  }

  /** Moves the log's begin to `address` (durable with the next commit). */
  async truncateUntil(address: number): Promise<void> {
    const target = Math.min(address, this.flog.tailAddress);
    if (target <= this.flog.beginAddress) return;
    await this.flog.truncateUntil(target);
  }

  stats(): OperationLogStats {
    const s = this.flog.stats();
    return {
      entries: this.appendedSeq,
      commits: this.commits,
      entriesPerCommit: this.commits === 0 ? 0 : this.committedSeq / this.commits,
      queuedAppends: this.queuedAppends,
      beginAddress: s.beginAddress,
      tailAddress: s.tailAddress,
      committedUntilAddress: s.committedUntilAddress,
    };
  }

  /** Places queued entries, commits everything and closes the log. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      while (this.queue.length > 0 || this.draining) {
        await this.drain();
        if (this.queue.length > 0) await new Promise((r) => setTimeout(r, 1));
      }
      if (this.failure === undefined) await this.commitNow();
    } finally {
      this.closed = true;
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      try {
        await this.flog.close();
      } finally {
        await this.device.close();
      }
    }
  }

  /** Stops as a crash would: nothing more is committed. */
  async abandon(): Promise<void> {
    this.closed = true;
    this.abandoned = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const w = this.waiters;
    this.waiters = [];
    for (const x of w) x.reject(new ClosedError('operation log'));
    await this.flog.abandon();
    await this.device.close().catch(() => undefined);
  }
}

function decodeEntry(address: number, b: Uint8Array): OperationEntry {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < HEADER_BYTES) throw new CorruptionError(`operation log entry at ${address} is ${b.length} bytes, shorter than its header`, 'aof');
  const kind = v.getUint8(0);
  const idLength = v.getUint16(2, true);
  const keyLength = v.getUint32(4, true);
  const valueLength = v.getUint32(8, true);
  if (kind < ENTRY_UPSERT || kind > ENTRY_RESTART || HEADER_BYTES + idLength + keyLength + valueLength !== b.length) {
    throw new CorruptionError(`operation log entry at ${address} is malformed (kind ${kind}, ${b.length} bytes)`, 'aof');
  }
  const idStart = HEADER_BYTES;
  const keyStart = idStart + idLength;
  const valueStart = keyStart + keyLength;
  return {
    address,
    kind,
    session: Buffer.from(b.buffer, b.byteOffset + idStart, idLength).toString('utf8'),
    serial: v.getFloat64(16, true),
    prefix: v.getFloat64(24, true),
    key: b.subarray(keyStart, valueStart),
    value: b.subarray(valueStart, valueStart + valueLength),
  };
}

/** What a replay applied. */
export interface ReplayResult {
  /** Entries read from the operation log. */
  entriesScanned: number;
  /** Entries applied to the store: those after the checkpoint within each session's recovered range. */
  entriesApplied: number;
  /** Recovered serial number per session with entries in the replayed range. */
  sessions: Record<string, number>;
}

/** The engine calls replay needs: continue a session at a serial number, upsert/delete into it, end it. */
export interface ReplayTarget {
  apply(session: string, serial: number, kind: number, key: Uint8Array, value: Uint8Array): Promise<void>;
  finish(session: string, serial: number): void;
}

/**
 * Replays the log from `from` into `target` after a checkpoint whose sessions had the serial
 * numbers `checkpointSerials`: each session is restored up to the highest prefix its entries
 * record (an exact prefix of its operations), entries are applied in log order, and a restart
 * marker is appended for every session seen, so that entries left beyond its prefix are never
 * replayed later.
 */
export async function replayOperationLog(
  aof: OperationLog,
  from: number,
  checkpointSerials: Record<string, number>,
  target: ReplayTarget,
): Promise<ReplayResult> {
  const base = (s: string): number => checkpointSerials[s] ?? 0;
  // Pass 1: the recovered serial number of each session, and its restart markers.
  const recovered = new Map<string, number>();
  const markers = new Map<string, { address: number; serial: number }[]>();
  let scanned = 0;
  for await (const e of aof.entries(from)) {
    scanned++;
    const r = recovered.get(e.session) ?? base(e.session);
    if (e.kind === ENTRY_RESTART) {
      let list = markers.get(e.session);
      if (list === undefined) markers.set(e.session, (list = []));
      list.push({ address: e.address, serial: e.serial });
      recovered.set(e.session, Math.max(r, e.serial));
    } else {
      recovered.set(e.session, Math.max(r, e.prefix));
    }
  }
  // Pass 2: apply, in log order, the entries inside each session's recovered range.
  let applied = 0;
  for await (const e of aof.entries(from)) {
    if (e.kind === ENTRY_RESTART) continue;
    if (e.serial <= base(e.session) || e.serial > recovered.get(e.session)!) continue;
    const later = markers.get(e.session);
    if (later !== undefined && later.some((m) => m.address > e.address && m.serial < e.serial)) continue;
    await target.apply(e.session, e.serial, e.kind, e.key, e.value);
    applied++;
  }
  const sessions: Record<string, number> = {};
  for (const [s, r] of recovered) {
    assert(r >= base(s), `recovered serial ${r} of session ${s} is below its checkpoint's ${base(s)}`);
    target.finish(s, r);
    sessions[s] = r;
    aof.append(ENTRY_RESTART, s, r, r, new Uint8Array(0), undefined);
  }
  if (recovered.size > 0) await aof.commitNow();
  log.info({ from, scanned, applied, sessions: recovered.size }, 'operation log replayed');
  return { entriesScanned: scanned, entriesApplied: applied, sessions };
}
