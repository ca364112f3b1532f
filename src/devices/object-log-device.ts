import { ClosedError, ConfigError, CorruptionError, F2Error, FencedError, ObjectNotFoundError, ObjectStoreError, PreconditionFailedError, assert } from '../core/errors.js';
import { crc32c, crc32cCombine } from '../core/checksum.js';
import { componentLogger } from '../core/logger.js';
import { isPowerOfTwo, parseSize } from '../core/size.js';
import { confirmOwnConditionalPut } from './conditional-put.js';
import type { ObjectStore } from './object-store.js';
import { checkReadRange, emptyDeviceStats, type DeviceExtent, type DeviceStats, type StorageDevice } from './storage-device.js';

const log = componentLogger('object-log-device');

/** Options of ObjectLogDevice. */
export interface ObjectLogDeviceOptions {
  /** Key prefix of the device's objects inside the store (default "log/"). */
  prefix?: string;
  /**
   * Target object size (default 4 MiB). Sequential writes are buffered and cut into objects at
   * multiples of objectSize in address space, so a log with objectSize-aligned pages writes one
   * object per page; fewer, larger objects mean fewer PUTs per MiB.
   */
  objectSize?: number | string;
  /** Checksummed block size, a power of two ≤ objectSize (default 64 KiB). A read fetches whole blocks. */
  blockSize?: number | string;
  /** write() waits while more uploads than this are in flight (default 8). */
  maxPendingUploads?: number;
  /** close() also closes the store (default false). */
  ownsStore?: boolean;
  /**
   * Lowest sequence number this writer gives its objects (default 1). A writer that claims a
   * store passes a base above every older writer's (e.g. writer epoch × 2^32), so that where a
   * superseded writer still uploads objects over the same addresses, the new writer's win.
   */
  seqBase?: number;
  /**
   * Asked before the device deletes objects (truncated or shadowed ones); false keeps them. A
   * store with several possible writers answers whether this writer still owns the prefix, so
   * that a superseded writer never deletes what the new owner reads.
   */
  mayDelete?: () => Promise<boolean>;
}

/**
 * One immutable object of the log: bytes [start, end) written as block i of blockSize bytes
 * followed by the CRC-32C (little-endian) of that block, seeded with the block's log address:
 *
 *   [block 0][crc 0][block 1][crc 1]...[last block (may be short)][crc]
 *
 * A ranged read fetches the blocks it touches together with their checksums in one GET.
 */
interface LogObject {
  key: string;
  start: number;
  end: number;
  seq: number;
  blockShift: number;
  /** Pieces of the address map that this object supplies. */
  live: number;
  /** Its checksums, for objects this device wrote (undefined for objects found on open). */
  checksums: ObjectChecksums | undefined;
  /**
   * The object's stored form (blocks and their checksums) while its upload is in flight or
   * failed: what is uploaded, and where reads of its addresses are served from meanwhile.
   */
  physical: Uint8Array | undefined;
  stored: boolean;
  failure: unknown;
}

interface Piece {
  start: number;
  end: number;
  obj: LogObject;
}

const NAME = /^([0-9a-f]{16})-([0-9a-f]{16})-([0-9a-f]{12})\.b(\d{1,2})\.seg$/;
const CRC_BYTES = 4;

