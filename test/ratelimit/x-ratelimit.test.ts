// Tests for the X-RateLimit family on headers as GitHub, X, Reddit and WHOOP send them, and for
// the magnitude rule that tells epoch ms, epoch seconds and delta seconds apart.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseXRateLimit } from '../../src/ratelimit/x-ratelimit.js';
import { expectWellFormed, headersWith, nowArb } from './arbitraries.js';

describe('parseXRateLimit on vendor samples', () => {
  it('reads GitHub REST headers, with an epoch-seconds reset measured from now', () => {
    // docs.github.com example response, sent with Date: Mon, 01 Jul 2013 17:27:06 GMT.
    const now = Date.UTC(2013, 6, 1, 17, 27, 6);
    const headers = new Headers({
      'x-ratelimit-limit': '60',
      'x-ratelimit-remaining': '56',
      'x-ratelimit-used': '4',
      'x-ratelimit-reset': '1372700873',
    });
    expect(parseXRateLimit(headers, now)).toEqual({ dialect: 'x-ratelimit', limit: 60, remaining: 56, resetMs: 1_247_000 });
  });

  it('takes GitHub x-ratelimit-resource as the bucket', () => {
    const headers = new Headers({
      'x-ratelimit-limit': '30',
      'x-ratelimit-remaining': '29',
      'x-ratelimit-reset': '1691591363',
      'x-ratelimit-used': '1',
      'x-ratelimit-resource': 'search',
    });
    const now = 1_691_591_303_000;
    expect(parseXRateLimit(headers, now)).toEqual({
      dialect: 'x-ratelimit',
      limit: 30,
      remaining: 29,
      resetMs: 60_000,
      bucket: 'search',
    });
  });

  it('derives remaining from limit and used when remaining is absent', () => {
    const headers = new Headers({ 'x-ratelimit-limit': '5000', 'x-ratelimit-used': '4990', 'x-ratelimit-resource': 'core' });
    expect(parseXRateLimit(headers, 0)).toEqual({ dialect: 'x-ratelimit', limit: 5000, remaining: 10, bucket: 'core' });
  });

  it('derives zero remaining when more was used than the limit', () => {
    const headers = new Headers({ 'x-ratelimit-limit': '60', 'x-ratelimit-used': '61' });
    expect(parseXRateLimit(headers, 0)?.remaining).toBe(0);
  });

  it('reads the x-rate-limit spelling that X (Twitter) uses', () => {
    const now = 1_705_420_000_000;
    const headers = new Headers({ 'x-rate-limit-limit': '900', 'x-rate-limit-remaining': '847', 'x-rate-limit-reset': '1705420800' });
    expect(parseXRateLimit(headers, now)).toEqual({ dialect: 'x-ratelimit', limit: 900, remaining: 847, resetMs: 800_000 });
  });

  it('reads Reddit headers, with a fractional remaining and a delta-seconds reset', () => {
    const headers = new Headers({ 'x-ratelimit-used': '1', 'x-ratelimit-remaining': '99.0', 'x-ratelimit-reset': '254' });
    expect(parseXRateLimit(headers, 1_700_000_000_000)).toEqual({ dialect: 'x-ratelimit', remaining: 99, resetMs: 254_000 });
  });

  it('reads a WHOOP limit list as its first limit and that limit window', () => {
    const headers = new Headers({
      'X-RateLimit-Limit': '100, 100;window=60, 10000;window=86400',
      'X-RateLimit-Remaining': '98',
      'X-RateLimit-Reset': '3',
    });
    expect(parseXRateLimit(headers, 0)).toEqual({ dialect: 'x-ratelimit', limit: 100, remaining: 98, windowMs: 60_000, resetMs: 3_000 });
  });
});

