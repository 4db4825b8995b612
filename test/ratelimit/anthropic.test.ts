// Tests for Anthropic's request quota headers with RFC 3339 resets, and for the RFC 3339
// parser's grammar and range checks.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAnthropic, parseRfc3339 } from '../../src/ratelimit/anthropic.js';
import { expectWellFormed, headersWith, nowArb } from './arbitraries.js';

describe('parseAnthropic', () => {
  it('reads the request headers Anthropic sends and ignores the token ones', () => {
    const headers = new Headers({
      'anthropic-ratelimit-requests-limit': '50',
      'anthropic-ratelimit-requests-remaining': '49',
      'anthropic-ratelimit-requests-reset': '2024-06-13T20:11:58Z',
      'anthropic-ratelimit-tokens-limit': '40000',
      'anthropic-ratelimit-tokens-remaining': '39000',
      'anthropic-ratelimit-tokens-reset': '2024-06-13T20:12:30Z',
      'anthropic-ratelimit-input-tokens-limit': '40000',
      'anthropic-ratelimit-output-tokens-limit': '8000',
    });
    const now = Date.UTC(2024, 5, 13, 20, 11, 57, 250);
    expect(parseAnthropic(headers, now)).toEqual({ dialect: 'anthropic', limit: 50, remaining: 49, resetMs: 750 });
  });

  it('gives zero for a reset already past', () => {
    const headers = new Headers({ 'anthropic-ratelimit-requests-reset': '2024-06-13T20:11:58Z' });
    expect(parseAnthropic(headers, Date.UTC(2025, 0, 1))?.resetMs).toBe(0);
  });

  it('gives undefined when only token headers are present', () => {
    const headers = new Headers({ 'anthropic-ratelimit-tokens-limit': '40000', 'anthropic-ratelimit-tokens-reset': '2024-06-13T20:12:30Z' });
    expect(parseAnthropic(headers, 0)).toBeUndefined();
  });

  it('ignores a reset that is not RFC 3339', () => {
    const headers = new Headers({ 'anthropic-ratelimit-requests-reset': 'Thu, 13 Jun 2024 20:11:58 GMT' });
    expect(parseAnthropic(headers, 0)).toBeUndefined();
  });
});

describe('parseRfc3339', () => {
  it('reads UTC, offsets and fractions, rounding a fraction up to a whole ms', () => {
    expect(parseRfc3339('2024-06-13T20:11:58Z')).toBe(Date.UTC(2024, 5, 13, 20, 11, 58));
    expect(parseRfc3339('2024-06-13T22:11:58+02:00')).toBe(Date.UTC(2024, 5, 13, 20, 11, 58));
    expect(parseRfc3339('2024-06-13T15:41:58-04:30')).toBe(Date.UTC(2024, 5, 13, 20, 11, 58));
    expect(parseRfc3339('2024-06-13T20:11:58.5Z')).toBe(Date.UTC(2024, 5, 13, 20, 11, 58, 500));
    expect(parseRfc3339('2024-06-13T20:11:58.123456789Z')).toBe(Date.UTC(2024, 5, 13, 20, 11, 58, 124));
  });

  it('accepts a lowercase t and z, and a space for the T', () => {
    expect(parseRfc3339('2024-06-13t20:11:58z')).toBe(Date.UTC(2024, 5, 13, 20, 11, 58));
    expect(parseRfc3339('2024-06-13 20:11:58Z')).toBe(Date.UTC(2024, 5, 13, 20, 11, 58));
  });

  it('rejects missing offsets, impossible dates and out-of-range offsets', () => {
    for (const text of ['2024-06-13T20:11:58', '2024-02-30T00:00:00Z', '2024-13-01T00:00:00Z', '2024-06-13T20:11:58+24:00', '2024-06-13T20:11Z', '2024-6-13T20:11:58Z', '1718309518']) {
      expect(parseRfc3339(text), text).toBeUndefined();
    }
  });
});

describe('parseAnthropic properties', () => {
  const names = ['anthropic-ratelimit-requests-limit', 'anthropic-ratelimit-requests-remaining', 'anthropic-ratelimit-requests-reset'];

  it('never throws and keeps every number finite, whole and non-negative', () => {
    fc.assert(
      fc.property(headersWith(names), nowArb, (headers, now) => {
        expectWellFormed(parseAnthropic(headers, now));
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads any ISO timestamp back as the time until it', () => {
    const date = fc.date({ min: new Date(0), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true });
    fc.assert(
      fc.property(date, fc.integer({ min: 0, max: 1e13 }), (at, now) => {
        const headers = new Headers({ 'anthropic-ratelimit-requests-reset': at.toISOString() });
        expect(parseAnthropic(headers, now)?.resetMs).toBe(Math.min(Math.max(0, at.getTime() - now), 3_155_760_000_000));
      }),
    );
  });
});
