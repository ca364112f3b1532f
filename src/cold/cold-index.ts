/**
 * ColdIndex: FASTER's two-level hash index for the cold tier.
 *
 * Level two is an array of **hash chunks**: fixed arrays of `chunkSlots` slots of 8 bytes, each
 * slot the address (48 bits, little-endian) of the newest cold-log record of the keys that hash
 * to it; older records and other keys of the slot chain through the records' previous-address
 * links, as in the hot tier. A key's hash picks its slot (low bits) and its chunk (the next bits).
 *
 * The chunks are records of an inner store (a KvEngine over a MemHashIndex, keyed by the 8-byte
 * chunk id) whose log lives on object storage under its own prefix. Level one, the **table**, is
 * that inner store's hash index: 64-byte buckets of 7 entries, each entry naming the newest
 * version of one chunk (the tag tells the chunks of a bucket apart). Its memory is the only
 * per-key cost in memory: with one slot per expected key and four chunks per bucket it is
 * 64 / (4 × chunkSlots) bytes per key (0.5 B with 32-slot chunks).
 *
 * The inner store's memory (mutable log pages + read cache) is the **chunk cache**: a lookup whose
 * chunk is there costs nothing; one whose chunk is not costs one ranged GET (then the chunk is
 * cached). Updates are read-modify-writes of the chunk: in place while the chunk is in the inner
 * log's mutable region, a copy to the tail (RCU) otherwise. Concurrent updates of one chunk never
 * lose each other's slots: the inner RMW always applies to the newest version of the chunk, and
 * a slot is changed only by compare-and-set (the caller retries on a lost race).
 *
 * The inner store compacts its own log (a chunk is live when the inner index names it), so the
 * chunk log stays proportional to the number of chunks however often they are rewritten.
 */
import { TWO_POW_32 } from '../core/address.js';
import { hashKey } from '../core/key-hash.js';
import { PENDING, type KvEngine } from '../kv/kv-engine.js';
import { PENDING_CODE, type Session } from '../kv/session.js';
import type { MemHashIndex } from '../hot/mem-hash-index.js';
import { CHUNK_KEY_BYTES } from './cold-options.js';

/** headSync's answer when the chunk is not in memory. */
export const CHUNK_PENDING = -2;

/** What the cold index holds and how its lookups went (`ColdKv.stats().index`). */
export interface ColdIndexStats {
  /** Hash chunks of the index (level two, on object storage). */
  chunks: number;
  /** Slots per chunk (8 bytes each). */
  chunkSlots: number;
  /** Lookups whose chunk was in memory. */
  chunkHits: number;
  /** Lookups whose chunk had to be read from object storage. */
  chunkMisses: number;
  /** chunkHits / (chunkHits + chunkMisses); 0 before the first lookup. */
  chunkHitRatio: number;
  /** Slot updates (a cold write linking its record). */
  slotUpdates: number;
  /** Compare-and-sets of a slot that lost a race (the caller retried). */
  casFailures: number;
  /** Bytes of the table (level one, in memory). */
  tableBytes: number;
  /** Memory of the chunk cache (chunk log pages allocated + read cache). */
  chunkCacheBytes: number;
  /** Bytes of chunk log between begin and tail. */
  chunkLogBytes: number;
  /** Compaction passes of the chunk log. */
  chunkLogCompactions: number;
  /** Object-store reads of chunks (each one GET). */
  chunkReads: number;
}

/** What a checkpoint of the index holds. */
export interface ColdIndexCapture {
  table: Uint8Array;
  buckets: number;
  beginAddress: number;
  finalAddress: number;
}

export class ColdIndex {
  readonly chunks: number;
  readonly chunkSlots: number;
  private readonly slotMask: number;
  private readonly slotShift: number;
  private readonly chunkMask: number;
  private readonly session: Session;
  private readonly keyScratch = new Uint8Array(CHUNK_KEY_BYTES);
  private readonly chunkScratch: Uint8Array;
  private hits = 0;
  private misses = 0;
  private updates = 0;
  private casFailures = 0;

  constructor(
    /** The chunk store. */
    readonly store: KvEngine<MemHashIndex>,
    chunks: number,
    chunkSlots: number,
  ) {
    this.chunks = chunks;
    this.chunkSlots = chunkSlots;
    this.slotMask = chunkSlots - 1;
    this.slotShift = Math.log2(chunkSlots);
    this.chunkMask = chunks - 1;
    this.chunkScratch = new Uint8Array(chunkSlots * 8);
    this.session = store.startSession('cold-index');
  }

  /** Hash of a key as the cold index uses it (the hot tier's key hash). */
  static hash(key: Uint8Array): number {
    return hashKey(key, key.length) >>> 0;
  }

  private slotOf(hash: number): number {
    return hash & this.slotMask;
  }

  private chunkOf(hash: number): number {
    return (hash >>> this.slotShift) & this.chunkMask;
  }

  private writeChunkKey(out: Uint8Array, chunk: number): Uint8Array {
    out[0] = chunk & 0xff;
    out[1] = (chunk >>> 8) & 0xff;
    out[2] = (chunk >>> 16) & 0xff;
    out[3] = chunk >>> 24;
    return out;
  }

