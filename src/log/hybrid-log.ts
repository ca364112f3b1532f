/**
 * HybridLog: the record log of a FasterKv, spanning memory and a storage device.
 *
 *   begin ≤ head ≤ readOnly ≤ tail
 *
 * - [readOnly, tail): the mutable region, in memory; records here are updated in place.
 * - [head, readOnly): in memory but immutable; updates copy the record to the tail.
 *   Pages below readOnly are sealed (record checksums written) and flushed to the device.
 * - [begin, head): on the device only; reads go pending on a device read.
 *
 * Memory is a ring of `frameCount` page frames (allocated lazily); page p lives in frame
 * p mod frameCount. Before the tail can enter page p, the page that last used that frame must be
 * flushed and evicted (head moved past it) and every operation that might still read it must have
 * finished (epoch drain). When flushes lag, allocate() returns 0 and writers wait on
 * waitForRoom(): backpressure instead of growing memory. With a non-persistent device (memory://)
 * nothing can be evicted, so a full log raises LogFullError until compaction moves begin.
 */
import { LOG_BEGIN_ADDRESS, MAX_LOG_ADDRESS } from '../core/address.js';
import { LightEpoch } from '../core/epoch.js';
import { assert, CorruptionError, F2Error, LogFullError, RecordTooLargeError } from '../core/errors.js';
import { componentLogger } from '../core/logger.js';
import { TimeSlice } from '../core/time-slice.js';
import {
  FLAG_FILLER,
  RECORD_HEADER_BYTES,
  sealRecord,
  verifyRecord,
  writeFiller,
} from '../core/record-layout.js';
import type { StorageDevice } from '../devices/storage-device.js';
import { PageFrames } from './page-frames.js';

export interface HybridLogOptions {
  device: StorageDevice;
  /** Bytes of page frames in memory (rounded down to whole pages, at least 2). */
  memorySize: number;
  /** Bytes per page, a power of two. */
  pageSize: number;
  /** Fraction of the in-memory pages that are mutable (updated in place), in (0, 1]. */
  mutableFraction: number;
  /** Estimated record size for the first device read of a pending operation. */
  readEstimateBytes?: number;
  /** Where the log starts (recovery); LOG_BEGIN_ADDRESS for a new log. */
  beginAddress?: number;
}

/** A record read back from the device: its bytes start at offset 0 of an aligned buffer. */
export interface DeviceRecord {
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;
  readonly address: number;
}

/** Addresses, memory and I/O counters of a HybridLog (HybridLog.stats()). Addresses are byte offsets in the log. */
export interface HybridLogStats {
  /** Lowest valid address; everything below was truncated. */
  beginAddress: number;
  /** Lowest address in memory; [begin, head) is on the device only. */
  headAddress: number;
  /** Start of the mutable region; records below it are immutable. */
  readOnlyAddress: number;
  /** Everything below this address is on the device. */
  flushedUntilAddress: number;
  /** Next address to be allocated. */
  tailAddress: number;
  /** Bytes per page. */
  pageSize: number;
  /** Page frames in the in-memory ring. */
  frameCount: number;
  /** Frames allocated so far (frames are allocated lazily). */
  framesAllocated: number;
  /** Bytes of allocated page frames. */
  memoryBytes: number;
  /** Pages written to the device since open. */
  pagesFlushed: number;
  /** Pages evicted from memory since open. */
  pagesEvicted: number;
  /** Times a writer waited for room because flushes lagged (backpressure). */
  backpressureWaits: number;
  /** Record reads from the device. */
  deviceReads: number;
}

/** The record log of a store, spanning a ring of in-memory pages and a storage device (begin ≤ head ≤ readOnly ≤ tail). Reach it via FasterKv.hlog or ColdKv.hlog, mostly to read its addresses; see the module comment for the regions. */
export class HybridLog {
  /** Bytes per page (a power of two). */
  readonly pageSize: number;
  /** Page frames in the in-memory ring. */
  readonly frameCount: number;
  /** The device holding pages below the head address. */
  readonly device: StorageDevice;
  /** Epoch protection for page eviction. @internal */
  readonly epoch = new LightEpoch();
  /** Page frames by frame index; undefined until first used. */
  private readonly frames: PageFrames;
  /** Byte views of the page frames. @internal */
  readonly frames8: (Uint8Array | undefined)[];
  /** 32-bit views of the page frames. @internal */
  readonly frames32: (Uint32Array | undefined)[];

