// Tests for dialect detection: each vendor's real header set lands in its own dialect, the
// more specific dialect wins when families overlap, and a garbled one yields to the next.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRateLimitHeaders } from '../../src/ratelimit/parse.js';
import { expectWellFormed, headersWith, nowArb, rateLimitFieldNames } from './arbitraries.js';

describe('parseRateLimitHeaders', () => {
  it('detects the IETF draft-10 fields', () => {
    const headers = new Headers({ 'RateLimit-Policy': '"burst";q=100;w=60', RateLimit: '"burst";r=50;t=30' });
    expect(parseRateLimitHeaders(headers, 0)?.dialect).toBe('ietf');
  });

  it('reads a policy alone beside the earlier drafts\' separate fields as one observation (express-rate-limit draft-6)', () => {
    const headers = new Headers({
      'RateLimit-Policy': '100;w=1',
      'RateLimit-Limit': '100',
      'RateLimit-Remaining': '42',
      'RateLimit-Reset': '1',
    });
    expect(parseRateLimitHeaders(headers, 0)).toEqual({ dialect: 'ietf', limit: 100, windowMs: 1000, remaining: 42, resetMs: 1000 });
  });

  it('detects Discord by its Reset-After and Bucket, not the generic family', () => {
    const headers = new Headers({
      'X-RateLimit-Limit': '5',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': '1470173023',
      'X-RateLimit-Reset-After': '1',
      'X-RateLimit-Bucket': 'abcd1234',
    });
    expect(parseRateLimitHeaders(headers, 0)).toEqual({ dialect: 'discord', limit: 5, remaining: 0, resetMs: 1_000, bucket: 'abcd1234' });
  });

  it('detects OpenAI', () => {
    const headers = new Headers({ 'x-ratelimit-limit-requests': '60', 'x-ratelimit-remaining-requests': '59', 'x-ratelimit-reset-requests': '1s' });
    expect(parseRateLimitHeaders(headers, 0)?.dialect).toBe('openai');
  });

  it('detects Anthropic', () => {
    const headers = new Headers({ 'anthropic-ratelimit-requests-limit': '50', 'anthropic-ratelimit-requests-remaining': '49' });
    expect(parseRateLimitHeaders(headers, 0)?.dialect).toBe('anthropic');
  });

  it('detects GitHub as the X-RateLimit family', () => {
    const headers = new Headers({ 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999', 'x-ratelimit-reset': '1372700873', 'x-ratelimit-resource': 'core' });
    expect(parseRateLimitHeaders(headers, 1_372_700_000_000)).toEqual({
      dialect: 'x-ratelimit',
      limit: 5000,
      remaining: 4999,
      resetMs: 873_000,
      bucket: 'core',
    });
  });

  it('detects the legacy IETF fields', () => {
    const headers = new Headers({ 'RateLimit-Limit': '100', 'RateLimit-Remaining': '25', 'RateLimit-Reset': '5' });
    expect(parseRateLimitHeaders(headers, 0)?.dialect).toBe('ietf-legacy');
  });

  it('prefers the IETF fields when a gateway sends them beside an older family', () => {
    const headers = new Headers({
      'RateLimit-Policy': '100;w=900',
      RateLimit: 'limit=100, remaining=25, reset=5',
      'RateLimit-Limit': '100',
      'RateLimit-Remaining': '25',
      'X-RateLimit-Limit': '100',
    });
    expect(parseRateLimitHeaders(headers, 0)?.dialect).toBe('ietf');
  });

  it('falls through to the next dialect when the IETF field is garbled', () => {
    const headers = new Headers({ RateLimit: 'fifty please', 'X-RateLimit-Remaining': '7' });
    expect(parseRateLimitHeaders(headers, 0)).toEqual({ dialect: 'x-ratelimit', remaining: 7 });
  });

  it('gives undefined for a response with no rate-limit headers', () => {
    expect(parseRateLimitHeaders(new Headers({ 'content-type': 'application/json', 'retry-after': '5' }), 0)).toBeUndefined();
  });

  it('defaults now to the clock without needing it for relative dialects', () => {
    expect(parseRateLimitHeaders(new Headers({ RateLimit: '"default";r=1;t=7' }))).toEqual({ dialect: 'ietf', remaining: 1, resetMs: 7_000 });
  });
});

describe('parseRateLimitHeaders properties', () => {
  const names = rateLimitFieldNames;

  it('never throws and keeps every number finite, whole and non-negative for any mix of headers', () => {
    fc.assert(
      fc.property(headersWith(names), nowArb, (headers, now) => {
        expectWellFormed(parseRateLimitHeaders(headers, now));
      }),
      { numRuns: 3_000 },
    );
  });
});
