import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/report/latency-histogram.js';

describe('LatencyHistogram', () => {
  it('gives percentiles within 2 % of the exact ones', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.05, max: 60_000, noNaN: true }), { minLength: 1, maxLength: 400 }), fc.constantFrom(50, 90, 99), (values, p) => {
        const histogram = new LatencyHistogram();
        for (const v of values) histogram.record(v);
        const sorted = [...values].sort((a, b) => a - b);
        const exact = sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
        const reported = histogram.percentile(p);
        expect(reported).toBeGreaterThanOrEqual(exact * 0.98);
        expect(reported).toBeLessThanOrEqual(exact * 1.02 + 1e-9);
      }),
    );
  });

  it('counts, keeps the maximum and the mean, and is NaN when empty', () => {
    const histogram = new LatencyHistogram();
    expect(histogram.percentile(50)).toBeNaN();
    for (const v of [1, 2, 3, 10]) histogram.record(v);
    histogram.record(Number.NaN);
    histogram.record(-1);
    expect(histogram.count).toBe(4);
    expect(histogram.max).toBe(10);
    expect(histogram.mean).toBe(4);
    expect(histogram.percentile(100)).toBe(10);
  });
});
