// Tests for the separate RateLimit-Limit / -Remaining / -Reset fields of the earlier IETF
// drafts, as express-rate-limit (draft-6 mode) and GitLab send them.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIetfLegacy } from '../../src/ratelimit/ietf-legacy.js';
import { expectWellFormed, headersWith, nowArb } from './arbitraries.js';

describe('parseIetfLegacy', () => {
  it('reads express-rate-limit draft-6 headers, with a delta-seconds reset', () => {
    const headers = new Headers({ 'RateLimit-Limit': '100', 'RateLimit-Remaining': '25', 'RateLimit-Reset': '5' });
    expect(parseIetfLegacy(headers, 0)).toEqual({ dialect: 'ietf-legacy', limit: 100, remaining: 25, resetMs: 5_000 });
  });

  it('reads GitLab headers, whose reset is epoch seconds in the same field', () => {
    // GitLab docs: RateLimit-Reset 1609844400, RateLimit-ResetTime Tue, 05 Jan 2021 11:00:00 GMT.
    const now = Date.UTC(2021, 0, 5, 10, 59, 30);
    const headers = new Headers({
      'RateLimit-Limit': '60',
      'RateLimit-Name': 'throttle_authenticated_web',
      'RateLimit-Observed': '67',
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': '1609844400',
      'RateLimit-ResetTime': 'Tue, 05 Jan 2021 11:00:00 GMT',
    });
    expect(parseIetfLegacy(headers, now)).toEqual({ dialect: 'ietf-legacy', limit: 60, remaining: 0, resetMs: 30_000 });
  });

  it('reads a draft-03 limit list as the expiring limit and its window', () => {
    const headers = new Headers({ 'RateLimit-Limit': '10, 10;w=1, 50;w=60', 'RateLimit-Remaining': '9', 'RateLimit-Reset': '1' });
    expect(parseIetfLegacy(headers, 0)).toEqual({ dialect: 'ietf-legacy', limit: 10, remaining: 9, windowMs: 1_000, resetMs: 1_000 });
  });

  it('keeps the first limit of a draft-03 list even when a later one is smaller', () => {
    const headers = new Headers({ 'RateLimit-Limit': '1000, 100;w=1, 1000;w=3600' });
    expect(parseIetfLegacy(headers, 0)).toEqual({ dialect: 'ietf-legacy', limit: 1000, windowMs: 3_600_000 });
  });

  it('gives undefined when none of the three fields is usable', () => {
    expect(parseIetfLegacy(new Headers(), 0)).toBeUndefined();
    expect(parseIetfLegacy(new Headers({ 'RateLimit-Limit': 'many', 'RateLimit-Reset': '-3' }), 0)).toBeUndefined();
  });
});

describe('parseIetfLegacy properties', () => {
  it('never throws and keeps every number finite, whole and non-negative', () => {
    fc.assert(
      fc.property(headersWith(['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']), nowArb, (headers, now) => {
        expectWellFormed(parseIetfLegacy(headers, now));
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads any delta-seconds reset exactly', () => {
    fc.assert(
      fc.property(fc.nat({ max: 999_999_999 }), (seconds) => {
        expect(parseIetfLegacy(new Headers({ 'RateLimit-Reset': String(seconds) }), 0)?.resetMs).toBe(seconds * 1000);
      }),
    );
  });
});
