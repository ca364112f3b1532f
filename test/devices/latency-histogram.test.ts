import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/devices/latency-histogram.js';

describe('LatencyHistogram', () => {
  it('is 0 when empty', () => {
    const h = new LatencyHistogram();
    expect(h.count).toBe(0);
    expect(h.quantileMs(0.5)).toBe(0);
  });

  it('reports quantiles within 0.1% over a wide range (1 µs to minutes)', () => {
    const h = new LatencyHistogram();
    // 1..10000 ms in 1 ms steps: the q-quantile is about q × 10000 ms.
    for (let ms = 1; ms <= 10_000; ms++) h.record(ms);
    expect(h.count).toBe(10_000);
    for (const q of [0.5, 0.9, 0.99, 0.999]) {
      const want = q * 10_000;
      expect(Math.abs(h.quantileMs(q) - want) / want).toBeLessThan(0.002);
    }
    h.record(0.0004); // below 1 µs counts as 1 µs
    h.record(180_000);
    expect(h.quantileMs(1)).toBeGreaterThanOrEqual(179_800);
    expect(h.quantileMs(0)).toBeCloseTo(0.001, 6);
  });
});
