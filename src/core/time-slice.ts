/**
 * Long background passes (hot → cold migration, compaction) await promises that are often settled
 * already: the data is in memory, a write lands in a buffer. Such awaits continue as microtasks,
 * and microtasks never let the event loop run timers, I/O callbacks or incoming requests, so a
 * pass over a log in memory would be one pause of the whole service for as long as it runs.
 *
 * A TimeSlice is the pass's budget of uninterrupted time: the pass calls `due()` once per unit of
 * work and, when it answers true, awaits `pause()`, one turn of the event loop (setImmediate,
 * after pending I/O callbacks). The clock is read every CHECK_EVERY units only.
 */
const CHECK_EVERY = 32;

/** Default time a background pass runs before it lets the event loop turn. */
const DEFAULT_SLICE_MS = 4;

export class TimeSlice {
  private deadline: number;
  private units = 0;

  constructor(private readonly sliceMs: number = DEFAULT_SLICE_MS) {
    this.deadline = performance.now() + sliceMs;
  }

  /** True when the slice is used up: the caller should `await pause()` before going on. */
  due(): boolean {
    if (++this.units % CHECK_EVERY !== 0) return false;
    return performance.now() >= this.deadline;
  }

  /** True when the slice is used up, reading the clock now (for units of work that are large). */
  dueNow(): boolean {
    return performance.now() >= this.deadline;
  }

  /** Lets the event loop turn once, then starts a new slice. */
  pause(): Promise<void> {
    return new Promise((resolve) => {
      setImmediate(() => {
        this.deadline = performance.now() + this.sliceMs;
        resolve();
      });
    });
  }
}
