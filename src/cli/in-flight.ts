/**
 * Bounds the number of asynchronous operations in flight: `run` starts one, and waits first when
 * `limit` are already running. The first failure is kept and rethrown by `run` and `drain`.
 */
export class InFlight {
  private count = 0;
  private waiters: (() => void)[] = [];
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.count;
  }

  /** Starts op (after waiting for a free slot). Resolves when it has started, not when it ends. */
  async run(op: () => Promise<void>): Promise<void> {
    while (this.count >= this.limit) await new Promise<void>((r) => this.waiters.push(r));
    this.rethrow();
    this.count++;
    op().then(
      () => this.release(),
      (error: unknown) => {
        this.failure ??= { error };
        this.release();
      },
    );
  }

  /** Waits until every started operation has finished. */
  async drain(): Promise<void> {
    while (this.count > 0) await new Promise<void>((r) => this.waiters.push(r));
    this.rethrow();
  }

  private release(): void {
    this.count--;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private rethrow(): void {
    if (this.failure) throw this.failure.error;
  }
}
