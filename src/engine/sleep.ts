// Waits and deadlines for the attempt loop. A wait that is a request's progress keeps the process
// alive (exiting mid-backoff would lose the request); a guard timer never does, so a CLI exits
// as soon as its last request settles.

import { MAX_DELAY_MS } from '../duration.js';

/**
 * Resolves after `ms`, or rejects with the reason of `signal` or `closing` as soon as either aborts
 * (`closing`: the client's close, which ends every wait between attempts). `ms` is at most
 * `MAX_DELAY_MS`: durations are checked where they enter (duration.ts), so the clamp below never
 * shortens a wait.
 */
export function sleep(ms: number, signal?: AbortSignal, closing?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (closing?.aborted) return Promise.reject(closing.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (event: Event) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      closing?.removeEventListener('abort', onAbort);
      reject((event.target as AbortSignal).reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      closing?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.min(ms, MAX_DELAY_MS));
    signal?.addEventListener('abort', onAbort, { once: true });
    closing?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The signal an attempt gets when nothing can abort it (no caller signal, no timeouts): it never
 * aborts. A transport should not listen to it — a listener would only pile up — and hands its
 * own transport no signal instead. Shared, so the healthy default path allocates none.
 */
export const neverAborted: AbortSignal = new AbortController().signal;

/**
 * A signal that aborts after `ms` (with `reason()`), and when `parent` does (with its reason).
 * Without a parent it is one controller and one timer. With one it is `AbortSignal.any`, whose
 * link outlives `dispose`, as it must: a caller's abort still reaches a response body after the
 * headers came, and the link is weak, so a long-lived caller signal does not collect listeners.
 * The timer is unref'd: it only guards work that keeps the process alive by itself, and
 * `dispose` clears it as soon as that work ends.
 */
export class Deadline {
  readonly signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  #timedOut = false;

  constructor(parent: AbortSignal | undefined, ms: number, reason: () => unknown) {
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      this.#controller.abort(reason());
    }, Math.min(ms, MAX_DELAY_MS)).unref();
    this.signal = parent === undefined ? this.#controller.signal : AbortSignal.any([parent, this.#controller.signal]);
  }

  /** True when `ms` ran out (whether or not the parent had aborted first). */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }
}
