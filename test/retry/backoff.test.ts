import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  decorrelatedJitter,
  equalJitter,
  exponentialDelay,
  fullJitter,
  type Jitter,
} from '../../src/retry/backoff.js';

describe('exponentialDelay', () => {
  it('doubles from the base with each retry', () => {
    expect([1, 2, 3, 4].map((n) => exponentialDelay(n, 100, 10_000))).toEqual([100, 200, 400, 800]);
  });

  it('never exceeds the cap, even for huge retry counts', () => {
    expect(exponentialDelay(10, 100, 5_000)).toBe(5_000);
    expect(exponentialDelay(1e9, 100, 5_000)).toBe(5_000);
  });
});

describe('jitter', () => {
  it('full jitter spans zero to the delay', () => {
    expect(fullJitter(1000, () => 0)).toBe(0);
    expect(fullJitter(1000, () => 0.5)).toBe(500);
  });

  it('equal jitter never goes below half the delay', () => {
    expect(equalJitter(1000, () => 0)).toBe(500);
    expect(equalJitter(1000, () => 0.999)).toBeCloseTo(999.5);
  });

  it('decorrelated jitter grows from the previous delay and respects the cap', () => {
    expect(decorrelatedJitter(100, 100, 10_000, () => 1)).toBe(300);
    expect(decorrelatedJitter(4_000, 100, 10_000, () => 1)).toBe(10_000);
    expect(decorrelatedJitter(4_000, 100, 10_000, () => 0)).toBe(100);
  });

  it('no jitter returns the exponential delay unchanged', () => {
    expect(backoffDelay(3, { base: 100, max: 10_000, jitter: 'none' })).toBe(400);
  });
});

describe('backoffDelay', () => {
  it('is finite, non-negative and within the cap for any input', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e6 }),
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        fc.constantFrom<Jitter>('full', 'equal', 'decorrelated', 'none'),
        fc.double({ min: 0, max: 0.9999999, noNaN: true }),
        fc.double({ min: 0, max: 1e12, noNaN: true }),
        (retry, base, max, jitter, r, previous) => {
          const delay = backoffDelay(retry, { base, max, jitter }, () => r, previous);
          expect(Number.isFinite(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(max + 1e-6);
        },
      ),
    );
  });
});
