// The contract between a concurrency-limit algorithm and the gate that reads it: the gate feeds
// samples and admits while in-flight < `limit`; the algorithm alone decides how `limit` moves.

/** One finished request, as the limit algorithm sees it. */
export interface LimitSample {
  /** Requests in flight to the key when this one was admitted, itself included. */
  inFlight: number;
  /**
   * Requests in flight to the key when this one ended, itself included. For a refusal this is
   * the evidence: the origin said no with this many of ours outstanding.
   */
  outstanding: number;
  /** How long the request took, in ms (admission to outcome). */
  rttMs: number;
  /** A capacity signal: 503, timeout, connection refused. Not a 4xx or an ordinary 5xx. */
  dropped: boolean;
  /** ms the refusal paused the whole key (its Retry-After); absent when it gave no time. */
  pausedMs?: number | undefined;
}

/**
 * A live concurrency limit for one key (modelled on Netflix concurrency-limits' `Limit`). Kept
 * apart from the gate so algorithms (static, AIMD, gradient) can be swapped without touching it.
 */
export interface ConcurrencyLimit {
  /** Current most requests in flight at once; an integer >= 1. */
  readonly limit: number;
  /**
   * Feeds one finished request; may move `limit`. Returns true for a drop the window absorbed:
   * it now excludes the level that was refused and the requests still out fill it, so the gate
   * itself holds a retry back until one of them ends. False otherwise, and always for a static
   * limit — where the window has room, only a backoff keeps a retry from going straight back.
   */
  onSample(sample: LimitSample): boolean;
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
