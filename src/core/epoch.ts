/**
 * Epoch protection for asynchronous operations on one thread.
 *
 * JavaScript runs one operation at a time, but operations overlap across `await`s. An operation
 * that may touch shared memory across an await (a log scan yielding in-memory records, a pending
 * operation holding a page view) protects itself: `const e = epoch.protect()` … `epoch.release(e)`.
 * `bumpWithAction(action)` advances the epoch and runs `action` once every operation that was
 * protected before the bump has released — this is how the hybrid log knows that an evicted
 * page's frame can be recycled.
 */
import { assert } from './errors.js';

interface DrainAction {
  readonly epoch: number;
  readonly action: () => void;
}

export class LightEpoch {
  private currentEpoch = 1;
  /** Number of protected operations per epoch. */
  private readonly active = new Map<number, number>();
  private readonly drainList: DrainAction[] = [];

  get current(): number {
    return this.currentEpoch;
  }

  protect(): number {
    const e = this.currentEpoch;
    this.active.set(e, (this.active.get(e) ?? 0) + 1);
    return e;
  }

  release(epoch: number): void {
    const count = this.active.get(epoch);
    assert(count !== undefined && count > 0, `epoch ${epoch} released more often than protected`);
    if (count === 1) this.active.delete(epoch);
    else this.active.set(epoch, count - 1);
    if (this.drainList.length > 0) this.drain();
  }

  /** The largest epoch E such that no operation protected at an epoch <= E is still running. */
  safeEpoch(): number {
    let min = this.currentEpoch;
    for (const e of this.active.keys()) if (e < min) min = e;
    return min - 1;
  }

  /** Advances the epoch; `action` runs when all operations protected before this call have released. */
  bumpWithAction(action: () => void): void {
    const e = this.currentEpoch++;
    this.drainList.push({ epoch: e, action });
    this.drain();
  }

  get pendingActions(): number {
    return this.drainList.length;
  }

  get protectedOperations(): number {
    let n = 0;
    for (const c of this.active.values()) n += c;
    return n;
  }

  private drain(): void {
    const safe = this.safeEpoch();
    let i = 0;
    while (i < this.drainList.length && this.drainList[i]!.epoch <= safe) i++;
    if (i === 0) return;
    const ready = this.drainList.splice(0, i);
    for (const d of ready) d.action();
  }
}
