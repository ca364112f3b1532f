/**
 * Memory snapshots after a full garbage collection. Run node with --expose-gc (the YCSB parent
 * passes it to every child); without it the numbers include garbage and are marked as such.
 */
export interface MemorySnapshot {
  /** Resident set size: everything the process holds in RAM, incl. native heaps and touched mmaps. */
  readonly rss: number;
  readonly heapUsed: number;
  /** Memory of C++ objects bound to JS, incl. ArrayBuffer backing stores (arrayBuffers ⊂ external). */
  readonly external: number;
  readonly arrayBuffers: number;
  readonly gcExposed: boolean;
}

export function fullGc(): boolean {
  const gc = globalThis.gc;
  if (gc === undefined) return false;
  for (let i = 0; i < 3; i++) gc();
  return true;
}

export function snapshot(): MemorySnapshot {
  const gcExposed = fullGc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, gcExposed };
}

export interface MemoryDelta {
  /** RSS growth per record. */
  readonly rssPerRecord: number;
  /** (heapUsed + external) growth per record: JS heap plus ArrayBuffers and native allocations V8 knows of. */
  readonly heapExternalPerRecord: number;
  readonly before: MemorySnapshot;
  readonly after: MemorySnapshot;
}

export function delta(before: MemorySnapshot, after: MemorySnapshot, records: number): MemoryDelta {
  return {
    rssPerRecord: (after.rss - before.rss) / records,
    heapExternalPerRecord: (after.heapUsed + after.external - before.heapUsed - before.external) / records,
    before,
    after,
  };
}
