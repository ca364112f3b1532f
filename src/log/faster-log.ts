/**
 * FasterLog: a standalone, durable, append-only log of byte entries (after FASTER's FasterLog).
 *
 *   begin ≤ committedUntil ≤ tail;   head ≤ tail;   flushedUntil ≤ tail
 *
 * - append(bytes) copies the entry into the in-memory tail page and returns its logical address
 *   at once (synchronously). Entries carry a header with their length and a CRC-32C (see
 *   faster-log-entry.ts), are 8-byte aligned and never cross a page; the space a page cannot use
 *   starts with a page-end marker.
 * - Memory is a ring of `frameCount` page frames. When the tail leaves a page, the rest of that
 *   page is flushed to the device in the background. The tail may enter a new page only when the
 *   page that last used its frame has been flushed; until then `append` throws LogFullError,
 *   `tryAppend` returns 0 and `appendAsync` waits (backpressure instead of unbounded memory).
 * - commit() flushes everything appended before the call, syncs the device, then writes a commit
 *   record (begin, committed-until, commit number, page size, checksum) durably; the returned
 *   promise resolves with the committed-until address once all of that is durable. Commits are
 *   serialized; a commit with nothing new to record writes nothing. Where the records live and why
 *   there are two slots: see faster-log-commit.ts.
 * - Recovery (open on a device with a commit record) restores exactly the committed entries:
 *   [begin, committedUntil) of the newest valid record. Entries appended after that commit are
 *   gone, even if some of their bytes reached the device; the tail continues at committedUntil
 *   and overwrites them.
 * - read(address) and scan() serve any entry in [begin, tail), committed or not: entries still in
 *   memory are read from their frame, older ones from the device. To see only durable entries,
 *   scan up to `committedUntilAddress`.
 * - truncateUntil(address) moves begin at once (entries below it can no longer be read); the move
 *   becomes durable with the next commit, which then frees the device space below begin's page.
 *
 * A `memory://` device (NullDevice, not persistent) gives a memory-only log: nothing is flushed,
 * commit() only records the tail, and when every frame holds entries at or above begin, appends
 * raise LogFullError until truncateUntil frees pages.
 *
 * Node runs appends, reads and flush completions on one thread; frames are only reused after
 * their flush completed, and reads copy bytes out of a frame synchronously, so no epoch
 * protection is needed here.
 */
import { LOG_BEGIN_ADDRESS, MAX_LOG_ADDRESS } from '../core/address.js';
import { assert, ClosedError, ConfigError, CorruptionError, F2Error, LogFullError, RecordTooLargeError } from '../core/errors.js';
import { componentLogger } from '../core/logger.js';
import { FileDevice } from '../devices/file-device.js';
import { LocalFsObjectStore } from '../devices/local-fs-object-store.js';
import { ObjectLogDevice } from '../devices/object-log-device.js';
import type { ObjectStore } from '../devices/object-store.js';
import type { DeviceStats, StorageDevice } from '../devices/storage-device.js';
import { CommitSlots, type CommitRecord } from './faster-log-commit.js';
import { checkHeader, ENTRY_HEADER_BYTES, entrySize, sealEntry, verifyEntry, writePageEndMarker } from './faster-log-entry.js';
import { resolveFasterLogOptions, type FasterLogOptions } from './faster-log-options.js';

export type { FasterLogOptions, FasterLogCommitOptions } from './faster-log-options.js';

/** One entry yielded by scan(). `bytes` is a copy owned by the caller. */
export interface FasterLogEntry {
  /** Logical address of the entry (pass it to read()). */
  address: number;
  /** The entry's payload. */
  bytes: Uint8Array;
}

/** Addresses, memory and counters of a FasterLog (FasterLog.stats()). */
export interface FasterLogStats {
  /** Lowest readable address (entries below were truncated). */
  beginAddress: number;
  /** begin as of the newest commit record (what recovery would restore). */
  committedBeginAddress: number;
  /** Everything below this address is durable as of the newest commit. */
  committedUntilAddress: number;
  /** Address the next append gets. */
  tailAddress: number;
  /** Lowest address still held in a memory frame. */
  headAddress: number;
  /** Everything below this address has been written to the device. */
  flushedUntilAddress: number;
  /** Number of the newest commit record (0 before the first commit). */
  commitNumber: number;
  /** Bytes per page. */
  pageSize: number;
  /** Page frames in the in-memory ring. */
  frameCount: number;
  /** Bytes of allocated page frames. */
  memoryBytes: number;
  /** Entries appended since open. */
  entriesAppended: number;
  /** Payload bytes appended since open (headers excluded). */
  payloadBytesAppended: number;
  /** Commits completed since open. */
  commits: number;
  /** Commit records written to the device since open. */
  commitRecordWrites: number;
  /** Times an append found memory full and had to wait for (or was refused until) a flush. */
  backpressureWaits: number;
  /** I/O counters of the log's device. */
  device: DeviceStats;
}

