// Pacing learned from throttles alone (Retry-After only): each episode that ends in a throttle is
// fitted to a token-bucket model, and the next pace is chosen from what the fit allows.

import { forgetOutcomesBefore, sendsAfter, sortedOutcomes } from './attempt-history.js';
import { fitBucketRate, replayBurstBounds } from './bucket-fit.js';
import { paceAfterThrottle } from './pace-after-throttle.js';
import { paceBound } from './pace-binding.js';
import { applyRate, jitterMs, withJitter } from './pace-rate.js';
import type { PacerState } from './pacer-state.js';
import { setMaxDepth, setTokens, tokensAt } from './token-bucket.js';

/** A probe of a held (or long-capped) rate creeps up to this multiple of it, then reopens. */
const PROBE_SPAN = 2;
/** How long a cap from an inconsistent fit binds without a throttle before it is probed. */
const UNCERTAIN_PROBE_AFTER_MS = 5000;

/** A throttle of an attempt released at `sentAt`, with no header to pace by instead. */
export function onThrottle(s: PacerState, now: number, sentAt: number): void {
  const { traffic: t, throttle: m } = s;
  // Refusals of attempts released before the current episode began are the tail of the last
  // one: data for the next fit, not a new verdict (and not a reason to cut twice).
  if (t.episodeThrottled || sentAt < t.episodeStart) return;
  t.episodeThrottled = true;
  if (sentAt === t.episodeStart && t.openingOk >= 1 && m.estimated !== undefined) {
    // Refused within the opening burst after others of it passed: the burst was deeper than what
    // the pause refilled. That says nothing about the rate, so keep the pace; only the depth
    // comes down (measured: 3 at once against B = 1 "proved" a rate of 2/s instead).
    m.depthCap = Math.max(1, Math.min(m.depthCap, t.openingOk));
    setMaxDepth(s.bucket, Math.max(1, Math.min(m.depthCap, m.fitDepth)), now);
    setTokens(s.bucket, 0, now);
    m.estimated.since = now;
    return;
  }
  const throttledRate = s.rate;
  // A finite rate that drained the server's bucket bounds the fit: rates far above it could
  // otherwise "explain" refusals as collisions within the timing noise. Unpaced, the rate
  // actually sent bounds it instead: at most four times the last second's sends.
  const maxRate = Number.isFinite(throttledRate) ? throttledRate : Math.max(s.o.minRate, 4 * sendsAfter(t.sends, now - 1000));
  // Refused while demand, not the pace, limited sending (RFC 7661's application-limited): the
  // cap the fit sets was never run into, and may reopen (see `trackQuiet`).
  const soft = !paceBound(t.binding, now, throttledRate);
  const window = Math.max(50, Math.min(1000, now - t.episodeStart));
  const demandRate = soft ? (sendsAfter(t.sends, now - window) / window) * 1000 : undefined;
  m.pendingFit = { throttledRate, maxRate, soft, demandRate, heldTooHigh: s.mode === 'held', rampOpen: s.ramp.open };
  s.ramp.open = false;
  setTokens(s.bucket, 0, now);
  m.throttledAt = now;
  if (now >= t.pausedUntil) fitAfterThrottle(s, now);
}

/**
 * Fits the outcomes once the pause ends (or nothing is in flight): attempts released before the
 * refused one and still unanswered when its refusal came were most likely decided before it.
 * Fitted without them, the refusal looked premature (simulated with stalled processes: a 100/s
 * server "proved" at most 32/s, and the run took 3.3 × ideal; at 500/s, B = 100 runs took up to
 * 4.4 × ideal instead of 1.7 ×).
 */
