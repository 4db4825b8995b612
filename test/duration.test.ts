import { describe, expect, it } from 'vitest';
import { createClient } from '../src/client.js';
import { expectDuration, MAX_DELAY_MS } from '../src/duration.js';
import { InvalidOptionError } from '../src/errors.js';
import { createRetryPolicy } from '../src/retry/policy.js';
import { sluice } from '../src/undici/index.js';

describe('expectDuration', () => {
  it('takes ms from the minimum up to what a timer holds, and Infinity when allowed', () => {
    expect(expectDuration('x', 0)).toBe(0);
    expect(expectDuration('x', MAX_DELAY_MS)).toBe(MAX_DELAY_MS);
    expect(expectDuration('x', Infinity)).toBe(Infinity);
    expect(expectDuration('x', 1.5, { min: 1 })).toBe(1.5);
  });

  it.each([
    [MAX_DELAY_MS + 1, {}],
    [3e9, {}],
    [-1, {}],
    [Number.NaN, {}],
    ['5', {}],
    [0, { aboveMin: true }],
    [Infinity, { infinity: false }],
  ])('refuses %s (%j)', (value, rule) => {
    expect(() => expectDuration('limits.queueTimeout', value, rule)).toThrow(InvalidOptionError);
    expect(() => expectDuration('limits.queueTimeout', value, rule)).toThrow('Expected `limits.queueTimeout` to be a number of ms');
  });

  it('says what Infinity means where it is allowed', () => {
    expect(() => expectDuration('closeGrace', -1)).toThrow(
      'Expected `closeGrace` to be a number of ms from 0 to 2147483647 (about 24.8 days), or Infinity for no limit, got `-1` (number)',
    );
  });
});

// Node turns a timer above 2³¹ − 1 ms into 1 ms: every user-supplied duration that reaches a
// timer is refused above it at construction, naming the option, rather than firing at once.
describe('every duration option of the client and the interceptor', () => {
  const month = 30 * 24 * 3600 * 1000;
  it.each([
    [{ limits: { queueTimeout: month } }, '`limits.queueTimeout`'],
    [{ timeout: { attempt: month } }, '`timeout.attempt`'],
    [{ timeout: { total: month } }, '`timeout.total`'],
    [{ idleTimeout: month }, '`idleTimeout`'],
    [{ closeGrace: month }, '`closeGrace`'],
    [{ retry: { maxRetryAfter: month } }, '`retry.maxRetryAfter`'],
    [{ retry: { backoff: { base: month } } }, '`retry.backoff.base`'],
    [{ retry: { backoff: { max: Infinity } } }, '`retry.backoff.max`'],
  ])('%j is refused', (options, name) => {
    expect(() => createClient(options)).toThrow(`Expected ${name} to be a number of ms`);
    expect(() => sluice(options)).toThrow(`Expected ${name} to be a number of ms`);
  });

  it('accepts the longest a timer holds, and Infinity for "no limit"', () => {
    expect(() => createClient({ limits: { queueTimeout: MAX_DELAY_MS }, timeout: { total: Infinity }, retry: { maxRetryAfter: Infinity } })).not.toThrow();
  });

  it('refuses a per-request timeout of a month, naming init.sluice', async () => {
    const client = createClient();
    await expect(client.fetch('http://127.0.0.1:1/', { sluice: { timeout: { total: month } } })).rejects.toThrow(
      'Expected `init.sluice.timeout.total` to be a number of ms',
    );
    await client.close();
  });
});

describe('maxRetryAfter: Infinity', () => {
  it('still stops at the longest wait a timer holds, rather than retrying early', () => {
    const policy = createRetryPolicy({ maxRetryAfter: Infinity, random: () => 0.5 });
    const context = (serverDelay: number) => ({
      retries: 0,
      method: 'GET',
      idempotencyKey: false,
      replayable: true,
      outcome: { type: 'response' as const, status: 429, headers: new Headers() },
      signal: { kind: 'rate-refusal' as const, outcome: { type: 'response' as const, status: 429, headers: new Headers() }, serverDelay, rateLimit: undefined, capacityError: false },
      windowHeld: false,
      remainingMs: Infinity,
      previousDelay: 0,
      now: 0,
    });
    expect(policy.decide(context(365 * 24 * 3600 * 1000))).toMatchObject({ retry: false, reason: 'retry-after-too-long' });
    const justUnder = policy.decide(context(MAX_DELAY_MS - 100));
    expect(justUnder).toMatchObject({ retry: true, source: 'server' });
    expect((justUnder as { delay: number }).delay).toBeLessThanOrEqual(MAX_DELAY_MS);
    expect((justUnder as { delay: number }).delay).toBeGreaterThanOrEqual(MAX_DELAY_MS - 100);
  });
});
