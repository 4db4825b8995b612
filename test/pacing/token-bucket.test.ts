// Tests for the client-side token bucket: accrual on explicit time, depth rules, rate changes
// that keep accrued tokens, and the server-synced token counts header modes set.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import {
  accrue,
  createTokenBucket,
  depthFor,
  setMaxDepth,
  setRate,
  setTokens,
  takeToken,
  tokenDelay,
  tokensAt,
  type TokenBucketOptions,
} from '../../src/pacing/token-bucket.js';

/** The bucket's functions bound to one state, so each test reads as a sequence of calls. */
function bucketOf(options?: TokenBucketOptions, now = 0) {
  const s = createTokenBucket(options, now);
  return {
    get rate() {
      return s.rate;
    },
    get depth() {
      return s.depth;
    },
    tokens: (at: number) => tokensAt(s, at),
    delayUntilToken: (at: number) => tokenDelay(s, at),
    take: (at: number) => takeToken(s, at),
    setRate: (rate: number, at: number) => setRate(s, rate, at),
    setMaxDepth: (depth: number, at: number) => setMaxDepth(s, depth, at),
    setTokens: (tokens: number, at: number) => setTokens(s, tokens, at),
  };
}

describe('TokenBucket', () => {
  it('is unpaced by default: a token is always there and taking changes nothing', () => {
    const bucket = bucketOf();
    expect(bucket.rate).toBe(Infinity);
    for (let i = 0; i < 1000; i++) {
      expect(bucket.delayUntilToken(0)).toBe(0);
      bucket.take(0);
    }
    expect(bucket.tokens(0)).toBe(Infinity);
  });

  it('starts full, spends its depth at once, then releases one token per 1/rate', () => {
    const bucket = bucketOf({ rate: 10 }, 0);
    expect(bucket.depth).toBe(3);
    for (let i = 0; i < 3; i++) {
      expect(bucket.delayUntilToken(0)).toBe(0);
      bucket.take(0);
    }
    expect(bucket.delayUntilToken(0)).toBeCloseTo(100);
    expect(bucket.delayUntilToken(60)).toBeCloseTo(40);
    expect(bucket.delayUntilToken(100)).toBe(0);
  });

  it('holds about 20 ms of rate when that is more than 3 tokens', () => {
    expect(bucketOf({ rate: 500 }).depth).toBe(10);
    expect(bucketOf({ rate: 100 }).depth).toBe(3);
    expect(depthFor(1000, 3, 20, Infinity)).toBe(20);
  });

  it('never accrues beyond its depth however long it idles', () => {
    const bucket = bucketOf({ rate: 100, initialTokens: 0 }, 0);
    expect(bucket.tokens(60_000)).toBe(3);
  });

  it('honours a lower maximum depth, e.g. the server burst once known', () => {
    const bucket = bucketOf({ rate: 500, maxDepth: 2 }, 0);
    expect(bucket.depth).toBe(2);
    bucket.setMaxDepth(1, 0);
    expect(bucket.depth).toBe(1);
    expect(bucket.tokens(0)).toBe(1);
  });

  it('can start with fewer tokens than its depth, for careful first contact', () => {
    const bucket = bucketOf({ rate: 20, initialTokens: 1 }, 0);
    bucket.take(0);
    expect(bucket.delayUntilToken(0)).toBeCloseTo(50);
  });

  it('keeps accrued tokens across a rate change and accrues at the new rate from then on', () => {
    const bucket = bucketOf({ rate: 10, initialTokens: 0 }, 0);
    bucket.setRate(100, 50); // 0.5 token accrued at 10/s
    expect(bucket.tokens(50)).toBeCloseTo(0.5);
    expect(bucket.delayUntilToken(50)).toBeCloseTo(5);
  });

  it('clamps accrued tokens to a smaller new depth', () => {
    const bucket = bucketOf({ rate: 1000 }, 0); // depth 20, full
    bucket.setRate(10, 0);
    expect(bucket.tokens(0)).toBe(3);
  });

  it('starts from a full bucket when it leaves unpaced mode', () => {
    const bucket = bucketOf();
    bucket.setRate(50, 10);
    expect(bucket.tokens(10)).toBe(3);
  });

  it('stops releasing at rate 0 and reports an infinite delay', () => {
    const bucket = bucketOf({ rate: 0, initialTokens: 0 });
    expect(bucket.delayUntilToken(1e9)).toBe(Infinity);
  });

  it('accepts a token count above its depth as an allowance kept until spent', () => {
    const bucket = bucketOf({ rate: 10 }, 0);
    bucket.setTokens(9, 0);
    expect(bucket.tokens(1000)).toBe(9);
    for (let i = 0; i < 9; i++) bucket.take(1000);
    expect(bucket.delayUntilToken(1000)).toBeCloseTo(100);
  });

  it('accepts a negative token count as debt that pushes the next token out', () => {
    const bucket = bucketOf({ rate: 100 }, 0);
    bucket.setTokens(-2, 0);
    expect(bucket.delayUntilToken(0)).toBeCloseTo(30);
  });

  it('goes into debt rather than failing when taken without a token', () => {
    const bucket = bucketOf({ rate: 100, initialTokens: 0 }, 0);
    bucket.take(0);
    expect(bucket.tokens(0)).toBe(-1);
    expect(bucket.delayUntilToken(0)).toBeCloseTo(20);
  });

  it('treats time that runs backwards as no time at all', () => {
    const bucket = bucketOf({ rate: 100, initialTokens: 0 }, 100);
    bucket.take(50);
    expect(bucket.tokens(100)).toBe(-1);
  });

  it('counts a token short only by float rounding as a whole one', () => {
    const bucket = bucketOf({ rate: 3, initialTokens: 0 }, 0);
    const wait = bucket.delayUntilToken(0);
    expect(bucket.delayUntilToken(wait)).toBe(0);
  });

  it('never releases more than depth plus rate × time (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.5, max: 5000, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 50, noNaN: true }), { minLength: 1, maxLength: 200 }),
        (rate, gaps) => {
          const bucket = bucketOf({ rate }, 0);
          let now = 0;
          let released = 0;
          for (const gap of gaps) {
            now += gap;
            while (bucket.delayUntilToken(now) === 0) {
              bucket.take(now);
              released++;
            }
          }
          return released <= bucket.depth + (rate * now) / 1000 + 1e-6;
        },
      ),
    );
  });

  describe('a late timer', () => {
    /** Spends the bucket at 0, asks when the next token is due (10 ms), then drains at `wakeAt`. */
    function lateWake(options: TokenBucketOptions, ask: boolean, wakeAt: number): number {
      const bucket = bucketOf({ rate: 100, ...options }, 0);
      for (let i = 0; i < 3; i++) bucket.take(0);
      // A waiter left behind asks when its token is due; idle demand does not ask.
      if (ask) expect(bucket.delayUntilToken(0)).toBeCloseTo(10);
      let released = 0;
      while (bucket.delayUntilToken(wakeAt) === 0) {
        bucket.take(wakeAt);
        released++;
      }
      return released;
    }

    it('keeps what accrued while a waiter was late, up to catchUpMs worth past the depth', () => {
      // Due at 10 ms, woken at 70: 7 accrued; the depth (3) plus 30 ms (3) keeps 6 of them.
      expect(lateWake({ catchUpMs: 30 }, true, 70)).toBe(6);
      expect(lateWake({ catchUpMs: 30 }, true, 35)).toBe(3);
      // Off by default.
      expect(lateWake({}, true, 70)).toBe(3);
    });

    it('credits nothing to demand that was idle rather than held back', () => {
      expect(lateWake({ catchUpMs: 30 }, false, 70)).toBe(3);
    });

    it('keeps a timer that fires late on the pace, without a whole extra token', () => {
      // Depth 1 (a server whose burst is unknown): each wake comes 1 ms after its token is due.
      const bucket = bucketOf({ rate: 100, maxDepth: 1 }, 0);
      let now = 0;
      let released = 0;
      while (now < 1000) {
        const wait = bucket.delayUntilToken(now);
        if (wait > 0) now += Math.ceil(wait) + 1;
        else {
          bucket.take(now);
          released++;
          // Never a second token right after a late one: no bunching beyond the depth.
          expect(bucket.delayUntilToken(now)).toBeGreaterThan(0);
        }
      }
      // Releases at 11, 21, 31 … ms: the pace itself, where dropping the lateness gave 11, 22, 33 …
      expect(released).toBe(100);
    });

    it('credits nothing for a wait that something else prolonged (a pause)', () => {
      const bucket = bucketOf({ rate: 100, maxDepth: 1 }, 0);
      bucket.take(0);
      expect(bucket.delayUntilToken(0)).toBeCloseTo(10);
      bucket.take(50);
      expect(bucket.delayUntilToken(50)).toBeCloseTo(10);
    });

    it('never credits past the maximum depth (the server burst)', () => {
      expect(lateWake({ catchUpMs: 30, maxDepth: 4 }, true, 70)).toBe(4);
    });
  });

  it('rejects invalid options with InvalidOptionError naming the option', () => {
    expect(() => bucketOf({ catchUpMs: -1 })).toThrow(/`catchUpMs`/);
    expect(() => bucketOf({ rate: -1 })).toThrow(InvalidOptionError);
    expect(() => bucketOf({ rate: Number.NaN })).toThrow(/`rate`/);
    expect(() => bucketOf({ minDepth: 0.5 })).toThrow(/`minDepth`/);
    expect(() => bucketOf({ depthMs: -1 })).toThrow(/`depthMs`/);
    expect(() => bucketOf({ maxDepth: 0 })).toThrow(/`maxDepth`/);
    expect(() => bucketOf({ initialTokens: Infinity })).toThrow(/`initialTokens`/);
    expect(() => bucketOf().setRate(-5, 0)).toThrow(InvalidOptionError);
    expect(() => bucketOf().setTokens(Number.NaN, 0)).toThrow(InvalidOptionError);
  });
});

describe('accrue', () => {
  it('adds rate × elapsed up to the depth', () => {
    expect(accrue(0, 100, 3, 10)).toBeCloseTo(1);
    expect(accrue(2.5, 100, 3, 1000)).toBe(3);
  });

  it('leaves a level above the depth untouched', () => {
    expect(accrue(7, 100, 3, 1000)).toBe(7);
  });
});
