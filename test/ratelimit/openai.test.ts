// Tests for OpenAI's request quota headers with Go-duration resets, as OpenAI and Azure OpenAI
// send them; token quotas must not leak into the request observation.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseOpenAI } from '../../src/ratelimit/openai.js';
import { expectWellFormed, headersWith, nowArb } from './arbitraries.js';

describe('parseOpenAI', () => {
  it('reads the example from the OpenAI rate-limit guide', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-limit-tokens': '150000',
      'x-ratelimit-remaining-requests': '59',
      'x-ratelimit-remaining-tokens': '149984',
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    expect(parseOpenAI(headers, 0)).toEqual({ dialect: 'openai', limit: 60, remaining: 59, resetMs: 1_000 });
  });

  it('reads a millisecond reset and ignores the usage-based token headers', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '5000',
      'x-ratelimit-limit-tokens': '160000',
      'x-ratelimit-limit-tokens_usage_based': '160000',
      'x-ratelimit-remaining-requests': '4999',
      'x-ratelimit-remaining-tokens': '159976',
      'x-ratelimit-reset-requests': '12ms',
      'x-ratelimit-reset-tokens': '9ms',
    });
    expect(parseOpenAI(headers, 0)).toEqual({ dialect: 'openai', limit: 5000, remaining: 4999, resetMs: 12 });
  });

  it('rounds a fractional or sub-millisecond reset up', () => {
    expect(parseOpenAI(new Headers({ 'x-ratelimit-reset-requests': '8.64s' }), 0)?.resetMs).toBe(8_640);
    expect(parseOpenAI(new Headers({ 'x-ratelimit-reset-requests': '100us' }), 0)?.resetMs).toBe(1);
    expect(parseOpenAI(new Headers({ 'x-ratelimit-reset-requests': '1h2m3.5s' }), 0)?.resetMs).toBe(3_723_500);
  });

  it('reads the remaining count Azure OpenAI sends on its own', () => {
    const headers = new Headers({ 'x-ratelimit-remaining-requests': '119', 'x-ratelimit-remaining-tokens': '119000' });
    expect(parseOpenAI(headers, 0)).toEqual({ dialect: 'openai', remaining: 119 });
  });

  it('reads a bare number of seconds as Azure OpenAI sends it', () => {
    expect(parseOpenAI(new Headers({ 'x-ratelimit-reset-requests': '6' }), 0)?.resetMs).toBe(6_000);
  });

  it('ignores the -1 Azure OpenAI sends when it has no value', () => {
    const headers = new Headers({ 'x-ratelimit-limit-requests': '-1', 'x-ratelimit-remaining-requests': '-1' });
    expect(parseOpenAI(headers, 0)).toBeUndefined();
  });

  it('reads a negative duration as a reset already passed', () => {
    expect(parseOpenAI(new Headers({ 'x-ratelimit-reset-requests': '-2s' }), 0)?.resetMs).toBe(0);
  });

  it('gives undefined when only token headers are present', () => {
    const headers = new Headers({ 'x-ratelimit-limit-tokens': '150000', 'x-ratelimit-reset-tokens': '6m0s' });
    expect(parseOpenAI(headers, 0)).toBeUndefined();
  });

  it('ignores a malformed reset', () => {
    expect(parseOpenAI(new Headers({ 'x-ratelimit-reset-requests': '6 minutes' }), 0)).toBeUndefined();
  });
});

describe('parseOpenAI properties', () => {
  const names = ['x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests'];

  it('never throws and keeps every number finite, whole and non-negative', () => {
    fc.assert(
      fc.property(headersWith(names), nowArb, (headers, now) => {
        expectWellFormed(parseOpenAI(headers, now));
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads minutes-and-seconds resets exactly', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000 }), fc.nat({ max: 59 }), (m, s) => {
        expect(parseOpenAI(new Headers({ 'x-ratelimit-reset-requests': `${m}m${s}s` }), 0)?.resetMs).toBe((m * 60 + s) * 1000);
      }),
    );
  });
});
