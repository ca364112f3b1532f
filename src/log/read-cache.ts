/**
 * ReadCache: a memory-only second log holding copies of records that were read from the device.
 *
 * An index entry may point at a read-cache record (its address has READ_CACHE_BIT set); the
 * copy's previous address points into the main log, so a chain is: [one cached copy] → main log.
 * The store keeps at most one copy in front of each chain, inserts a copy only when the chain did
 * not change while the device read was in flight, and invalidates the copy whenever the chain's
 * entry is replaced (upsert, RMW, delete, conditional insert).
 *
 * Memory is a ring of page frames. One frame is kept free: when the tail enters a new page, the
 * oldest page is evicted, its records unlinked from the index (through `unlink`). A record that
 * was read since it was cached gets a second chance: it is copied to the tail instead of dropped,
 * while the tail page has room.
 */
import { READ_CACHE_BIT, LOG_BEGIN_ADDRESS } from '../core/address.js';
import { assert } from '../core/errors.js';
import {
  alignRecordSize,
  FLAG_FILLER,
  FLAG_INVALID,
  FLAG_TOMBSTONE,
  RECORD_HEADER_BYTES,
  recordKeyEquals,
  recordPrevious,
  writeFiller,
  writeRecordHeader,
} from '../core/record-layout.js';
import { PageFrames } from './page-frames.js';
import { copyValue } from '../core/value-copy.js';

/** Set on a cached record when it is read; earns a second chance at eviction. */
export const FLAG_RECENTLY_READ = 1 << 20;

/** Counters of the hot tier's read cache (KvEngineStats.readCache). */
export interface ReadCacheStats {
  /** Lookups served from the read cache. */
  hits: number;
  /** Lookups not found in the read cache. */
  misses: number;
  /** Records copied into the read cache after a device read. */
  inserts: number;
  /** Records dropped from the read cache at eviction. */
  evicted: number;
  /** Recently read records copied forward at eviction instead of dropped (second chance). */
  secondChance: number;
  /** Bytes of allocated read cache pages. */
  memoryBytes: number;
}

/** Called for each valid record of an evicted page: unlink `address` from the index if an entry names it. */
export type UnlinkFunction = (address: number, key: Uint8Array, keyLength: number, previous: number) => void;
/** Called when a record moves (second chance): repoint an entry naming `from` to `to`. */
export type RelinkFunction = (from: number, to: number, key: Uint8Array, keyLength: number) => void;

export class ReadCache {
  readonly pageSize: number;
  readonly frameCount: number;
  private readonly frames: PageFrames;
  private readonly frames8: (Uint8Array | undefined)[];
  private readonly frames32: (Uint32Array | undefined)[];
  private tailPage: number;
  private tailOffset: number;
  private oldestPage: number;
  unlink: UnlinkFunction = () => {};
  relink: RelinkFunction = () => {};
  hits = 0;
  misses = 0;
  private inserts = 0;
  private evicted = 0;
  private secondChance = 0;

  constructor(memorySize: number, pageSize: number) {
    this.pageSize = pageSize;
    this.frameCount = Math.max(3, Math.floor(memorySize / pageSize));
    this.frames = new PageFrames(this.frameCount, pageSize);
    // The engine's hot paths index these arrays directly.
    this.frames8 = this.frames.u8;
    this.frames32 = this.frames.u32;
    this.tailPage = 0;
    this.tailOffset = LOG_BEGIN_ADDRESS;
    this.oldestPage = 0;
    this.ensureFrame(0);
  }

  private ensureFrame(page: number): void {
    this.frames.ensure(page);
  }

  private logical(address: number): number {
    return address - READ_CACHE_BIT;
  }

  u8Of(address: number): Uint8Array {
    return this.frames8[Math.floor(this.logical(address) / this.pageSize) % this.frameCount]!;
  }

  u32Of(address: number): Uint32Array {
    return this.frames32[Math.floor(this.logical(address) / this.pageSize) % this.frameCount]!;
  }

  offsetOf(address: number): number {
    return this.logical(address) % this.pageSize;
  }

  keyEquals(address: number, key: Uint8Array, length: number): boolean {
    const offset = this.offsetOf(address);
    return recordKeyEquals(this.u8Of(address), this.u32Of(address), offset, key, length);
  }

  previous(address: number): number {
    return recordPrevious(this.u32Of(address), this.offsetOf(address) >>> 2);
  }

  markRead(address: number): void {
    const u32 = this.u32Of(address);
    const w = (this.offsetOf(address) >>> 2) + 1;
    u32[w] = u32[w]! | FLAG_RECENTLY_READ;
  }

  invalidate(address: number): void {
    const u32 = this.u32Of(address);
    const w = (this.offsetOf(address) >>> 2) + 1;
    u32[w] = u32[w]! | FLAG_INVALID;
  }

