/**
 * MemHashIndex: the hot tier's in-memory hash index.
 *
 * One Uint32Array holds the main buckets followed by overflow buckets. A bucket is 16 words
 * (64 bytes, one cache line): seven entries of two words and an overflow link.
 *
 *   entry word 0: address, low 32 bits
 *   entry word 1: address, high 16 bits | tag << 16 (14 bits) | duplicate bit 30 (see grow)
 *   link  word 14: bucket number of the overflow bucket (0 = none); word 15 unused
 *
 * An entry whose address is 0 is empty. Records whose keys share (bucket, tag) form one chain,
 * linked through each record's previous address; the entry names the newest.
 */
import { TWO_POW_32 } from '../core/address.js';
import { crc32c } from '../core/checksum.js';
import { assert, ConfigError, CorruptionError } from '../core/errors.js';
import { TAG_MASK } from '../core/key-hash.js';
import { INDEX_NOT_FOUND, type ChainSplitter, type KvIndex, type KvIndexStats } from '../kv/kv-index.js';

export const BUCKET_WORDS = 16;
/** Entry word 1, bit 30: a copy left by a conservative split (not counted in the load). */
const DUPLICATE_BIT = 1 << 30;
/** Milliseconds of background index migration per event-loop turn. */
const GROWTH_SLICE_MS = 1;
const SNAPSHOT_MAGIC = 0x58493246; // "F2IX"
export const ENTRIES_PER_BUCKET = 7;
const LINK_WORD = 14;

/** The hot tier's in-memory hash index: buckets of 7 entries in 64 bytes plus overflow buckets, each entry a 14-bit tag and a 48-bit address; doubles itself (grow) while operations continue. */
export class MemHashIndex implements KvIndex {
  /** Main buckets then overflow buckets. */
  table: Uint32Array;
  buckets: number;
  private mask: number;
  /** Bucket number of the next unused overflow bucket. */
  private overflowNext: number;
  private freeOverflow: number[] = [];
  private entryCount = 0;
  /** During growth: the table being migrated, and which of its buckets are done. */
  private oldTable: Uint32Array | undefined;
  private oldMask = 0;
  private migrated: Uint8Array | undefined;
  private migrateCursor = 0;
  private migrateRemaining = 0;
  private growth: Promise<void> | undefined;
  private growthDone: (() => void) | undefined;
  private growthStarted = 0;
  splitter: ChainSplitter | undefined;
  /** Doublings completed and time spent. */
  growths = 0;
  /** Duration of the last doubling in milliseconds. */
  lastGrowthMs = 0;

  constructor(buckets: number) {
    if (!Number.isSafeInteger(buckets) || buckets < 1 || (buckets & (buckets - 1)) !== 0 || buckets > 2 ** 28) {
      throw new ConfigError('index.buckets', `must be a power of two between 1 and 2^28, got ${buckets}`);
    }
    this.buckets = buckets;
    this.mask = buckets - 1;
    const overflow = Math.max(16, buckets >>> 4);
    this.table = new Uint32Array((buckets + overflow) * BUCKET_WORDS);
    this.overflowNext = buckets;
  }

  findEntry(hash: number, tag: number): number {
    if (this.migrated !== undefined && this.migrated[hash & this.oldMask] === 0) this.migrateBucket(hash & this.oldMask);
    const t = this.table;
    let b = (hash & this.mask) * BUCKET_WORDS;
    for (;;) {
      for (let w = b; w < b + LINK_WORD; w += 2) {
        const hi = t[w + 1]!;
        if (((hi >>> 16) & TAG_MASK) === tag && (t[w] !== 0 || (hi & 0xffff) !== 0)) return w;
      }
      const next = t[b + LINK_WORD]!;
      if (next === 0) return INDEX_NOT_FOUND;
      b = next * BUCKET_WORDS;
    }
  }

  findOrCreateEntry(hash: number, tag: number): number {
    if (this.oldTable !== undefined) this.migrateSlice(4);
    const found = this.findEntry(hash, tag);
    if (found >= 0) return found;
    return this.createEntry(hash & this.mask, tag);
  }

