// The one attempt loop shared by every adapter: send an attempt, ask the retry policy, wait, and
// go again — with the caller's abort, the total deadline and the per-attempt timeout applied.

import pRetry, { AbortError } from 'p-retry';
import { ClientClosedError, RetryBudgetExhaustedError, TimeoutError, type RequestFacts } from '../errors.js';
import { routeOf } from '../gate/bucket-routes.js';
import { checkDecision } from '../retry/check-decision.js';
import type { RetryDecision, RetryPolicy } from '../retry/policy.js';
import { type AttemptOutcome, type AttemptSignal, classifyAttempt } from '../signal/attempt-signal.js';
import { type AttemptFeedback, NOT_HELD } from '../state/learn.js';
import type { RequestTracker, TrackedRequest } from './request-tracker.js';
import { Deadline, neverAborted, sleep } from './sleep.js';

/** What one attempt produced, as the adapter's transport reports it. */
export interface AttemptResult<R> {
  outcome: AttemptOutcome;
  /** Returned to the caller if this attempt is the last (the response). */
  value?: R;
  /** Releases a response that will not be returned: drain a little, else destroy the socket. */
  discard?(): Promise<void>;
}

/**
 * Sends one attempt. Any response or transport failure resolves as an outcome; it rejects only
 * when `signal` aborts. `signal` is `neverAborted` when nothing can abort the attempt: the
 * transport then need not (and should not) listen to it.
 */
export type SendAttempt<R> = (signal: AbortSignal, attempt: number) => Promise<AttemptResult<R>>;

export interface RetryEvent {
  /** The attempt that just failed (1-based). */
  attempt: number;
  delay: number;
  source: 'server' | 'backoff';
  outcome: AttemptOutcome;
}

/** What the adapter's `beforeRetry` is told, after the wait and before the next attempt. */
export interface RetryPreparation<R> extends RetryEvent {
  /** The failed attempt's value (the fetch facade's `Response`), its body already being released. */
  value: R | undefined;
  /** The request's signal (the caller's, or its total deadline); a never-aborting one when there is none. */
  signal: AbortSignal;
}

/** What the gate is told about a request asking to send an attempt. */
export interface AdmissionRequest extends RequestFacts {
  /** Aborts the wait; the request's signal (the caller's, or its total deadline). */
  signal?: AbortSignal | undefined;
  /** Higher is served sooner. */
  priority: number;
  /** Epoch ms by which the request must be admitted (its total deadline); Infinity for none. */
  deadline: number;
  /** Longest pause this request will wait through (maxRetryAfter). */
  maxWait: number;
}

/** Admission to send one attempt; `release` must be called exactly once when it ends. */
export interface AdmissionTicket {
  /**
   * Reports how the attempt ended (`undefined`: abandoned by an abort, which teaches nothing);
   * returns what the key's state says back to the retry decision.
   */
  release(signal: AttemptSignal | undefined): AttemptFeedback;
}

/** Where the gate plugs in (a `Gate` is one): every attempt is admitted before it is sent and released after. */
export interface Admission {
  /** Waits until the attempt may be sent; rejects with a typed refusal or the abort reason. */
  acquire(request: AdmissionRequest): Promise<AdmissionTicket>;
  /** Takes one retry from the budget; false when retries are not affordable now. */
  tryRetry(feedback: AttemptFeedback): boolean;
  /** Counts a logical request into the retry budget; called once, when its first attempt is admitted. */
  deposit(): void;
}

