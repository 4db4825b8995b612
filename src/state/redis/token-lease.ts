// Send times leased from the fleet's pace in Redis, a few at a time: every process's own pace
// says *whether* the key may send (it learns from the whole fleet), the lease says *who* does, so
// processes that all see a token at the same moment do not all spend it.

/** How far ahead a lease reserves, in ms, at least: a few round trips to Redis. */
const MIN_HORIZON_MS = 50;
/**
 * A reserved time unused for this long past its moment is dropped: sending it now would bunch.
 * Generous, since the key's own pace still spaces what it sends, and a loaded machine's timers
 * run tens of ms late (dropping times at 50 ms lost a fifth of the fleet's pace at load 10).
 */
const STALE_MS = 250;
/** Most times reserved in one call. */
const MAX_LEASE = 32;

/** The request one refill makes: how many times, at what pace. */
export interface LeaseRequest {
  want: number;
  rate: number;
  depth: number;
  horizonMs: number;
}

export class TokenLease {
  /** Reserved send times (this process's clock), earliest first. */
  #times: number[] = [];
  #refilling = false;

  /** A reserved time has come. */
  ready(now: number): boolean {
    this.#dropStale(now);
    return this.#times.length > 0 && this.#times[0]! <= now;
  }

  /** ms until the next reserved time, `undefined` when none is held. */
  nextIn(now: number): number | undefined {
    this.#dropStale(now);
    return this.#times.length === 0 ? undefined : Math.max(0, this.#times[0]! - now);
  }

  /** Spends the earliest reserved time (call only when `ready`). */
  take(): void {
    this.#times.shift();
  }

  get held(): number {
    return this.#times.length;
  }

  get refilling(): boolean {
    return this.#refilling;
  }

  /**
   * What to ask for so that `waiting` requests find times ready, at `rate` per second (each
   * reservation covers at least a few round trips, never more than a handful of tokens).
   */
  request(waiting: number, rate: number, depth: number): LeaseRequest {
    const horizonMs = Math.max(MIN_HORIZON_MS, 2000 / rate);
    const byTime = Math.max(1, Math.floor((rate * horizonMs) / 1000));
    return { want: Math.max(1, Math.min(MAX_LEASE, byTime, waiting - this.#times.length)), rate, depth: Math.max(1, Math.floor(depth)), horizonMs };
  }

  /** Marks a refill under way (so only one is), and ends it with the times Redis reserved. */
  startRefill(): void {
    this.#refilling = true;
  }

  endRefill(offsetsUs: readonly number[] | undefined, repliedAt: number): void {
    this.#refilling = false;
    if (offsetsUs === undefined) return;
    // Counted from when the answer arrived: later than Redis's own now, so never early.
    for (const offset of offsetsUs) this.#times.push(repliedAt + offset / 1000);
    this.#times.sort((a, b) => a - b);
  }

  /** Drops every reserved time (the key paused, or Redis was lost). */
  clear(): void {
    this.#times = [];
  }

  #dropStale(now: number): void {
    while (this.#times.length > 0 && this.#times[0]! < now - STALE_MS) this.#times.shift();
  }
}
