/**
 * The index a FasterKv is generic over. It maps (hash, tag) to the address of the newest record
 * of a hash chain. Entries are named by an opaque non-negative handle that stays valid until the
 * next call that may restructure the index (findOrCreateEntry, growth).
 *
 * The hot tier's MemHashIndex answers every call in memory. An index whose own lookups may need
 * I/O (the cold tier's two-level index) returns INDEX_PENDING from the synchronous calls and
 * completes through the async variants.
 */
export const INDEX_NOT_FOUND = -1;
export const INDEX_PENDING = -2;

export interface KvIndexStats {
  kind: string;
  buckets: number;
  overflowBuckets: number;
  entries: number;
  /** Distinct chains (an entry split conservatively into two buckets counts once); drives growth. */
  chains?: number;
  bytes: number;
}

export interface KvIndex {
  /** Handle of the entry for (hash, tag), INDEX_NOT_FOUND, or INDEX_PENDING. */
  findEntry(hash: number, tag: number): number;
  /** Handle of the entry for (hash, tag), creating an empty one if absent, or INDEX_PENDING. */
  findOrCreateEntry(hash: number, tag: number): number;
  findEntryAsync(hash: number, tag: number): Promise<number>;
  findOrCreateEntryAsync(hash: number, tag: number): Promise<number>;
  entryAddress(handle: number): number;
  setEntryAddress(handle: number, address: number): void;
  /** Calls fn(address) for every non-empty entry (recovery, read-cache unlinking, stats). */
  forEachEntry(fn: (address: number, handle: number) => void): void;
  stats(): KvIndexStats;
}
