// Tests for the per-dialect header writers: the exact wire format each simulated server sends,
// checked as pure functions so the token-bucket tests can focus on behaviour.

import { describe, expect, test } from 'vitest';
import {
  formatGoDuration,
  formatRfc3339,
  ietfPolicy,
  RATE_LIMIT_HEADER_DIALECTS,
  rateLimitHeaders,
  retryAfterHeaders,
  type QuotaSnapshot,
  type RateLimitHeaderDialect,
} from '../../mocks/rate-limit-headers.js';

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0); // Sun, 01 Nov 2026 12:00:00 GMT

describe('formatGoDuration', () => {
  test.each([
    [0, '0s'],
    [12, '12ms'],
    [120.2, '121ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [60_000, '1m0s'],
    [360_000, '6m0s'],
    [3_723_500, '1h2m3.5s'],
  ])('formats %d ms as %s, like Go’s Duration.String rounded up to the millisecond', (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text);
  });
});

describe('ietfPolicy', () => {
  test.each([
    [100, 10, 100, 1],
    [10, 100, 100, 10],
    [2, 10, 10, 5],
    [2.5, 1, 5, 2],
    [0.5, 1, 1, 2],
  ])('gives rate %d with burst %d the policy q=%d w=%d, whose ratio is the rate', (rate, burst, q, w) => {
    expect(ietfPolicy(rate, burst)).toEqual({ q, w });
    expect(q / w).toBe(rate);
  });
});

describe('rateLimitHeaders', () => {
  // Rate 2/s, capacity 10, 7 left: the bucket is full again in 3 / 2 = 1.5 s.
  const snapshot: QuotaSnapshot = { rate: 2, limit: 10, remaining: 7, resetMs: 1500, nowMs: T0, name: 'default' };

  const expected: Record<RateLimitHeaderDialect, Record<string, string>> = {
    ietf: { 'RateLimit-Policy': '"default";q=10;w=5', RateLimit: '"default";r=7;t=2' },
    'ietf-legacy': { 'RateLimit-Limit': '10', 'RateLimit-Remaining': '7', 'RateLimit-Reset': '2' },
    'x-ratelimit-epoch': {
      'X-RateLimit-Limit': '10',
      'X-RateLimit-Remaining': '7',
      'X-RateLimit-Reset': '1793534402',
      'X-RateLimit-Used': '3',
      'X-RateLimit-Resource': 'default',
    },
    'x-ratelimit-delta': { 'X-RateLimit-Limit': '10', 'X-RateLimit-Remaining': '7', 'X-RateLimit-Reset': '2' },
    discord: {
      'X-RateLimit-Limit': '10',
      'X-RateLimit-Remaining': '7',
      'X-RateLimit-Reset': '1793534401.500',
      'X-RateLimit-Reset-After': '1.500',
      'X-RateLimit-Bucket': 'default',
    },
    openai: {
      'x-ratelimit-limit-requests': '10',
      'x-ratelimit-remaining-requests': '7',
      'x-ratelimit-reset-requests': '1.5s',
    },
    anthropic: {
      'anthropic-ratelimit-requests-limit': '10',
      'anthropic-ratelimit-requests-remaining': '7',
      'anthropic-ratelimit-requests-reset': '2026-11-01T12:00:02Z',
    },
    'retry-after-only': {},
  };

  test.each(RATE_LIMIT_HEADER_DIALECTS)('writes the %s dialect in its exact wire format', (dialect) => {
    expect(rateLimitHeaders(dialect, snapshot)).toEqual(expected[dialect]);
  });

  test('reports a full bucket as resetting now', () => {
    const full = { ...snapshot, remaining: 10, resetMs: 0 };
    expect(rateLimitHeaders('ietf', full).RateLimit).toBe('"default";r=10;t=0');
    expect(rateLimitHeaders('openai', full)['x-ratelimit-reset-requests']).toBe('0s');
  });
});

describe('retryAfterHeaders', () => {
  test('sends whole seconds rounded up, never less than 1', () => {
    expect(retryAfterHeaders('seconds', 100, T0)).toEqual({ 'Retry-After': '1' });
    expect(retryAfterHeaders('seconds', 2001, T0)).toEqual({ 'Retry-After': '3' });
  });

  test('sends an HTTP-date rounded up to the next whole second', () => {
    expect(retryAfterHeaders('http-date', 250, T0 + 900)).toEqual({ 'Retry-After': 'Sun, 01 Nov 2026 12:00:02 GMT' });
  });

  test('sends retry-after-ms alongside Retry-After in seconds', () => {
    expect(retryAfterHeaders('ms', 249.2, T0)).toEqual({ 'retry-after-ms': '250', 'Retry-After': '1' });
  });
});

test('formatRfc3339 drops milliseconds by rounding up to the second', () => {
  expect(formatRfc3339(T0 + 1)).toBe('2026-11-01T12:00:01Z');
  expect(formatRfc3339(T0)).toBe('2026-11-01T12:00:00Z');
});
