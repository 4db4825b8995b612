import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { createRetryPolicy, type AttemptOutcome, type RetryContext } from '../../src/retry/policy.js';
import { classifyAttempt } from '../../src/signal/attempt-signal.js';

const now = Date.UTC(2026, 10, 29, 12, 0, 0);

function response(status: number, headers: Record<string, string> = {}): AttemptOutcome {
  return { type: 'response', status, headers: new Headers(headers) };
}

function networkError(sent: boolean): AttemptOutcome {
  return { type: 'error', error: new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) }), sent };
}

function context(outcome: AttemptOutcome, overrides: Partial<RetryContext> = {}): RetryContext {
  return {
    retries: 0,
    method: 'GET',
    idempotencyKey: false,
    replayable: true,
    outcome,
    signal: classifyAttempt(outcome, now),
    windowHeld: false,
    remainingMs: Infinity,
    previousDelay: 0,
    now,
    ...overrides,
  };
}

// random() = 0 makes every jitter its lowest value, so delays are exact.
const policy = createRetryPolicy({ random: () => 0 });

describe('which outcomes are retried', () => {
  it.each([408, 429, 500, 502, 503, 504, 529])('retries status %i by default', (status) => {
    expect(policy.decide(context(response(status))).retry).toBe(true);
  });

  it.each([200, 204, 301, 400, 401, 404, 409, 501])('does not retry status %i by default', (status) => {
    expect(policy.decide(context(response(status))).retry).toBe(false);
  });

  it('retries the statuses the caller configures instead', () => {
    const custom = createRetryPolicy({ statusCodes: [418] });
    expect(custom.decide(context(response(418))).retry).toBe(true);
    expect(custom.decide(context(response(503))).retry).toBe(false);
  });

  it('retries an error from before the request was sent, for any method', () => {
    expect(policy.decide(context(networkError(false), { method: 'POST' })).retry).toBe(true);
  });

  it('never re-sends a POST without an Idempotency-Key after it left', () => {
    expect(policy.decide(context(networkError(true), { method: 'POST' }))).toEqual({
      retry: false,
      reason: 'method-not-retried',
    });
    expect(policy.decide(context(response(503), { method: 'POST' })).retry).toBe(false);
  });

  it('re-sends a POST that carries an Idempotency-Key', () => {
    expect(policy.decide(context(networkError(true), { method: 'POST', idempotencyKey: true })).retry).toBe(true);
  });

  it.each(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE', 'QUERY'])(
    'retries an error after sending for the idempotent method %s',
    (method) => {
      expect(policy.decide(context(networkError(true), { method })).retry).toBe(true);
    },
  );

  it('does not retry when the body cannot be sent again', () => {
    expect(policy.decide(context(response(503), { replayable: false }))).toEqual({
      retry: false,
      reason: 'body-not-replayable',
    });
    expect(policy.decide(context(networkError(false), { replayable: false })).retry).toBe(false);
  });

  it('does not retry a TypeError that is not a transport failure', () => {
    const outcome: AttemptOutcome = { type: 'error', error: new TypeError('Invalid header'), sent: true };
    expect(policy.decide(context(outcome))).toEqual({ retry: false, reason: 'error-not-retried' });
  });

  it('retries a 403 that is a rate-limit refusal (GitHub), not a permission error', () => {
    const quota = { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 30) };
    expect(policy.decide(context(response(403, quota)))).toMatchObject({ retry: true, delay: 30_000, source: 'server' });
    expect(policy.decide(context(response(403, { 'retry-after': '5' })))).toMatchObject({ retry: true, delay: 5000 });
    expect(policy.decide(context(response(403))).retry).toBe(false);
  });

  it('does not retry when the server says not to (x-should-retry, Stripe-Should-Retry)', () => {
    expect(policy.decide(context(response(503, { 'x-should-retry': 'false' })))).toEqual({
      retry: false,
      reason: 'server-declined',
    });
    expect(policy.decide(context(response(429, { 'stripe-should-retry': 'false' }))).retry).toBe(false);
  });

  it('does not retry an error undici raises for an invalid request', () => {
    const invalid = Object.assign(new Error('invalid header'), { code: 'UND_ERR_INVALID_ARG' });
    expect(policy.decide(context({ type: 'error', error: invalid, sent: true }))).toEqual({
      retry: false,
      reason: 'error-not-retried',
    });
  });

  it('stops after maxRetries', () => {
    const limited = createRetryPolicy({ maxRetries: 2 });
    expect(limited.decide(context(response(503), { retries: 1 })).retry).toBe(true);
    expect(limited.decide(context(response(503), { retries: 2 }))).toEqual({ retry: false, reason: 'max-retries' });
  });
});

