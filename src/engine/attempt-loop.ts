// The one attempt loop shared by every adapter: send an attempt, ask the retry policy, wait, and
// go again — with the caller's abort, the total deadline and the per-attempt timeout applied.

import pRetry, { AbortError } from 'p-retry';
import { RetryBudgetExhaustedError, TimeoutError, type RequestFacts } from '../errors.js';
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

/** Where the gate plugs in: every attempt is admitted before it is sent and released after. */
export interface Admission {
  /** Waits until the attempt may be sent; rejects with a typed refusal or the abort reason. */
  acquire(signal: AbortSignal, deadline: number): Promise<{ release(outcome: AttemptOutcome | undefined): void }>;
  /** Takes one retry from the budget; false when retries are not affordable now. */
  tryRetry(): boolean;
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
  /** The key's gate; absent means attempts are sent at once. */
  admission?: Admission | undefined;
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
    const result = await attemptOnce(plan, send, signal, deadline, attemptNumber);
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
    if (decision.retry) {
      if (plan.admission?.tryRetry() ?? true) throw new RetryRequested(result, decision);
      // Out of budget: a response is still the caller's answer; an error says why it stopped.
      if (result.outcome.type === 'error') {
        throw new AbortError(new RetryBudgetExhaustedError(retries + 1, { ...facts, cause: result.outcome.error }));
      }
    }
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
  deadline: number,
  attemptNumber: number,
): Promise<AttemptResult<R>> {
  const facts = { method: plan.method, origin: plan.origin };
  // Queueing is not part of the attempt: the attempt timeout starts once the gate admits it.
  const ticket = await plan.admission?.acquire(requestSignal, deadline);
  if (requestSignal.aborted) {
    ticket?.release(undefined);
    throw requestSignal.reason;
  }
  const timer = timeoutSignal(plan.attemptTimeout, () => new TimeoutError(plan.attemptTimeout, 'attempt', facts));
  let result: AttemptResult<R> | undefined;
  try {
    result = await send(anySignal(requestSignal, timer.signal), attemptNumber);
    return result;
  } catch (error) {
    if (requestSignal.aborted) throw requestSignal.reason;
    // Only this attempt timed out. It may have reached the server, so it counts as sent.
    if (timer.signal?.aborted) {
      result = { outcome: { type: 'error', error: timer.signal.reason, sent: true } };
      return result;
    }
    throw error;
  } finally {
    timer.dispose();
    ticket?.release(result?.outcome);
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