/** Everything the loop needs to know about one logical request, independent of the adapter. */
export interface AttemptPlan<R = unknown> extends RequestFacts {
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
  /** Admission priority (higher is served sooner). @default 0 */
  priority?: number | undefined;
  /** Longest pause the request waits through for admission. @default Infinity */
  maxWait?: number | undefined;
  /** Where the request's route is read from, only when a response names a rate-limit bucket. */
  route?: { readonly method: string; readonly url: URL } | undefined;
  /**
   * Runs after a retry's wait, before the next attempt is admitted (the adapter runs the caller's
   * hook here and applies what it changed). A rejection fails the request with its reason.
   */
  beforeRetry?: ((preparation: RetryPreparation<R>) => void | Promise<void>) | undefined;
  /** The engine's list of unfinished requests, which `close()` works through; absent: none. */
  tracker?: RequestTracker | undefined;
  /**
   * Stops the attempt in flight with `reason` (the adapter aborts what it sent), when the client's
   * close grace period ends: an AbortController, or the interceptor's request controller. Absent
   * when closing the transport itself does it (the client's own Agent is destroyed then).
   */
  abortable?: { abort(reason: Error): void } | undefined;
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
export function runAttempts<R>(plan: AttemptPlan<R>, send: SendAttempt<R>): Promise<R> {
  return new AttemptLoop(plan, send).start();
}

/**
 * One logical request's state. It is also the `AdmissionRequest` the gate holds while the
 * request waits, so a queued request costs this object, the gate's waiter and the caller's
 * promise — the loop's async frames only exist once it is admitted.
 *
 * The healthy path does not enter p-retry: the first attempt is sent directly, and only when it
 * is not final (a retry is decided, it failed, or admission was refused) does p-retry take over,
 * seeded with that first attempt's failure, to drive the waits and every further attempt. So an
 * outcome reaches the caller through exactly the p-retry path it always did, and a request that
 * succeeds at once pays for neither p-retry's frames nor a controller it does not need.
 */
class AttemptLoop<R> implements AdmissionRequest, TrackedRequest {
  readonly method: string;
  readonly origin: string | undefined;
  readonly priority: number;
  readonly maxWait: number;
  readonly deadline: number;
  /** The caller's signal, or with a total timeout one that also aborts at the deadline; none when nothing can abort. */
  readonly signal: AbortSignal | undefined;
  readonly #plan: AttemptPlan<R>;
  readonly #send: SendAttempt<R>;
  readonly #total: Deadline | undefined;
  #retries = 0;
  #previousDelay = 0;
  /** Where the engine's tracker holds this request. */
  #trackerSlot = -1;
  /** Set when the client's close grace period ended with this request still out. */
  #closed: ClientClosedError | undefined;

  constructor(plan: AttemptPlan<R>, send: SendAttempt<R>) {
    this.method = plan.method;
    this.origin = plan.origin;
    this.priority = plan.priority ?? 0;
    this.maxWait = plan.maxWait ?? Infinity;
    this.#plan = plan;
    this.#send = send;
    const total = plan.totalTimeout;
    this.deadline = plan.now() + total;
    if (Number.isFinite(total)) {
      this.#total = new Deadline(plan.signal, total, () => new TimeoutError(total, 'total', this.#facts()));
      this.signal = this.#total.signal;
    } else {
      this.signal = plan.signal;
    }
  }

  /** For the gate: read only when a response names a bucket, so the URL is not built before. */
  get route(): string | undefined {
    const source = this.#plan.route;
    return source === undefined ? undefined : routeOf(source.method, source.url);
  }

  start(): Promise<R> {
    this.#trackerSlot = this.#plan.tracker?.add(this) ?? -1;
    return this.#attempt(1);
  }