export function fitAfterThrottle(s: PacerState, now: number): void {
  const { traffic: t, throttle: m, o } = s;
  const { throttledRate, maxRate, soft, demandRate, heldTooHigh, rampOpen } = m.pendingFit!;
  m.pendingFit = undefined;
  const outcomes = sortedOutcomes(t.outcomes, t.minRtt);
  // Timing noise beyond the estimate makes the truth look impossible; widen before giving up.
  let toleranceMs = fitTolerance(s);
  const previous = m.estimated;
  const hints = previous === undefined ? [] : [previous.base, previous.range.best];
  let fit = fitBucketRate(outcomes, { minRate: o.minRate, maxRate, toleranceMs, hints });
  for (let i = 0; i < 2 && fit?.consistent === false; i++) {
    toleranceMs *= 2;
    fit = fitBucketRate(outcomes, { minRate: o.minRate, maxRate, toleranceMs, hints });
  }
  if (fit === undefined) {
    // Nothing to fit (no success yet): as before the throttle.
    s.ramp.open = rampOpen;
    return;
  }
  const paced = m.estimated !== undefined;
  if (paced && Number.isFinite(throttledRate)) m.peakRate = Math.max(m.peakRate, throttledRate);
  // A fit that explains nothing means others share the bucket only where timing noise cannot
  // explain it: when bunched arrivals a pace's spacing apart may collide, it says nothing
  // (measured in simulation: 500/s, B = 1, 20,000 requests ran 4.2 × ideal taken as shared,
  // 2.8 × without).
  const peakRate = 1000 / throttledRate > jitterMs(s) ? m.peakRate : undefined;
  const shared = m.shared;
  const decision = paceAfterThrottle(fit, { throttledRate, paced, demandRate, heldTooHigh, peakRate, shared, options: o });
  m.shared = decision.sharedScale !== undefined;
  const { range } = decision;
  // The least burst the chosen range allows; an inconsistent fit says nothing about it.
  if (fit.consistent) {
    m.burst = replayBurstBounds(outcomes, range.high, toleranceMs).low;
    m.burstUnderTwo = replayBurstBounds(outcomes, range.low, toleranceMs).high <= 2;
    m.burstKnown = true;
    s.bucket.keepPace = m.burst >= 2;
  }
  const base = decision.held ? jitterSafe(s, decision.base) : decision.base;
  m.estimated = { ...decision, base, since: now, soft, uncertain: !fit.consistent, atCapMs: 0 };
  s.mode = decision.held ? 'held' : 'estimated';
  s.ramp.open = false;
  m.estimate = { low: range.low, high: range.high, burst: m.burst };
  // A refilled bucket must not release more at once than the server holds, less one token for
  // arrivals that bunch up on the way. Only a pinned fit may raise that depth again: a wrong fit
  // raised it from 1 to 13 against B = 1.
  if (fit.consistent) {
    const fitted = Math.max(1, Math.floor(m.burst) - 1);
    m.fitDepth = decision.held ? fitted : Math.min(m.fitDepth, fitted);
  }
  setMaxDepth(s.bucket, Math.max(1, Math.min(m.depthCap, m.fitDepth)), now);
  applyRate(s, now);
  // What the new pace accrued since the throttle, up to its depth, as if set then.
  const accrued = (s.rate * (now - (m.throttledAt ?? now))) / 1000;
  setTokens(s.bucket, Math.min(s.bucket.depth, accrued), now);
  m.resumeRate = Math.min(range.low, base);
}

/**
 * At the end of a pause the server's bucket holds what it refilled meanwhile, up to its burst.
 * Once held, grant that (less two tokens: attempts still in flight at the throttle, and arrivals
 * bunched by the network) instead of leaving it to waste while pacing below R. Not while still
 * estimating: the grant would shorten the next episode, the measurement itself.
 */
export function grantAfterPause(s: PacerState, now: number): void {
  const { throttle: m, traffic: t } = s;
  if (m.throttledAt === undefined || now < t.pausedUntil) return;
  const refilled = (m.resumeRate * (t.pausedUntil - m.throttledAt)) / 1000;
  const grant = Math.floor(Math.min(m.burst, refilled)) - 2;
  if (grant > tokensAt(s.bucket, now)) setTokens(s.bucket, grant, now);
  m.throttledAt = undefined;
}