describe('parseXRateLimit reset magnitude rule', () => {
  const now = 1_700_000_000_000;

  it('reads values below 1e9 as delta seconds', () => {
    expect(parseXRateLimit(new Headers({ 'x-ratelimit-reset': '60' }), now)?.resetMs).toBe(60_000);
    expect(parseXRateLimit(new Headers({ 'x-ratelimit-reset': '999999999' }), now)?.resetMs).toBe(999_999_999_000);
  });

  it('reads values from 1e9 as epoch seconds', () => {
    expect(parseXRateLimit(new Headers({ 'x-ratelimit-reset': '1700000030' }), now)?.resetMs).toBe(30_000);
    expect(parseXRateLimit(new Headers({ 'x-ratelimit-reset': '1700000000.25' }), now)?.resetMs).toBe(250);
  });

  it('reads values from 1e12 as epoch milliseconds', () => {
    expect(parseXRateLimit(new Headers({ 'x-ratelimit-reset': '1700000030000' }), now)?.resetMs).toBe(30_000);
  });

  it('gives zero for an epoch reset already in the past', () => {
    expect(parseXRateLimit(new Headers({ 'x-ratelimit-reset': '1600000000' }), now)?.resetMs).toBe(0);
  });

  it('takes the latest reset when the field was repeated', () => {
    expect(parseXRateLimit(new Headers({ 'x-ratelimit-reset': '1700000030, 1700000060' }), now)?.resetMs).toBe(60_000);
  });

  it('clamps an absurd reset to the maximum delay', () => {
    expect(parseXRateLimit(new Headers({ 'x-ratelimit-reset': '9'.repeat(40) }), now)?.resetMs).toBe(3_155_760_000_000);
  });
});

describe('parseXRateLimit rejecting what it cannot use', () => {
  it('gives undefined when none of the family is present', () => {
    expect(parseXRateLimit(new Headers({ 'content-type': 'text/plain' }), 0)).toBeUndefined();
  });

  it('ignores negative or non-numeric values, as Azure sends -1', () => {
    const headers = new Headers({ 'x-ratelimit-limit': '-1', 'x-ratelimit-remaining': 'lots', 'x-ratelimit-reset': 'Tue Feb 16 2021' });
    expect(parseXRateLimit(headers, 0)).toBeUndefined();
  });

  it('takes the smallest of repeated counts, since it throttles first', () => {
    expect(parseXRateLimit(new Headers({ 'x-ratelimit-remaining': '10, 3' }), 0)?.remaining).toBe(3);
  });

  it('needs more than a bucket to say anything', () => {
    expect(parseXRateLimit(new Headers({ 'x-ratelimit-resource': 'core' }), 0)).toBeUndefined();
  });
});

describe('parseXRateLimit properties', () => {
  const names = [
    'x-ratelimit-limit',
    'x-ratelimit-remaining',
    'x-ratelimit-reset',
    'x-ratelimit-used',
    'x-ratelimit-resource',
    'x-rate-limit-limit',
    'x-rate-limit-reset',
  ];

  it('never throws and keeps every number finite, whole and non-negative', () => {
    fc.assert(
      fc.property(headersWith(names), nowArb, (headers, now) => {
        expectWellFormed(parseXRateLimit(headers, now));
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads an epoch-seconds reset as the time until it, whatever now is', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1e9, max: 1e12 - 1 }), fc.integer({ min: 0, max: 4e12 }), (reset, now) => {
        const observation = parseXRateLimit(new Headers({ 'x-ratelimit-reset': String(reset) }), now);
        expect(observation?.resetMs).toBe(Math.min(Math.max(0, reset * 1000 - now), 3_155_760_000_000));
      }),
    );
  });

  it('handles a hundred thousand joined values without overflowing the stack', () => {
    const joined = Array.from({ length: 100_000 }, (_, i) => String(100_000 - i)).join(', ');
    const observation = parseXRateLimit(new Headers({ 'x-ratelimit-remaining': joined, 'x-ratelimit-reset': joined }), 0);
    expect(observation).toEqual({ dialect: 'x-ratelimit', remaining: 1, resetMs: 100_000_000 });
  });
});