describe('how long to wait', () => {
  it('waits the Retry-After seconds the server asked for', () => {
    expect(policy.decide(context(response(429, { 'retry-after': '3' })))).toEqual({
      retry: true,
      delay: 3000,
      source: 'server',
    });
  });

  it('waits until a Retry-After HTTP-date', () => {
    const date = new Date(now + 5000).toUTCString();
    expect(policy.decide(context(response(503, { 'retry-after': date })))).toMatchObject({ delay: 5000, source: 'server' });
  });

  it('prefers retry-after-ms to Retry-After', () => {
    expect(policy.decide(context(response(429, { 'retry-after-ms': '1500', 'retry-after': '3' })))).toMatchObject({
      delay: 1500,
    });
  });

  it('uses a rate-limit reset when the quota is spent and no Retry-After is given', () => {
    const headers = { 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 20) };
    expect(policy.decide(context(response(429, headers)))).toMatchObject({ delay: 20_000, source: 'server' });
  });

  it('jitters a server time upward only, by at most a twentieth and one second', () => {
    const highest = createRetryPolicy({ random: () => 0.999999 });
    const short = highest.decide(context(response(429, { 'retry-after': '2' })));
    const long = highest.decide(context(response(429, { 'retry-after': '50' })));
    expect(short).toMatchObject({ retry: true });
    expect(short.retry && short.delay).toBeGreaterThanOrEqual(2000);
    expect(short.retry && short.delay).toBeLessThanOrEqual(2100);
    // A twentieth of 50 s would be 2.5 s: capped at one second.
    expect(long.retry && long.delay).toBeLessThanOrEqual(51_000);
  });

  it('falls back to backoff when Retry-After is malformed, instead of giving up', () => {
    const halfway = createRetryPolicy({ random: () => 0.5, backoff: { base: 100 } });
    expect(halfway.decide(context(response(503, { 'retry-after': 'soon' })))).toEqual({
      retry: true,
      delay: 50,
      source: 'backoff',
    });
  });

  it('backs off exponentially with full jitter when the server gives no time', () => {
    const halfway = createRetryPolicy({ random: () => 0.5, backoff: { base: 100, max: 1000 } });
    const delays = [0, 1, 2, 3, 4, 5].map((retries) => {
      const decision = halfway.decide(context(response(502), { retries }));
      return decision.retry ? decision.delay : -1;
    });
    expect(delays).toEqual([50, 100, 200, 400, 500, -1]);
  });

  it("retries at once a capacity refusal the key's adaptive window holds back, leaving the wait to the gate", () => {
    const halfway = createRetryPolicy({ random: () => 0.5, backoff: { base: 100, max: 1000 } });
    expect(halfway.decide(context(response(503), { windowHeld: true }))).toEqual({ retry: true, delay: 0, source: 'backoff' });
    const refused: AttemptOutcome = { type: 'error', error: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), sent: false };
    expect(halfway.decide(context(refused, { windowHeld: true }))).toEqual({ retry: true, delay: 0, source: 'backoff' });
  });

  it('still backs off a refusal held again on a later retry, and one the window did not hold', () => {
    const halfway = createRetryPolicy({ random: () => 0.5, backoff: { base: 100, max: 1000 } });
    expect(halfway.decide(context(response(503), { retries: 1, windowHeld: true }))).toEqual({ retry: true, delay: 100, source: 'backoff' });
    expect(halfway.decide(context(response(503)))).toEqual({ retry: true, delay: 50, source: 'backoff' });
  });

  it('lets server time win over a held refusal', () => {
    expect(policy.decide(context(response(503, { 'retry-after': '2' }), { windowHeld: true }))).toEqual({ retry: true, delay: 2000, source: 'server' });
  });
});

describe('caps, not hangs', () => {
  it('returns at once when the server asks for longer than maxRetryAfter, reporting when', () => {
    const capped = createRetryPolicy({ maxRetryAfter: 10_000 });
    expect(capped.decide(context(response(429, { 'retry-after': '60' })))).toEqual({
      retry: false,
      reason: 'retry-after-too-long',
      retryAt: now + 60_000,
    });
  });

  it('does not start a server wait that cannot fit the remaining deadline', () => {
    expect(policy.decide(context(response(429, { 'retry-after': '5' }), { remainingMs: 4000 }))).toEqual({
      retry: false,
      reason: 'deadline',
      retryAt: now + 5000,
    });
  });

  it('does not start a backoff that cannot fit the remaining deadline', () => {
    const slow = createRetryPolicy({ random: () => 0.5, backoff: { base: 1000 } });
    expect(slow.decide(context(response(503), { remainingMs: 100 }))).toEqual({ retry: false, reason: 'deadline' });
  });
});

describe('validation', () => {
  it.each([
    [{ maxRetries: -1 }, 'Expected `retry.maxRetries` to be an integer from 0 to 1000, got `-1` (number)'],
    [{ statusCodes: [999] }, 'Expected `retry.statusCodes[0]` to be an integer from 100 to 599, got `999` (number)'],
    [{ backoff: { jitter: 'wild' } }, "Expected `retry.backoff.jitter` to be one of 'full', 'equal', 'decorrelated', 'none', got `\"wild\"` (string)"],
    [{ maxRetrys: 3 }, 'Expected `retry.maxRetrys` to be one of the known options'],
    [{ methods: 'GET' }, 'Expected `retry.methods` to be an array of HTTP method names'],
  ])('rejects %j with a message naming the option', (options, message) => {
    expect(() => createRetryPolicy(options as never)).toThrow(InvalidOptionError);
    expect(() => createRetryPolicy(options as never)).toThrow(message);
  });
});
