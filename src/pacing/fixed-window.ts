// Fixed-window limiters (express-rate-limit, @fastify/rate-limit, hourly quotas): N requests per
// window, all at once if you like, none more until the window's edge. Recognised from headers
// that show no refill between resets; paced by spending the quota, then holding until the edge.

import type { RateLimitObservation } from '../ratelimit/types.js';
import { consumedBetween, inFlightAt, sendsAfter } from './attempt-history.js';
import { applyRate, jitterMs } from './pace-rate.js';
import type { PacerState } from './pacer-state.js';
import { setMaxDepth, setTokens, tokensAt } from './token-bucket.js';

/**
 * A span rules every bucket out when a bucket would have refilled more than twice what can have
 * come back, and this many tokens more: fixed windows show nothing at all coming back, buckets
 * about what they refilled, so the margin is wide both ways while small errors in the least rate
 * (a reset rounded, a clock) cannot add up over a long span to a false verdict.
 */
const NO_REFILL_EVIDENCE = 3;
/** Holding ends this long after the edge's upper bound (ms), for timer and clock granularity. */
const EDGE_MARGIN_MS = 2;
/** ... plus the network's jitter, but never more than this (ms). */
const MAX_EDGE_MARGIN_MS = 50;

/** What fixed-window pacing remembers. */
export interface FixedWindowMemory {
  /** Start of the current span without refill: the send time of its first observation, and what it said was left. */
  flat: { at: number; remaining: number } | undefined;
  /** Upper bound on the current window's end (the client's clock); −Infinity before the first. */
  edge: number;
  /** The window's length when stated (IETF `w`), else the longest reset seen at a fresh window. */
  windowMs: number | undefined;
  limit: number;
}

export function createFixedWindowMemory(): FixedWindowMemory {
  return { flat: undefined, edge: -Infinity, windowMs: undefined, limit: 0 };
}

/**
 * Weighs one observation (of an attempt sent at `sentAt`) as evidence about refill: when
 * `remaining` shows that nothing came back over a span in which any bucket consistent with the
 * reset would have refilled several tokens, the server counts in fixed windows, and the key
 * switches to that mode for good. `remaining` rising (refill, or a new window) restarts the span.
 *
 * The bounds are on send times, which are exact, not on answers, which overtake each other:
 * - the server refilled at most `r₂ − r₁ + what the sends in between took` (at most one token
 *   each, none for a refused one), plus one for the fraction `remaining` hides;
 * - a bucket refills at its rate only until it is full, and its room was at least its least
 *   capacity (the most ever seen remaining, plus one) less `r₁`, plus what the served sends took.
 */
export function weighRefill(s: PacerState, obs: RateLimitObservation, sentAt: number): void {
  const { fixed, traffic: t } = s;
  const remaining = obs.remaining;
  if (remaining === undefined || obs.resetMs === undefined || obs.limit === undefined || s.mode === 'fixed-window') return;
  const start = fixed.flat;
  if (start === undefined || sentAt <= start.at || remaining > start.remaining) {
    if (start === undefined || sentAt > start.at) fixed.flat = { at: sentAt, remaining };
    return;
  }
  const consumed = consumedBetween(t.sends, start.at, sentAt);
  const refilledAtMost = remaining - start.remaining + consumed.most + 1;
  const room = s.header.maxRemaining + 1 - start.remaining - 1 + consumed.least;
  // The slowest bucket that is full at the reset this observation names (its deficit is at least
  // `limit − remaining − 1`: remaining hides a fraction), or the stated policy.
  const statedRate = obs.windowMs !== undefined && obs.windowMs > 0 ? (obs.limit / obs.windowMs) * 1000 : 0;
  const leastRate = Math.max(statedRate, obs.resetMs > 0 ? (Math.max(0, obs.limit - remaining - 1) / obs.resetMs) * 1000 : 0);
  // Decisions follow sends by a one-way delay that varies by the jitter: count that against it.
  const spanMs = Math.max(0, sentAt - start.at - jitterMs(s));
  const bucketRefill = Math.min((leastRate * spanMs) / 1000, room);
  if (bucketRefill >= 2 * Math.max(1, refilledAtMost) + NO_REFILL_EVIDENCE) enterFixedWindow(s, obs);
}

function enterFixedWindow(s: PacerState, obs: RateLimitObservation): void {
  s.mode = 'fixed-window';
  s.ramp.open = false;
  s.fixed.limit = obs.limit!;
  s.fixed.windowMs = obs.windowMs;
}

/**
 * A response in fixed-window mode: the client's tokens are exactly what the window has left for
 * it, less what the server may not have counted yet. Returns when to hold until, once the
 * window's quota is spent: the edge, after which the whole limit is granted again.
 */
export function onFixedWindow(s: PacerState, now: number, obs: RateLimitObservation, sentAt: number): number | undefined {
  const { fixed } = s;
  if (obs.limit !== undefined) fixed.limit = obs.limit;
  if (obs.resetMs === undefined) return undefined;
  // The reset is rounded up (whole seconds in most dialects) and the server decided before `now`,
  // so `now + reset` is an upper bound on the edge; so is `now + w`. The tightest bound of the
  // window holds, and an attempt sent after the edge starts the next window's.
  const bound = now + Math.min(obs.resetMs, fixed.windowMs ?? Infinity);
  if (sentAt >= fixed.edge) {
    if (obs.remaining !== undefined && obs.remaining >= fixed.limit - 1) fixed.windowMs ??= obs.resetMs;
    fixed.edge = bound;
  } else fixed.edge = Math.min(fixed.edge, bound);
  applyRate(s, now);
  setMaxDepth(s.bucket, Math.max(1, fixed.limit), now);
  if (obs.remaining === undefined) return undefined;
  const { sends } = s.traffic;
  const uncounted = inFlightAt(sends, sentAt) + Math.max(0, sendsAfter(sends, sentAt, true) - 1);
  const left = obs.remaining - uncounted;
  if (left < tokensAt(s.bucket, now) || left >= 1) setTokens(s.bucket, Math.max(0, left), now);
  if (left >= 1) return undefined;
  // Spent: nothing more until the edge, then the whole quota at once (a fixed window allows it).
  setTokens(s.bucket, fixed.limit, now);
  return fixed.edge + Math.min(MAX_EDGE_MARGIN_MS, EDGE_MARGIN_MS + jitterMs(s));
}
