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

/** Size and occupancy of a hash index (KvEngineStats.index). */
export interface KvIndexStats {
  /** Which index implementation, e.g. "mem-hash-index". */
  kind: string;
  /** Main hash buckets. */
  buckets: number;
  /** Overflow buckets allocated for full main buckets. */
  overflowBuckets: number;
  /** Entries in use. */
  entries: number;
  /** Distinct chains (an entry split conservatively into two buckets counts once); drives growth. */
  chains?: number;
  /** Memory used by the index, in bytes. */
  bytes: number;
}

/**
 * Splits a chain for index growth: given the chain's newest address and the hash bit that
 * separates the two new buckets, reports the newest address of the chain's records whose hash
 * has that bit clear (`splitLow`) and set (`splitHigh`), 0 when there is none. A chain that
 * continues on the device before both are found gives its device address to the undetermined
 * side (chains are followed by key comparison, so an entry naming records of both buckets is
 * still correct). The engine implements it; an index that grows calls it.
 */
export interface ChainSplitter {
  splitChain(address: number, bit: number): void;
  splitLow: number;
  splitHigh: number;
}

/** The hash index a store's engine is generic over: maps (hash, tag) to the address of the newest record of a hash chain, through opaque entry handles. MemHashIndex is the hot tier's implementation. */
export interface KvIndex {
  /** Buckets of the table (the size a checkpoint records). */
  readonly buckets: number;
  /** Handle of the entry for (hash, tag), INDEX_NOT_FOUND, or INDEX_PENDING. */
  findEntry(hash: number, tag: number): number;
  /** Handle of the entry for (hash, tag), creating an empty one if absent, or INDEX_PENDING. */
  findOrCreateEntry(hash: number, tag: number): number;
  /** Async findEntry, for an index whose lookups may need I/O. */
  findEntryAsync(hash: number, tag: number): Promise<number>;
  /** Async findOrCreateEntry, for an index whose lookups may need I/O. */
  findOrCreateEntryAsync(hash: number, tag: number): Promise<number>;
  /** Address of the newest record of the entry's chain (0 for an empty entry). */
  entryAddress(handle: number): number;
  /** Points the entry at address. */
  setEntryAddress(handle: number, address: number): void;
  /** Calls fn(address) for every non-empty entry (recovery, read-cache unlinking, stats). */
  forEachEntry(fn: (address: number, handle: number) => void): void;
  /** Size and occupancy. */
  stats(): KvIndexStats;

  // Optional capabilities (the hot tier's MemHashIndex has them all).
  /** Set by the engine so that growth can split chains. */
  splitter?: ChainSplitter | undefined;
  /** Doubles the table while operations continue. */
  grow?(): Promise<void>;
  /** True while a growth (doubling) is in progress. */
  readonly growing?: boolean;
  /** Chains per entry slot: drives automatic growth. */
  readonly load?: number;
  /** Doublings completed. */
  readonly growths?: number;
  /** Duration of the last doubling in milliseconds. */
  readonly lastGrowthMs?: number;
  /** Serializes the table for a checkpoint; `resolve` maps each entry address to the one to persist. */
  snapshot?(resolve: (address: number) => number): Uint8Array;
}