  /** Lowest valid address; everything below was truncated. */
  beginAddress: number;
  /** Lowest address in memory; [begin, head) is on the device only. */
  headAddress: number;
  /** Start of the mutable region [readOnly, tail); records below it are immutable. */
  readOnlyAddress: number;
  /** Everything below this address is on the device. */
  flushedUntilAddress: number;
  private tailPage: number;
  private tailOffset: number;
  /** Device space below this page-aligned address has been freed. */
  private truncatedUntil = 0;
  /** Frames of pages below this page number may be reused (their eviction has drained). */
  private reusableBelowPage: number;

  private readonly mutablePages: number;
  private readonly readEstimate: number;
  /** Completed flush ranges not yet contiguous with flushedUntilAddress, by start address. */
  private readonly completedFlushes = new Map<number, number>();
  private readonly inFlightFlushes = new Set<Promise<void>>();
  private flushError: unknown = undefined;
  private roomWaiters: (() => void)[] = [];
  private readonly log = componentLogger('hybrid-log');
  private pagesFlushed = 0;
  private pagesEvicted = 0;
  private backpressureWaits = 0;
  private deviceReads = 0;

  constructor(options: HybridLogOptions) {
    const { device, pageSize } = options;
    assert(pageSize >= 512 && (pageSize & (pageSize - 1)) === 0, 'page size is a power of two >= 512');
    this.device = device;
    this.pageSize = pageSize;
    this.frameCount = Math.max(2, Math.floor(options.memorySize / pageSize));
    this.frames = new PageFrames(this.frameCount, pageSize);
    // The engine's hot paths index these arrays directly.
    this.frames8 = this.frames.u8;
    this.frames32 = this.frames.u32;
    const fraction = options.mutableFraction;
    assert(fraction > 0 && fraction <= 1, 'mutable fraction in (0, 1]');
    let mutable = fraction >= 1 && !device.persistent ? Infinity : Math.max(1, Math.floor(this.frameCount * fraction));
    // Keep at least one immutable page ahead of eviction so flushes overlap with appends.
    if (device.persistent && this.frameCount >= 3) mutable = Math.min(mutable, this.frameCount - 2);
    if (device.persistent && this.frameCount < 3) mutable = 1;
    this.mutablePages = mutable;
    this.readEstimate = options.readEstimateBytes ?? 256;
    const begin = options.beginAddress ?? LOG_BEGIN_ADDRESS;
    this.beginAddress = begin;
    this.headAddress = begin;
    this.readOnlyAddress = begin;
    this.flushedUntilAddress = begin;
    this.tailPage = Math.floor(begin / pageSize);
    this.tailOffset = begin - this.tailPage * pageSize;
    this.reusableBelowPage = this.tailPage;
    this.ensureFrame(this.tailPage);
  }

  /** Next address to be allocated. */
  get tailAddress(): number {
    return this.tailPage * this.pageSize + this.tailOffset;
  }

  /** The largest record (header included) that fits in a page. */
  get maxRecordSize(): number {
    return this.pageSize;
  }

  /** Page number of an address. */
  pageOf(address: number): number {
    return Math.floor(address / this.pageSize);
  }

  /** Frame index (in the memory ring) of an address's page. */
  frameOf(address: number): number {
    return Math.floor(address / this.pageSize) % this.frameCount;
  }

  /** Offset of an address within its page. */
  offsetOf(address: number): number {
    return address % this.pageSize;
  }

  /**
   * Reserves `size` bytes (8-aligned) at the tail. Returns the address, or 0 when the tail cannot
   * advance until flushes or evictions complete (await waitForRoom() and retry).
   */
  allocate(size: number): number {
    if (this.tailOffset + size <= this.pageSize) {
      const address = this.tailPage * this.pageSize + this.tailOffset;
      this.tailOffset += size;
      return address;
    }
    return this.allocateOnNewPage(size);
  }

