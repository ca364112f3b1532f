/**
 * MemHashIndex: the hot tier's in-memory hash index.
 *
 * One Uint32Array holds the main buckets followed by overflow buckets. A bucket is 16 words
 * (64 bytes, one cache line): seven entries of two words and an overflow link.
 *
 *   entry word 0: address, low 32 bits
 *   entry word 1: address, high 16 bits | tag << 16 (14 bits)
 *   link  word 14: bucket number of the overflow bucket (0 = none); word 15 unused
 *
 * An entry whose address is 0 is empty. Records whose keys share (bucket, tag) form one chain,
 * linked through each record's previous address; the entry names the newest.
 */
import { TWO_POW_32 } from '../core/address.js';
import { assert, ConfigError } from '../core/errors.js';
import { TAG_MASK } from '../core/key-hash.js';
import { INDEX_NOT_FOUND, type KvIndex, type KvIndexStats } from '../kv/kv-index.js';

export const BUCKET_WORDS = 16;
export const ENTRIES_PER_BUCKET = 7;
const LINK_WORD = 14;

export class MemHashIndex implements KvIndex {
  /** Main buckets then overflow buckets. */
  table: Uint32Array;
  buckets: number;
  private mask: number;
  /** Bucket number of the next unused overflow bucket. */
  private overflowNext: number;
  private freeOverflow: number[] = [];

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
    const found = this.findEntry(hash, tag);
    if (found >= 0) return found;
    let t = this.table;
    let b = (hash & this.mask) * BUCKET_WORDS;
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

  findEntryAsync(hash: number, tag: number): Promise<number> {
    return Promise.resolve(this.findEntry(hash, tag));
  }

  findOrCreateEntryAsync(hash: number, tag: number): Promise<number> {
    return Promise.resolve(this.findOrCreateEntry(hash, tag));
  }

  entryAddress(handle: number): number {
    return this.table[handle]! + (this.table[handle + 1]! & 0xffff) * TWO_POW_32;
  }

  setEntryAddress(handle: number, address: number): void {
    const t = this.table;
    t[handle] = address % TWO_POW_32;
    t[handle + 1] = (t[handle + 1]! & 0xffff0000) | (Math.floor(address / TWO_POW_32) & 0xffff);
  }

  /** Empties an entry (its tag is forgotten too). */
  clearEntry(handle: number): void {
    this.table[handle] = 0;
    this.table[handle + 1] = 0;
  }

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

  private allocateOverflow(): number {
    const reused = this.freeOverflow.pop();
    if (reused !== undefined) {
      this.table.fill(0, reused * BUCKET_WORDS, (reused + 1) * BUCKET_WORDS);
      return reused;
    }
    const capacity = this.table.length / BUCKET_WORDS;
    if (this.overflowNext >= capacity) {
      const grown = new Uint32Array(Math.ceil(capacity * 1.5) * BUCKET_WORDS);
      grown.set(this.table);
      this.table = grown;
    }
    assert(this.overflowNext < 2 ** 32, 'overflow bucket numbers fit in 32 bits');
    return this.overflowNext++;
  }

  stats(): KvIndexStats {
    let entries = 0;
    this.forEachEntry(() => entries++);
    return {
      kind: 'mem-hash-index',
      buckets: this.buckets,
      overflowBuckets: this.overflowNext - this.buckets - this.freeOverflow.length,
      entries,
      bytes: this.table.byteLength,
    };
  }
}
