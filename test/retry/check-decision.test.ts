import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { checkDecision } from '../../src/retry/check-decision.js';

describe('checkDecision', () => {
  it('passes decisions the loop can act on through as they are', () => {
    const stop = { retry: false, reason: 'success' } as const;
    const go = { retry: true, delay: 250, source: 'server' } as const;
    expect(checkDecision(stop)).toBe(stop);
    expect(checkDecision(go)).toBe(go);
    expect(checkDecision({ retry: true, delay: 0, source: 'backoff' })).toEqual({ retry: true, delay: 0, source: 'backoff' });
    expect(checkDecision({ retry: true, delay: 2 ** 31 - 1, source: 'backoff' }).retry).toBe(true);
  });

  it.each([
    [undefined, 'Expected `retry.decide() result` to be { retry: false, reason } or { retry: true, delay', '`undefined`'],
    [null, 'Expected `retry.decide() result` to be', '`null`'],
    [{ delay: 5 }, 'Expected `retry.decide() result` to be', '`{"delay":5}` (object)'],
    [{ retry: 'yes' }, 'Expected `retry.decide() result` to be', '(object)'],
    [true, 'Expected `retry.decide() result` to be', '`true` (boolean)'],
  ])('refuses %j with a message naming the shape', (value, start, got) => {
    expect(() => checkDecision(value)).toThrow(InvalidOptionError);
    expect(() => checkDecision(value)).toThrow(start);
    expect(() => checkDecision(value)).toThrow(got);
  });

  it.each([Infinity, 1e12, 2 ** 31, -1, Number.NaN, '100', undefined])('refuses a delay of %s: no timer could hold it', (delay) => {
    expect(() => checkDecision({ retry: true, delay, source: 'backoff' })).toThrow(
      'Expected `retry.decide() result.delay` to be a number of ms from 0 to 2147483647 (about 24.8 days), got',
    );
  });

  it('refuses an unknown source', () => {
    expect(() => checkDecision({ retry: true, delay: 5, source: 'gut feeling' })).toThrow(
      "Expected `retry.decide() result.source` to be 'server' or 'backoff', got `\"gut feeling\"` (string)",
    );
  });
});
