// Waits and deadlines for the attempt loop. A wait that is a request's progress keeps the process
// alive (exiting mid-backoff would lose the request); a guard timer never does, so a CLI exits
// as soon as its last request settles.

/** Resolves after `ms`, or rejects with `signal.reason` as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.min(ms, 2 ** 31 - 1));
    signal?.addEventListener('abort', onAbort, { once: true });
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
    }, Math.min(ms, 2 ** 31 - 1)).unref();
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
