import { assert } from '../core/errors.js';

/** A counting semaphore bounding concurrent requests. FIFO, no starvation. */
export class Semaphore {
  private available: number;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly permits: number) {
    assert(Number.isSafeInteger(permits) && permits >= 1, `semaphore permits must be ≥ 1, got ${permits}`);
    this.available = permits;
  }

  async acquire(): Promise<void> {
    if (this.available > 0) {
      this.available--;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else {
      this.available++;
      assert(this.available <= this.permits, 'semaphore released more often than acquired');
    }
  }

  async with<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  get inUse(): number {
    return this.permits - this.available;
  }
}