interface FlushWaiter {
  target: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Bytes read per device request while scanning (at most the rest of the page). */
const SCAN_CHUNK_BYTES = 1024 * 1024;
/** First device read of read(address); a longer entry costs a second read. */
const READ_AHEAD_BYTES = 4096;

const log = componentLogger('faster-log');

/** A durable append-only log of byte entries (after FASTER's FasterLog): append returns an address at once, commit makes everything appended so far durable, scan and read read entries back. Open it with FasterLog.open; see the module comment for the details. */
export class FasterLog {
  /** Bytes per page (a power of two). */
  readonly pageSize: number;
  /** Page frames in the in-memory ring. */
  readonly frameCount: number;
  /** The device holding the log's pages. */
  readonly device: StorageDevice;
  /** Largest payload an entry may have (a page minus the entry header). */
  readonly maxEntryBytes: number;

  private readonly frames: (Uint8Array | undefined)[];
  /** Buffer views of the frames, for writing strings as UTF-8 in place. */
  private readonly frameBuffers: (Buffer | undefined)[];
  private readonly slots: CommitSlots | undefined;
  private readonly ownsDevice: boolean;
  private readonly ownsCommitStore: boolean;

  private begin: number;
  private committedBegin: number;
  private committedUntil: number;
  private commitNo: number;
  private tailPage: number;
  private tailOffset: number;
  /** Lowest page whose frame still holds it; pages [headPage, tailPage] are in memory. */
  private headPage: number;
  private flushIssuedUntil: number;
  private flushedUntil: number;
  private readonly completedFlushes = new Map<number, number>();
  private readonly inFlightFlushes = new Set<Promise<void>>();
  private flushError: F2Error | undefined;
  private flushWaiters: FlushWaiter[] = [];
  private roomWaiters: (() => void)[] = [];
  private commitChain: Promise<unknown> = Promise.resolve();
  private state: 'open' | 'closing' | 'closed' = 'open';
  private abandoned = false;
  private closePromise: Promise<void> | undefined;
  /** Device space below this address was freed (page-aligned); 0 until the first truncation. */
  private deviceTruncatedUntil = 0;

  private entriesAppended = 0;
  private payloadBytesAppended = 0;
  private commits = 0;
  private backpressureWaits = 0;

  private constructor(
    device: StorageDevice,
    slots: CommitSlots | undefined,
    pageSize: number,
    frameCount: number,
    record: CommitRecord | undefined,
    owns: { device: boolean; commitStore: boolean },
  ) {
    this.device = device;
    this.slots = slots;
    this.pageSize = pageSize;
    this.frameCount = frameCount;
    this.maxEntryBytes = pageSize - ENTRY_HEADER_BYTES;
    this.ownsDevice = owns.device;
    this.ownsCommitStore = owns.commitStore;
    this.frames = new Array<Uint8Array | undefined>(frameCount).fill(undefined);
    this.frameBuffers = new Array<Buffer | undefined>(frameCount).fill(undefined);
    const begin = record?.beginAddress ?? LOG_BEGIN_ADDRESS;
    const until = record?.committedUntilAddress ?? LOG_BEGIN_ADDRESS;
    this.begin = begin;
    this.committedBegin = begin;
    this.committedUntil = until;
    this.commitNo = record?.commitNumber ?? 0;
    this.tailPage = Math.floor(until / pageSize);
    this.tailOffset = until - this.tailPage * pageSize;
    this.headPage = this.tailPage;
    this.flushIssuedUntil = until;
    this.flushedUntil = until;
    this.ensureFrame(this.tailPage);
  }

