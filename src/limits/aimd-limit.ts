// Additive-increase/multiplicative-decrease concurrency limit with TCP's slow start: a new key
// starts small, doubles its window per round trip while healthy, and backs off on capacity signals.

import { InvalidOptionError } from '../errors.js';
import { type ConcurrencyLimit, type LimitSample, LimitListeners } from './limit.js';

export interface AimdLimitOptions {
  /**
   * Window of a new key. Small on purpose ("careful at first contact"): like TCP's IW10, ten
   * requests find out whether the origin pushes back before a burst of thousands can.
   * @default 10
   */
  initial?: number;
  /**
   * Floor the window never drops below; 1 still serves an origin that takes one at a time.
   * @default 1
   */
  min?: number;
  /**
   * Ceiling, a safety cap so a healthy origin cannot attract an unbounded number of sockets.
   * @default 1000
   */
  max?: number;
  /**
   * Factor applied on a capacity signal: `limit = max(min, floor(limit · backoffRatio))`.
   * 0.9 (Netflix AIMDLimit's default) because one cut happens per round trip, not per drop.
   * @default 0.9
   */
  backoffRatio?: number;
  /**
   * Clock in ms, used only to tell which samples started before the last cut.
   * @default Date.now
   */
  now?: () => number;
}

export type NormalizedAimdLimitOptions = Required<AimdLimitOptions>;

export const aimdLimitDefaults: Readonly<NormalizedAimdLimitOptions> = Object.freeze({
  initial: 10,
  min: 1,
  max: 1000,
  backoffRatio: 0.9,
  now: Date.now,
});

export function normalizeAimdLimitOptions(options: AimdLimitOptions = {}): NormalizedAimdLimitOptions {
  const o = { ...aimdLimitDefaults, ...stripUndefined(options) };
  if (!isInteger(o.min) || o.min < 1) throw new InvalidOptionError('min', 'an integer from 1 and up', o.min);
  if (!isInteger(o.max) || o.max < o.min) {
    throw new InvalidOptionError('max', `an integer from \`min\` (${o.min}) and up`, o.max);
  }
  if (!isInteger(o.initial) || o.initial < o.min || o.initial > o.max) {
    throw new InvalidOptionError('initial', `an integer from ${o.min} to ${o.max} (\`min\` to \`max\`)`, o.initial);
  }
  if (typeof o.backoffRatio !== 'number' || !(o.backoffRatio > 0 && o.backoffRatio < 1)) {
    throw new InvalidOptionError('backoffRatio', 'a number above 0 and below 1', o.backoffRatio);
  }
  if (typeof o.now !== 'function') throw new InvalidOptionError('now', 'a function', o.now);
  return o;
}

export interface AimdLimit extends ConcurrencyLimit {
  /** True until the first capacity signal; exposed for `stats()`. */
  readonly inSlowStart: boolean;
}

/**
 * How the window moves, per sample:
 * - Only a key that uses its window grows (`inFlight · 2 >= limit`, as Netflix AIMDLimit), in
 *   both phases: otherwise serial traffic would inflate an idle key's window and the next burst
 *   would hit the origin with it.
 * - *Slow start* (until the first drop): +1 per healthy sample — a full window returns `limit`
 *   samples per round trip, so it doubles per round trip.
 * - *Congestion avoidance* (after): +1 per round trip (+1/limit per healthy sample, TCP Reno).
 *   Netflix grows +1 per sample, but that is doubling per round trip again; against a cut of 10%
 *   at most once per round trip the window would outrun the origin and never settle.
 * - *Decrease* on a drop: `max(min, floor(limit · backoffRatio))`, at most once per round trip.
 *   Requests in flight when the window was cut were sent under the old window, so their drops
 *   (and their successes) are the same burst: a sample whose request started before the last
 *   cut (`now() - rttMs < lastCut`) is ignored. Without this, the tens of 503s from one overload
 *   would compound 0.9ⁿ and collapse the window to `min`.
 */
export function createAimdLimit(options?: AimdLimitOptions): AimdLimit {
  const { initial, min, max, backoffRatio, now } = normalizeAimdLimitOptions(options);
  const listeners = new LimitListeners();
  // Fractional, so congestion avoidance can add 1/limit per sample; `limit` is its floor.
  let window = initial;
  let limit = initial;
  let inSlowStart = true;
  let lastCut = -Infinity;

  function set(next: number): void {
    window = Math.min(max, Math.max(min, next));
    // The epsilon absorbs float error: nine additions of 1/9 must reach the next integer.
    const floored = Math.floor(window + 1e-9);
    if (floored === limit) return;
    limit = floored;
    listeners.emit(limit);
  }

  return {
    get limit() {
      return limit;
    },
    get inSlowStart() {
      return inSlowStart;
    },
    onSample({ inFlight, rttMs, dropped }: LimitSample) {
      const at = now();
      // `lastCut <= at` guards a wall clock stepped backwards: a cut "in the future" would
      // otherwise silence every sample until the clock caught up.
      if (at - rttMs < lastCut && lastCut <= at) return;
      if (dropped) {
        inSlowStart = false;
        lastCut = at;
        set(Math.floor(limit * backoffRatio));
      } else if (inFlight * 2 >= limit) {
        set(window + (inSlowStart ? 1 : 1 / limit));
      }
    },
    onChange: (listener) => listeners.add(listener),
  };
}

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

function stripUndefined<O extends object>(options: O): Partial<O> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<O>;
}
