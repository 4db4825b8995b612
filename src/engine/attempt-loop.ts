// The one attempt loop shared by every adapter: send an attempt, ask the retry policy, wait, and
// go again — with the caller's abort, the total deadline and the per-attempt timeout applied.

import pRetry, { AbortError } from 'p-retry';
import { TimeoutError, type RequestFacts } from '../errors.js';
import type { AttemptOutcome, RetryDecision, RetryPolicy } from '../retry/policy.js';
import { anySignal, sleep, timeoutSignal } from './sleep.js';

/** What one attempt produced, as the adapter's transport reports it. */
export interface AttemptResult<R> {
  outcome: AttemptOutcome;
  /** Returned to the caller if this attempt is the last (the response). */
  value?: R;
  /** Releases a response that will not be returned: drain a little, else destroy the socket. */
  discard?(): Promise<void>;
}

/** Sends one attempt. Any response or transport failure resolves as an outcome; it rejects only when `signal` aborts. */
export type SendAttempt<R> = (signal: AbortSignal, attempt: number) => Promise<AttemptResult<R>>;

export interface RetryEvent {
  /** The attempt that just failed (1-based). */
  attempt: number;
  delay: number;
  source: 'server' | 'backoff';
  outcome: AttemptOutcome;
}

/** Everything the loop needs to know about one logical request, independent of the adapter. */
export interface AttemptPlan extends RequestFacts {
  method: string;
  /** An `Idempotency-Key` header is present. */
  idempotencyKey: boolean;
  /** Whether the body could be sent again now (asked after each attempt). */
  replayable(): boolean;
  /** `undefined` disables retries. */
  policy: RetryPolicy | undefined;
  /** ms; Infinity for none. The attempt timeout bounds each attempt until its response headers. */
  attemptTimeout: number;
  /** ms; Infinity for none. Bounds the whole request, waits included, until the response headers. */
  totalTimeout: number;
  signal?: AbortSignal | undefined;
  now: () => number;
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

/** A retry was decided; thrown inside p-retry so it runs the wait and the next attempt. */
class RetryRequested<R> extends Error {
  constructor(
    readonly result: AttemptResult<R>,
    readonly decision: Extract<RetryDecision, { retry: true }>,
  ) {
    super('retry requested');
  }
}

/**
 * Runs attempts until one is final and returns its value (the response), or throws the final
 * error: the transport's error, the caller's abort reason, or a `TimeoutError`.
 */
export async function runAttempts<R>(plan: AttemptPlan, send: SendAttempt<R>): Promise<R> {
  const facts = { method: plan.method, origin: plan.origin };
  const total = timeoutSignal(plan.totalTimeout, () => new TimeoutError(plan.totalTimeout, 'total', facts));
  const signal = anySignal(plan.signal, total.signal);
  const deadline = plan.now() + plan.totalTimeout;
  let retries = 0;
  let previousDelay = 0;

  const attempt = async (attemptNumber: number): Promise<R> => {
    const result = await attemptOnce(plan, send, signal, attemptNumber);
    const decision: RetryDecision = plan.policy
      ? plan.policy.decide({
          retries,
          method: plan.method,
          idempotencyKey: plan.idempotencyKey,
          replayable: plan.replayable(),
          outcome: result.outcome,
          remainingMs: deadline - plan.now(),
          previousDelay,
          now: plan.now(),
        })
      : { retry: false, reason: 'success' };
    if (decision.retry) throw new RetryRequested(result, decision);
    if (result.outcome.type === 'error') throw new AbortError(toError(result.outcome.error));
    return result.value as R;
  };

  try {
    // p-retry owns the loop; the policy owns every decision, so p-retry's own counting and
    // delays are switched off (retries: Infinity, minTimeout: 0) and the wait happens in shouldRetry.
    return await pRetry(attempt, {
      retries: Infinity,
      minTimeout: 0,
      signal,
      shouldRetry: async ({ error }) => {
        if (!(error instanceof RetryRequested)) return false;
        const { result, decision } = error as RetryRequested<R>;
        void result.discard?.();
        plan.onRetry?.({ attempt: retries + 1, delay: decision.delay, source: decision.source, outcome: result.outcome });
        retries++;
        previousDelay = decision.delay;
        await sleep(decision.delay, signal);
        return true;
      },
    });
  } finally {
    total.dispose();
  }
}

async function attemptOnce<R>(
  plan: AttemptPlan,
  send: SendAttempt<R>,
  requestSignal: AbortSignal,
  attemptNumber: number,
): Promise<AttemptResult<R>> {
  const facts = { method: plan.method, origin: plan.origin };
  const timer = timeoutSignal(plan.attemptTimeout, () => new TimeoutError(plan.attemptTimeout, 'attempt', facts));
  try {
    return await send(anySignal(requestSignal, timer.signal), attemptNumber);
  } catch (error) {
    if (requestSignal.aborted) throw requestSignal.reason;
    // Only this attempt timed out. It may have reached the server, so it counts as sent.
    if (timer.signal.aborted) return { outcome: { type: 'error', error: timer.signal.reason, sent: true } };
    throw error;
  } finally {
    timer.dispose();
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
