import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRetryPolicy, type AttemptOutcome } from '../../src/retry/policy.js';
import { classifyAttempt } from '../../src/signal/attempt-signal.js';
import { headerReader, headersWith, nowArb } from '../ratelimit/arbitraries.js';

// The header parsers and the backoff have their own properties (test/ratelimit, test/retry);
// these pin the contract of their composition, the policy, for any headers a server may send:
// never earlier than the server asked, never past the caps or the deadline, never a throw.

const hostileHeaders = headersWith([
  'retry-after',
  'retry-after-ms',
  'ratelimit',
  'ratelimit-policy',
  'ratelimit-remaining',
  'ratelimit-reset',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'x-ratelimit-reset-after',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
]);

/** Well-formed server times, so most runs reach the branches that honour one (hostile ones mostly do not). */
const validHeaders = fc.oneof(
  fc.nat({ max: 200 }).map((s) => ({ 'retry-after': String(s) })),
  fc.nat({ max: 200_000 }).map((ms) => ({ 'retry-after-ms': String(ms) })),
  fc.tuple(fc.nat({ max: 100 }), fc.nat({ max: 3600 })).map(([remaining, reset]) => ({
    'x-ratelimit-remaining': String(remaining % 3 === 0 ? 0 : remaining),
    'x-ratelimit-reset': String(reset),
  })),
  fc.nat({ max: 100 }).map((seconds) => ({ 'ratelimit-policy': '"default";q=100;w=60', ratelimit: `"default";r=0;t=${seconds}` })),
);

const nowAndHeaders = fc.oneof(
  fc.tuple(nowArb, hostileHeaders),
  fc.tuple(fc.integer({ min: 0, max: 7_258_118_400_000 }), validHeaders).map(([now, record]) => [now, headerReader(record)] as const),
  fc.tuple(fc.integer({ min: 0, max: 7_258_118_400_000 }), fc.integer({ min: -5_000, max: 300_000 })).map(
    ([now, aheadMs]) => [now, headerReader({ 'retry-after': new Date(now + aheadMs).toUTCString() })] as const,
  ),
);

const contextArb = fc.record({
  status: fc.constantFrom(200, 408, 429, 500, 503, 504, 404),
  nowAndHeaders,
  retries: fc.nat({ max: 8 }),
  remainingMs: fc.oneof(fc.constant(Infinity), fc.double({ min: 0, max: 1e7, noNaN: true })),
  previousDelay: fc.double({ min: 0, max: 1e6, noNaN: true }),
  maxRetryAfter: fc.oneof(fc.constant(60_000), fc.nat({ max: 1e7 })),
  random: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  method: fc.constantFrom('GET', 'POST', 'PUT'),
});

describe('the retry policy, for any server time', () => {
  it('never throws, and a retry is finite, non-negative and within the remaining deadline', () => {
    fc.assert(
      fc.property(contextArb, ({ nowAndHeaders: [now, headers], ...c }) => {
        const policy = createRetryPolicy({ maxRetryAfter: c.maxRetryAfter, random: () => c.random });
        const outcome: AttemptOutcome = { type: 'response', status: c.status, headers };
        const signal = classifyAttempt(outcome, now);
        const decision = policy.decide({ ...c, now, idempotencyKey: false, replayable: true, outcome, signal, windowHeld: false });
        if (!decision.retry) return;
        expect(Number.isFinite(decision.delay)).toBe(true);
        expect(decision.delay).toBeGreaterThanOrEqual(0);
        expect(decision.delay).toBeLessThanOrEqual(c.remainingMs);
      }),
      { numRuns: 500 },
    );
  });

  it('waits at least the server time, jittered upward by at most a twentieth (≤ 1 s), and never past maxRetryAfter', () => {
    fc.assert(
      fc.property(contextArb, ({ nowAndHeaders: [now, headers], ...c }) => {
        const policy = createRetryPolicy({ maxRetryAfter: c.maxRetryAfter, random: () => c.random });
        const outcome: AttemptOutcome = { type: 'response', status: c.status, headers };
        const signal = classifyAttempt(outcome, now);
        const decision = policy.decide({ ...c, now, idempotencyKey: false, replayable: true, outcome, signal, windowHeld: false });
        const server = signal.serverDelay;
        if (server === undefined) {
          if (decision.retry) expect(decision.source).toBe('backoff');
          return;
        }
        if (!decision.retry) {
          // A server time the caps refuse is reported, never shortened into a retry.
          if (decision.reason === 'retry-after-too-long') expect(server).toBeGreaterThan(c.maxRetryAfter);
          if (decision.reason === 'retry-after-too-long' || decision.reason === 'deadline') {
            expect(decision.retryAt).toBe(now + server);
          }
          return;
        }
        expect(decision.source).toBe('server');
        expect(server).toBeLessThanOrEqual(c.maxRetryAfter);
        expect(decision.delay).toBeGreaterThanOrEqual(server);
        expect(decision.delay - server).toBeLessThanOrEqual(Math.min(server * 0.05, 1000) + 1e-6);
      }),
      { numRuns: 500 },
    );
  });
});