  /**
   * Opens a log on its device. With a commit record there, recovers the committed entries; without
   * one, starts an empty log at address 64.
   */
  static async open(options: FasterLogOptions): Promise<FasterLog> {
    const opts = resolveFasterLogOptions(options);
    const ownsDevice = typeof options.device === 'string';
    const device = typeof options.device === 'string' ? await openDeviceByUrl(options.device, opts.segmentSize) : options.device;
    let slots: CommitSlots | undefined;
    let ownsCommitStore = false;
    try {
      if (device.persistent) {
        const opened = await openCommitStore(device, options);
        ownsCommitStore = opened.owned;
        slots = new CommitSlots(opened.store, opts.commitKey);
      }
      const record = slots ? await slots.load() : undefined;
      let pageSize = opts.pageSize;
      if (record && record.pageSize !== pageSize) {
        if (options.pageSize !== undefined) {
          log.warn({ requested: pageSize, recorded: record.pageSize, device: device.name }, 'pageSize differs from the recovered log; keeping the recorded page size');
        }
        pageSize = record.pageSize;
      }
      const frameCount = Math.max(2, Math.floor(opts.memorySize / pageSize));
      const flog = new FasterLog(device, slots, pageSize, frameCount, record, { device: ownsDevice, commitStore: ownsCommitStore });
      if (record) await flog.loadTailPage(record);
      log.info(
        { device: device.name, commitNumber: flog.commitNo, begin: flog.begin, tail: flog.tailAddress, pageSize, frameCount },
        record ? 'recovered' : 'opened an empty log',
      );
      return flog;
    } catch (e) {
      if (ownsCommitStore && slots) await slots.store.close().catch(() => undefined);
      if (ownsDevice) await device.close().catch(() => undefined);
      throw e;
    }
  }

  /** Reads the committed part of the tail page back into its frame, so the page can continue. */
  private async loadTailPage(record: CommitRecord): Promise<void> {
    const until = record.committedUntilAddress;
    const pageStart = this.tailPage * this.pageSize;
    const from = Math.max(record.beginAddress, pageStart, LOG_BEGIN_ADDRESS);
    if (until <= from) return;
    const extent = this.device.extent();
    if (extent.end < until) {
      throw new CorruptionError(
        `${this.device.name} ends at address ${extent.end}, but commit record #${record.commitNumber} says entries were committed until ${until}: ` +
          'the device lost committed data (was it replaced or truncated outside f2kv?)',
        this.device.name,
      );
    }
    const bytes = await this.readDevice(from, until - from);
    if (bytes.length !== until - from) {
      throw new CorruptionError(`${this.device.name} returned ${bytes.length} of the ${until - from} committed bytes at ${from}`, this.device.name);
    }
    this.frames[this.tailPage % this.frameCount]!.set(bytes, from - pageStart);
  }

  // ---------------------------------------------------------------- addresses

  /** Lowest readable address. */
  get beginAddress(): number {
    return this.begin;
  }

  /** Address the next append gets. */
  get tailAddress(): number {
    return this.tailPage * this.pageSize + this.tailOffset;
  }

  /** Everything below this address is durable (survives a crash). */
  get committedUntilAddress(): number {
    return this.committedUntil;
  }

  /** Number of the newest commit record (0 before the first commit). */
  get commitNumber(): number {
    return this.commitNo;
  }

  // ---------------------------------------------------------------- append

  /**
   * Appends an entry (a string is stored as UTF-8) and returns its address. Throws LogFullError
   * when every memory frame still awaits its flush: use appendAsync, or await waitForRoom() and retry.
   */
  append(data: Uint8Array | string): number {
    const address = this.tryAppend(data);
    if (address === 0) {
      throw new LogFullError(
        `FasterLog memory is full: ${this.frameCount} pages of ${this.pageSize} bytes await their flush to ${this.device.name}; ` +
          'use appendAsync (which waits), or await waitForRoom() and retry, or raise memorySize',
      );
    }
    return address;
  }

