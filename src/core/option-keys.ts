/**
 * Strict option objects: every key of an options section must be one its reader knows, at every
 * depth. A misspelled key is a ConfigError naming its full path (`checkpoint.store.endpont`) and,
 * when one is close, the key that was probably meant (`did you mean "endpoint"?`), so that a typo
 * never silently falls back to a default (such as a real cloud endpoint instead of a test server).
 *
 * Each options file lists its sections once and calls `checkOptionKeys` for each of them; a future
 * options file (the cold tier's, a configuration file's) does the same for its own sections.
 */
import { ConfigError } from './errors.js';

/** Joins an option path: `joinOptionPath('checkpoint.store', 'endpoint')` → `checkpoint.store.endpoint`. */
export function joinOptionPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/**
 * Returns `value` as a record when it is a plain options object (undefined gives `{}`); anything
 * else is a ConfigError naming `path`. Unknown keys are refused as by `checkOptionKeys`.
 */
export function optionSection(path: string, value: unknown, known: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(path === '' ? 'options' : path, `must be an object, got ${describe(value)}`);
  }
  checkOptionKeys(path, value, known);
  return value as Record<string, unknown>;
}

/**
 * Throws a ConfigError for the first key of `value` that is not in `known`, naming its full path
 * (`path` is the section's own path, '' for the top level) and the nearest known key.
 */
export function checkOptionKeys(path: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const near = nearestKey(key, known);
    const hint = near === undefined ? '' : `did you mean "${near}"? `;
    const where = path === '' ? 'known options are' : `known options of ${path} are`;
    throw new ConfigError(joinOptionPath(path, key), `unknown option; ${hint}(${where}: ${known.join(', ')})`);
  }
}

/**
 * The known key nearest to `key` by edit distance (case-insensitive), when it is close enough to
 * be a likely typo: at most a third of the longer name's length, and at least one edit allowed.
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const k = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(k, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.floor(Math.max(key.length, best.length) / 3));
  return bestDistance <= limit ? best : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d = new Uint32Array(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1]!;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `"${v}"` : typeof v;
}