  /** The client's close grace period ended: stop the attempt in flight; the request fails with ClientClosedError. */
  abortInFlight(): void {
    if (this.#closed !== undefined) return;
    this.#closed = new ClientClosedError(this.#facts());
    this.#plan.abortable?.abort(this.#closed);
  }

  /**
   * One attempt: admission, send, release, and the policy's verdict. Later attempts are
   * p-retry's: they return the value when final and otherwise throw what p-retry reads. The first
   * is called directly and, when it is not final, hands over to p-retry itself.
   *
   * One async frame per attempt, on purpose: a queued request waits in the `await` of `acquire`,
   * and this frame and the loop's object are all it holds meanwhile.
   */
  async #attempt(attemptNumber: number): Promise<R> {
    const first = attemptNumber === 1;
    try {
      const admission = this.#plan.admission;
      // Queueing is not part of the attempt: the attempt timeout starts once the gate admits it.
      const ticket = admission === undefined ? undefined : await admission.acquire(this);
      const signal = this.signal;
      if (signal?.aborted || this.#plan.tracker?.closing.aborted) {
        // Aborted, or the client closed, while the admission was on its way: nothing is sent.
        ticket?.release(undefined);
        throw signal?.aborted ? signal.reason : new ClientClosedError(this.#facts());
      }
      // Counted when first sent, not when asked for: a burst queued for longer than the budget's
      // window would otherwise have its deposits expire before its retries need them.
      if (first) admission?.deposit();
      const timer = Number.isFinite(this.#plan.attemptTimeout) ? this.#attemptDeadline() : undefined;
      let result: AttemptResult<R> | undefined;
      let signalOf: AttemptSignal | undefined;
      let feedback = NOT_HELD;
      try {
        result = await this.#send(timer?.signal ?? signal ?? neverAborted, attemptNumber);
      } catch (error) {
        if (this.#closed !== undefined) throw this.#closed;
        if (signal?.aborted) throw signal.reason;
        // Only this attempt timed out. It may have reached the server, so it counts as sent.
        if (!timer?.timedOut) throw error;
        result = { outcome: { type: 'error', error: timer.signal.reason, sent: true } };
      } finally {
        timer?.dispose();
        // The one classification of this attempt: the gate and the policy both read it.
        if (result !== undefined) signalOf = classifyAttempt(result.outcome, this.#plan.now());
        if (ticket !== undefined) feedback = ticket.release(signalOf);
      }
      // Cut off by the end of the close grace period (the client's Agent destroyed under it).
      if (this.#closed !== undefined && result.outcome.type === 'error') throw this.#closed;
      // A custom policy may decide asynchronously; the default decides at once, so the healthy
      // path awaits nothing more. The gate's slot was released above: a slow decision holds none.
      let decision: RetryDecision;
      try {
        const decided = this.#decide(result, signalOf!, feedback);
        decision = checkDecision(isPromiseLike(decided) ? await this.#untilClosed(decided) : decided);
      } catch (error) {
        // No decision, so no answer to give: the response is let go as a retried one would be.
        void result.discard?.();
        throw error;
      }
      const value = this.#verdict(result, decision, feedback);
      // As p-retry does after a successful attempt: an abort that came meanwhile wins.
      if (first) this.signal?.throwIfAborted();
      return value;
    } catch (failure) {
      if (!first) throw failure;
      return await this.#retry(failure);
    } finally {
      if (first) {
        this.#total?.dispose();
        this.#plan.tracker?.delete(this.#trackerSlot, this);
      }
    }
  }

  #attemptDeadline(): Deadline {
    const timeout = this.#plan.attemptTimeout;
    return new Deadline(this.signal, timeout, () => new TimeoutError(timeout, 'attempt', this.#facts()));
  }

  /**
   * p-retry owns the loop from the first failure on; the policy owns every decision, so p-retry's
   * own counting and delays are switched off (retries: Infinity, minTimeout: 0) and the wait
   * happens in shouldRetry. Its attempt 1 is the one already made: it fails again with what it
   * failed with, so p-retry treats it exactly as if it had made it.
   */
  #retry(firstFailure: unknown): Promise<R> {
    return pRetry(
      (attemptNumber) => {
        if (attemptNumber === 1) throw firstFailure;
        return this.#attempt(attemptNumber);
      },
      {
        retries: Infinity,
        minTimeout: 0,
        signal: this.signal,
        shouldRetry: ({ error }) => this.#beforeRetry(error),
      },
    );
  }

  async #beforeRetry(error: unknown): Promise<boolean> {
    if (!(error instanceof RetryRequested)) return false;
    const { result, decision } = error as RetryRequested<R>;
    void result.discard?.();
    this.#plan.onRetry?.({ attempt: this.#retries + 1, delay: decision.delay, source: decision.source, outcome: result.outcome });
    this.#retries++;
    this.#previousDelay = decision.delay;
    // A client that closes ends the wait at once: a retry after a long Retry-After must neither
    // hold close() up nor keep the process alive.
    const closing = this.#plan.tracker?.closing;
    try {
      await sleep(decision.delay, this.signal, closing);
    } catch (error) {
      throw this.#closedInstead(error);
    }
    // The caller's hook (refresh a token, re-sign the request) runs after the wait, so what it
    // prepares is fresh when the attempt goes out. p-retry only checks the signal once
    // shouldRetry returns, so an abort is raced here: it must not wait for a slow hook.
    const hook = this.#plan.beforeRetry;
    if (hook !== undefined) {
      const signal = this.signal ?? new AbortController().signal;
      const prepared = hook({ attempt: this.#retries + 1, delay: decision.delay, source: decision.source, outcome: result.outcome, value: result.value, signal });
      await untilAborted(isPromiseLike(prepared) ? this.#untilClosed(prepared) : prepared, signal);
    }
    return true;
  }

  /** Settles as `work` does, or rejects with ClientClosedError as soon as the client closes. */
  #untilClosed<T>(work: PromiseLike<T>): Promise<T> {
    const closing = this.#plan.tracker?.closing;
    if (closing === undefined) return Promise.resolve(work);
    return untilAborted(work, closing).catch((error: unknown) => {
      throw this.#closedInstead(error);
    });
  }

  /** The client's close, as this request's own ClientClosedError (with its method and origin). */
  #closedInstead(error: unknown): unknown {
    const closing = this.#plan.tracker?.closing;
    return closing?.aborted && error === closing.reason ? new ClientClosedError(this.#facts()) : error;
  }

  /** What the policy decides about an attempt; a custom policy may answer with a promise. */
  #decide(result: AttemptResult<R>, signal: AttemptSignal, feedback: AttemptFeedback): RetryDecision | PromiseLike<RetryDecision> {
    const plan = this.#plan;
    if (!plan.policy) return stop;
    return plan.policy.decide({
      retries: this.#retries,
      method: this.method,
      idempotencyKey: plan.idempotencyKey,
      replayable: plan.replayable(),
      outcome: result.outcome,
      signal,
      windowHeld: feedback.windowHeld,
      remainingMs: this.deadline - plan.now(),
      previousDelay: this.#previousDelay,
      now: plan.now(),
    });
  }

  /** Acts on the policy's decision: the attempt's value when final, else a throw p-retry reads. */
  #verdict(result: AttemptResult<R>, decision: RetryDecision, feedback: AttemptFeedback): R {
    const plan = this.#plan;
    if (decision.retry) {
      if (plan.admission?.tryRetry(feedback) ?? true) throw new RetryRequested(result, decision);
      // Out of budget: a response is still the caller's answer; an error says why it stopped.
      if (result.outcome.type === 'error') {
        throw new AbortError(new RetryBudgetExhaustedError(this.#retries + 1, { ...this.#facts(), cause: result.outcome.error }));
      }
    }
    if (result.outcome.type === 'error') throw new AbortError(toError(result.outcome.error));
    return result.value as R;
  }

  #facts(): RequestFacts {
    return { method: this.method, origin: this.origin };
  }
}

/** The decision when retries are off: one shared object, since nothing reads it but `#verdict`. */
const stop: RetryDecision = Object.freeze({ retry: false, reason: 'success' });

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === 'function';
}

/** Settles as `work` does, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(work: T | PromiseLike<T>, signal: AbortSignal): Promise<T> {
  if (!isPromiseLike(work)) return signal.aborted ? Promise.reject(signal.reason) : Promise.resolve(work);
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(work)
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
