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
  /**
   * Start of the current span without refill: its first observation (sent at `at`, answered at
   * `answeredAt`), so that the window it opened is known once the span proves a fixed window.
   */
  flat: { at: number; answeredAt: number; remaining: number; resetMs: number; excess: number } | undefined;
  /**
   * Evidence (tokens a bucket would have refilled beyond what came back) from the spans before the
   * current one, while each of them ended showing some. A small quota gives little per window (10
   * per second shows 2–3 tokens missing before its first refusal), so consecutive windows add up.
   */
  banked: number;
  limit: number;
  /** The current window's first answer: when it was sent and received (the window opened between). */
  opener: { sentAt: number; at: number } | undefined;
  /**
   * The least `remaining` answered in the current window, counting attempts sent since the last
   * hold ended (`since`; those sent before it were counted in the window held for, or refused).
   * The server decides one request at a time, so every answered attempt is counted in it, and
   * only attempts still unanswered can have been counted since: the window has at least this less
   * those in flight. Send order does not tell windows apart within a window's opening: an attempt
   * sent just before the opener can be decided after it.
   */
  least: number;
  /** When the attempt whose answer set `least` was sent. */
  leastSentAt: number;
  since: number;
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
  return { flat: undefined, banked: 0, limit: 0, opener: undefined, least: Infinity, leastSentAt: -Infinity, since: -Infinity, edge: Infinity, edgeLow: -Infinity, windowLow: 0, windowHigh: Infinity, probing: false };
}

/**
 * Weighs one observation (of an attempt sent at `sentAt`) as evidence about refill: when
 * `remaining` shows that nothing came back over a span in which any bucket consistent with the
 * reset would have refilled several tokens, the server counts in fixed windows, and the key
 * switches to that mode for good. Two tokens coming back (refill, or a new window) end the span;
 * a window too small to show enough on its own adds to the next while each shows some.
 *
 * The bounds hold however answers overtake each other:
 * - the server refilled at most `r₂ − r₁ + what the attempts decided in between took` (at most
 *   one token each, none for a refused one: those sent in between, and those still undecided
 *   when the span began), plus one for the fraction `remaining` hides;
 * - it refilled for at least the time from the span's first answer to this attempt's send;
 * - a bucket refills at its rate only until it is full, and its room was at least its least
 *   capacity (the most ever seen remaining, plus one) less `r₁`, plus what the served sends took.
 */
