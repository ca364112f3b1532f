/**
 * A progress reporter on stderr. On a terminal it redraws one bar line (at most every 100 ms);
 * otherwise (CI logs, pipes) it prints a plain line each time another `stepPercent` is reached, so
 * logs stay short and readable.
 */
import type { Io } from './io.js';
import { formatCount, formatRate } from './format.js';

const BAR_WIDTH = 30;
const REDRAW_MS = 100;

export class Progress {
  private readonly startedAt = performance.now();
  private lastDrawAt = 0;
  private nextPercent: number;
  private done = false;

  constructor(
    private readonly io: Io,
    private readonly label: string,
    private readonly total: number,
    private readonly stepPercent = 10,
  ) {
    this.nextPercent = stepPercent;
  }

  /** Reports that `current` of `total` units are done. Cheap enough to call every few hundred units. */
  update(current: number): void {
    if (this.done) return;
    const percent = this.total === 0 ? 100 : (100 * current) / this.total;
    if (this.io.errIsTTY) {
      const now = performance.now();
      if (now - this.lastDrawAt < REDRAW_MS) return;
      this.lastDrawAt = now;
      const filled = Math.min(BAR_WIDTH, Math.floor((BAR_WIDTH * percent) / 100));
      const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
      this.io.err(`\r\x1b[2K${this.label} ${bar} ${percent.toFixed(0).padStart(3)}%  ${this.counts(current)}`);
    } else {
      while (percent >= this.nextPercent && this.nextPercent < 100) {
        this.io.err(`${this.label}: ${this.nextPercent}%  ${this.counts(current)}\n`);
        this.nextPercent += this.stepPercent;
      }
    }
  }

  /** Final line (always printed once). */
  finish(current: number = this.total): void {
    if (this.done) return;
    this.done = true;
    const prefix = this.io.errIsTTY ? '\r\x1b[2K' : '';
    this.io.err(`${prefix}${this.label}: 100%  ${this.counts(current)}\n`);
  }

  private counts(current: number): string {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const rate = seconds > 0 ? current / seconds : 0;
    return `${formatCount(current)}/${formatCount(this.total)}  ${formatRate(rate)}/s`;
  }
}