  private allocateOnNewPage(size: number): number {
    if (size > this.pageSize) throw new RecordTooLargeError(size, this.pageSize);
    const next = this.tailPage + 1;
    assert(next * this.pageSize < MAX_LOG_ADDRESS, 'log address space exhausted');
    if (!this.canEnterPage(next)) return 0;
    const frame = this.tailPage % this.frameCount;
    writeFiller(this.frames32[frame]!, this.tailOffset, this.pageSize - this.tailOffset);
    this.tailPage = next;
    this.tailOffset = size;
    this.ensureFrame(next);
    this.onPageTurn(next);
    return next * this.pageSize;
  }

  /** True when the frame for `page` is free; otherwise starts whatever makes it free. */
  private canEnterPage(page: number): boolean {
    this.throwIfFlushFailed();
    const previous = page - this.frameCount;
    if (previous < this.reusableBelowPage) return true;
    const needHead = (previous + 1) * this.pageSize;
    if (!this.device.persistent) {
      if (this.beginAddress < needHead) {
        throw new LogFullError(
          `in-memory log is full (${this.frameCount} pages of ${this.pageSize} bytes); ` +
            'raise log.memorySize, compact the log, or use a file:// device',
        );
      }
      this.shiftHead(needHead);
      return previous < this.reusableBelowPage;
    }
    if (this.readOnlyAddress < needHead) this.shiftReadOnly(needHead);
    if (this.flushedUntilAddress >= needHead) this.shiftHead(needHead);
    if (previous < this.reusableBelowPage) return true;
    this.backpressureWaits++;
    return false;
  }

  private ensureFrame(page: number): void {
    this.frames.ensure(page);
  }

  /** Moves readOnly behind the new tail page, keeping `mutablePages` pages mutable. */
  private onPageTurn(page: number): void {
    if (this.mutablePages === Infinity) return;
    const target = (page - this.mutablePages + 1) * this.pageSize;
    if (target > this.readOnlyAddress) this.shiftReadOnly(target);
  }

  /**
   * shiftReadOnly in steps of one page, letting the event loop turn between them when a step has
   * used up its time slice: sealing computes a checksum per record, so sealing tens of MiB at once
   * would hold the event loop for as long (for callers that need not seal in one step).
   */
  async shiftReadOnlyInSlices(target: number): Promise<void> {
    const slice = new TimeSlice();
    while (this.readOnlyAddress < Math.min(target, this.tailAddress)) {
      this.shiftReadOnly(Math.min(target, (this.pageOf(this.readOnlyAddress) + 1) * this.pageSize));
      if (slice.dueNow()) await slice.pause();
    }
  }

  /**
   * Makes [readOnly, target) immutable: seals its records and, on a persistent device, starts
   * flushing it. Returns when the flush has been issued (not completed).
   */
  shiftReadOnly(target: number): void {
    const tail = this.tailAddress;
    if (target > tail) target = tail;
    const from = this.readOnlyAddress;
    if (target <= from) return;
    this.readOnlyAddress = target;
    if (!this.device.persistent) {
      this.flushedUntilAddress = target;
      return;
    }
    let start = from;
    while (start < target) {
      const page = this.pageOf(start);
      const pageEnd = (page + 1) * this.pageSize;
      const end = Math.min(pageEnd, target);
      this.sealRange(start, end);
      this.flushRange(start, end);
      start = end;
    }
  }

  /** Writes record checksums for every record in [start, end) (within one page). */
  private sealRange(start: number, end: number): void {
    const f = this.frameOf(start);
    const u8 = this.frames8[f]!;
    const u32 = this.frames32[f]!;
    const base = this.pageOf(start) * this.pageSize;
    let offset = start - base;
    const stop = end - base;
    while (offset + RECORD_HEADER_BYTES <= stop) {
      const size = u32[(offset >>> 2) + 4]!;
      if (size === 0) break;
      assert(size >= RECORD_HEADER_BYTES && (size & 7) === 0 && offset + size <= this.pageSize, `record size ${size} at page offset ${offset}`);
      if ((u32[(offset >>> 2) + 1]! & FLAG_FILLER) === 0) sealRecord(u8, u32, offset);
      offset += size;
    }
  }

