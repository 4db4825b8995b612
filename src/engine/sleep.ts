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
 * A signal that aborts with `reason()` after `ms`, or none for an infinite `ms`. Its timer is
 * unref'd: it only guards work that keeps the process alive by itself, and `dispose` clears it
 * as soon as that work ends.
 */
export function timeoutSignal(ms: number, reason: () => unknown): { signal: AbortSignal | undefined; dispose(): void } {
  if (!Number.isFinite(ms)) return { signal: undefined, dispose() {} };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(reason()), Math.min(ms, 2 ** 31 - 1));
  timer.unref();
  return { signal: controller.signal, dispose: () => clearTimeout(timer) };
}

/**
 * Combines signals, skipping absent ones: `AbortSignal.any` is only paid for when two are
 * present, which keeps the default path (no timeouts, no caller signal) cheap.
 */
export function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length === 0) return new AbortController().signal;
  return present.length === 1 ? present[0]! : AbortSignal.any(present);
}