  /** Like append, but returns 0 instead of throwing when memory is full (no exception on the hot path). */
  tryAppend(data: Uint8Array | string): number {
    this.checkOpen();
    let length: number;
    if (typeof data === 'string') length = Buffer.byteLength(data, 'utf8');
    else if (data instanceof Uint8Array) length = data.length;
    else throw new TypeError(`FasterLog entries are Uint8Array or string, got ${typeof data}`);
    if (length > this.maxEntryBytes) throw new RecordTooLargeError(length, this.maxEntryBytes);
    const size = entrySize(length);
    if (this.tailOffset + size > this.pageSize && !this.turnPage()) return 0;
    const f = this.tailPage % this.frameCount;
    const frame = this.frames[f]!;
    const offset = this.tailOffset;
    const address = this.tailPage * this.pageSize + offset;
    if (typeof data === 'string') this.frameBuffers[f]!.write(data, offset + ENTRY_HEADER_BYTES, length, 'utf8');
    else frame.set(data, offset + ENTRY_HEADER_BYTES);
    sealEntry(frame, offset, address, length);
    this.tailOffset = offset + size;
    this.entriesAppended++;
    this.payloadBytesAppended += length;
    return address;
  }

  /** Appends, waiting for room when memory is full (backpressure). */
  async appendAsync(data: Uint8Array | string): Promise<number> {
    for (;;) {
      const address = this.tryAppend(data);
      if (address !== 0) return address;
      await this.waitForRoom();
    }
  }

  /** Resolves when a flush completed or begin moved, so that an append refused for room may succeed. */
  waitForRoom(): Promise<void> {
    this.checkOpen();
    this.throwIfFlushFailed();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Moves the tail to the next page: marks the rest of this page unused and starts its flush. */
  private turnPage(): boolean {
    const next = this.tailPage + 1;
    assert(next * this.pageSize < MAX_LOG_ADDRESS, 'FasterLog address space exhausted');
    if (!this.canEnterPage(next)) return false;
    if (this.tailOffset < this.pageSize) {
      const frame = this.frames[this.tailPage % this.frameCount]!;
      writePageEndMarker(frame, this.tailOffset, this.tailAddress, this.pageSize);
    }
    this.tailPage = next;
    this.tailOffset = 0;
    this.ensureFrame(next);
    this.issueFlush(next * this.pageSize);
    return true;
  }

  /** True when page `page` may take its frame: the page that used the frame before is flushed (or truncated). */
  private canEnterPage(page: number): boolean {
    this.throwIfFlushFailed();
    const victim = page - this.frameCount;
    if (victim < this.headPage) return true;
    const needed = (victim + 1) * this.pageSize;
    if (this.device.persistent) {
      if (this.flushedUntil >= needed) {
        this.headPage = victim + 1;
        return true;
      }
      this.backpressureWaits++;
      return false;
    }
    if (this.begin >= needed) {
      this.headPage = victim + 1;
      return true;
    }
    this.backpressureWaits++;
    throw new LogFullError(
      `memory-only FasterLog is full (${this.frameCount} pages of ${this.pageSize} bytes above begin ${this.begin}); ` +
        'truncateUntil() old entries, raise memorySize, or use a file:// or object-store device',
    );
  }

  private ensureFrame(page: number): void {
    const f = page % this.frameCount;
    if (this.frames[f] === undefined) {
      const frame = new Uint8Array(this.pageSize);
      this.frames[f] = frame;
      this.frameBuffers[f] = Buffer.from(frame.buffer, frame.byteOffset, frame.length);
    }
  }

  // ---------------------------------------------------------------- flush

  /** Starts writing [flushIssuedUntil, target) to the device (persistent devices only). */
  private issueFlush(target: number): void {
    if (!this.device.persistent || target <= this.flushIssuedUntil) return;
    assert(target <= this.tailAddress, 'flush target beyond the tail');
    let start = this.flushIssuedUntil;
    while (start < target) {
      const page = Math.floor(start / this.pageSize);
      assert(page >= this.headPage, `flushing page ${page} whose frame was reused`);
      const pageStart = page * this.pageSize;
      const end = Math.min(pageStart + this.pageSize, target);
      const frame = this.frames[page % this.frameCount]!;
      this.writeToDevice(start, end, frame.subarray(start - pageStart, end - pageStart));
      start = end;
    }
    this.flushIssuedUntil = target;
  }

  private writeToDevice(start: number, end: number, bytes: Uint8Array): void {
    const p: Promise<void> = this.device.write(start, bytes).then(
      () => {
        this.inFlightFlushes.delete(p);
        this.completeFlush(start, end);
      },
      (err: unknown) => {
        this.inFlightFlushes.delete(p);
        this.failFlush(start, end, err);
      },
    );
    this.inFlightFlushes.add(p);
  }

  private completeFlush(start: number, end: number): void {
    this.completedFlushes.set(start, end);
    let until = this.flushedUntil;
    for (let next = this.completedFlushes.get(until); next !== undefined; next = this.completedFlushes.get(until)) {
      this.completedFlushes.delete(until);
      until = next;
    }
    if (until === this.flushedUntil) return;
    this.flushedUntil = until;
    if (this.flushWaiters.length > 0) {
      const still: FlushWaiter[] = [];
      for (const w of this.flushWaiters) {
        if (w.target <= until) w.resolve();
        else still.push(w);
      }
      this.flushWaiters = still;
    }
    this.wakeRoomWaiters();
  }

  private failFlush(start: number, end: number, err: unknown): void {
    log.error({ err, start, end, device: this.device.name }, 'flush failed');
    if (this.flushError === undefined) {
      const why = err instanceof Error ? err.message : String(err);
      this.flushError = new F2Error(
        'LOG_FLUSH_FAILED',
        `FasterLog flush of [${start}, ${end}) to ${this.device.name} failed (${why}); reopen the log: entries after the last commit are lost`,
        { cause: err },
      );
    }
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const w of waiters) w.reject(this.flushError);
    this.wakeRoomWaiters();
  }