export function weighRefill(s: PacerState, now: number, obs: RateLimitObservation, sentAt: number, resetUnitMs: number): void {
  const { fixed, traffic: t } = s;
  const { remaining, resetMs } = obs;
  if (remaining === undefined || resetMs === undefined || obs.limit === undefined || s.mode === 'fixed-window') return;
  const start = fixed.flat;
  const consumed = start === undefined || sentAt <= start.at ? undefined : consumedBetween(t.sends, start.at, sentAt);
  // Two tokens or more surely came back (a refill, or a new window: the same `remaining` again
  // after served sends), even if every attempt in flight when this one left was decided after it:
  // the span without refill ends, and a new one starts here. What it showed is kept only while
  // every span shows some: one that showed none was a bucket's.
  const cameBack = start === undefined || consumed === undefined ? Infinity : remaining - start.remaining + consumed.least - inFlightAt(t.sends, sentAt);
  if (start === undefined || consumed === undefined || cameBack >= 2) {
    if (start !== undefined && sentAt > start.at) fixed.banked = start.excess > 0 ? fixed.banked + start.excess : 0;
    if (start === undefined || sentAt > start.at) fixed.flat = { at: sentAt, answeredAt: now, remaining, resetMs, excess: 0 };
    return;
  }
  // Attempts unanswered when the span's first one left, and those sent at the same instant, may
  // have been decided inside the span, each taking a token.
  const alongside = sendsAfter(t.sends, start.at, true) - sendsAfter(t.sends, start.at) - 1;
  const refilledAtMost = remaining - start.remaining + consumed.most + inFlightAt(t.sends, start.at) + alongside + 1;
  const room = s.header.maxRemaining + 1 - start.remaining - 1 + consumed.least;
  // The slowest bucket that is full at the reset this observation names (its deficit is at least
  // `limit − remaining − 1`: remaining hides a fraction), or the stated policy.
  const statedRate = obs.windowMs !== undefined && obs.windowMs > 0 ? (obs.limit / obs.windowMs) * 1000 : 0;
  const resetRate = resetMs > 0 ? (Math.max(0, obs.limit - remaining - 1) / resetMs) * 1000 : 0;
  const leastRate = Math.max(statedRate, resetRate);
  // The server decided the span's first attempt before its answer came and this one after it was
  // sent: it refilled over at least that long, whatever queueing or a stalled server did between
  // (measured: a stall bunched a 250/s bucket's decisions into "no refill" for 88 ms, and the
  // verdict it gave failed a thousand requests).
  const spanMs = Math.max(0, sentAt - start.answeredAt);
  const bucketRefill = Math.min((leastRate * spanMs) / 1000, room);
  // A stated rate is exact; one read off a rounded reset may be off, so there the bucket must have
  // refilled twice what can have come back.
  const excess = bucketRefill - (statedRate >= resetRate ? 1 : 2) * Math.max(1, refilledAtMost);
  start.excess = Math.max(start.excess, excess);
  if (fixed.banked + excess >= NO_REFILL_EVIDENCE) {
    s.mode = 'fixed-window';
    s.ramp.open = false;
    fixed.limit = obs.limit;
    if (obs.windowMs !== undefined) fixed.windowLow = fixed.windowHigh = obs.windowMs;
    // The span began with the window's first answer: replay it, so the first hold ends at the
    // edge it implies rather than at a later answer's reset rounded up (up to a unit late).
    learnWindow(fixed, start.answeredAt, { remaining: start.remaining, resetMs: start.resetMs, resetUnitMs }, start.at, false);
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
  // A late answer from before the current window (or before the last hold ended) says nothing
  // about what is left now: the hold set the tokens for the window after it.
  if (!Number.isFinite(fixed.least)) return undefined;
  const { inFlight } = s.traffic;
  const left = fixed.least - inFlight;
  if (left >= 1 || left < tokensAt(s.bucket, now)) setTokens(s.bucket, Math.max(0, left), now);
  if (left >= 1) return undefined;
  // Answers still to come may show quota left (those in flight were counted against it, not
  // necessarily by the server): wait for them rather than hold a window that is not spent.
  if (inFlight > 0 && fixed.least >= 1) return undefined;
  // Spent: nothing more until the edge, then the whole quota at once (a fixed window allows it).
  const { edgeLow, edgeHigh } = edgeBounds(fixed, now, resetMs);
  const margin = Math.min(MAX_EDGE_MARGIN_MS, EDGE_MARGIN_MS + jitterMs(s));
  // Probing narrows the edge only down to what a probe can tell apart: it was decided somewhere
  // between its send and its answer, a lone request's round trip (not a burst's, which queues).
  const { minRtt } = s.traffic;
  const known = Math.max(10, KNOWN_WITHIN * fixed.windowHigh, Number.isFinite(minRtt) ? 2 * minRtt : 0);
  // A probe pays off in the windows after the next; when the next one's quota takes all the work
  // there is, a refused probe only waits out its server time and finishes last.
  const worthProbing = s.traffic.waiting > fixed.limit;
  fixed.probing = Number.isFinite(edgeLow) && edgeHigh - edgeLow > known && worthProbing;
  // Uncertain: one request halfway between the bounds, before the whole quota.
  const until = (fixed.probing ? (edgeLow + edgeHigh) / 2 : edgeHigh) + margin;
  setTokens(s.bucket, fixed.probing ? 1 : fixed.limit, now);
  // What is answered from here on counts in the window after the hold (the old one's late answers
  // were sent before it ended).
  fixed.least = Infinity;
  fixed.since = until;
  return until;
}

/**
 * Where the current window may end: no later than any reset named (rounded up to its unit) or
 * its opener's answer plus the longest window; no earlier than a refused or counted attempt's
 * send, or its opener's send plus the shortest window.
 */
function edgeBounds(fixed: FixedWindowMemory, now: number, resetMs: number): { edgeLow: number; edgeHigh: number } {
  const { opener } = fixed;
  const edgeHigh = Math.min(fixed.edge, opener === undefined ? Infinity : opener.at + fixed.windowHigh, now + resetMs);
  const edgeLow = Math.min(edgeHigh, Math.max(fixed.edgeLow, opener === undefined ? -Infinity : opener.sentAt + fixed.windowLow));
  return { edgeLow, edgeHigh };
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
    // The opener's answer can come after answers of attempts sent after it (in its window): those
    // stay counted; what was counted from attempts sent before it belonged to the last window.
    if (fixed.leastSentAt < sentAt) fixed.least = Infinity;
    fixed.edge = Infinity;
    fixed.edgeLow = -Infinity;
  }
  if (sentAt >= fixed.since && remaining <= fixed.least) {
    fixed.least = remaining;
    fixed.leastSentAt = sentAt;
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
  if (throttled && sentAt > current.at) {
    fixed.windowLow = Math.max(fixed.windowLow, sentAt - current.at);
    fixed.edgeLow = Math.max(fixed.edgeLow, sentAt);
  }
  fixed.windowLow = Math.min(fixed.windowLow, fixed.windowHigh);
}
