import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { QueueFullError, TimeoutError } from '../../src/errors.js';
import { type AttemptPlan, type AttemptResult, runAttempts } from '../../src/engine/attempt-loop.js';
import { neverAborted } from '../../src/engine/sleep.js';
import { createRetryPolicy } from '../../src/retry/policy.js';

type Step = { status: number; headers?: Record<string, string> } | { error: unknown; sent: boolean } | 'hang';

/** A transport that plays a script of outcomes and records how each attempt went. */
function scripted(steps: Step[]) {
  const log = { attempts: 0, discarded: 0, signals: [] as AbortSignal[] };
  const send = (signal: AbortSignal): Promise<AttemptResult<string>> => {
    const step = steps[Math.min(log.attempts, steps.length - 1)]!;
    log.attempts++;
    log.signals.push(signal);
    if (step === 'hang') {
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    }
    if ('error' in step) return Promise.resolve({ outcome: { type: 'error', error: step.error, sent: step.sent } });
    return Promise.resolve({
      outcome: { type: 'response', status: step.status, headers: new Headers(step.headers) },
      value: `response ${step.status} #${log.attempts}`,
      discard: async () => {
        log.discarded++;
      },
    });
  };
  return { send, log };
}

function plan(overrides: Partial<AttemptPlan> = {}): AttemptPlan {
  return {
    method: 'GET',
    origin: 'http://127.0.0.1:1',
    idempotencyKey: false,
    replayable: () => true,
    policy: createRetryPolicy({ random: () => 0, backoff: { base: 100 } }),
    attemptTimeout: Infinity,
    totalTimeout: Infinity,
    now: Date.now,
    ...overrides,
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('runAttempts', () => {
  it('returns the first final response without waiting', async () => {
    const { send, log } = scripted([{ status: 200 }]);
    await expect(runAttempts(plan(), send)).resolves.toBe('response 200 #1');
    expect(log.attempts).toBe(1);
  });

  it('waits the server time before the retry, never less', async () => {
    const { send, log } = scripted([{ status: 429, headers: { 'retry-after': '2' } }, { status: 200 }]);
    const result = runAttempts(plan(), send);
    await vi.advanceTimersByTimeAsync(1999);
    expect(log.attempts).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(result).resolves.toBe('response 200 #2');
    expect(log.discarded).toBe(1);
  });

  it('returns the last response as it is once retries run out (a final 429 is a response)', async () => {
    const { send, log } = scripted([{ status: 429, headers: { 'retry-after': '1' } }]);
    const result = runAttempts(plan({ policy: createRetryPolicy({ maxRetries: 2, random: () => 0 }) }), send);
    await vi.advanceTimersByTimeAsync(5000);
    await expect(result).resolves.toBe('response 429 #3');
    expect(log.attempts).toBe(3);
  });

  it('rejects with the transport error once it is not retried', async () => {
    const failure = new TypeError('fetch failed', { cause: new Error('other side closed') });
    const { send, log } = scripted([{ error: failure, sent: true }]);
    await expect(runAttempts(plan({ method: 'POST' }), send)).rejects.toBe(failure);
    expect(log.attempts).toBe(1);
  });

  it('does not retry at all when the policy is disabled', async () => {
    const { send, log } = scripted([{ status: 503 }]);
    await expect(runAttempts(plan({ policy: undefined }), send)).resolves.toBe('response 503 #1');
    expect(log.attempts).toBe(1);
  });

  it('rejects with the abort reason within the backoff wait, without another attempt', async () => {
    const controller = new AbortController();
    const { send, log } = scripted([{ status: 503, headers: { 'retry-after': '30' } }, { status: 200 }]);
    const result = runAttempts(plan({ signal: controller.signal }), send);
    const assertion = expect(result).rejects.toBe('stop');
    await vi.advanceTimersByTimeAsync(10);
    controller.abort('stop');
    await assertion;
    expect(log.attempts).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects with the abort reason while an attempt is in flight', async () => {
    const controller = new AbortController();
    const { send, log } = scripted(['hang']);
    const result = runAttempts(plan({ signal: controller.signal }), send);
    const assertion = expect(result).rejects.toBe('gone');
    await vi.advanceTimersByTimeAsync(0);
    expect(log.attempts).toBe(1);
    controller.abort('gone');
    await assertion;
    expect(log.signals[0]!.aborted).toBe(true);
  });

  it('retries an attempt that timed out and reports a TimeoutError when none succeed', async () => {
    const { send, log } = scripted(['hang']);
    const result = runAttempts(plan({ attemptTimeout: 1000, policy: createRetryPolicy({ maxRetries: 1, random: () => 0 }) }), send);
    const assertion = expect(result).rejects.toMatchObject({ name: 'TimeoutError', kind: 'attempt', timeout: 1000 });
    await vi.advanceTimersByTimeAsync(2500);
    await assertion;
    expect(log.attempts).toBe(2);
  });

  it('ends with a total TimeoutError when the deadline passes mid-attempt', async () => {
    const { send } = scripted(['hang']);
    const result = runAttempts(plan({ totalTimeout: 500 }), send);
    const assertion = expect(result).rejects.toBeInstanceOf(TimeoutError);
    await vi.advanceTimersByTimeAsync(500);
    await assertion;
    await expect(result).rejects.toMatchObject({ kind: 'total' });
  });

  it('returns the response at once when the server time does not fit the deadline', async () => {
    const { send, log } = scripted([{ status: 429, headers: { 'retry-after': '10' } }, { status: 200 }]);
    await expect(runAttempts(plan({ totalTimeout: 5000 }), send)).resolves.toBe('response 429 #1');
    expect(log.attempts).toBe(1);
  });

  it('tells the observer about each retry', async () => {
    const onRetry = vi.fn();
    const { send } = scripted([{ status: 503, headers: { 'retry-after': '1' } }, { status: 200 }]);
    const result = runAttempts(plan({ onRetry }), send);
    await vi.advanceTimersByTimeAsync(1000);
    await result;
    expect(onRetry).toHaveBeenCalledWith(expect.objectContaining({ attempt: 1, delay: 1000, source: 'server' }));
  });
});

// The signals handed to a transport: none to follow on the default path, and, with timeouts,
// one the caller's abort still reaches after the response headers came.
describe('the signal an attempt is sent with', () => {
  it('is neverAborted, and no timer runs, when there is no caller signal and no timeout', async () => {
    const { send, log } = scripted([{ status: 200 }]);
    await expect(runAttempts(plan(), send)).resolves.toBe('response 200 #1');
    expect(log.signals).toEqual([neverAborted]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('is the caller’s own signal when there is no timeout', async () => {
    const { send, log } = scripted([{ status: 200 }]);
    const controller = new AbortController();
    await runAttempts(plan({ signal: controller.signal }), send);
    expect(log.signals).toEqual([controller.signal]);
  });

  it('still carries the caller’s abort after the response came, with timeouts set (the body is read later)', async () => {
    const { send, log } = scripted([{ status: 200 }]);
    const controller = new AbortController();
    await runAttempts(plan({ signal: controller.signal, attemptTimeout: 1000, totalTimeout: 5000 }), send);
    expect(vi.getTimerCount()).toBe(0);
    controller.abort(new Error('stop reading'));
    expect(log.signals[0]!.aborted).toBe(true);
    expect(log.signals[0]!.reason).toEqual(new Error('stop reading'));
  });

  it('is never made when admission refuses the first attempt; the refusal is the answer', async () => {
    const send = vi.fn(scripted([{ status: 200 }]).send);
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
        return Promise.resolve({ release: () => ({ windowHeld: false }) });
      },
      tryRetry: () => true,
      deposit: () => {},
    };
    await runAttempts(plan({ admission, priority: 3, maxWait: 100, totalTimeout: 1000 }), scripted([{ status: 200 }]).send);
    expect(seen).toEqual([{ priority: 3, finite: true, maxWait: 100, method: 'GET' }]);
  });
});
