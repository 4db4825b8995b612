// Tests of the signals the attempt loop hands a transport: none to follow on the default path,
// and, with timeouts, one the caller's abort still reaches after the response headers came.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AttemptPlan, type AttemptResult, runAttempts } from '../../src/engine/attempt-loop.js';
import { neverAborted } from '../../src/engine/sleep.js';
import { QueueFullError } from '../../src/errors.js';
import { createRetryPolicy } from '../../src/retry/policy.js';

function plan(overrides: Partial<AttemptPlan> = {}): AttemptPlan {
  return {
    method: 'GET',
    origin: 'http://127.0.0.1:1',
    idempotencyKey: false,
    replayable: () => true,
    policy: createRetryPolicy({ random: () => 0 }),
    attemptTimeout: Infinity,
    totalTimeout: Infinity,
    now: Date.now,
    ...overrides,
  };
}

function ok(signals: AbortSignal[]) {
  return (signal: AbortSignal): Promise<AttemptResult<string>> => {
    signals.push(signal);
    return Promise.resolve({ outcome: { type: 'response', status: 200, headers: new Headers() }, value: 'ok' });
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the signal an attempt is sent with', () => {
  it('is neverAborted, and no timer runs, when there is no caller signal and no timeout', async () => {
    const signals: AbortSignal[] = [];
    await expect(runAttempts(plan(), ok(signals))).resolves.toBe('ok');
    expect(signals).toEqual([neverAborted]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('is the caller’s own signal when there is no timeout', async () => {
    const signals: AbortSignal[] = [];
    const controller = new AbortController();
    await runAttempts(plan({ signal: controller.signal }), ok(signals));
    expect(signals).toEqual([controller.signal]);
  });

  it('still carries the caller’s abort after the response came, with timeouts set (the body is read later)', async () => {
    const signals: AbortSignal[] = [];
    const controller = new AbortController();
    await runAttempts(plan({ signal: controller.signal, attemptTimeout: 1000, totalTimeout: 5000 }), ok(signals));
    expect(vi.getTimerCount()).toBe(0);
    controller.abort(new Error('stop reading'));
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[0]!.reason).toEqual(new Error('stop reading'));
  });

  it('is never made when admission refuses the first attempt; the refusal is the answer', async () => {
    const send = vi.fn(ok([]));
    const refusal = new QueueFullError(1);
    const admission = { acquire: () => Promise.reject(refusal), tryRetry: () => true, deposit: () => {} };
    await expect(runAttempts(plan({ admission }), send)).rejects.toBe(refusal);
    expect(send).not.toHaveBeenCalled();
  });

  it('passes the loop itself to admission, with the request’s priority, deadline and patience', async () => {
    const seen: unknown[] = [];
    const admission = {
      acquire: (request: { priority: number; deadline: number; maxWait: number; method?: string }) => {
        seen.push({ priority: request.priority, finite: Number.isFinite(request.deadline), maxWait: request.maxWait, method: request.method });
        return Promise.resolve({ release() {} });
      },
      tryRetry: () => true,
      deposit: () => {},
    };
    await runAttempts(plan({ admission, priority: 3, maxWait: 100, totalTimeout: 1000 }), ok([]));
    expect(seen).toEqual([{ priority: 3, finite: true, maxWait: 100, method: 'GET' }]);
  });
});
