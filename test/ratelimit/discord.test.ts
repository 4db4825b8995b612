// Tests for Discord's rate-limit headers: the relative Reset-After preferred over the epoch
// Reset, the bucket id, and when a response counts as Discord at all.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDiscord } from '../../src/ratelimit/discord.js';
import { expectWellFormed, headersWith, nowArb } from './arbitraries.js';

describe('parseDiscord', () => {
  it('reads the headers of the Discord docs example', () => {
    const headers = new Headers({
      'X-RateLimit-Limit': '5',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': '1470173023',
      'X-RateLimit-Reset-After': '1',
      'X-RateLimit-Bucket': 'abcd1234',
    });
    expect(parseDiscord(headers, 1_470_173_022_000)).toEqual({
      dialect: 'discord',
      limit: 5,
      remaining: 0,
      resetMs: 1_000,
      bucket: 'abcd1234',
    });
  });

  it('prefers the fractional Reset-After over Reset, since it does not depend on our clock', () => {
    const headers = new Headers({
      'X-RateLimit-Limit': '5',
      'X-RateLimit-Remaining': '4',
      'X-RateLimit-Reset': '1470173023.123',
      'X-RateLimit-Reset-After': '64.57',
      'X-RateLimit-Bucket': 'abcd1234',
    });
    // A skewed clock: by our now the epoch Reset would already be in the past.
    expect(parseDiscord(headers, 1_470_173_100_000)?.resetMs).toBe(64_570);
  });

  it('falls back to the epoch Reset when Reset-After is unusable', () => {
    const headers = new Headers({
      'X-RateLimit-Reset': '1470173023.123',
      'X-RateLimit-Reset-After': 'soon',
      'X-RateLimit-Bucket': 'abcd1234',
    });
    expect(parseDiscord(headers, 1_470_173_022_000)).toEqual({ dialect: 'discord', resetMs: 1_123, bucket: 'abcd1234' });
  });

  it('reads a 429 with scope headers the same way', () => {
    const headers = new Headers({
      'Retry-After': '65',
      'X-RateLimit-Limit': '10',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset-After': '64.57',
      'X-RateLimit-Bucket': 'fc1a3bbd8a7f4a4ba8e4e0b1c3e0c4b2',
      'X-RateLimit-Scope': 'user',
    });
    expect(parseDiscord(headers, 0)).toEqual({
      dialect: 'discord',
      limit: 10,
      remaining: 0,
      resetMs: 64_570,
      bucket: 'fc1a3bbd8a7f4a4ba8e4e0b1c3e0c4b2',
    });
  });

  it('does not claim a response with neither Reset-After nor Bucket', () => {
    const headers = new Headers({ 'X-RateLimit-Limit': '5', 'X-RateLimit-Remaining': '4', 'X-RateLimit-Reset': '1470173023' });
    expect(parseDiscord(headers, 0)).toBeUndefined();
  });

  it('gives undefined for a bucket alone, which says nothing to pace by', () => {
    expect(parseDiscord(new Headers({ 'X-RateLimit-Bucket': 'abcd1234' }), 0)).toBeUndefined();
  });

  it('rounds a sub-millisecond Reset-After up', () => {
    expect(parseDiscord(new Headers({ 'X-RateLimit-Reset-After': '0.0001' }), 0)?.resetMs).toBe(1);
  });
});

describe('parseDiscord properties', () => {
  const names = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'x-ratelimit-reset-after', 'x-ratelimit-bucket'];

  it('never throws and keeps every number finite, whole and non-negative', () => {
    fc.assert(
      fc.property(headersWith(names), nowArb, (headers, now) => {
        expectWellFormed(parseDiscord(headers, now));
      }),
      { numRuns: 2_000 },
    );
  });

  it('never reads Reset-After as earlier than it says', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1e6 }), fc.stringMatching(/^\d{1,6}$/), (whole, fraction) => {
        const resetMs = parseDiscord(new Headers({ 'X-RateLimit-Reset-After': `${whole}.${fraction}` }), 0)?.resetMs;
        expect(resetMs).toBeGreaterThanOrEqual((whole + Number(`0.${fraction}`)) * 1000 - 1e-6);
      }),
    );
  });
});
