// Tests for the Go duration parser behind OpenAI's reset headers: Go's own examples, its edge
// cases, and round-trip properties against durations built from parts.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseGoDuration } from '../../src/ratelimit/go-duration.js';

describe('parseGoDuration', () => {
  it('reads the values OpenAI sends', () => {
    expect(parseGoDuration('6m0s')).toBe(360_000);
    expect(parseGoDuration('1s')).toBe(1_000);
    expect(parseGoDuration('12ms')).toBe(12);
    expect(parseGoDuration('8.64s')).toBe(8_640);
    expect(parseGoDuration('59m59.999s')).toBe(3_599_999);
  });

  it('reads several components and fractions of any unit', () => {
    expect(parseGoDuration('1h2m3.5s')).toBe(3_723_500);
    expect(parseGoDuration('1.5h')).toBe(5_400_000);
    expect(parseGoDuration('.5s')).toBe(500);
    expect(parseGoDuration('1.s')).toBe(1_000);
  });

  it('reads sub-millisecond units as fractions of a millisecond', () => {
    expect(parseGoDuration('100us')).toBe(0.1);
    expect(parseGoDuration('100µs')).toBe(0.1);
    expect(parseGoDuration('100μs')).toBe(0.1);
    expect(parseGoDuration('1500ns')).toBe(0.0015);
  });

  it('accepts a bare zero and signs, as Go does', () => {
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('+1s')).toBe(1_000);
    expect(parseGoDuration('-1.5s')).toBe(-1_500);
  });

  it('rejects what Go rejects', () => {
    for (const text of ['', '1', '-', 's', '.s', '1x', '1 s', ' 1s', '1s ', '1e3s', '1,5s', '1h-2m', '0.0.1s', 'ms']) {
      expect(parseGoDuration(text), JSON.stringify(text)).toBeUndefined();
    }
  });

  it('rejects durations beyond the range of int64 nanoseconds', () => {
    expect(parseGoDuration('2562047h47m16.854775807s')).toBe(9_223_372_036_854.775);
    expect(parseGoDuration('2562048h')).toBeUndefined();
    expect(parseGoDuration(`${'9'.repeat(100_000)}h`)).toBeUndefined();
  });

  it('rounds a sub-nanosecond remainder up rather than down', () => {
    expect(parseGoDuration('0.0000000001s')).toBe(0.000001);
  });
});

describe('parseGoDuration properties', () => {
  it('never throws and gives a finite number for any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[+-]?(\d{0,22}(\.\d{0,22})?(ns|us|µs|ms|s|m|h|d)){0,6}$/)), (text) => {
        const ms = parseGoDuration(text);
        expect(ms === undefined || Number.isFinite(ms)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads hours, minutes, seconds and milliseconds as their sum', () => {
    fc.assert(
      fc.property(fc.nat({ max: 100_000 }), fc.nat({ max: 59 }), fc.nat({ max: 59 }), fc.nat({ max: 999 }), (h, m, s, ms) => {
        expect(parseGoDuration(`${h}h${m}m${s}s${ms}ms`)).toBe(((h * 60 + m) * 60 + s) * 1000 + ms);
      }),
    );
  });

  it('agrees with the text Go prints for a whole number of milliseconds', () => {
    // Go's Duration.String(): "1h2m3.004s", "4m0s", "12ms" — reproduced here for the round trip.
    const goString = (ms: number): string => {
      if (ms < 1000) return `${ms}ms`;
      const h = Math.floor(ms / 3_600_000);
      const m = Math.floor((ms % 3_600_000) / 60_000);
      const s = ((ms % 60_000) / 1000).toFixed(3).replace(/\.?0+$/, '');
      return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}s`;
    };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e10 }), (ms) => {
        expect(parseGoDuration(goString(ms))).toBe(ms);
      }),
    );
  });
});