/** A failure worth retrying later: the object store marked it transient (unavailable, throttled, timed out). */
function isTransientFailure(err: unknown): boolean {
  return err instanceof ObjectStoreError && err.transient;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

const addressScratch = new Uint8Array(8);
/** CRC-32C of the 8-byte little-endian log address of a block: the seed of the block's checksum. */
function addressCrc(address: number): number {
  const lo = address % 0x100000000;
  const hi = Math.floor(address / 0x100000000);
  addressScratch[0] = lo & 0xff;
  addressScratch[1] = (lo >>> 8) & 0xff;
  addressScratch[2] = (lo >>> 16) & 0xff;
  addressScratch[3] = lo >>> 24;
  addressScratch[4] = hi & 0xff;
  addressScratch[5] = (hi >>> 8) & 0xff;
  addressScratch[6] = (hi >>> 16) & 0xff;
  addressScratch[7] = hi >>> 24;
  return crc32c(addressScratch, 0, 8, 0);
}

/** CRC-32C of bytes[s, e) seeded with the 8-byte little-endian log address of the block. */
function blockCrc(address: number, bytes: Uint8Array, s: number, e: number): number {
  return crc32c(bytes, s, e, addressCrc(address));
}

function readU32LE(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

function writeU32LE(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = v >>> 24;
}

/** Physical size of an object holding `length` logical bytes in blocks of 2^shift. */
function physicalSize(length: number, shift: number): number {
  return length + CRC_BYTES * Math.ceil(length / 2 ** shift);
}

/** Checksums of an encoded object. */
interface ObjectChecksums {
  /** CRC-32C of the object's log bytes. */
  logical: number;
  /** CRC-32C of its stored form (blocks and their checksums): what an object store may verify. */
  stored: number;
}

/**
 * Writes the stored form of the log bytes src[from, from + length), which begin at log address
 * `start`, into `into`: each block copied once, followed by its CRC-32C. The bytes are read once
 * more, by one CRC-32C pass over each copied block while it is in cache; the block's seeded
 * checksum and the checksums of the whole object (its log bytes, its stored form) are derived
 * from that one pass by combining CRCs, not by reading the bytes again.
 */
function encodeObject(start: number, src: Uint8Array, from: number, length: number, shift: number, into: Uint8Array): ObjectChecksums {
  const B = 2 ** shift;
  let logical = 0;
  let stored = 0;
  for (let s = 0, d = 0; s < length; s += B, d += B + CRC_BYTES) {
    const n = Math.min(B, length - s);
    into.set(src.subarray(from + s, from + s + n), d);
    const crc = crc32c(into, d, d + n);
    writeU32LE(into, d + n, crc32cCombine(addressCrc(start + s), crc, n));
    logical = crc32cCombine(logical, crc, n);
    stored = crc32c(into, d + n, d + n + CRC_BYTES, crc32cCombine(stored, crc, n));
  }
  return { logical, stored };
}

/**
 * Copies the logical bytes [rel, relEnd) of an object (offsets from its start) out of `stored`,
 * a slice of its stored form that begins with block b0, into out at outOffset, skipping the
 * checksums between blocks.
 */
function copyLogical(stored: Uint8Array, b0: number, shift: number, rel: number, relEnd: number, out: Uint8Array, outOffset: number): void {
  const B = 2 ** shift;
  let o = outOffset;
  for (let pos = rel; pos < relEnd; ) {
    const b = Math.floor(pos / B);
    const inBlock = pos - b * B;
    const n = Math.min(relEnd - pos, B - inBlock);
    const src = (b - b0) * (B + CRC_BYTES) + inBlock;
    out.set(stored.subarray(src, src + n), o);
    o += n;
    pos += n;
  }
}

/**
 * The logical bytes [rel, relEnd) of an object as a view of `stored` (a slice of its stored form
 * that begins with block b0, owned by the caller): the checksums between blocks are squeezed out
 * in place, each block moved down over the gaps before it (no new buffer, no second copy).
 */
function compactInPlace(stored: Uint8Array, b0: number, shift: number, rel: number, relEnd: number): Uint8Array {
  const B = 2 ** shift;
  const b1 = Math.floor((relEnd - 1) / B);
  for (let b = b0 + 1; b <= b1; b++) {
    const src = (b - b0) * (B + CRC_BYTES);
    const n = Math.min(B, relEnd - b * B);
    stored.copyWithin((b - b0) * B, src, src + n);
  }
  const from = rel - b0 * B;
  return stored.subarray(from, from + (relEnd - rel));
}

/**
 * A StorageDevice over any ObjectStore (S3, Azure Blob, a local directory, memory).
 *
 * Writes: write(address, bytes) copies the bytes into a write buffer and resolves; the bytes are
 * readable at once (read-your-writes from the buffer and from uploads in flight). The buffer is
 * cut into immutable objects at multiples of objectSize and uploaded in the background (at most
 * maxPendingUploads at a time, write() waits beyond that). sync() uploads the partial buffer and
 * waits for every upload: completed writes are durable when sync() resolves. An upload that
 * failed (after the store's retries) is reported by the next write() and retried once by sync().
 *
 * Objects are named `<prefix><start:16 hex>-<end:16 hex>-<seq:12 hex>.b<log2 blockSize>.seg` so
 * that they sort by address and are found on open; a higher seq is newer and wins where objects
 * overlap (a partial page flushed again). Reads stitch the newest pieces together, fetching each
 * object's touched blocks and their checksums with one ranged GET. truncateUntil deletes objects
 * that lie entirely below the new begin; objects fully shadowed by newer ones are deleted after
 * the next successful sync.
 */
export class ObjectLogDevice implements StorageDevice {
  readonly name: string;
  readonly persistent = true;
  /** Target object size in bytes. */
  readonly objectSize: number;
  /** log2 of the checksummed block size. */
  readonly blockShift: number;
  private readonly prefix: string;
  private readonly maxPendingUploads: number;
  private readonly ownsStore: boolean;
  private readonly mayDelete: (() => Promise<boolean>) | undefined;
  /** Non-overlapping pieces sorted by address: which object supplies which addresses. */
  private pieces: Piece[] = [];
  /** Objects no piece refers to any more (truncated or shadowed), to delete. */
  private readonly garbage = new Set<LogObject>();
  private readonly uploads = new Set<Promise<void>>();
  private readonly failed = new Set<LogObject>();
  private nextSeq = 1;
  private beginAddress = 0;
  private buffer: Uint8Array = new Uint8Array(0);
  private bufStart = 0;
  private bufLen = 0;
  /**
   * Stored-form buffers of whole objects whose uploads completed, reused for the next objects:
   * a long sequential upload then allocates (and page-faults, and garbage-collects) only the
   * buffers of its first maxPendingUploads objects. Emptied by sync().
   */
  private readonly spare: Uint8Array[] = [];
  private readonly counters: DeviceStats = emptyDeviceStats();
  private closed = false;
  /**
   * Called when an upload finds its object already there: another writer uses the prefix. The
   * store that owns the device sets it to fence itself at once.
   */
  onFenced: ((error: FencedError) => void) | undefined;

  private constructor(
    /** The object store holding the device's objects. */
    readonly store: ObjectStore,
    options: ObjectLogDeviceOptions,
  ) {
    this.prefix = options.prefix ?? 'log/';
    if (this.prefix !== '' && !this.prefix.endsWith('/')) this.prefix += '/';
    this.objectSize = parseSize('objectSize', options.objectSize ?? 4 * 1024 * 1024);
    const blockSize = parseSize('blockSize', options.blockSize ?? 64 * 1024);
    if (!isPowerOfTwo(blockSize) || blockSize < 512) {
      throw new ConfigError('blockSize', `must be a power of two ≥ 512 bytes, got ${blockSize}`);
    }
    if (this.objectSize < blockSize || this.objectSize > 2 ** 31) {
      throw new ConfigError('objectSize', `must be between blockSize (${blockSize}) and 2 GiB, got ${this.objectSize}`);
    }
    this.blockShift = Math.log2(blockSize);
    this.maxPendingUploads = options.maxPendingUploads ?? 8;
    this.ownsStore = options.ownsStore ?? false;
    this.mayDelete = options.mayDelete;
    this.name = `object-log ${store.url}${store.url.endsWith('/') ? '' : '/'}${this.prefix}`;
  }

  /** Opens the device: lists its objects and rebuilds the address map (newest object wins). */
  static async open(store: ObjectStore, options: ObjectLogDeviceOptions = {}): Promise<ObjectLogDevice> {
    const device = new ObjectLogDevice(store, options);
    const found: LogObject[] = [];
    for (const key of await store.list(device.prefix)) {
      const m = NAME.exec(key.slice(device.prefix.length));
      const obj = m && {
        key,
        start: parseInt(m[1]!, 16),
        end: parseInt(m[2]!, 16),
        seq: parseInt(m[3]!, 16),
        blockShift: Number(m[4]),
        live: 0,
        checksums: undefined,
        physical: undefined,
        stored: true,
        failure: undefined,
      };
      if (!obj || !(obj.end > obj.start && obj.end - obj.start <= 2 ** 31 && obj.blockShift >= 9 && obj.blockShift <= 30)) {
        log.warn({ key, device: device.name }, 'ignoring an object that is not a log segment');
        continue;
      }
      found.push(obj);
    }
    found.sort((a, b) => a.seq - b.seq);
    for (const obj of found) device.insert(obj);
    device.nextSeq = Math.max((found.at(-1)?.seq ?? 0) + 1, options.seqBase ?? 1);
    assert(device.nextSeq < 2 ** 48, 'object sequence numbers fit in 12 hex digits');
    device.beginAddress = device.pieces[0]?.start ?? 0;
    log.debug({ device: device.name, objects: found.length, extent: device.extent() }, 'opened');
    return device;
  }

  private check(): void {
    if (this.closed) throw new ClosedError(`device ${this.name}`);
  }

  /** Index of the first piece whose end is above `address`. */
  private firstPieceEndingAbove(address: number): number {
    let lo = 0;
    let hi = this.pieces.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.pieces[mid]!.end > address) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Makes `obj` (the newest object) supply all of [obj.start, obj.end). */
  private insert(obj: LogObject): void {
    const s = obj.start;
    const e = obj.end;
    const i = this.firstPieceEndingAbove(s);
    let j = i;
    while (j < this.pieces.length && this.pieces[j]!.start < e) j++;
    const replacement: Piece[] = [];
    for (let k = i; k < j; k++) this.unref(this.pieces[k]!.obj);
    if (j > i && this.pieces[i]!.start < s) replacement.push(this.ref({ start: this.pieces[i]!.start, end: s, obj: this.pieces[i]!.obj }));
    replacement.push(this.ref({ start: s, end: e, obj }));
    if (j > i && this.pieces[j - 1]!.end > e) replacement.push(this.ref({ start: e, end: this.pieces[j - 1]!.end, obj: this.pieces[j - 1]!.obj }));
    this.pieces.splice(i, j - i, ...replacement);
  }

  private ref(p: Piece): Piece {
    p.obj.live++;
    this.garbage.delete(p.obj);
    return p;
  }

  private unref(obj: LogObject): void {
    obj.live--;
    assert(obj.live >= 0, `object ${obj.key} referenced a negative number of times`);
    if (obj.live === 0) this.garbage.add(obj);
  }

  extent(): DeviceExtent {
    // Truncation trims the pieces, so the lowest retained byte is the first piece or the buffer.
    const hasBuffer = this.bufLen > 0;
    const first = this.pieces[0];
    if (!first && !hasBuffer) return { begin: 0, end: 0 };
    const begin = Math.min(first?.start ?? Infinity, hasBuffer ? this.bufStart : Infinity);
    const end = Math.max(this.pieces.at(-1)?.end ?? 0, hasBuffer ? this.bufStart + this.bufLen : 0);
    return { begin, end };
  }

  stats(): DeviceStats {
    return { ...this.counters };
  }

  /**
   * The CRC-32C of the log bytes [start, end) when one object this device wrote holds exactly
   * them and still supplies them (computed while it was encoded); otherwise undefined. A write
   * that covers whole objects creates them at once, so their checksums are known on its return.
   */
  writtenChecksum(start: number, end: number): number | undefined {
    const p = this.pieces[this.firstPieceEndingAbove(start)];
    if (p === undefined || p.start !== start || p.end !== end || p.obj.start !== start || p.obj.end !== end) return undefined;
    return p.obj.checksums?.logical;
  }

  async write(address: number, bytes: Uint8Array): Promise<void> {
    this.check();
    if (!Number.isSafeInteger(address) || address < 0) throw new RangeError(`write address ${address} of ${this.name} is not a non-negative integer`);
    this.retryFailedUploads();
    this.counters.writes++;
    this.counters.bytesWritten += bytes.length;
    if (bytes.length === 0) return;
    this.append(address, bytes);
    while (this.uploads.size > this.maxPendingUploads) await Promise.race(this.uploads);
    this.throwIfUploadsStuck();
  }

  /**
   * Before a write: uploads that failed only because the service was unavailable (a transient
   * failure that outlived the store's retries: an outage, a network partition) are started again,
   * their bytes still in memory, so that a store outlives an outage of a few seconds instead of
   * failing every later write. A failure of any other kind (fenced, access denied) is reported.
   */
  private retryFailedUploads(): void {
    this.throwIfUploadsStuck();
    for (const obj of [...this.failed]) {
      this.failed.delete(obj);
      if (obj.live === 0) {
        this.garbage.delete(obj); // superseded or truncated meanwhile: nothing to retry
        continue;
      }
      void this.trackUpload(obj);
    }
  }

  /**
   * Throws when an upload failed for good (not transiently), or when more failed objects wait in
   * memory than maxPendingUploads (a long outage: the memory they hold is bounded).
   */
  private throwIfUploadsStuck(): void {
    for (const obj of this.failed) {
      if (!isTransientFailure(obj.failure) || this.failed.size > this.maxPendingUploads) this.throwUploadFailed(obj);
    }
  }

  private throwIfUploadFailed(): void {
    const first = this.failed.values().next();
    if (!first.done) this.throwUploadFailed(first.value);
  }

  private throwUploadFailed(obj: LogObject): never {
    // Another writer: retrying cannot help, so say so rather than "call sync() to retry".
    if (obj.failure instanceof FencedError) throw obj.failure;
    throw new F2Error('DEVICE_WRITE_FAILED', `upload of ${obj.key} to ${this.store.url} failed: ${errorMessage(obj.failure)}; call sync() to retry or reopen the device`, {
      cause: obj.failure,
    });
  }

  /** Address of the first object boundary above `address`. */
  private boundaryAbove(address: number): number {
    return (Math.floor(address / this.objectSize) + 1) * this.objectSize;
  }

  /**
   * Takes the bytes of a write. A write that continues the buffer (or finds it empty), the
   * sequential case, completes the buffered object from its front, encodes every whole object
   * after that straight from the caller's bytes (one copy each) and buffers the rest; any other
   * write is merged into the buffer.
   */
  private append(address: number, bytes: Uint8Array): void {
    let from = 0;
    if (this.bufLen > 0) {
      const bufEnd = this.bufStart + this.bufLen;
      if (address !== bufEnd) {
        this.mergeIntoBuffer(address, bytes);
        this.cutFullObjects();
        return;
      }
      from = Math.min(bytes.length, this.boundaryAbove(this.bufStart) - bufEnd);
      this.mergeIntoBuffer(address, bytes.subarray(0, from));
      this.cutFullObjects();
      if (from === bytes.length) return;
      assert(this.bufLen === 0, 'a buffer filled up to its object boundary is cut');
    }
    const end = address + bytes.length;
    let a = address + from;
    for (let boundary = this.boundaryAbove(a); boundary <= end; boundary = this.boundaryAbove(a)) {
      this.startUpload(a, bytes, a - address, boundary - a);
      a = boundary;
    }
    if (a < end) this.mergeIntoBuffer(a, bytes.subarray(a - address));
  }

  private ensureCapacity(n: number): void {
    if (this.buffer.length >= n) return;
    const grown = new Uint8Array(Math.max(n, Math.min(this.objectSize * 2, this.buffer.length * 2), 64 * 1024));
    grown.set(this.buffer.subarray(0, this.bufLen));
    this.buffer = grown;
  }

  private mergeIntoBuffer(address: number, bytes: Uint8Array): void {
    const bufEnd = this.bufStart + this.bufLen;
    const end = address + bytes.length;
    if (this.bufLen > 0 && address >= this.bufStart && address <= bufEnd) {
      const offset = address - this.bufStart;
      this.ensureCapacity(offset + bytes.length);
      this.buffer.set(bytes, offset);
      this.bufLen = Math.max(this.bufLen, offset + bytes.length);
      return;
    }
    if (this.bufLen > 0 && address < this.bufStart && end >= this.bufStart) {
      const newLen = Math.max(bufEnd, end) - address;
      const merged = new Uint8Array(Math.max(newLen, this.buffer.length));
      merged.set(this.buffer.subarray(0, this.bufLen), this.bufStart - address);
      merged.set(bytes, 0);
      this.buffer = merged;
      this.bufStart = address;
      this.bufLen = newLen;
      return;
    }
    if (this.bufLen > 0) this.sealBuffer();
    this.bufStart = address;
    this.ensureCapacity(bytes.length);
    this.buffer.set(bytes, 0);
    this.bufLen = bytes.length;
  }

  /** Uploads every whole objectSize-aligned chunk at the front of the buffer. */
  private cutFullObjects(): void {
    while (this.bufLen > 0) {
      const boundary = (Math.floor(this.bufStart / this.objectSize) + 1) * this.objectSize;
      const bufEnd = this.bufStart + this.bufLen;
      if (bufEnd < boundary) return;
      const n = boundary - this.bufStart;
      this.startUpload(this.bufStart, this.buffer, 0, n);
      this.buffer.copyWithin(0, n, this.bufLen);
      this.bufStart = boundary;
      this.bufLen -= n;
    }
  }

  /** Uploads the whole buffer (a partial object). */
  private sealBuffer(): void {
    if (this.bufLen === 0) return;
    this.startUpload(this.bufStart, this.buffer, 0, this.bufLen);
    this.bufLen = 0;
  }

  /** A buffer for the stored form of `length` logical bytes: a spare one for a whole object. */
  private storedFormBuffer(length: number): Uint8Array {
    const size = physicalSize(length, this.blockShift);
    return (length === this.objectSize ? this.spare.pop() : undefined) ?? new Uint8Array(size);
  }

  /** Keeps the stored form of an uploaded whole object for reuse (up to maxPendingUploads + 1 of them). */
  private recycle(stored: Uint8Array, obj: LogObject): void {
    if (obj.end - obj.start === this.objectSize && obj.blockShift === this.blockShift && this.spare.length <= this.maxPendingUploads) this.spare.push(stored);
  }

  /** Makes log bytes src[from, from + length), at address `start`, a new object and starts its upload. */
  private startUpload(start: number, src: Uint8Array, from: number, length: number): void {
    const seq = this.nextSeq++;
    const end = start + length;
    const physical = this.storedFormBuffer(length);
    const checksums = encodeObject(start, src, from, length, this.blockShift, physical);
    const obj: LogObject = {
      key: `${this.prefix}${hex(start, 16)}-${hex(end, 16)}-${hex(seq, 12)}.b${this.blockShift}.seg`,
      start,
      end,
      seq,
      blockShift: this.blockShift,
      live: 0,
      checksums,
      physical,
      stored: false,
      failure: undefined,
    };
    this.insert(obj);
    this.trackUpload(obj);
  }

  private trackUpload(obj: LogObject): Promise<void> {
    const p: Promise<void> = this.upload(obj).finally(() => this.uploads.delete(p));
    this.uploads.add(p);
    return p;
  }

  private async upload(obj: LogObject): Promise<void> {
    const physical = obj.physical!;
    try {
      // Create-only: an existing object with this name means another writer uses the prefix...
      try {
        await this.store.put(obj.key, physical, { ifNoneMatch: '*' }, { crc32c: obj.checksums?.stored });
      } catch (e) {
        // ...unless this is a retry of an upload that failed, whose earlier put may have landed
        // although its answer was lost: then the object holds exactly these bytes.
        if (!(e instanceof PreconditionFailedError) || obj.failure === undefined) throw e;
        await confirmOwnConditionalPut(obj.key, physical, async () => {
          const info = await this.store.head(obj.key);
          return info === undefined ? undefined : { bytes: await this.store.get(obj.key), etag: info.etag };
        });
      }
      obj.stored = true;
      obj.physical = undefined;
      obj.failure = undefined;
      this.recycle(physical, obj);
      this.failed.delete(obj);
    } catch (e) {
      const err =
        e instanceof PreconditionFailedError
          ? new FencedError(`object ${obj.key} already exists in ${this.store.url}: another writer is using the log prefix ${this.prefix}; stop this one`, { cause: e })
          : e;
      obj.failure = err;
      this.failed.add(obj);
      log.error({ err: errorMessage(err), key: obj.key, device: this.name }, 'log object upload failed');
      if (err instanceof FencedError) this.onFenced?.(err);
    }
  }

  /**
   * StorageDevice.read. `scratch`, if given, is a buffer the device may fetch into when one stored
   * object holds the whole range (the result is then a view of it, valid until the caller reuses
   * it): a caller reading a long range piece by piece passes the same buffer each time.
   */
  async read(address: number, length: number, scratch?: Uint8Array): Promise<Uint8Array> {
    this.check();
    checkReadRange(this.name, address, length);
    this.counters.reads++;
    if (length === 0) return new Uint8Array(0);
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await this.readOnce(address, length, scratch);
        this.counters.bytesRead += out.length;
        return out;
      } catch (e) {
        // An object deleted by a concurrent truncation or clean-up: resolve the range again.
        if (!(e instanceof ObjectNotFoundError) || attempt >= 3) throw e;
      }
    }
  }

  private async readOnce(address: number, requested: number, scratch: Uint8Array | undefined): Promise<Uint8Array> {
    const { begin, end } = this.extent();
    if (address < begin || address >= end) {
      throw new RangeError(`read [${address}, ${address + requested}) of ${this.name} is outside the written extent [${begin}, ${end}) (never written or truncated)`);
    }
    const length = Math.min(requested, end - address);
    const stop = address + length;
    // Snapshot the write buffer now: it is newer than every object and is applied last.
    const bufEnd = this.bufStart + this.bufLen;
    const bs = Math.max(address, this.bufStart);
    const be = Math.min(stop, bufEnd);
    const fromBuffer = this.bufLen > 0 && bs < be ? this.buffer.slice(bs - this.bufStart, be - this.bufStart) : undefined;
    // The common case of a large read: one stored object holds the whole range. Its fetched
    // blocks, once checked, are the answer (compacted in place; no second buffer, no copy).
    const only = fromBuffer === undefined ? this.pieces[this.firstPieceEndingAbove(address)] : undefined;
    if (only !== undefined && only.start <= address && only.end >= stop && only.obj.physical === undefined) {
      const obj = only.obj;
      const { bytes, b0 } = await this.fetchBlocks(obj, address, stop, scratch);
      return compactInPlace(bytes, b0, obj.blockShift, address - obj.start, stop - obj.start);
    }
    const out = new Uint8Array(length);

    const fetches: Promise<void>[] = [];
    let cursor = address;
    // Inside the written extent every address belongs to some object: a hole means objects
    // were deleted underneath the device (or never uploaded), which is corruption, not a range error.
    const gap = (at: number): never => {
      const next = this.pieces.find((p) => p.start > at);
      const missing = `[${at}, ${next ? next.start : end})`;
      throw new CorruptionError(
        `read [${address}, ${stop}) of ${this.name}: no object holds ${missing} inside the written extent [${begin}, ${end}); ` +
          `the object(s) for it are missing (deleted underneath the device?)${next ? `; the next one present is ${next.obj.key}` : ''}`,
        `${this.prefix}${missing}`,
      );
    };
    for (let i = this.firstPieceEndingAbove(address); i < this.pieces.length && this.pieces[i]!.start < stop; i++) {
      const p = this.pieces[i]!;
      const s = Math.max(address, p.start);
      const e = Math.min(stop, p.end);
      if (s > cursor && !(fromBuffer && bs <= cursor && be >= s)) gap(cursor);
      cursor = e;
      const obj = p.obj;
      if (obj.physical) copyLogical(obj.physical, 0, obj.blockShift, s - obj.start, e - obj.start, out, s - address);
      else fetches.push(this.fetchInto(obj, s, e, out, s - address));
    }
    if (cursor < stop && !(fromBuffer && bs <= cursor && be >= stop)) gap(cursor);
    await Promise.all(fetches);
    if (fromBuffer) out.set(fromBuffer, bs - address);
    return out;
  }

  /** Fetches [s, e) of a stored object with one ranged GET of its blocks, verifies them and copies the bytes into out. */
  private async fetchInto(obj: LogObject, s: number, e: number, out: Uint8Array, outOffset: number): Promise<void> {
    const { bytes, b0 } = await this.fetchBlocks(obj, s, e);
    copyLogical(bytes, b0, obj.blockShift, s - obj.start, e - obj.start, out, outOffset);
  }

  /**
   * Fetches the blocks of a stored object that hold addresses [s, e), with their checksums, in one
   * ranged GET (into `into` if the store can), and verifies every block. Returns the stored bytes
   * (from block b0 on), which the caller owns.
   */
  private async fetchBlocks(obj: LogObject, s: number, e: number, into?: Uint8Array): Promise<{ bytes: Uint8Array; b0: number }> {
    const shift = obj.blockShift;
    const B = 2 ** shift;
    const L = obj.end - obj.start;
    const b0 = Math.floor((s - obj.start) / B);
    const b1 = Math.floor((e - obj.start - 1) / B);
    const lastLen = Math.min(B, L - b1 * B);
    const physStart = b0 * (B + CRC_BYTES);
    const physEnd = b1 * (B + CRC_BYTES) + lastLen + CRC_BYTES;
    let bytes: Uint8Array;
    try {
      bytes = await this.store.get(obj.key, { offset: physStart, length: physEnd - physStart }, into === undefined ? undefined : { into });
    } catch (err) {
      if (err instanceof ObjectNotFoundError && obj.live > 0) {
        throw new CorruptionError(`object ${obj.key} of ${this.name} is missing (deleted underneath the device); addresses [${obj.start}, ${obj.end}) are lost`, obj.key, { cause: err });
      }
      throw err;
    }
    if (bytes.length !== physEnd - physStart) {
      throw new CorruptionError(
        `object ${obj.key} of ${this.name} is truncated: expected ${physicalSize(L, shift)} bytes, the read of [${physStart}, ${physEnd}) returned ${bytes.length}`,
        obj.key,
      );
    }
    for (let b = b0, off = 0; b <= b1; b++, off += B + CRC_BYTES) {
      const len = Math.min(B, L - b * B);
      const stored = readU32LE(bytes, off + len);
      if (blockCrc(obj.start + b * B, bytes, off, off + len) !== stored) {
        throw new CorruptionError(
          `block ${b} (addresses [${obj.start + b * B}, ${obj.start + b * B + len})) of object ${obj.key} failed its CRC-32C check; the object was changed or damaged underneath ${this.name}`,
          obj.key,
        );
      }
    }
    return { bytes, b0 };
  }

  async sync(): Promise<void> {
    this.check();
    await this.flushAndWait();
  }

  private async flushAndWait(): Promise<void> {
    this.sealBuffer();
    while (this.uploads.size > 0) await Promise.all([...this.uploads]);
    this.spare.length = 0;
    if (this.failed.size > 0) {
      for (const obj of [...this.failed]) {
        if (obj.live === 0) {
          this.failed.delete(obj); // superseded or truncated meanwhile: nothing to retry
          this.garbage.delete(obj);
        } else {
          void this.trackUpload(obj);
        }
      }
      while (this.uploads.size > 0) await Promise.all([...this.uploads]);
      this.throwIfUploadFailed();
    }
    // Every piece is durable now, so objects that no piece refers to can go.
    await this.collectGarbage(() => true);
  }

  private async collectGarbage(which: (o: LogObject) => boolean): Promise<void> {
    const doomed = [...this.garbage].filter((o) => o.stored && o.live === 0 && which(o));
    if (doomed.length === 0) return;
    if (this.mayDelete !== undefined && !(await this.mayDelete().catch(() => false))) return;
    for (const o of doomed) this.garbage.delete(o);
    try {
      await this.store.delete(doomed.map((o) => o.key));
    } catch (e) {
      for (const o of doomed) this.garbage.add(o);
      log.warn({ err: errorMessage(e), device: this.name, objects: doomed.length }, 'could not delete unused log objects; will retry');
    }
  }

  async truncateUntil(address: number): Promise<void> {
    this.check();
    if (address <= this.beginAddress) return;
    this.beginAddress = address;
    this.counters.truncations++;
    const i = this.firstPieceEndingAbove(address);
    for (let k = 0; k < i; k++) this.unref(this.pieces[k]!.obj);
    this.pieces.splice(0, i);
    const first = this.pieces[0];
    if (first && first.start < address) first.start = address;
    if (this.bufLen > 0) {
      const bufEnd = this.bufStart + this.bufLen;
      if (bufEnd <= address) this.bufLen = 0;
      else if (this.bufStart < address) {
        this.buffer.copyWithin(0, address - this.bufStart, this.bufLen);
        this.bufLen = bufEnd - address;
        this.bufStart = address;
      }
    }
    // Objects wholly below the new begin are not needed whatever else happens.
    await this.collectGarbage((o) => o.end <= address);
  }

  /**
   * Closes the device without uploading what is buffered and without deleting anything: the
   * close of a writer that another writer has fenced (its prefix belongs to the new owner).
   * Uploads already in flight are awaited (they cannot be recalled).
   */
  async discard(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.bufLen = 0;
    this.garbage.clear();
    await Promise.allSettled([...this.uploads]);
    if (this.ownsStore) await this.store.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flushAndWait();
    } finally {
      this.closed = true;
      if (this.ownsStore) await this.store.close();
    }
  }
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Where a log object sits, from its name (`<start>-<end>-<seq>.b<shift>.seg`), or undefined for another name. */
export interface LogObjectName {
  start: number;
  end: number;
  seq: number;
  blockShift: number;
}

