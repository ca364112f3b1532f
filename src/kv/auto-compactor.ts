/**
 * Automatic compaction on a log-size budget: when the log (tail − begin) grows past
 * triggerFraction × maxLogSize, one background pass compacts compactFraction of the log from
 * begin (at most maxBytesPerPass). Passes never overlap and run between operations (the store
 * keeps serving); close() stops them.
 */
import { componentLogger } from '../core/logger.js';
import type { KvEngine } from './kv-engine.js';
import type { KvIndex } from './kv-index.js';
import type { ResolvedOptions } from './options.js';

export class AutoCompactor {
  private running = false;
  private waiters: (() => void)[] = [];
  private stopped = false;
  private appends = 0;
  private readonly log = componentLogger('auto-compactor');

  constructor(
    private readonly store: KvEngine<KvIndex>,
    private readonly options: ResolvedOptions['compaction'],
  ) {}

  /** Cheap check on the append path; every 256 appends it looks at the log size. */
  onAppend(): void {
    if ((++this.appends & 255) !== 0 || this.running || this.stopped) return;
    const hlog = this.store.hlog;
    if (hlog.tailAddress - hlog.beginAddress < this.options.triggerFraction * this.options.maxLogSize) return;
    this.running = true;
    setImmediate(() => {
      this.pass().finally(() => {
        this.running = false;
        this.release();
      });
    });
  }

  /**
   * True while a pass runs and the log is over its budget: writers then wait for the pass
   * (backpressure), so a writer that never yields cannot outrun compaction. When a pass ends,
   * writers proceed even if the live data alone exceeds the budget.
   */
  shouldThrottle(): boolean {
    const hlog = this.store.hlog;
    // Never while a checkpoint drains its version: the pass may be waiting for that checkpoint.
    return this.running && hlog.tailAddress - hlog.beginAddress > this.options.maxLogSize && !this.store.checkpointSwitching;
  }

  /** Resolves when the running pass ends, or earlier when release() is called. */
  whenPassDone(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Wakes every throttled writer (the pass ended, or a checkpoint switched versions). */
  release(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  private async pass(): Promise<void> {
    if (this.stopped || this.store.isClosed) return;
    const hlog = this.store.hlog;
    const size = hlog.tailAddress - hlog.beginAddress;
    const bytes = Math.min(size * this.options.compactFraction, this.options.maxBytesPerPass);
    let until = Math.floor((hlog.beginAddress + bytes) / hlog.pageSize) * hlog.pageSize;
    if (until <= hlog.beginAddress) until = (hlog.pageOf(hlog.beginAddress) + 1) * hlog.pageSize;
    // Make the range immutable first (records there are then updated by copy, not in place).
    if (until > hlog.readOnlyAddress) hlog.shiftReadOnly(until);
    if (until > hlog.readOnlyAddress) return;
    try {
      const r = await this.store.compact(until);
      this.log.debug({ ...r }, 'automatic compaction pass');
    } catch (err) {
      if (!this.store.isClosed) this.log.error({ err }, 'automatic compaction failed');
    }
  }

  stop(): void {
    this.stopped = true;
    this.release();
  }
}