  /**
   * The newest record address of the hash's slot chain (0 when empty), or CHUNK_PENDING when its
   * chunk is not in memory (then use head()).
   */
  headSync(hash: number): number {
    const n = this.session.readInto(this.writeChunkKey(this.keyScratch, this.chunkOf(hash)), this.chunkScratch);
    if (n === PENDING_CODE) return CHUNK_PENDING;
    this.hits++;
    return n < 0 ? 0 : readSlot(this.chunkScratch, this.slotOf(hash));
  }

  /** The newest record address of the hash's slot chain, 0 when empty (reads the chunk if needed). */
  async head(hash: number, counter?: { chunkGets?: number }): Promise<number> {
    const fast = this.headSync(hash);
    if (fast !== CHUNK_PENDING) return fast;
    this.misses++;
    if (counter) counter.chunkGets = (counter.chunkGets ?? 0) + 1;
    const chunk = await this.session.read(this.writeChunkKey(new Uint8Array(CHUNK_KEY_BYTES), this.chunkOf(hash)));
    return chunk === undefined ? 0 : readSlot(chunk, this.slotOf(hash));
  }

  /**
   * Sets the slot of `hash` to `next` if it still holds `expected`. Resolves true when set, false
   * when another update got there first (re-read the head and retry).
   */
  async compareAndSet(hash: number, expected: number, next: number): Promise<boolean> {
    const fast = this.compareAndSetSync(hash, expected, next);
    if (fast !== PENDING) return fast;
    this.misses++;
    const slot = this.slotOf(hash);
    let swapped = false;
    await this.session.rmw(this.writeChunkKey(new Uint8Array(CHUNK_KEY_BYTES), this.chunkOf(hash)), (old) => {
      const r = this.applyCas(old, slot, expected, next);
      swapped = r.swapped;
      return r.chunk;
    });
    if (swapped) this.updates++;
    else this.casFailures++;
    return swapped;
  }

  /** compareAndSet in memory: true, false, or PENDING when the chunk is not in memory (nothing changed). */
  compareAndSetSync(hash: number, expected: number, next: number): boolean | typeof PENDING {
    const current = this.headSync(hash);
    if (current === CHUNK_PENDING) return PENDING;
    if (current !== expected) {
      this.casFailures++;
      return false;
    }
    const slot = this.slotOf(hash);
    let swapped = false;
    const r = this.session.rmwSync(this.writeChunkKey(this.keyScratch, this.chunkOf(hash)), (old) => {
      const out = this.applyCas(old, slot, expected, next);
      swapped = out.swapped;
      return out.chunk;
    });
    if (r === PENDING) return PENDING;
    if (swapped) this.updates++;
    else this.casFailures++;
    return swapped;
  }

  private applyCas(old: Uint8Array | undefined, slot: number, expected: number, next: number): { chunk: Uint8Array; swapped: boolean } {
    const chunk = old ?? new Uint8Array(this.chunkSlots * 8);
    if (readSlot(chunk, slot) !== expected) return { chunk, swapped: false };
    writeSlot(chunk, slot, next);
    return { chunk, swapped: true };
  }

  /**
   * Captures the index for a checkpoint, synchronously: the table and the chunk log's extent.
   * The chunk log's read-only boundary moves to its tail, so no captured chunk changes in place
   * afterwards; the caller flushes the chunk log up to `finalAddress`.
   */
  capture(): ColdIndexCapture {
    const store = this.store;
    const final = store.hlog.tailAddress;
    store.hlog.shiftReadOnly(final);
    const table = store.index.snapshot((address) => store.chainStart(address));
    return { table, buckets: store.index.buckets, beginAddress: store.hlog.beginAddress, finalAddress: final };
  }

  stats(): ColdIndexStats {
    const s = this.store.stats();
    const lookups = this.hits + this.misses;
    return {
      chunks: this.chunks,
      chunkSlots: this.chunkSlots,
      chunkHits: this.hits,
      chunkMisses: this.misses,
      chunkHitRatio: lookups === 0 ? 0 : this.hits / lookups,
      slotUpdates: this.updates,
      casFailures: this.casFailures,
      tableBytes: s.index.bytes,
      chunkCacheBytes: s.log.memoryBytes + (s.readCache?.memoryBytes ?? 0),
      chunkLogBytes: s.log.tailAddress - s.log.beginAddress,
      chunkLogCompactions: s.compaction.passes,
      chunkReads: s.log.deviceReads,
    };
  }

  async close(): Promise<void> {
    this.session.end();
    await this.store.close();
  }
}

function readSlot(chunk: Uint8Array, slot: number): number {
  const o = slot * 8;
  const lo = (chunk[o]! | (chunk[o + 1]! << 8) | (chunk[o + 2]! << 16) | (chunk[o + 3]! << 24)) >>> 0;
  const hi = chunk[o + 4]! | (chunk[o + 5]! << 8);
  return lo + hi * TWO_POW_32;
}

function writeSlot(chunk: Uint8Array, slot: number, address: number): void {
  const o = slot * 8;
  const lo = address % TWO_POW_32;
  const hi = Math.floor(address / TWO_POW_32);
  chunk[o] = lo & 0xff;
  chunk[o + 1] = (lo >>> 8) & 0xff;
  chunk[o + 2] = (lo >>> 16) & 0xff;
  chunk[o + 3] = lo >>> 24;
  chunk[o + 4] = hi & 0xff;
  chunk[o + 5] = (hi >>> 8) & 0xff;
  chunk[o + 6] = 0;
  chunk[o + 7] = 0;
}
