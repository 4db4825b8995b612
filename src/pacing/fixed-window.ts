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
/**
 * Holding ends this long after the edge's bound (ms), for timer and clock granularity, plus the
 * network's jitter up to `MAX_EDGE_MARGIN_MS`. Small, because the bound is already late by the
 * return trip of the window's first answer; measured on a loaded machine, a margin of 4 × the
 * round trip's deviation (up to 50 ms) cost 50 ms of every 1 s window.
 */
const EDGE_MARGIN_MS = 2;
const MAX_EDGE_MARGIN_MS = 8;
/**
 * The window's length is known well enough once its bounds are this close, relatively (and within
 * 10 ms): probing further costs refusals to save less than this share of every window.
 */
const KNOWN_WITHIN = 0.05;

/** What fixed-window pacing remembers. */
export interface FixedWindowMemory {
  /** Start of the current span without refill: the send time of its first observation, and what it said was left. */
  flat: { at: number; remaining: number } | undefined;
  limit: number;
  /** The current window's first answer: when it was sent and received (the window opened between). */
  opener: { sentAt: number; at: number } | undefined;
  /** Bounds on the current window's end from the resets its answers named (rounded up to their unit). */
  edge: number;
  edgeLow: number;
  /**
   * Bounds on the window's length: exact when stated (IETF `w`); else learned. A reset rounded up
   * (to the next whole second, for an epoch reset) gives only an upper bound, so when the bounds
   * are far apart the key probes below the upper one with a single request (`probing`): a refusal
   * raises the lower bound, a new window lowers the upper one.
   */
  windowLow: number;
  windowHigh: number;
  probing: boolean;
}

export function createFixedWindowMemory(): FixedWindowMemory {
  return { flat: undefined, limit: 0, opener: undefined, edge: Infinity, edgeLow: -Infinity, windowLow: 0, windowHigh: Infinity, probing: false };
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
  if (bucketRefill >= 2 * Math.max(1, refilledAtMost) + NO_REFILL_EVIDENCE) {
    s.mode = 'fixed-window';
    s.ramp.open = false;
    fixed.limit = obs.limit;
    if (obs.windowMs !== undefined) fixed.windowLow = fixed.windowHigh = obs.windowMs;
  }
}

/**
 * A response in fixed-window mode (`throttled`: refused). The client's tokens are exactly what
 * the window has left for it, less what the server may not have counted yet. Returns when to hold
 * until once the window's quota is spent: the edge, after which the whole limit is granted again
 * (or, while the window's length is uncertain, a probe's time, after which one request tests it).
 */
export function onFixedWindow(
  s: PacerState,
  now: number,
  obs: RateLimitObservation,
  sentAt: number,
  throttled: boolean,
  resetUnitMs: number,
): number | undefined {
  const { fixed } = s;
  if (obs.limit !== undefined) fixed.limit = obs.limit;
  const { remaining, resetMs } = obs;
  if (remaining === undefined || resetMs === undefined) return undefined;
  learnWindow(fixed, now, { remaining, resetMs, resetUnitMs }, sentAt, throttled);
  applyRate(s, now);
  setMaxDepth(s.bucket, Math.max(1, fixed.limit), now);
  const { sends } = s.traffic;
  const uncounted = inFlightAt(sends, sentAt) + Math.max(0, sendsAfter(sends, sentAt, true) - 1);
  const left = remaining - uncounted;
  if (left >= 1 || left < tokensAt(s.bucket, now)) setTokens(s.bucket, Math.max(0, left), now);
  if (left >= 1) return undefined;
  // Spent: nothing more until the edge, then the whole quota at once (a fixed window allows it).
  const opener = fixed.opener;
  const margin = Math.min(MAX_EDGE_MARGIN_MS, EDGE_MARGIN_MS + jitterMs(s));
  const edge = Math.min(fixed.edge, opener === undefined ? Infinity : opener.at + fixed.windowHigh, now + resetMs);
  const spread = fixed.windowHigh - fixed.windowLow;
  fixed.probing = opener !== undefined && Number.isFinite(spread) && spread > Math.max(10, KNOWN_WITHIN * fixed.windowHigh);
  if (!fixed.probing) {
    setTokens(s.bucket, fixed.limit, now);
    return edge + margin;
  }
  // Uncertain: one request, halfway through where the window may end, before the whole quota.
  setTokens(s.bucket, 1, now);
  const probe = Math.max(fixed.edgeLow, opener!.sentAt + (fixed.windowLow + fixed.windowHigh) / 2);
  return Math.min(edge, probe) + margin;
}

/** What one answer tells about the window: where it opened, where it ends, how long it is. */
function learnWindow(
  fixed: FixedWindowMemory,
  now: number,
  { remaining, resetMs, resetUnitMs }: { remaining: number; resetMs: number; resetUnitMs: number },
  sentAt: number,
  throttled: boolean,
): void {
  const opener = fixed.opener;
  const fresh = !throttled && remaining >= fixed.limit - 1;
  if (fresh && (opener === undefined || sentAt > opener.at)) {
    // A new window, opened by this attempt: the last one ended before it was decided.
    if (opener !== undefined) fixed.windowHigh = Math.min(fixed.windowHigh, now - opener.sentAt);
    fixed.opener = { sentAt, at: now };
    fixed.edge = Infinity;
    fixed.edgeLow = -Infinity;
  }
  const current = fixed.opener;
  if (current !== undefined && sentAt < current.sentAt) return;
  // The reset is rounded up to its unit, and the server decided between the send and `now`:
  // `now + reset` bounds the edge from above, `sentAt + reset − unit` from below (an epoch reset
  // names the same instant all window long, so its bound is tight; a delta one's moves with it).
  fixed.edge = Math.min(fixed.edge, now + resetMs);
  fixed.edgeLow = Math.max(fixed.edgeLow, sentAt + resetMs - resetUnitMs);
  if (current === undefined) return;
  if (fresh && sentAt === current.sentAt) fixed.windowHigh = Math.min(fixed.windowHigh, now + resetMs - sentAt);
  // Refused after the window opened: it had not ended when this attempt was decided.
  if (throttled && sentAt > current.at) fixed.windowLow = Math.max(fixed.windowLow, sentAt - current.at);
  fixed.windowLow = Math.min(fixed.windowLow, fixed.windowHigh);
}
