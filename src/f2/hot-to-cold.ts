/**
 * Hot → cold migration: F2's compaction of the hot log. For each record of [begin, until) it asks
 * the hot index whether the record is still the newest version of its key (a lookup along the
 * chain with key comparison, following it onto the hot device when needed — never the chain head
 * alone), and copies live values **and tombstones** into the cold store. Only then does the hot
 * log's begin move, so a read or RMW that raced the truncation searches again and finds the
 * record in cold. Records of a version lost in a crash (CPR discard ranges) are skipped.
 *
 * F2 checkpoints pause the migrator from the hot tier's version switch until the cold tier has
 * captured: no pass starts in between, so the cold part of a checkpoint never holds a record
 * written after the switch (one that its hot part does not cover); a pass that was already
 * running holds only older records and moves begin only after the hot capture.
 */
import { READ_CACHE_BIT } from '../core/address.js';
import { componentLogger } from '../core/logger.js';
import type { ColdKv } from '../cold/cold-kv.js';
import type { CompactionResult } from '../kv/compaction.js';
import type { KvEngine } from '../kv/kv-engine.js';
import type { KvIndex } from '../kv/kv-index.js';
import { scanLog } from '../log/log-scanner.js';

const log = componentLogger('hot-to-cold');
/** Records of one pass migrating at the same time (each one: a hot lookup, then a cold append and slot update). */
const MIGRATION_CONCURRENCY = 32;

/** Hot → cold migration so far (`F2Kv.stats().hotToCold`). */
export interface MigrationStats {
  /** Migration passes run (each moves the hot log's begin). */
  passes: number;
  /** Hot log records read by the passes. */
  recordsScanned: number;
  /** Live values copied into the cold tier. */
  recordsMoved: number;
  /** Tombstones copied into the cold tier (they must shadow older cold versions). */
  tombstonesMoved: number;
  /** Hot log bytes below the new begin (freed on the hot device). */
  bytesReclaimed: number;
  /** The longest pass, in milliseconds. */
  longestPassMs: number;
  /** Hot index entries freed because their chains moved to cold. */
  entriesReleased: number;
}

export class HotToColdMigrator {
  readonly stats: MigrationStats = {
    passes: 0, recordsScanned: 0, recordsMoved: 0, tombstonesMoved: 0, bytesReclaimed: 0, longestPassMs: 0, entriesReleased: 0,
  };
  private paused: Promise<void> | undefined;
  private resume: (() => void) | undefined;

  constructor(
    private readonly hot: KvEngine<KvIndex>,
    private readonly cold: ColdKv,
  ) {}

  /** Migrates [begin, until) of the hot log (called through the hot engine's compact()). */
  async migrate(until: number): Promise<CompactionResult> {
    while (this.paused) await this.paused;
    return this.pass(until);
  }

  /**
   * Holds back passes that have not started yet (synchronously: an F2 checkpoint calls it in the
   * same step as the hot tier's version switch). A pass already running goes on: its range was
   * fixed before the switch, so it holds only records the hot checkpoint covers, and it moves
   * begin only after the hot checkpoint has captured.
   */
  pause(): void {
    if (this.paused) return;
    this.paused = new Promise<void>((resolve) => {
      this.resume = resolve;
    });
  }

  /** Lets migration continue after pause(). */
  unpause(): void {
    const r = this.resume;
    this.paused = undefined;
    this.resume = undefined;
    r?.();
  }

  /**
   * Frees the hot index entries whose whole chain now lies below begin: every record they led to
   * is in cold, so the key is found there, and the slot can serve a key of the hot set instead of
   * keeping the index as large as the whole key set. A read-cache copy in front of a chain stays
   * (it is a valid copy). Operations that saw such an entry find it changed and retry.
   */
  private releaseEntries(begin: number): void {
    const index = this.hot.index;
    if (index.growing === true) return;
    const released: number[] = [];
    index.forEachEntry((address, handle) => {
      if (address < READ_CACHE_BIT && address < begin) released.push(handle);
    });
    for (const handle of released) index.setEntryAddress(handle, 0);
    this.stats.entriesReleased += released.length;
  }

  private async pass(until: number): Promise<CompactionResult> {
    const started = performance.now();
    const hot = this.hot;
    const hlog = hot.hlog;
    const from = hlog.beginAddress;
    const boundary = Math.min(until, hlog.readOnlyAddress);
    const result: CompactionResult = {
      mode: 'lookup', fromAddress: from, untilAddress: boundary, newBeginAddress: from, recordsScanned: 0, recordsCopied: 0,
      tombstonesDropped: 0, bytesReclaimed: 0, durationMs: 0,
    };
    if (boundary <= from) return result;
    let tombstones = 0;
    // Records migrate MIGRATION_CONCURRENCY at a time: a live record is its key's only live
    // version in the range, so the copies in flight are of distinct keys and commute.
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    const migrateOne = async (key: Uint8Array, value: Uint8Array | undefined, tombstone: boolean, address: number): Promise<void> => {
      if ((await hot.latestAddress(key)) !== address) return;
      await this.cold.put(key, tombstone ? undefined : value);
      result.recordsCopied++;
      if (tombstone) tombstones++;
    };
    for await (const r of scanLog(hlog, from, boundary)) {
      hot.throwIfClosed();
      if (failure !== undefined) break;
      result.recordsScanned++;
      if (r.address < hot.discardBelow && hot.isDiscarded(r.address, r.flags)) continue;
      const p: Promise<void> = migrateOne(r.key, r.value, r.tombstone, r.address).then(
        () => void inFlight.delete(p),
        (err: unknown) => {
          inFlight.delete(p);
          failure ??= err;
        },
      );
      inFlight.add(p);
      if (inFlight.size >= MIGRATION_CONCURRENCY) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    // Copies made after a hot checkpoint's version switch must not let begin pass what that
    // checkpoint captures; F2 pauses migration around its checkpoints, this guards FasterKv's own.
    await hot.checkpointCaptured();
    if (boundary > hlog.beginAddress) await hlog.shiftBegin(boundary, Math.min(boundary, hot.truncationLimit()));
    result.newBeginAddress = hlog.beginAddress;
    this.releaseEntries(hlog.beginAddress);
    result.bytesReclaimed = boundary - from;
    result.durationMs = performance.now() - started;
    const s = this.stats;
    s.passes++;
    s.recordsScanned += result.recordsScanned;
    s.recordsMoved += result.recordsCopied;
    s.tombstonesMoved += tombstones;
    s.bytesReclaimed += result.bytesReclaimed;
    s.longestPassMs = Math.max(s.longestPassMs, result.durationMs);
    hot.compactionStats.passes++;
    hot.compactionStats.recordsCopied += result.recordsCopied;
    hot.compactionStats.bytesReclaimed += result.bytesReclaimed;
    log.debug({ ...result, tombstones }, 'hot → cold pass done');
    return result;
  }
}
