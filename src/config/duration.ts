/**
 * Durations in configuration files: a string of one or more number-unit parts, such as "250ms",
 * "30s", "5m", "1h" or "1h30m" (units ms, s, m, h, d; parts from the largest unit down; decimals
 * allowed, "1.5s"). The result is whole milliseconds. Bare numbers are refused, because "30" could
 * mean seconds or milliseconds.
 */
import { ConfigError } from '../core/errors.js';

const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const UNIT_ORDER = ['d', 'h', 'm', 's', 'ms'];
const PART = /(\d+(?:\.\d+)?)\s*(ms|d|h|m|s)/y;

/** Parses a duration string ("250ms", "30s", "1h30m") into whole milliseconds. */
export function parseDuration(option: string, value: unknown): number {
  if (typeof value !== 'string') {
    throw new ConfigError(option, `expected a duration string such as "250ms", "30s", "5m" or "1h30m", got ${describe(value)}`);
  }
  const text = value.trim();
  let at = 0;
  let total = 0;
  let lastUnit = -1;
  while (at < text.length) {
    PART.lastIndex = at;
    const m = PART.exec(text);
    if (m === null) break;
    const unit = UNIT_ORDER.indexOf(m[2]!);
    if (unit <= lastUnit) throw new ConfigError(option, `cannot parse duration "${value}": give each unit once, largest first (e.g. "1h30m")`);
    lastUnit = unit;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    at = PART.lastIndex;
    while (text[at] === ' ') at++;
  }
  if (text.length === 0 || at < text.length) {
    throw new ConfigError(option, `cannot parse duration "${value}"; use a number with a unit (ms, s, m, h, d) such as "250ms", "30s" or "1h30m"`);
  }
  const ms = Math.round(total);
  if (Math.abs(ms - total) > 1e-6) throw new ConfigError(option, `duration "${value}" is not a whole number of milliseconds`);
  if (!Number.isSafeInteger(ms)) throw new ConfigError(option, `duration "${value}" is too long`);
  return ms;
}

/** Renders milliseconds as the shortest duration string parseDuration reads back ("1h30m", "250ms"). */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`not a duration in milliseconds: ${ms}`);
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of UNIT_ORDER) {
    const size = UNIT_MS[unit]!;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `"${v}"`;
  if (typeof v === 'number') return `the number ${v} (write it with a unit, e.g. "${v}ms" or "${v}s")`;
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}