  private waitFlushed(target: number): Promise<void> {
    if (this.flushError !== undefined) return Promise.reject(this.flushError);
    if (this.flushedUntil >= target) return Promise.resolve();
    return new Promise((resolve, reject) => this.flushWaiters.push({ target, resolve, reject }));
  }

  private wakeRoomWaiters(): void {
    if (this.roomWaiters.length === 0) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }

  private throwIfFlushFailed(): void {
    if (this.flushError !== undefined) throw this.flushError;
  }

  private async settleFlushes(): Promise<void> {
    while (this.inFlightFlushes.size > 0) await Promise.allSettled([...this.inFlightFlushes]);
  }

  // ---------------------------------------------------------------- commit

  /**
   * Makes every entry appended before this call durable, and begin as of this call. Resolves
   * with the committed-until address once the data is synced and the commit record is written.
   */
  commit(): Promise<number> {
    this.checkOpen();
    return this.enqueueCommit();
  }

  private enqueueCommit(): Promise<number> {
    const p = this.commitChain.then(() => this.commitOnce());
    this.commitChain = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  private async commitOnce(): Promise<number> {
    if (this.abandoned) throw new ClosedError(`FasterLog on ${this.device.name}`);
    this.throwIfFlushFailed();
    const until = this.tailAddress;
    const begin = this.begin;
    if (until === this.committedUntil && begin === this.committedBegin) return until;
    if (!this.slots) {
      // Memory-only log: nothing can be made durable; the commit only records the position.
      this.committedUntil = until;
      this.committedBegin = begin;
      this.commits++;
      return until;
    }
    this.issueFlush(until);
    await this.waitFlushed(until);
    await this.device.sync();
    if (this.abandoned) throw new ClosedError(`FasterLog on ${this.device.name}`);
    const record: CommitRecord = {
      commitNumber: this.commitNo + 1,
      beginAddress: begin,
      committedUntilAddress: until,
      pageSize: this.pageSize,
      timestampMs: Date.now(),
    };
    await this.slots.write(record);
    this.commitNo = record.commitNumber;
    this.committedUntil = until;
    this.committedBegin = begin;
    this.commits++;
    // The other slot still holds the previous commit (the fallback). Once it too says `begin`,
    // nothing valid points below begin and its device space can go.
    if (this.slots.safeBegin() < begin) await this.slots.writeCopy(record);
    const safe = Math.floor(this.slots.safeBegin() / this.pageSize) * this.pageSize;
    if (safe > this.deviceTruncatedUntil) {
      await this.device.truncateUntil(safe);
      this.deviceTruncatedUntil = safe;
    }
    return until;
  }

  // ---------------------------------------------------------------- truncate

  /**
   * Moves begin to `address` (an entry address, a page start, or the tail); entries below it can
   * no longer be read. Durable with the next commit, which also frees the device space below
   * begin's page. An address at or below begin is a no-op.
   */
  async truncateUntil(address: number): Promise<void> {
    this.checkOpen();
    if (!Number.isSafeInteger(address)) throw new RangeError(`truncateUntil: address ${address} is not an integer`);
    if (address <= this.begin) return;
    const tail = this.tailAddress;
    if (address > tail) throw new RangeError(`truncateUntil: address ${address} is beyond the tail ${tail}`);
    if (address !== tail && address % this.pageSize !== 0) {
      this.checkEntryAddress(address);
      await this.readEntry(address, true);
      this.checkOpen();
    }
    if (address <= this.begin) return;
    this.begin = address;
    this.wakeRoomWaiters();
  }

  // ---------------------------------------------------------------- read

  /**
   * The payload of the entry at `address` (a copy). RangeError when the address is below begin,
   * at or beyond the tail, or not the start of an entry; CorruptionError naming the address when
   * the stored entry fails its checksum.
   */
  async read(address: number): Promise<Uint8Array> {
    this.checkOpen();
    this.checkEntryAddress(address);
    return this.readEntry(address, false);
  }

  private checkEntryAddress(address: number): void {
    if (!Number.isSafeInteger(address)) throw new RangeError(`FasterLog address ${address} is not an integer`);
    if (address < this.begin) throw new RangeError(`FasterLog address ${address} is below begin ${this.begin} (truncated)`);
    const tail = this.tailAddress;
    if (address >= tail) throw new RangeError(`FasterLog address ${address} is at or beyond the tail ${tail}: no entry was appended there`);
    if (address % 8 !== 0 || (address % this.pageSize) + ENTRY_HEADER_BYTES > this.pageSize) {
      throw new RangeError(`FasterLog address ${address} is not the start of an entry (entries start at 8-byte aligned addresses)`);
    }
  }

  /** Reads and verifies the entry at `address`; with `allowPageEnd`, a page-end marker is accepted (returns no bytes). */
  private async readEntry(address: number, allowPageEnd: boolean): Promise<Uint8Array> {
    const page = Math.floor(address / this.pageSize);
    const room = (page + 1) * this.pageSize - address;
    if (page >= this.headPage) {
      const frame = this.frames[page % this.frameCount]!;
      const offset = address - page * this.pageSize;
      const h = checkHeader(frame, offset, address, room);
      if (h.kind === 'page-end') {
        if (allowPageEnd) return new Uint8Array(0);
        throw pageEndError(address);
      }
      if (h.kind === 'entry' && verifyEntry(frame, offset, address, h.length)) {
        const start = offset + ENTRY_HEADER_BYTES;
        return frame.slice(start, start + h.length);
      }
      throw await this.diagnose(address, h.kind === 'invalid' ? h.reason : 'checksum mismatch');
    }
    let bytes = await this.readDevice(address, Math.min(room, READ_AHEAD_BYTES));
    if (bytes.length < ENTRY_HEADER_BYTES) throw this.corruption(address, `the device returned only ${bytes.length} bytes`);
    const h = checkHeader(bytes, 0, address, room);
    if (h.kind === 'page-end') {
      if (allowPageEnd) return new Uint8Array(0);
      throw pageEndError(address);
    }
    if (h.kind === 'invalid') throw await this.diagnose(address, h.reason);
    if (h.size > bytes.length) bytes = await this.readDevice(address, h.size);
    if (bytes.length < h.size) throw this.corruption(address, `the device returned only ${bytes.length} of ${h.size} bytes`);
    if (!verifyEntry(bytes, 0, address, h.length)) throw await this.diagnose(address, 'checksum mismatch');
    return bytes.slice(ENTRY_HEADER_BYTES, ENTRY_HEADER_BYTES + h.length);
  }

  /** A device read whose failures name the log address. */
  private async readDevice(address: number, length: number): Promise<Uint8Array> {
    try {
      return await this.device.read(address, length);
    } catch (e) {
      if (e instanceof CorruptionError) {
        throw new CorruptionError(`FasterLog entry data at address ${address} on ${this.device.name} is damaged: ${e.message}`, e.object ?? this.device.name, {
          cause: e,
        });
      }
      throw e;
    }
  }

  private corruption(address: number, why: string): CorruptionError {
    return new CorruptionError(`FasterLog entry at address ${address} on ${this.device.name} is corrupt: ${why}`, this.device.name);
  }

  /**
   * After a failed check at `address`: walks the entries of its page from the first known entry
   * start to tell "not an entry start" (RangeError) from a damaged entry (CorruptionError).
   */
  private async diagnose(address: number, why: string): Promise<Error> {
    const page = Math.floor(address / this.pageSize);
    const pageStart = page * this.pageSize;
    const pageEnd = pageStart + this.pageSize;
    const walkStart = Math.max(pageStart, LOG_BEGIN_ADDRESS, this.begin);
    if (walkStart >= address) return this.corruption(address, why);
    let buf: Uint8Array;
    let base: number;
    if (page >= this.headPage) {
      buf = this.frames[page % this.frameCount]!;
      base = pageStart;
    } else {
      try {
        buf = await this.device.read(walkStart, address + ENTRY_HEADER_BYTES - walkStart);
      } catch {
        return this.corruption(address, why);
      }
      base = walkStart;
    }
    let a = walkStart;
    let previous = a;
    while (a < address) {
      if (a + ENTRY_HEADER_BYTES - base > buf.length) return this.corruption(address, why);
      const h = checkHeader(buf, a - base, a, pageEnd - a);
      if (h.kind === 'page-end') return new RangeError(`FasterLog address ${address} lies in the unused space at the end of its page (from ${a}), not at an entry`);
      if (h.kind === 'invalid') return this.corruption(address, `${why}; the page is damaged before it too (at ${a}: ${h.reason})`);
      previous = a;
      a += h.size;
    }
    if (a === address) return this.corruption(address, why);
    return new RangeError(`FasterLog address ${address} is not the start of an entry (it lies inside the entry at ${previous})`);
  }

  // ---------------------------------------------------------------- scan

  /**
   * Iterates the entries in [from, to): from defaults to begin (and is raised to begin if lower;
   * it must be an entry address), to defaults to the tail at the time of the call, so the scan
   * includes entries not yet committed. Pass `to = committedUntilAddress` for durable entries
   * only. Page-end padding is skipped. If truncation passes the scan, it continues at the new begin.
   */
  scan(from?: number, to?: number): AsyncGenerator<FasterLogEntry, void, undefined> {
    this.checkOpen();
    const tail = this.tailAddress;
    let start = from ?? this.begin;
    let end = to ?? tail;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) throw new RangeError(`scan(${from}, ${to}): addresses must be integers`);
    if (start % 8 !== 0) throw new RangeError(`scan: from ${start} is not the start of an entry (entries start at 8-byte aligned addresses)`);
    if (start < this.begin) start = this.begin;
    if (end > tail) end = tail;
    return this.iterate(start, end);
  }