  /** Claims an empty slot for `tag` in bucket `bucket` (or a new overflow bucket of it). */
  private createEntry(bucket: number, tag: number): number {
    let t = this.table;
    let b = bucket * BUCKET_WORDS;
    for (;;) {
      for (let w = b; w < b + LINK_WORD; w += 2) {
        if (t[w] === 0 && (t[w + 1]! & 0xffff) === 0) {
          t[w + 1] = tag << 16;
          return w;
        }
      }
      const next = t[b + LINK_WORD]!;
      if (next === 0) {
        const fresh = this.allocateOverflow();
        t = this.table;
        t[b + LINK_WORD] = fresh;
        const w = fresh * BUCKET_WORDS;
        t[w + 1] = tag << 16;
        return w;
      }
      b = next * BUCKET_WORDS;
    }
  }

  /** Same as findEntry (everything is in memory). */
  findEntryAsync(hash: number, tag: number): Promise<number> {
    return Promise.resolve(this.findEntry(hash, tag));
  }

  /** Same as findOrCreateEntry (everything is in memory). */
  findOrCreateEntryAsync(hash: number, tag: number): Promise<number> {
    return Promise.resolve(this.findOrCreateEntry(hash, tag));
  }

  /** Address of the newest record of the entry's chain (0 for an empty entry). */
  entryAddress(handle: number): number {
    return this.table[handle]! + (this.table[handle + 1]! & 0xffff) * TWO_POW_32;
  }

  /**
   * Points an entry at `address`. The load counts chains: an entry counts once it names a record
   * (an entry created for an operation that then had to wait holds address 0 and is reused by its
   * retry), and a duplicate left by a conservative split does not count until an operation
   * appends through it.
   */
  setEntryAddress(handle: number, address: number): void {
    const t = this.table;
    const hi = t[handle + 1]!;
    const wasEmpty = t[handle] === 0 && (hi & 0xffff) === 0;
    const counted = !wasEmpty && (hi & DUPLICATE_BIT) === 0;
    const counts = address !== 0;
    if (counted !== counts) this.entryCount += counts ? 1 : -1;
    t[handle] = address % TWO_POW_32;
    t[handle + 1] = (hi & 0x3fff0000) | (Math.floor(address / TWO_POW_32) & 0xffff);
  }

  /** Sets an entry during migration: counting is done by the caller; `duplicate` marks a conservative copy. */
  private placeMigrated(bucket: number, tag: number, address: number, duplicate: boolean): void {
    const w = this.createEntry(bucket, tag);
    const t = this.table;
    t[w] = address % TWO_POW_32;
    t[w + 1] = (tag << 16) | (duplicate ? DUPLICATE_BIT : 0) | (Math.floor(address / TWO_POW_32) & 0xffff);
  }

  /** Empties an entry (its tag is forgotten too). */
  clearEntry(handle: number): void {
    this.setEntryAddress(handle, 0);
    this.table[handle + 1] = 0;
  }

  /** Entries in use per entry slot of the main buckets. */
  get load(): number {
    return this.entryCount / (this.buckets * ENTRIES_PER_BUCKET);
  }

  /** True while a growth (doubling) is in progress. */
  get growing(): boolean {
    return this.growth !== undefined;
  }

  /**
   * Doubles the table while operations continue: buckets migrate in slices between event-loop
   * turns, and any bucket an operation touches first migrates on demand. Concurrent calls share
   * one growth.
   */
  grow(): Promise<void> {
    if (this.growth) return this.growth;
    assert(this.splitter !== undefined, 'index growth needs a chain splitter');
    if (this.buckets * 2 > 2 ** 28) throw new ConfigError('index.buckets', 'the index cannot grow beyond 2^28 buckets');
    this.growthStarted = performance.now();
    this.oldTable = this.table;
    this.oldMask = this.buckets - 1;
    this.migrated = new Uint8Array(this.buckets);
    this.migrateCursor = 0;
    this.migrateRemaining = this.buckets;
    this.buckets *= 2;
    this.mask = this.buckets - 1;
    const overflow = Math.max(16, this.buckets >>> 4);
    this.table = new Uint32Array((this.buckets + overflow) * BUCKET_WORDS);
    this.overflowNext = this.buckets;
    this.freeOverflow = [];
    this.growth = new Promise<void>((resolve) => {
      this.growthDone = resolve;
    });
    // Background slices while the event loop is idle; operations also migrate a few buckets each
    // (findOrCreateEntry), so growth completes even under a workload that never yields.
    const step = (): void => {
      // About a millisecond of migration per event-loop turn, so operations keep running.
      const deadline = performance.now() + GROWTH_SLICE_MS;
      while (this.oldTable !== undefined && performance.now() < deadline) this.migrateSlice(256);
      if (this.oldTable !== undefined) setImmediate(step);
    };
    setImmediate(step);
    return this.growth;
  }

