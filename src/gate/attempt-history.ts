// Bounded memory of one key's attempts: send times (for in-flight accounting) and outcomes (for
// fits), in rings that grow with use up to a fixed capacity.

import type { Outcome } from './bucket-fit.js';

/**
 * A ring of numeric columns that starts small and doubles up to `capacity`, so a key that sends
 * little costs little; past `capacity` the oldest rows are overwritten.
 */
class Ring {
  #columns: Float64Array[];
  #start = 0;
  #size = 0;
  constructor(
    readonly capacity: number,
    columns: number,
  ) {
    this.#columns = Array.from({ length: columns }, () => new Float64Array(Math.min(64, capacity)));
  }
  get size(): number {
    return this.#size;
  }
  /** True once a row was overwritten. */
  wrapped = false;
  push(...values: number[]): void {
    let length = this.#columns[0]!.length;
    if (this.#size === length && length < this.capacity) {
      const grown = Math.min(this.capacity, length * 2);
      this.#columns = this.#columns.map((column) => {
        const next = new Float64Array(grown);
        for (let i = 0; i < this.#size; i++) next[i] = column[(this.#start + i) % length]!;
        return next;
      });
      this.#start = 0;
      length = grown;
    }
    const i = (this.#start + this.#size) % length;
    values.forEach((value, c) => (this.#columns[c]![i] = value));
    if (this.#size < length) this.#size++;
    else {
      this.#start = (this.#start + 1) % length;
      this.wrapped = true;
    }
  }
  /** Column `c` of the `i`-th oldest row. */
  at(i: number, c: number): number {
    const column = this.#columns[c]!;
    return column[(this.#start + i) % column.length]!;
  }
}

/**
 * Send times, oldest first, each with how many attempts were unanswered just before it; answers
 * "how many were sent after t" and "how many were in flight when t was sent".
 */
export class SendLog {
  readonly #ring: Ring;
  constructor(capacity: number) {
    this.#ring = new Ring(capacity, 2);
  }
  push(t: number, inFlightBefore: number): void {
    this.#ring.push(t, inFlightBefore);
  }
  /** Index of the first send at or after `t` (inclusive) or after `t`; binary search. */
  #first(t: number, inclusive: boolean): number {
    let lo = 0;
    let hi = this.#ring.size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const x = this.#ring.at(mid, 0);
      if (inclusive ? x >= t : x > t) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
  /** Sends after `t` (at or after with `inclusive`). */
  countAfter(t: number, inclusive = false): number {
    return this.#ring.size - this.#first(t, inclusive);
  }
  /** Attempts unanswered just before the first send at `t` (0 if forgotten). */
  inFlightAt(t: number): number {
    const i = this.#first(t, true);
    return i < this.#ring.size ? this.#ring.at(i, 1) : 0;
  }
}

/**
 * Outcomes; sorted only when a fit needs them (at throttles, rarely). A fit replays from the
 * oldest outcome as if the server's bucket were full there — true at first contact. Once the
 * ring has overwritten its start, the replay starts after the first pause it still holds (a gap
 * of `restartGapMs`) instead, where the bucket has had time to refill, rather than at an
 * arbitrary point that may be mid-drain (measured: a 1024-entry ring starting mid-drain made
 * the fit hold a burst-1 server at a tenth of its rate).
 */
export class OutcomeLog {
  readonly #ring: Ring;
  constructor(
    capacity: number,
    readonly restartGapMs = 1000,
  ) {
    this.#ring = new Ring(capacity, 3);
  }
  /** Outcomes decided before this are no longer fitted (see `forgetBefore`). */
  #from = -Infinity;
  /** `roundTripMs`: how long the attempt took; unknown gives no slack. */
  push(at: number, ok: boolean, roundTripMs: number | undefined): void {
    this.#ring.push(at, ok ? 1 : 0, roundTripMs ?? NaN);
  }
  /**
   * Fits start at `t` from now on, as at first contact: when the server took far more than the
   * old outcomes allowed, they describe a server that no longer exists, and kept they would make
   * every later fit inconsistent.
   */
  forgetBefore(t: number): void {
    this.#from = Math.max(this.#from, t);
  }
  /**
   * The outcomes in time order, each with the slack its round trip leaves against the shortest
   * one seen (`minRttMs`): half of what it took beyond that. Judged now, not when it arrived:
   * the first round trips of a cold process are all slow, and against the shortest seen so far
   * then they looked exact (measured: a fit that excluded the true rate and held 2 % above it).
   */
  sorted(minRttMs: number): Outcome[] {
    const out: Outcome[] = [];
    for (let i = 0; i < this.#ring.size; i++) {
      const at = this.#ring.at(i, 0);
      const roundTrip = this.#ring.at(i, 2);
      const slack = Number.isFinite(roundTrip) && Number.isFinite(minRttMs) ? Math.max(0, roundTrip - minRttMs) / 2 : 0;
      if (at >= this.#from) out.push({ at, ok: this.#ring.at(i, 1) === 1, slack });
    }
    out.sort((a, b) => a.at - b.at);
    if (!this.#ring.wrapped) return out;
    const restart = out.findIndex((o, i) => i > 0 && o.at - out[i - 1]!.at >= this.restartGapMs);
    return restart > 0 && restart < out.length - 1 ? out.slice(restart) : out;
  }
}