  /**
   * Copies a record (header fields, key, value) into the cache. Returns its read-cache address,
   * or 0 when the record is larger than a page.
   */
  insert(key: Uint8Array, keyLength: number, value: Uint8Array | undefined, previous: number, flags: number): number {
    const valueLength = value === undefined ? 0 : value.length;
    const size = alignRecordSize(keyLength, valueLength);
    if (size > this.pageSize - LOG_BEGIN_ADDRESS) return 0;
    const logical = this.allocate(size);
    const address = logical + READ_CACHE_BIT;
    this.write(address, key, keyLength, value, previous, flags & FLAG_TOMBSTONE, size);
    this.inserts++;
    return address;
  }

  private write(
    address: number,
    key: Uint8Array,
    keyLength: number,
    value: Uint8Array | undefined,
    previous: number,
    flags: number,
    size: number,
  ): void {
    const u8 = this.u8Of(address);
    const offset = this.offsetOf(address);
    writeRecordHeader(this.u32Of(address), offset >>> 2, previous, flags, keyLength, value === undefined ? 0 : value.length, size);
    u8.set(key.subarray(0, keyLength), offset + RECORD_HEADER_BYTES);
    if (value !== undefined) u8.set(value, offset + RECORD_HEADER_BYTES + keyLength);
  }

  private allocate(size: number): number {
    // A turn may fill part of the new page with second-chance copies: turn again until it fits.
    while (this.tailOffset + size > this.pageSize) this.turnPage();
    const logical = this.tailPage * this.pageSize + this.tailOffset;
    this.tailOffset += size;
    return logical;
  }

  /** Moves the tail to a fresh page and evicts the oldest page, giving its read records a second chance. */
  private turnPage(): void {
    const f = this.tailPage % this.frameCount;
    writeFiller(this.frames32[f]!, this.tailOffset, this.pageSize - this.tailOffset);
    this.tailPage++;
    this.tailOffset = 0;
    this.ensureFrame(this.tailPage);
    // Keep one frame free: evict the page that the next turn would need.
    const evict = this.tailPage - this.frameCount + 1;
    if (evict >= this.oldestPage && evict >= 0) {
      assert(evict === this.oldestPage, 'read cache evicts pages in order');
      this.evictPage(evict);
      this.oldestPage = evict + 1;
    }
  }

  private evictPage(page: number): void {
    const f = page % this.frameCount;
    const u8 = this.frames8[f]!;
    const u32 = this.frames32[f]!;
    let offset = page === 0 ? LOG_BEGIN_ADDRESS : 0;
    while (offset + RECORD_HEADER_BYTES <= this.pageSize) {
      const w = offset >>> 2;
      const size = u32[w + 4]!;
      if (size === 0) break;
      const flags = u32[w + 1]! & 0xffff0000;
      if ((flags & FLAG_FILLER) !== 0) break;
      if ((flags & FLAG_INVALID) === 0) {
        const address = page * this.pageSize + offset + READ_CACHE_BIT;
        const keyLength = u32[w + 2]!;
        const key = u8.subarray(offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + keyLength);
        const previous = recordPrevious(u32, w);
        if ((flags & FLAG_RECENTLY_READ) !== 0 && this.tailOffset + size <= this.pageSize) {
          const to = this.tailPage * this.pageSize + this.tailOffset + READ_CACHE_BIT;
          this.tailOffset += size;
          const valueStart = offset + RECORD_HEADER_BYTES + keyLength;
          const value = (flags & FLAG_TOMBSTONE) !== 0 ? undefined : u8.subarray(valueStart, valueStart + u32[w + 3]!);
          this.write(to, key, keyLength, value, previous, flags & FLAG_TOMBSTONE, size);
          this.relink(address, to, key, keyLength);
          this.secondChance++;
        } else {
          this.unlink(address, key, keyLength, previous);
          this.evicted++;
        }
        u32[w + 1] = u32[w + 1]! | FLAG_INVALID;
      }
      offset += size;
    }
  }

  valueAt(address: number): Uint8Array | undefined {
    const u32 = this.u32Of(address);
    const offset = this.offsetOf(address);
    const w = offset >>> 2;
    if ((u32[w + 1]! & FLAG_TOMBSTONE) !== 0) return undefined;
    const start = offset + RECORD_HEADER_BYTES + u32[w + 2]!;
    return copyValue(this.u8Of(address), start, u32[w + 3]!);
  }

  valueInto(address: number, out: Uint8Array): number {
    const u32 = this.u32Of(address);
    const offset = this.offsetOf(address);
    const w = offset >>> 2;
    if ((u32[w + 1]! & FLAG_TOMBSTONE) !== 0) return -1;
    const length = u32[w + 3]!;
    if (length <= out.length) {
      const start = offset + RECORD_HEADER_BYTES + u32[w + 2]!;
      out.set(this.u8Of(address).subarray(start, start + length));
    }
    return length;
  }

  isTombstone(address: number): boolean {
    return (this.u32Of(address)[(this.offsetOf(address) >>> 2) + 1]! & FLAG_TOMBSTONE) !== 0;
  }

  stats(): ReadCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      inserts: this.inserts,
      evicted: this.evicted,
      secondChance: this.secondChance,
      memoryBytes: this.frames.memoryBytes,
    };
  }
}