  private flushRange(start: number, end: number): void {
    const f = this.frameOf(start);
    const offset = this.offsetOf(start);
    const bytes = this.frames8[f]!.subarray(offset, offset + (end - start));
    const p = this.device.write(start, bytes).then(
      () => {
        this.inFlightFlushes.delete(p);
        if (end % this.pageSize === 0) this.pagesFlushed++;
        this.completeFlush(start, end);
      },
      (err: unknown) => {
        this.inFlightFlushes.delete(p);
        this.log.error({ err, start, end, device: this.device.name }, 'flush failed');
        this.flushError = err;
        this.wakeRoomWaiters();
      },
    );
    this.inFlightFlushes.add(p);
  }

  private completeFlush(start: number, end: number): void {
    this.completedFlushes.set(start, end);
    let until = this.flushedUntilAddress;
    for (let next = this.completedFlushes.get(until); next !== undefined; next = this.completedFlushes.get(until)) {
      this.completedFlushes.delete(until);
      until = next;
    }
    if (until !== this.flushedUntilAddress) {
      this.flushedUntilAddress = until;
      this.wakeRoomWaiters();
    }
  }

  /** Evicts pages below `target` (page-aligned, at most flushedUntil): their frames become reusable after an epoch drain. */
  shiftHead(target: number): void {
    if (target <= this.headAddress) return;
    assert(!this.device.persistent || target <= this.flushedUntilAddress, 'head may not pass flushedUntil');
    const oldHeadPage = this.pageOf(this.headAddress);
    this.headAddress = target;
    if (this.readOnlyAddress < target) this.readOnlyAddress = target;
    const belowPage = this.pageOf(target);
    this.pagesEvicted += Math.max(0, belowPage - oldHeadPage);
    this.epoch.bumpWithAction(() => {
      if (belowPage > this.reusableBelowPage) this.reusableBelowPage = belowPage;
      this.wakeRoomWaiters();
    });
  }

  /**
   * Moves begin forward (after compaction) and frees device space below `truncateUntil`
   * (default: begin). Truncation may lag begin while a durable checkpoint still needs older data.
   */
  async shiftBegin(newBegin: number, truncateUntil = newBegin): Promise<void> {
    assert(newBegin <= this.tailAddress, 'begin may not pass the tail');
    if (newBegin > this.beginAddress) this.setBegin(newBegin);
    await this.truncateDevice(truncateUntil);
  }

  /** Frees whole device pages below `address` (never above begin). */
  async truncateDevice(address: number): Promise<void> {
    const until = this.pageOf(Math.min(address, this.beginAddress)) * this.pageSize;
    if (this.device.persistent && until > this.truncatedUntil) {
      this.truncatedUntil = until;
      await this.device.truncateUntil(until);
    }
  }

  private setBegin(newBegin: number): void {
    this.beginAddress = newBegin;
    // Frames of whole pages below begin are released; head may stop inside begin's page.
    const evictable = this.device.persistent ? Math.min(newBegin, this.flushedUntilAddress) : newBegin;
    if (evictable > this.headAddress) this.shiftHead(evictable);
  }

  /**
   * Reads [address, address + length) of the log, from memory where it is still there and from
   * the device below head (each in-memory part is copied before any await).
   */
  async readRange(address: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let a = address;
    const end = address + length;
    while (a < end) {
      const pageEnd = (this.pageOf(a) + 1) * this.pageSize;
      const to = Math.min(pageEnd, end);
      if (a >= this.headAddress) {
        const offset = this.offsetOf(a);
        out.set(this.frames8[this.frameOf(a)]!.subarray(offset, offset + (to - a)), a - address);
      } else {
        const upTo = Math.min(to, this.headAddress);
        const bytes = await this.device.read(a, upTo - a);
        if (bytes.length !== upTo - a) throw new CorruptionError(`log bytes [${a}, ${upTo}) are missing from ${this.device.name}`, this.device.name);
        out.set(bytes, a - address);
        a = upTo;
        continue;
      }
      a = to;
    }
    return out;
  }