  private finishGrowth(): void {
    this.oldTable = undefined;
    this.migrated = undefined;
    this.growths++;
    this.lastGrowthMs = performance.now() - this.growthStarted;
    const done = this.growthDone;
    this.growth = undefined;
    this.growthDone = undefined;
    done?.();
  }

  private migrateSlice(count: number): void {
    const migrated = this.migrated!;
    const oldBuckets = this.oldMask + 1;
    while (count > 0 && this.migrateCursor < oldBuckets) {
      if (migrated[this.migrateCursor] === 0) {
        this.migrateBucket(this.migrateCursor);
        count--;
      }
      this.migrateCursor++;
    }
    if (this.migrateRemaining === 0 && this.oldTable !== undefined) this.finishGrowth();
  }

  /** Moves the entries of old bucket b to new buckets b and b + oldBuckets. */
  private migrateBucket(b: number): void {
    const old = this.oldTable!;
    const oldBuckets = this.oldMask + 1;
    const splitter = this.splitter!;
    this.migrated![b] = 1;
    this.migrateRemaining--;
    let w0 = b * BUCKET_WORDS;
    for (;;) {
      for (let w = w0; w < w0 + LINK_WORD; w += 2) {
        const lo = old[w]!;
        const hi = old[w + 1]!;
        if (lo === 0 && (hi & 0xffff) === 0) continue;
        const tag = (hi >>> 16) & TAG_MASK;
        const duplicate = (hi & DUPLICATE_BIT) !== 0;
        splitter.splitChain(lo + (hi & 0xffff) * TWO_POW_32, oldBuckets);
        const low = splitter.splitLow;
        const high = splitter.splitHigh;
        // Tags are unique within an old bucket, so each new bucket gets at most one entry per tag.
        // A chain split conservatively (it continues on the device, so both new entries name the
        // same address) stays one counted chain: the high copy is marked as a duplicate.
        if (low !== 0) this.placeMigrated(b, tag, low, duplicate);
        if (high !== 0) this.placeMigrated(b + oldBuckets, tag, high, duplicate || (low !== 0 && low === high));
        if (low === 0 && high === 0 && !duplicate) this.entryCount--;
      }
      const next = old[w0 + LINK_WORD]!;
      if (next === 0) break;
      w0 = next * BUCKET_WORDS;
    }
  }

  /** The tag (14 bits of the key hash) stored in an entry. */
  entryTag(handle: number): number {
    return (this.table[handle + 1]! >>> 16) & TAG_MASK;
  }

  forEachEntry(fn: (address: number, handle: number) => void): void {
    const t = this.table;
    for (let b = 0; b < this.buckets; b++) {
      let w0 = b * BUCKET_WORDS;
      for (;;) {
        for (let w = w0; w < w0 + LINK_WORD; w += 2) {
          if (t[w] !== 0 || (t[w + 1]! & 0xffff) !== 0) fn(this.entryAddress(w), w);
        }
        const next = t[w0 + LINK_WORD]!;
        if (next === 0) break;
        w0 = next * BUCKET_WORDS;
      }
    }
  }

  /** Completes a growth in progress synchronously (before a checkpoint snapshot). */
  finishGrowthNow(): void {
    if (this.oldTable !== undefined) this.migrateSlice(Number.MAX_SAFE_INTEGER);
  }

