import hdr from 'hdr-histogram-js';

/**
 * Request latencies of one kind, in an HdrHistogram (hdr-histogram-js): 3 significant digits
 * from 1 µs, resizing as needed, exact counts over the whole lifetime. Values are recorded in
 * microseconds and reported in milliseconds.
 */
export class LatencyHistogram {
  private readonly histogram = hdr.build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3, bitBucketSize: 'packed' });

  record(ms: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** The latency in milliseconds at quantile q (0..1); 0 when empty. */
  quantileMs(q: number): number {
    if (this.histogram.totalCount === 0) return 0;
    return this.histogram.getValueAtPercentile(q * 100) / 1000;
  }
}