  /** Resolves when [.., address) is on the device (flushes up to it are started here). */
  async flushUntil(address: number): Promise<void> {
    if (!this.device.persistent) return;
    if (this.readOnlyAddress < address) this.shiftReadOnly(address);
    while (this.flushedUntilAddress < address) {
      this.throwIfFlushFailed();
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    this.throwIfFlushFailed();
  }

  /**
   * Recovery: positions an empty log at [begin, final) whose bytes are on the device (or, for a
   * memory-only log, provided by `load`), and loads the page holding `final` so appends continue
   * there. Only valid on a log that has not been written yet.
   */
  async recover(begin: number, final: number, load: (address: number, length: number) => Promise<Uint8Array>): Promise<void> {
    assert(this.tailAddress === this.beginAddress && this.inFlightFlushes.size === 0, 'recover() runs on a fresh log');
    const pageSize = this.pageSize;
    const finalPage = this.pageOf(final);
    const firstLoaded = this.device.persistent ? finalPage : this.pageOf(begin);
    if (finalPage - firstLoaded + 1 > this.frameCount) {
      throw new LogFullError(`recovered log of ${final - begin} bytes does not fit in log.memorySize (${this.frameCount} pages); raise it`);
    }
    for (let page = firstLoaded; page <= finalPage; page++) {
      const from = Math.max(page * pageSize, begin);
      const to = Math.min((page + 1) * pageSize, final);
      this.ensureFrame(page);
      if (to > from) {
        const bytes = await load(from, to - from);
        if (bytes.length !== to - from) throw new CorruptionError(`log bytes [${from}, ${to}) are missing from ${this.device.name}`, this.device.name);
        this.frames8[page % this.frameCount]!.set(bytes, from - page * pageSize);
      }
    }
    this.beginAddress = begin;
    this.truncatedUntil = this.pageOf(begin) * pageSize;
    this.headAddress = Math.max(begin, firstLoaded * pageSize);
    this.readOnlyAddress = final;
    this.flushedUntilAddress = final;
    this.tailPage = finalPage;
    this.tailOffset = final - finalPage * pageSize;
    this.reusableBelowPage = firstLoaded;
  }

  /** Resolves when an allocation that returned 0 may succeed. Throws if a flush failed. */
  waitForRoom(): Promise<void> {
    this.throwIfFlushFailed();
    if (this.inFlightFlushes.size === 0 && this.epoch.pendingActions === 0) {
      // Nothing to wait for: the condition that refused the allocation has passed; retry soon.
      return new Promise((resolve) => setImmediate(resolve));
    }
    return new Promise((resolve) => {
      this.roomWaiters.push(resolve);
    });
  }

  private wakeRoomWaiters(): void {
    const waiters = this.roomWaiters;
    if (waiters.length === 0) return;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }

  private throwIfFlushFailed(): void {
    if (this.flushError !== undefined) {
      // Not a CorruptionError: nothing stored is damaged; the device refused a write.
      const why = this.flushError instanceof Error ? this.flushError.message : String(this.flushError);
      throw new F2Error('LOG_FLUSH_FAILED', `log flush to ${this.device.name} failed (${why}); the store must be reopened`, {
        cause: this.flushError,
      });
    }
  }

  /** Flushes everything up to the tail and waits until it is on the device (and synced). */
  async flushAll(): Promise<void> {
    if (!this.device.persistent) return;
    this.shiftReadOnly(this.tailAddress);
    await this.waitForFlushes();
    this.throwIfFlushFailed();
    await this.device.sync();
  }

  /** Waits until every flush in flight has completed (does not start new ones). */
  async waitForFlushes(): Promise<void> {
    while (this.inFlightFlushes.size > 0) {
      await Promise.allSettled([...this.inFlightFlushes]);
    }
  }

  /**
   * Reads the record at `address` (below head) from the device and verifies its checksum.
   * Throws CorruptionError naming the device and address if the bytes are not a valid record.
   */
  async readRecord(address: number): Promise<DeviceRecord> {
    const pageEnd = (this.pageOf(address) + 1) * this.pageSize;
    const room = pageEnd - address;
    let length = Math.min(this.readEstimate, room);
    this.deviceReads++;
    let bytes = await this.device.read(address, length);
    let size = bytes.length >= RECORD_HEADER_BYTES ? readU32(bytes, 16) : 0;
    if (size < RECORD_HEADER_BYTES || (size & 7) !== 0 || size > room) {
      throw new CorruptionError(`record at address ${address} on ${this.device.name} has an invalid size ${size}`, this.device.name);
    }
    if (size > bytes.length) {
      this.deviceReads++;
      bytes = await this.device.read(address, size);
      length = size;
    }
    const aligned = new Uint8Array(new ArrayBuffer(size));
    aligned.set(bytes.subarray(0, size));
    const u32 = new Uint32Array(aligned.buffer);
    if (bytes.length < size || !verifyRecord(aligned, u32, 0)) {
      throw new CorruptionError(`record at address ${address} on ${this.device.name} failed its checksum`, this.device.name);
    }
    return { u8: aligned, u32, address };
  }

  /** True when the device can read synchronously (readRecordSync may answer). */
  get syncReads(): boolean {
    return this.device.readSync !== undefined;
  }

  /** Scratch buffer of readRecordSync (grown for a larger record), viewed as bytes and words. */
  private syncScratch8 = new Uint8Array(4096);
  private syncScratch32 = new Uint32Array(this.syncScratch8.buffer);

  /**
   * readRecord on the calling thread, for callers of the sync API. The record is read into a
   * scratch buffer and verified there: the result is valid only until the next readRecordSync
   * (callers copy what they keep). Returns undefined when the device cannot read synchronously
   * now (use readRecord). Throws CorruptionError like readRecord.
   */
  readRecordSync(address: number): DeviceRecord | undefined {
    const device = this.device;
    if (device.readSync === undefined) return undefined;
    const room = (this.pageOf(address) + 1) * this.pageSize - address;
    let n = device.readSync(address, Math.min(this.readEstimate, room), this.syncScratch8);
    if (n === undefined) return undefined;
    this.deviceReads++;
    const size = n >= RECORD_HEADER_BYTES ? this.syncScratch32[4]! : 0;
    if (size < RECORD_HEADER_BYTES || (size & 7) !== 0 || size > room) {
      throw new CorruptionError(`record at address ${address} on ${this.device.name} has an invalid size ${size}`, this.device.name);
    }
    if (size > n) {
      if (size > this.syncScratch8.length) {
        this.syncScratch8 = new Uint8Array(2 ** Math.ceil(Math.log2(size)));
        this.syncScratch32 = new Uint32Array(this.syncScratch8.buffer);
      }
      n = device.readSync(address, size, this.syncScratch8);
      if (n === undefined) return undefined;
      this.deviceReads++;
    }
    const u8 = this.syncScratch8.subarray(0, size);
    const u32 = this.syncScratch32;
    if (n < size || !verifyRecord(u8, u32, 0)) {
      throw new CorruptionError(`record at address ${address} on ${this.device.name} failed its checksum`, this.device.name);
    }
    return { u8, u32, address };
  }

  /** Current addresses, memory and I/O counters. */
  stats(): HybridLogStats {
    const memoryBytes = this.frames.memoryBytes;
    return {
      beginAddress: this.beginAddress,
      headAddress: this.headAddress,
      readOnlyAddress: this.readOnlyAddress,
      flushedUntilAddress: this.flushedUntilAddress,
      tailAddress: this.tailAddress,
      pageSize: this.pageSize,
      frameCount: this.frameCount,
      framesAllocated: memoryBytes / this.pageSize,
      memoryBytes,
      pagesFlushed: this.pagesFlushed,
      pagesEvicted: this.pagesEvicted,
      backpressureWaits: this.backpressureWaits,
      deviceReads: this.deviceReads,
    };
  }

  /** Asserts begin ≤ head ≤ readOnly ≤ tail and flushedUntil ≤ readOnly. @throws AssertionFailedError when violated (tests). */
  checkInvariants(): void {
    // begin may run ahead of head only while begin's page still awaits its flush.
    assert(this.beginAddress <= this.headAddress || this.beginAddress > this.flushedUntilAddress, `begin ${this.beginAddress} <= head ${this.headAddress}`);
    assert(this.headAddress <= this.readOnlyAddress, `head ${this.headAddress} <= readOnly ${this.readOnlyAddress}`);
    assert(this.readOnlyAddress <= this.tailAddress, `readOnly ${this.readOnlyAddress} <= tail ${this.tailAddress}`);
    assert(this.flushedUntilAddress <= this.readOnlyAddress, 'flushedUntil <= readOnly');
  }

  /** Flushes everything up to the tail to the device (and syncs it) and wakes writers waiting for room. */
  async close(): Promise<void> {
    await this.flushAll();
    this.wakeRoomWaiters();
  }
}

function readU32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}
