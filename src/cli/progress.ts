/**
 * Progress on stderr for the CLI's long steps. On a terminal, a cli-progress bar is redrawn in
 * place (counts, rate, elapsed time, ETA); otherwise (CI logs, pipes) a plain line is printed each
 * time another `stepPercent` is reached, so logs stay short and readable.
 *
 * `Progress` is for steps with a known amount of work (records loaded, operations, keys
 * verified); `Activity` for steps that report no progress of their own (a checkpoint, a
 * compaction pass, recovery): it shows the elapsed time while it runs and one line when done.
 */
import { SingleBar } from 'cli-progress';
import type { Io } from './io.js';
import { formatCount, formatRate, formatSeconds } from './format.js';

const BAR_WIDTH = 30;
const REDRAW_FPS = 10;

function terminalBar(io: Io, format: string): SingleBar | undefined {
  if (!io.errIsTTY || io.errStream === undefined) return undefined;
  return new SingleBar({
    stream: io.errStream,
    format,
    barsize: BAR_WIDTH,
    fps: REDRAW_FPS,
    hideCursor: true,
    clearOnComplete: true,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    formatValue: (v, _o, type) => (type === 'value' || type === 'total' ? formatCount(v) : String(v)),
  });
}

export class Progress {
  private readonly startedAt = performance.now();
  private nextPercent: number;
  private done = false;
  private readonly bar: SingleBar | undefined;

  constructor(
    private readonly io: Io,
    private readonly label: string,
    private readonly total: number,
    private readonly stepPercent = 10,
  ) {
    this.nextPercent = stepPercent;
    this.bar = terminalBar(io, `${label} {bar} {percentage}%  {value}/{total}  {rate}/s  {duration_formatted} (ETA {eta_formatted})`);
    this.bar?.start(Math.max(1, total), 0, { rate: '0' });
  }

  /** Reports that `current` of `total` units are done. Cheap enough to call every few hundred units. */
  update(current: number): void {
    if (this.done) return;
    if (this.bar !== undefined) {
      this.bar.update(current, { rate: formatRate(this.rate(current)) });
      return;
    }
    const percent = this.total === 0 ? 100 : (100 * current) / this.total;
    while (percent >= this.nextPercent && this.nextPercent < 100) {
      this.io.err(`${this.label}: ${this.nextPercent}%  ${this.counts(current)}\n`);
      this.nextPercent += this.stepPercent;
    }
  }

  /** Final line (always printed once). */
  finish(current: number = this.total): void {
    if (this.done) return;
    this.done = true;
    this.bar?.stop();
    this.io.err(`${this.label}: 100%  ${this.counts(current)}\n`);
  }

  private rate(current: number): number {
    const seconds = (performance.now() - this.startedAt) / 1000;
    return seconds > 0 ? current / seconds : 0;
  }

  private counts(current: number): string {
    return `${formatCount(current)}/${formatCount(this.total)}  ${formatRate(this.rate(current))}/s`;
  }
}

/** A step without progress of its own: elapsed time on a terminal, one line when it ends. */
export class Activity {
  private readonly startedAt = performance.now();
  private readonly bar: SingleBar | undefined;

  constructor(private readonly io: Io, private readonly label: string) {
    this.bar = terminalBar(io, `${label} … {duration_formatted}`);
    this.bar?.start(1, 0); // cli-progress redraws on its own timer, so the clock ticks
  }

  /** Ends the step and prints `label: <result> (<elapsed>)`. */
  finish(result: string): void {
    this.close();
    this.io.err(`${this.label}: ${result} (${formatSeconds(performance.now() - this.startedAt)})\n`);
  }

  /** Ends the step after a failure (the caller reports the error). */
  fail(): void {
    this.close();
  }

  private close(): void {
    this.bar?.stop();
  }

  /** Runs `step` under an Activity; `describe` turns its result into the final line. */
  static async run<T>(io: Io, label: string, step: () => Promise<T>, describe: (value: T) => string): Promise<T> {
    const activity = new Activity(io, label);
    try {
      const value = await step();
      activity.finish(describe(value));
      return value;
    } catch (err) {
      activity.fail();
      throw err;
    }
  }
}