export function parseLogObjectName(name: string): LogObjectName | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const o = { start: parseInt(m[1]!, 16), end: parseInt(m[2]!, 16), seq: parseInt(m[3]!, 16), blockShift: Number(m[4]) };
  return o.end > o.start && o.end - o.start <= 2 ** 31 && o.blockShift >= 9 && o.blockShift <= 30 ? o : undefined;
}

/**
 * Checks a whole stored log object (for verification tools): its size against its name and every
 * block's CRC-32C. Returns what is wrong, or undefined when the object is intact.
 */
export function checkLogObject(name: LogObjectName, bytes: Uint8Array): string | undefined {
  const L = name.end - name.start;
  const B = 2 ** name.blockShift;
  const expected = physicalSize(L, name.blockShift);
  if (bytes.length !== expected) return `has ${bytes.length} bytes, expected ${expected} (truncated or extended)`;
  for (let b = 0, off = 0; b * B < L; b++, off += B + CRC_BYTES) {
    const len = Math.min(B, L - b * B);
    if (blockCrc(name.start + b * B, bytes, off, off + len) !== readU32LE(bytes, off + len)) {
      return `block ${b} (addresses [${name.start + b * B}, ${name.start + b * B + len})) failed its CRC-32C check`;
    }
  }
  return undefined;
}
