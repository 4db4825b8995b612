// What a gate counts for observability besides the key's learned state: its refusals by reason,
// how attempts ended, refusal statuses, time spent paused, and which rate moves are worth telling.

import type { AttemptSignal } from '../signal/attempt-signal.js';
import type { AttemptEnd, RefusalReason } from './gate-events.js';

/** Statuses counted one by one (`stats().responses`, `sluice_responses_total{status}`): the refusals. */
export const countedStatuses = [429, 503, 529] as const;
export type CountedStatus = (typeof countedStatuses)[number];

/** A rate event is worth publishing when it moved by more than this fraction (or changed mode). */
const RATE_EVENT_MOVE = 0.1;

export class GateTally {
  readonly refused: Record<RefusalReason, number> = {
    'queue-full': 0,
    'drop-oldest': 0,
    shed: 0,
    'queue-timeout': 0,
    'rate-limited': 0,
    aborted: 0,
  };
  readonly attempts: Record<AttemptEnd, number> = {
    served: 0,
    'rate-refusal': 0,
    'capacity-refusal': 0,
    'transport-error': 0,
    aborted: 0,
  };
  readonly responses: Record<CountedStatus, number> = { 429: 0, 503: 0, 529: 0 };
  /** ms of pauses that are over; the current one is `[#pauseFrom, #pauseUntil)`. */
  #pausedBefore = 0;
  #pauseFrom = 0;
  #pauseUntil = 0;
  #limit: number;
  #rate: number;
  #mode: string;

  constructor(limit: number, rate: number, mode: string) {
    this.#limit = limit;
    this.#rate = rate;
    this.#mode = mode;
  }

  /** Counts how an attempt ended (`undefined`: abandoned by an abort). */
  ended(signal: AttemptSignal | undefined): AttemptEnd {
    if (signal === undefined) {
      this.attempts.aborted++;
      return 'aborted';
    }
    this.attempts[signal.kind]++;
    const { outcome } = signal;
    if (outcome.type === 'response' && (outcome.status === 429 || outcome.status === 503 || outcome.status === 529)) {
      this.responses[outcome.status]++;
    }
    return signal.kind;
  }

  /** The key is now paused until `until`: a pause that is over is closed, a running one extended. */
  paused(until: number, now: number): void {
    if (this.#pauseUntil > now) {
      // Extended (a shorter pause never shortens a longer one, so `until` only moves on).
      this.#pauseUntil = Math.max(this.#pauseUntil, until);
      return;
    }
    this.#pausedBefore += this.#pauseUntil - this.#pauseFrom;
    this.#pauseFrom = now;
    this.#pauseUntil = until;
  }

  /** ms spent paused up to `now`, the running pause's elapsed part included. */
  pausedMs(now: number): number {
    return this.#pausedBefore + Math.max(0, Math.min(now, this.#pauseUntil) - this.#pauseFrom);
  }

  /** Records the new window; returns the previous one. */
  limitMoved(limit: number): number {
    const previous = this.#limit;
    this.#limit = limit;
    return previous;
  }

  /**
   * The rate as last told (`previous`) when this change is worth telling: a new mode, a move of
   * more than 10 %, or to or from unpaced; `undefined` for a small move. The pacer moves its rate
   * on most responses while it learns; an event for each would drown the ones that matter.
   */
  rateMoved(rate: number, mode: string): { previous: number; previousMode: string } | undefined {
    const previous = this.#rate;
    const previousMode = this.#mode;
    const worth =
      mode !== previousMode ||
      Number.isFinite(rate) !== Number.isFinite(previous) ||
      (Number.isFinite(rate) && Math.abs(rate - previous) > RATE_EVENT_MOVE * previous);
    if (!worth) return undefined;
    this.#rate = rate;
    this.#mode = mode;
    return { previous, previousMode };
  }
}