/**
 * Creep only while the pace binds (an unused pace proves nothing: RFC 7661), and count binding
 * time without a throttle towards probing a held rate and reopening an untested cap.
 */
export function trackQuiet(s: PacerState, prev: number, now: number): void {
  const e = s.throttle.estimated;
  if (e === undefined || (s.mode !== 'estimated' && s.mode !== 'held')) return;
  const dt = now - prev;
  if (now <= s.traffic.pausedUntil || !paceBound(s.traffic.binding, now, s.rate)) {
    e.since = Math.min(now, e.since + dt);
    return;
  }
  const { o } = s;
  if (s.mode === 'held') {
    // `since` is the start of the hold's binding time (creep is 0 there).
    if (now - e.since >= o.probeAfterMs) probe(s, now, PROBE_SPAN * s.rate, 0, true, s.rate);
    return;
  }
  if (s.rate < e.cap) return;
  e.atCapMs += dt;
  if (e.soft && e.atCapMs >= o.reopenAfterMs) {
    // Bound at an untested cap for a while and never refused: the old evidence (a throttle while
    // demand was light, or a limit since raised) no longer describes the server.
    forgetOutcomesBefore(s.traffic.outcomes, now);
    s.throttle.depthCap = Infinity;
    s.throttle.fitDepth = Infinity;
    setMaxDepth(s.bucket, Infinity, now);
    probe(s, now, Infinity, 2 ** (1000 / o.probeDoublingMs) - 1, false);
  } else if (!e.soft && e.atCapMs >= (e.uncertain ? UNCERTAIN_PROBE_AFTER_MS : o.probeAfterMs)) {
    // A cap from a fit that explained nothing (the server changed, or others share its bucket)
    // is probed sooner and faster: a client squeezed by others otherwise stays at its small
    // share long after they left (measured: 10/s for 40 s against an idle 100/s bucket).
    if (e.uncertain) probe(s, now, PROBE_SPAN * s.rate, 2 ** (1 / o.creepSpanS) - 1, true);
    else probe(s, now, PROBE_SPAN * s.rate, 0, true, s.rate);
  }
}

/** A reopened rate that passed the slow start's ceiling: the server shows no limit any more. */
export function leaveWhenUnlimited(s: PacerState, now: number): void {
  if (s.mode === 'estimated' && s.throttle.estimated!.cap === Infinity && s.rate >= s.o.unboundedAbove) {
    s.mode = 'unbounded';
    s.throttle.estimated = undefined;
    s.throttle.shared = false;
    applyRate(s, now);
  }
}

/**
 * Creeps from the current rate by `creep` per second up to `cap`, from `now`; or, given a
 * `sharedScale`, grows as a shared pace does (see `sharedRate`): a held rate may be only what
 * others sharing the bucket left, and once they are gone a creep of 2 %/s took 35 s to double it
 * (measured: a process held at 14/s for 60 s after the other finished, 3.5 × ideal).
 */
function probe(s: PacerState, now: number, cap: number, creep: number, soft: boolean, sharedScale?: number): void {
  const e = s.throttle.estimated!;
  s.throttle.estimated = { ...e, base: s.rate, cap, creep, sharedScale, held: false, soft, uncertain: false, since: now, atCapMs: 0 };
  s.mode = 'estimated';
}

/**
 * With a burst under 2 the server has no token to spare for two arrivals that the network bunched
 * up, so the spacing it sees (1/rate minus the jitter) must stay above 1/R.
 */
function jitterSafe(s: PacerState, rate: number): number {
  if (!s.throttle.burstKnown || !s.throttle.burstUnderTwo) return rate;
  return withJitter(rate, jitterMs(s));
}

/**
 * How far a decision time estimated as mid-round-trip may be off: the two directions of a round
 * trip differ, by about the round trip's own variation (and at least a fifth of it), plus a
 * little for clock granularity. Too little excluded the true rate (measured at 500/s).
 */
function fitTolerance(s: PacerState): number {
  return 0.1 + Math.max(0.2 * (s.traffic.srtt ?? 0), s.traffic.rttvar ?? 0);
}
