/**
 * A log-linear latency histogram: 16 sub-buckets per power of two of microseconds (about 4%
 * resolution), fixed memory, exact counts over the whole lifetime.
 */
const SUB_BUCKETS = 16;
const MAX_POWER = 40; // 2^40 µs ≈ 12.7 days

export class LatencyHistogram {
  private readonly counts = new Float64Array(MAX_POWER * SUB_BUCKETS + 1);
  private total = 0;

  record(ms: number): void {
    const us = Math.max(1, ms * 1000);
    const idx = Math.min(this.counts.length - 1, Math.floor(Math.log2(us) * SUB_BUCKETS));
    this.counts[idx]! += 1;
    this.total += 1;
  }

  get count(): number {
    return this.total;
  }

  /** The latency in milliseconds at quantile q (0..1); 0 when empty. */
  quantileMs(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        // midpoint of the bucket, in ms
        const lo = 2 ** (i / SUB_BUCKETS);
        const hi = 2 ** ((i + 1) / SUB_BUCKETS);
        return ((lo + hi) / 2) / 1000;
      }
    }
    return 0;
  }
}