  private async *iterate(from: number, to: number): AsyncGenerator<FasterLogEntry, void, undefined> {
    const ps = this.pageSize;
    let address = from;
    let chunk: Uint8Array | undefined;
    let chunkStart = 0;
    while (address < to) {
      this.checkOpen();
      if (address < this.begin) {
        address = this.begin;
        continue;
      }
      const page = Math.floor(address / ps);
      const pageEnd = (page + 1) * ps;
      const room = pageEnd - address;
      if (page >= this.headPage) {
        const frame = this.frames[page % this.frameCount]!;
        const offset = address - page * ps;
        const h = checkHeader(frame, offset, address, room);
        if (h.kind === 'page-end') {
          address = pageEnd;
          continue;
        }
        if (h.kind === 'invalid' || !verifyEntry(frame, offset, address, h.length)) {
          throw await this.diagnose(address, h.kind === 'invalid' ? h.reason : 'checksum mismatch');
        }
        const start = offset + ENTRY_HEADER_BYTES;
        const bytes = frame.slice(start, start + h.length);
        const at = address;
        address += h.size;
        yield { address: at, bytes };
        continue;
      }
      if (chunk === undefined || address < chunkStart || address + ENTRY_HEADER_BYTES > chunkStart + chunk.length) {
        chunk = await this.readDevice(address, Math.min(room, SCAN_CHUNK_BYTES));
        chunkStart = address;
        if (chunk.length < ENTRY_HEADER_BYTES) throw this.corruption(address, `the device returned only ${chunk.length} bytes`);
      }
      let offset = address - chunkStart;
      const h = checkHeader(chunk, offset, address, room);
      if (h.kind === 'page-end') {
        address = pageEnd;
        continue;
      }
      if (h.kind === 'invalid') throw await this.diagnose(address, h.reason);
      if (offset + h.size > chunk.length) {
        chunk = await this.readDevice(address, Math.max(h.size, Math.min(room, SCAN_CHUNK_BYTES)));
        chunkStart = address;
        offset = 0;
        if (chunk.length < h.size) throw this.corruption(address, `the device returned only ${chunk.length} of ${h.size} bytes`);
      }
      if (!verifyEntry(chunk, offset, address, h.length)) throw await this.diagnose(address, 'checksum mismatch');
      const start = offset + ENTRY_HEADER_BYTES;
      const bytes = chunk.slice(start, start + h.length);
      const at = address;
      address += h.size;
      yield { address: at, bytes };
    }
  }

