// The contract between a concurrency-limit algorithm and the gate that reads it: the gate feeds
// samples and admits while in-flight < `limit`; the algorithm alone decides how `limit` moves.

/** One finished request, as the limit algorithm sees it. */
export interface LimitSample {
  /** Requests in flight to the key when this one was admitted, itself included. */
  inFlight: number;
  /** How long the request took, in ms (admission to outcome). */
  rttMs: number;
  /** A capacity signal: 503, timeout, connection refused. Not a 4xx or an ordinary 5xx. */
  dropped: boolean;
}

/**
 * A live concurrency limit for one key (modelled on Netflix concurrency-limits' `Limit`). Kept
 * apart from the gate so algorithms (static, AIMD, gradient) can be swapped without touching it.
 */
export interface ConcurrencyLimit {
  /** Current most requests in flight at once; an integer >= 1. */
  readonly limit: number;
  /** Feeds one finished request; may move `limit`. */
  onSample(sample: LimitSample): void;
  /** Calls `listener` with the new value whenever `limit` changes; returns an unsubscribe. */
  onChange(listener: (limit: number) => void): () => void;
}

/** The listener set every `ConcurrencyLimit` needs; internal, not part of the public barrel. */
export class LimitListeners {
  readonly #listeners = new Set<(limit: number) => void>();

  add(listener: (limit: number) => void): () => void {
    // Wrapped so the same function subscribed twice gets two independent subscriptions.
    const entry = (limit: number): void => listener(limit);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  emit(limit: number): void {
    for (const listener of this.#listeners) listener(limit);
  }
}
