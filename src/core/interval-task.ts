/**
 * A background task run every `intervalMs` milliseconds (periodic checkpoints, the fence check):
 * never two runs at once (a tick that finds the previous run still going is skipped), the timer
 * is unref()'d so it never keeps a process alive, and stop() ends it and waits for a run in
 * progress. The task must handle its own errors; one that escapes is passed to `onError`.
 */
export class IntervalTask {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    readonly intervalMs: number,
    private readonly run: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Starts the timer (no-op when intervalMs is 0 or the task was stopped). */
  start(): this {
    if (this.intervalMs <= 0 || this.stopped || this.timer !== undefined) return this;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  get active(): boolean {
    return this.timer !== undefined;
  }

  private tick(): void {
    if (this.running !== undefined || this.stopped) return;
    const p = (async (): Promise<void> => {
      try {
        await this.run();
      } catch (err) {
        this.onError(err);
      }
    })();
    this.running = p;
    void p.finally(() => {
      if (this.running === p) this.running = undefined;
    });
  }

  /** Stops the timer; resolves when a run in progress has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
