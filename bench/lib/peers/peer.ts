/**
 * The one interface every store in the benchmark sits behind. Operations take a key *index*;
 * each adapter turns it into its own key form (prebuilt strings for Map, bytes written into a
 * reused scratch buffer for the byte stores), so key encoding is part of what is measured only
 * where a real user would pay it too.
 *
 * Sync-capable peers return a status from the *Sync methods; PENDING means "this one needs I/O,
 * call the async method instead" (the f2kv sync path). Async-only peers are driven through the
 * async methods with one operation in flight at a time.
 */
export const HIT = 0;
export const MISS = 1;
export const PENDING = 2;

export type Status = typeof HIT | typeof MISS | typeof PENDING;

export interface PeerConfig {
  readonly records: number;
  readonly keySize: number;
  readonly valueSize: number;
  /** Scratch directory for on-disk peers (already created, removed by the harness). */
  readonly dir: string;
  readonly f2kv: F2kvConfig;
}

export interface F2kvConfig {
  readonly device: 'memory' | 'file';
  readonly memorySize: number;
  readonly pageSize: number;
  readonly buckets: number;
  readonly mutableFraction: number;
}

export interface Peer {
  /** Short name used in tables: map, lmdb, level, f2kv-sync, f2kv-async. */
  readonly name: string;
  /** True when the harness may drive it through the *Sync methods. */
  readonly sync: boolean;
  /** Settings worth printing next to the numbers (e.g. "noSync"). */
  readonly notes: readonly string[];

  /** Inserts keys [0, records) with value stamp = key index. */
  load(records: number, progress: (done: number) => void): Promise<void>;

  readSync(key: number): Status;
  updateSync(key: number, stamp: number): Status;
  rmwSync(key: number): Status;

  read(key: number): Promise<Status>;
  update(key: number, stamp: number): Promise<void>;
  rmw(key: number): Promise<void>;

  /** The value stamp stored for a key (first 4 bytes, little-endian), or -1 when absent. */
  stampOf(key: number): Promise<number>;

  /** Structural bytes the store itself accounts for (f2kv stats), when it can say. */
  structuralBytes(): number | undefined;
  /** Anything else worth keeping in the JSON (store stats, file sizes). */
  details(): Promise<Record<string, unknown>>;

  close(): Promise<void>;
}

/** Read-modify-write used by every peer: the first 4 bytes of the value are a little-endian
 *  counter incremented by one; the rest is carried over. An absent value starts at 1. */
export function applyRmw(old: Uint8Array | undefined, out: Uint8Array): void {
  if (old === undefined) {
    out.fill(0);
    out[0] = 1;
    return;
  }
  // Byte loop rather than out.set(old): lmdb's getBinaryFast returns a shared buffer whose
  // `length` is the value length but whose byteLength is 16 MiB, which TypedArray#set rejects.
  const n = Math.min(old.length, out.length);
  for (let i = 0; i < n; i++) out[i] = old[i]!;
  if (n < out.length) out.fill(0, n);
  const c = ((out[0]! | (out[1]! << 8) | (out[2]! << 16) | (out[3]! << 24)) + 1) >>> 0;
  out[0] = c & 0xff;
  out[1] = (c >>> 8) & 0xff;
  out[2] = (c >>> 16) & 0xff;
  out[3] = c >>> 24;
}

export function stampFromBytes(v: Uint8Array): number {
  if (v.length < 4) {
    let s = 0;
    for (let i = 0; i < v.length; i++) s |= v[i]! << (i * 8);
    return s >>> 0;
  }
  return (v[0]! | (v[1]! << 8) | (v[2]! << 16) | (v[3]! << 24)) >>> 0;
}

/** Expected stamp after writeValue(stamp): the low min(4, size) bytes of stamp. */
export function expectedStamp(stamp: number, valueSize: number): number {
  return valueSize >= 4 ? stamp >>> 0 : (stamp & ((1 << (valueSize * 8)) - 1)) >>> 0;
}