  /**
   * Serializes the table: a 24-byte header (magic, format, buckets, overflow buckets in use,
   * chains), the used part of the table, and a CRC-32C trailer. `resolve` maps each entry's
   * address to the one to persist (read-cache copies are replaced by their main-log address).
   */
  snapshot(resolve: (address: number) => number): Uint8Array {
    this.finishGrowthNow();
    const words = this.overflowNext * BUCKET_WORDS;
    const out = new Uint8Array(24 + words * 4 + 4);
    const header = new DataView(out.buffer);
    header.setUint32(0, SNAPSHOT_MAGIC, true);
    header.setUint32(4, 1, true);
    header.setUint32(8, this.buckets, true);
    header.setUint32(12, this.overflowNext, true);
    header.setUint32(16, this.entryCount, true);
    const table = new Uint32Array(out.buffer, 24, words);
    table.set(this.table.subarray(0, words));
    for (let w = 0; w < words; w += 2) {
      if ((w & (BUCKET_WORDS - 1)) === LINK_WORD) continue;
      const address = table[w]! + (table[w + 1]! & 0xffff) * TWO_POW_32;
      if (address === 0) continue;
      const resolved = resolve(address);
      if (resolved !== address) {
        table[w] = resolved % TWO_POW_32;
        table[w + 1] = (table[w + 1]! & 0xffff0000) | (Math.floor(resolved / TWO_POW_32) & 0xffff);
      }
    }
    header.setUint32(out.length - 4, crc32c(out, 0, out.length - 4), true);
    return out;
  }

  /** Rebuilds an index from snapshot(); throws CorruptionError naming `source` on damage. */
  static fromSnapshot(bytes: Uint8Array, source: string): MemHashIndex {
    const fail = (why: string): never => {
      throw new CorruptionError(`index snapshot ${source} ${why}`, source);
    };
    if (bytes.length < 28 || bytes.length % 4 !== 0) fail(`has an invalid length ${bytes.length} (truncated?)`);
    const aligned = new Uint8Array(bytes.length);
    aligned.set(bytes);
    const view = new DataView(aligned.buffer);
    if (view.getUint32(aligned.length - 4, true) !== crc32c(aligned, 0, aligned.length - 4)) fail('failed its checksum');
    if (view.getUint32(0, true) !== SNAPSHOT_MAGIC) fail('is not an f2kv index snapshot');
    const buckets = view.getUint32(8, true);
    const overflowNext = view.getUint32(12, true);
    const words = overflowNext * BUCKET_WORDS;
    if (24 + words * 4 + 4 !== aligned.length || overflowNext < buckets) fail('has inconsistent sizes');
    const index = new MemHashIndex(buckets);
    const capacity = Math.max(index.table.length, (overflowNext + 16) * BUCKET_WORDS);
    if (capacity > index.table.length) index.table = new Uint32Array(capacity);
    index.table.set(new Uint32Array(aligned.buffer, 24, words));
    index.overflowNext = overflowNext;
    index.entryCount = view.getUint32(16, true);
    return index;
  }

  private allocateOverflow(): number {
    const reused = this.freeOverflow.pop();
    if (reused !== undefined) {
      this.table.fill(0, reused * BUCKET_WORDS, (reused + 1) * BUCKET_WORDS);
      return reused;
    }
    const capacity = this.table.length / BUCKET_WORDS;
    if (this.overflowNext >= capacity) {
      // Grow the overflow region by half (at least 1/16 of the main buckets), not the whole table:
      // growing main + overflow by 1.5× left a third of a large index unused (17 B instead of
      // 14 B per record at 100M records).
      const overflowCapacity = capacity - this.buckets;
      const grownOverflow = Math.max(Math.ceil(overflowCapacity * 1.5), overflowCapacity + Math.max(16, this.buckets >>> 4));
      const grown = new Uint32Array((this.buckets + grownOverflow) * BUCKET_WORDS);
      grown.set(this.table);
      this.table = grown;
    }
    assert(this.overflowNext < 2 ** 32, 'overflow bucket numbers fit in 32 bits');
    return this.overflowNext++;
  }

  /** Size and occupancy. */
  stats(): KvIndexStats {
    let entries = 0;
    this.forEachEntry(() => entries++);
    return {
      chains: this.entryCount,
      kind: 'mem-hash-index',
      buckets: this.buckets,
      overflowBuckets: this.overflowNext - this.buckets - this.freeOverflow.length,
      entries,
      bytes: this.table.byteLength,
    };
  }
}
