import { ConfigError } from './errors.js';

const UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1024, kb: 1000, kib: 1024,
  m: 1024 ** 2, mb: 1000 ** 2, mib: 1024 ** 2,
  g: 1024 ** 3, gb: 1000 ** 3, gib: 1024 ** 3,
  t: 1024 ** 4, tb: 1000 ** 4, tib: 1024 ** 4,
};

/** Parses a size in bytes: a non-negative integer, or a string such as "64MiB", "4 KiB", "1GB". */
export function parseSize(option: string, value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new ConfigError(option, `expected a non-negative whole number of bytes, got ${value}`);
    }
    return value;
  }
  if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
    const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
    if (m && unit !== undefined) {
      const bytes = Math.round(Number(m[1]) * unit);
      if (Number.isSafeInteger(bytes)) return bytes;
    }
    throw new ConfigError(option, `cannot parse size "${value}"; use bytes or a string such as "64MiB"`);
  }
  throw new ConfigError(option, `expected a size (bytes or a string such as "64MiB"), got ${typeof value}`);
}

export function isPowerOfTwo(n: number): boolean {
  return n > 0 && Number.isSafeInteger(n) && (n & (n - 1)) === 0 && n <= 2 ** 30;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}
