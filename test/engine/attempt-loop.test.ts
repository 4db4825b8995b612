import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TimeoutError } from '../../src/errors.js';
import { type AttemptPlan, type AttemptResult, runAttempts } from '../../src/engine/attempt-loop.js';
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
