/**
 * Log compaction, lookup-based (FASTER's approach): scan [begin, until) and, for each record,
 * conditionally insert it at the tail — the insert happens only if no newer version of its key
 * exists above the record's address. Shadowed records are dropped; so are tombstones, whose older
 * versions all lie in the compacted range. Then begin moves to `until` and the device frees the
 * space below it (never past the store's truncation limit, which protects what the newest durable
 * checkpoint needs).
 *
 * 'scan' mode first collects the newest version of each key in the range (one map entry per
 * distinct key in the range), so that only those are checked against the rest of the log.
 */
import { CompactionRangeError } from '../core/errors.js';
import { componentLogger } from '../core/logger.js';
import { TimeSlice } from '../core/time-slice.js';
import { scanLog, type ScanRecord } from '../log/log-scanner.js';
import type { KvEngine } from './kv-engine.js';
import type { KvIndex } from './kv-index.js';

/** How compaction decides liveness: 'lookup' looks each record's key up in the index (conditional insert per record); 'scan' first dedupes the range by scanning it. */
export type CompactionMode = 'lookup' | 'scan';

/** Outcome of one compaction pass (FasterKv.compact). */
export interface CompactionResult {
  /** The mode the pass used. */
  mode: CompactionMode;
  /** The begin address when the pass started. */
  fromAddress: number;
  /** End of the compacted range [fromAddress, untilAddress). */
  untilAddress: number;
  /** Begin address after the pass (below untilAddress when a checkpoint still needs the log). */
  newBeginAddress: number;
  /** Records read in the range. */
  recordsScanned: number;
  /** Live records copied to the tail. */
  recordsCopied: number;
  /** Tombstones dropped instead of copied to the tail. */
  tombstonesDropped: number;
  /** Log bytes freed below the new begin address. */
  bytesReclaimed: number;
  /** Wall-clock duration of the pass in milliseconds. */
  durationMs: number;
}

const log = componentLogger('compaction');

/** The address compaction will really stop at: `until` rounded down to a page boundary, or readOnly. */
export function compactionBoundary(store: KvEngine<KvIndex>, until: number): number {
  const hlog = store.hlog;
  if (!Number.isSafeInteger(until)) throw new CompactionRangeError(`compaction address must be an integer, got ${until}`);
  if (until > hlog.readOnlyAddress) {
    throw new CompactionRangeError(
      `cannot compact until ${until}: it is beyond the safe read-only address ${hlog.readOnlyAddress} ` +
        '(records above it may still change in place); pick an address at or below it',
    );
  }
  const boundary = until === hlog.readOnlyAddress ? until : Math.floor(until / hlog.pageSize) * hlog.pageSize;
  if (boundary <= hlog.beginAddress) {
    throw new CompactionRangeError(
      `cannot compact until ${until}: compaction works on whole pages (${hlog.pageSize} bytes) above ` +
        `begin ${hlog.beginAddress}, and ${until} rounds down to ${boundary}`,
    );
  }
  return boundary;
}

export async function compactLog(
  store: KvEngine<KvIndex>,
  until: number,
  mode: CompactionMode,
  keepTombstones: boolean,
): Promise<CompactionResult> {
  const started = performance.now();
  const hlog = store.hlog;
  const from = hlog.beginAddress;
  if (until <= from) return emptyResult(mode, from);
  const boundary = compactionBoundary(store, until);
  let scanned = 0;
  let copied = 0;
  let dropped = 0;
  const consider = async (r: ScanRecord): Promise<void> => {
    if (r.address < store.discardBelow && store.isDiscarded(r.address, r.flags)) return;
    if (r.tombstone && !keepTombstones) {
      dropped++;
      return;
    }
    if (await store.conditionalInsert(r.key, r.value, r.address)) copied++;
  };
  if (mode === 'lookup') {
    for await (const r of scanLog(hlog, from, boundary)) {
      scanned++;
      await consider(r);
    }
  } else {
    const newest = new Map<string, ScanRecord>();
    for await (const r of scanLog(hlog, from, boundary)) {
      scanned++;
      newest.set(Buffer.from(r.key.buffer, r.key.byteOffset, r.key.byteLength).toString('latin1'), r);
    }
    const slice = new TimeSlice();
    for (const r of newest.values()) {
      if (slice.due()) await slice.pause();
      await consider(r);
    }
  }
  // Copies made after a checkpoint's version switch belong to the next version and are not in
  // that checkpoint: begin may move only once the checkpoint has captured its (older) begin.
  await store.checkpointCaptured();
  const reclaimed = Math.max(0, boundary - hlog.beginAddress);
  if (boundary > hlog.beginAddress) await hlog.shiftBegin(boundary, Math.min(boundary, store.truncationLimit()));
  store.compactionStats.passes++;
  store.compactionStats.recordsCopied += copied;
  store.compactionStats.bytesReclaimed += reclaimed;
  const result: CompactionResult = {
    mode,
    fromAddress: from,
    untilAddress: boundary,
    newBeginAddress: hlog.beginAddress,
    recordsScanned: scanned,
    recordsCopied: copied,
    tombstonesDropped: dropped,
    bytesReclaimed: reclaimed,
    durationMs: performance.now() - started,
  };
  log.debug(result, 'compaction pass done');
  return result;
}

function emptyResult(mode: CompactionMode, begin: number): CompactionResult {
  return {
    mode, fromAddress: begin, untilAddress: begin, newBeginAddress: begin, recordsScanned: 0, recordsCopied: 0,
    tombstonesDropped: 0, bytesReclaimed: 0, durationMs: 0,
  };
}
