/**
 * Latency per operation kind with HDR histograms (hdr-histogram-js): every operation is recorded,
 * in microseconds, from 1 µs to 10 minutes with 3 significant digits. A summary keeps the usual
 * percentiles and a CDF (value at each of CDF_PERCENTILES), which is what the plots draw.
 */
import * as hdr from 'hdr-histogram-js';

export const CDF_PERCENTILES: readonly number[] = [
  0, 1, 5, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96, 97, 98, 99, 99.5, 99.9, 99.95, 99.99, 100,
];

export interface KindLatency {
  count: number;
  meanUs: number;
  p50us: number;
  p90us: number;
  p99us: number;
  p999us: number;
  maxUs: number;
  /** [percentile, microseconds] pairs. */
  cdf: [number, number][];
}

export class KindHistogram {
  private readonly h: hdr.Histogram;

  constructor() {
    this.h = hdr.build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
  }

  /** Records one operation of `ms` milliseconds. */
  record(ms: number): void {
    const us = Math.max(1, Math.min(600_000_000, Math.round(ms * 1000)));
    this.h.recordValue(us);
  }

  get count(): number {
    return this.h.totalCount;
  }

  summary(): KindLatency {
    const h = this.h;
    const at = (p: number): number => (h.totalCount === 0 ? 0 : h.getValueAtPercentile(p));
    return {
      count: h.totalCount,
      meanUs: h.totalCount === 0 ? 0 : h.mean,
      p50us: at(50),
      p90us: at(90),
      p99us: at(99),
      p999us: at(99.9),
      maxUs: h.totalCount === 0 ? 0 : h.maxValue,
      cdf: h.totalCount === 0 ? [] : CDF_PERCENTILES.map((p) => [p, p === 0 ? h.minNonZeroValue : at(p)] as [number, number]),
    };
  }

  destroy(): void {
    this.h.destroy();
  }
}