  // ---------------------------------------------------------------- lifecycle

  private checkOpen(): void {
    if (this.state !== 'open') throw new ClosedError(`FasterLog on ${this.device.name}`);
  }

  /** Commits what was appended, then closes the device and commit store if the log opened them. */
  close(): Promise<void> {
    if (this.closePromise) return this.closePromise;
    this.state = 'closing';
    this.closePromise = (async () => {
      try {
        await this.enqueueCommit();
      } finally {
        await this.release();
      }
    })();
    return this.closePromise;
  }

  /**
   * Stops the log as a crash would: no further commit record is written (a commit already
   * writing its record may finish), in-flight flushes settle, and owned resources are released.
   * Entries appended after the last commit are lost on the next open. For tests and for giving
   * up on a log whose device failed.
   */
  abandon(): Promise<void> {
    if (this.closePromise) return this.closePromise;
    this.abandoned = true;
    this.state = 'closing';
    this.closePromise = (async () => {
      await this.commitChain;
      await this.release();
    })();
    return this.closePromise;
  }

  private async release(): Promise<void> {
    this.state = 'closed';
    await this.settleFlushes();
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const w of waiters) w.reject(new ClosedError(`FasterLog on ${this.device.name}`));
    this.wakeRoomWaiters();
    if (this.ownsCommitStore && this.slots) await this.slots.store.close();
    if (this.ownsDevice) await this.device.close();
  }

