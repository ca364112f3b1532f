/**
 * Latency sampling: every SAMPLE_EVERY-th operation is timed with performance.now() (a double in
 * milliseconds with sub-microsecond resolution, no BigInt allocation). Throughput is measured over
 * the whole run, sampling included; two clock reads per 16 operations cost a few ns per op.
 */
export const SAMPLE_EVERY = 16;
export const SAMPLE_MASK = SAMPLE_EVERY - 1;

export interface LatencySummary {
  readonly samples: number;
  readonly p50us: number;
  readonly p99us: number;
  readonly p999us: number;
  readonly maxUs: number;
}

export function summarize(samplesMs: Float64Array, count: number): LatencySummary {
  const s = samplesMs.subarray(0, count).slice().sort();
  const at = (q: number): number => (count === 0 ? 0 : s[Math.min(count - 1, Math.floor(q * count))]! * 1000);
  return { samples: count, p50us: at(0.5), p99us: at(0.99), p999us: at(0.999), maxUs: count === 0 ? 0 : s[count - 1]! * 1000 };
}
