// The stop switch of a bulk run: one stop (abort, failFast, `break`, client closed) aborts every
// item in flight and releases every wait of the pull loop, without leaking per-item listeners.

import { SlotSet } from '../engine/slot-set.js';

/** What the stop aborts: an item's AbortController, or the item itself on the dispatcher path. */
export interface Abortable {
  abort(reason?: unknown): void;
}

export class RunStop {
  #stopped = false;
  #reason: unknown;
  /** Not a Set: see slot-set.ts for what one cost a million-item run. */
  readonly #inFlight = new SlotSet<Abortable>();
  readonly #controller = new AbortController();
  /** Pending `orStop` waits; each removes itself when its promise settles. */
  readonly #listeners = new Set<() => void>();

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Aborts when the run stops, for waits that take a signal (`client.ready`). */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Why the run stopped; undefined while it runs. */
  get reason(): unknown {
    return this.#reason;
  }

  /** One item's abort: called with the stop's reason, until `release`d; returns its slot, for `release`. */
  track(item: Abortable): number {
    return this.#inFlight.add(item);
  }

  release(slot: number, item: Abortable): void {
    this.#inFlight.delete(slot, item);
  }

  /** Stops once; later calls keep the first reason. */
  stop(reason: unknown): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#reason = reason;
    for (const item of this.#inFlight.values()) item.abort(reason);
    this.#controller.abort(reason);
    for (const listener of this.#listeners) listener();
  }

  /**
   * `promise`, or undefined as soon as the run stops. Not `Promise.race` with one long-lived
   * stop promise: every race would add a reaction to it that lives until the run ends — a
   * leak of one closure per item on a million-item run.
   */
  orStop<V>(promise: Promise<V> | V): Promise<V | undefined> {
    if (this.#stopped) return Promise.resolve(undefined);
    return new Promise<V | undefined>((resolve, reject) => {
      const onStop = () => resolve(undefined);
      this.#listeners.add(onStop);
      Promise.resolve(promise).then(
        (value) => {
          this.#listeners.delete(onStop);
          resolve(value);
        },
        (error: unknown) => {
          this.#listeners.delete(onStop);
          reject(error);
        },
      );
    });
  }
}
