// The engine's list of requests it has not finished, so `close()` can reach each one wherever it
// stands (queued, backing off, in flight) and knows when the last of them is gone.

import { setMaxListeners } from 'node:events';
import { SlotSet } from './slot-set.js';

/** A request as the tracker sees it: something that can be told its attempt in flight must stop. */
export interface TrackedRequest {
  /** The grace period is over: stop the attempt in flight, and fail with `ClientClosedError`. */
  abortInFlight(): void;
}

/**
 * One per engine. A request joins when it starts and leaves when it settles; that costs the
 * healthy path a slot taken and given back, and buys a `close()` that finishes.
 *
 * `closing` is the one signal every wait *between* attempts listens to (a backoff, a server's
 * time, an asynchronous policy or `beforeRetry` hook): close() aborts it, and those waits end at
 * once. Attempts on the wire do not listen to it — fetch would add a listener per request to one
 * shared signal — they are reached one by one through `abortInFlight` when the grace period ends.
 */
export class RequestTracker {
  readonly #live = new SlotSet<TrackedRequest>();
  readonly #closing = new AbortController();
  #onEmpty: (() => void)[] = [];

  constructor() {
    // Every request sleeping in a backoff listens here at once; thousands are not a leak.
    setMaxListeners(0, this.#closing.signal);
  }

  /** Aborts (with a `ClientClosedError`) once the client closes. */
  get closing(): AbortSignal {
    return this.#closing.signal;
  }

  get size(): number {
    return this.#live.size;
  }

  /** Returns the request's slot, for `delete`. */
  add(request: TrackedRequest): number {
    return this.#live.add(request);
  }

  delete(slot: number, request: TrackedRequest): void {
    if (!this.#live.delete(slot, request) || this.#live.size > 0) return;
    for (const resolve of this.#onEmpty.splice(0)) resolve();
  }

  /** Ends every wait between attempts with `reason`; idempotent. */
  close(reason: Error): void {
    if (!this.#closing.signal.aborted) this.#closing.abort(reason);
  }

  /** Tells every request still out that its attempt in flight must stop now. */
  abortInFlight(): void {
    for (const request of this.#live.values()) request.abortInFlight();
  }

  /** Resolves once no request is left (at once when none is). */
  drained(): Promise<void> {
    if (this.#live.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#onEmpty.push(resolve));
  }
}