  /** Current addresses, memory and counters (synchronous, no I/O). */
  stats(): FasterLogStats {
    let allocated = 0;
    for (const f of this.frames) if (f !== undefined) allocated++;
    return {
      beginAddress: this.begin,
      committedBeginAddress: this.committedBegin,
      committedUntilAddress: this.committedUntil,
      tailAddress: this.tailAddress,
      headAddress: this.headPage * this.pageSize,
      flushedUntilAddress: this.device.persistent ? this.flushedUntil : this.tailAddress,
      commitNumber: this.commitNo,
      pageSize: this.pageSize,
      frameCount: this.frameCount,
      memoryBytes: allocated * this.pageSize,
      entriesAppended: this.entriesAppended,
      payloadBytesAppended: this.payloadBytesAppended,
      commits: this.commits,
      commitRecordWrites: this.slots?.puts ?? 0,
      backpressureWaits: this.backpressureWaits,
      device: this.device.stats(),
    };
  }
}

function pageEndError(address: number): RangeError {
  return new RangeError(`FasterLog address ${address} is the unused space at the end of its page, not an entry`);
}

async function openDeviceByUrl(url: string, segmentSize: number): Promise<StorageDevice> {
  const { openStorageDevice } = await import('../devices/open-storage-device.js');
  return openStorageDevice(url, { segmentSize, createIfMissing: true });
}

/**
 * The store for commit records: commit.store, else commit.url, else the device's own place
 * (an ObjectLogDevice's store; a FileDevice's directory as a LocalFsObjectStore).
 */
async function openCommitStore(
  device: StorageDevice,
  options: FasterLogOptions,
): Promise<{ store: ObjectStore; owned: boolean }> {
  const c = options.commit;
  if (c?.store) return { store: c.store, owned: false };
  if (c?.url !== undefined) {
    const { openObjectStore } = await import('../devices/open-object-store.js');
    // A local directory is created on first use; buckets and containers only when asked.
    return { store: await openObjectStore(c.url, { createIfMissing: c.url.startsWith('file:') }), owned: true };
  }
  if (device instanceof ObjectLogDevice) return { store: device.store, owned: false };
  if (device instanceof FileDevice) return { store: await LocalFsObjectStore.open(device.directory, { createIfMissing: true }), owned: true };
  throw new ConfigError(
    'commit',
    `device ${device.name} has no place for FasterLog commit records; pass commit.url (an object-store URL such as file:///dir) or commit.store`,
  );
}
