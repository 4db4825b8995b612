// The pacer of one key: feed it every release and every response, ask it when the next release may
// happen. It moves time-driven state, then hands each event to the mode that owns it.

import { markAnswered, pushOutcome, pushSend, sentOneAtATime } from './attempt-history.js';
import { onRateLimit } from './header-pacing.js';
import { accrueOffered, bindingOnSend, bindingOnShareWait } from './pace-binding.js';
import { applyRate } from './pace-rate.js';
import { createPacerState, type PacerResponse, type PacerState } from './pacer-state.js';
import type { PacerOptions } from './pacer-options.js';
import { advanceRamp, startRamp } from './slow-start.js';
import { fitAfterThrottle, grantAfterPause, leaveWhenUnlimited, onThrottle, trackQuiet } from './throttle-learning.js';
import { createTokenBucket, setTokens, takeToken, tokenDelay, tokensAt, type TokenBucketState } from './token-bucket.js';

/**
 * How one key is paced: adaptively (learned from headers and throttles), at a fixed rate the user
 * set, or not at all (`undefined` where a pacer is optional).
 */
export type Pace = { kind: 'adaptive'; state: PacerState } | { kind: 'fixed'; bucket: TokenBucketState };

export function createPace(rate: 'adaptive' | number, now: number, options?: PacerOptions): Pace {
  if (rate === 'adaptive') return { kind: 'adaptive', state: createPacerState(options, now) };
  return { kind: 'fixed', bucket: createTokenBucket({ rate }, now) };
}

/** ms until the pace allows the next release (0 = now). Does not consider pauses or windows. */
export function paceDelay(pace: Pace, now: number): number {
  if (pace.kind === 'fixed') return tokenDelay(pace.bucket, now);
  advance(pace.state, now);
  return tokenDelay(pace.state.bucket, now);
}

/**
 * An attempt was released at `now`: takes its token and records it. `waiting`: attempts still
 * queued behind it (omitted: unknown, taken as a long backlog). `sentAt`: when it left, if earlier
 * (another process's attempt, heard of late): the fits place it there.
 */
export function paceOnSend(pace: Pace, now: number, waiting = Infinity, sentAt = now): void {
  if (pace.kind === 'fixed') return takeToken(pace.bucket, now);
  const s = pace.state;
  now = advance(s, now);
  startRamp(s, now);
  const t = s.traffic;
  if (t.episodeThrottled && now >= t.pausedUntil) {
    // First release after a pause: a new episode begins, and the creep counts from here.
    t.episodeThrottled = false;
    t.episodeStart = now;
    t.openingOk = 0;
    if (s.throttle.estimated !== undefined) s.throttle.estimated.since = now;
  }
  t.waiting = waiting;
  takeToken(s.bucket, now);
  bindingOnSend(t.binding, now);
  pushSend(t.sends, Math.min(sentAt, now), t.inFlight);
  t.inFlight++;
  t.lastSend = now;
}

/**
 * A release this pace allows waits for the token other processes share with it (a lease). Only a
 * slow start counts that as binding: the fleet's sends trail a ramp that doubles while the
 * leases are reserved ahead. Past it, a copy whose rate is above the fleet's is not what holds
 * the sends (the cell is), and creeping it would lift the fleet's pace with no test of it.
 */
export function paceWaitsForShare(pace: Pace, now: number): void {
  if (pace.kind === 'adaptive' && pace.state.mode === 'slow-start') bindingOnShareWait(pace.state.traffic.binding, now);
}

/**
 * An attempt released earlier ended without a response (network error, abort): it no longer
 * counts as in flight. Nothing else is learnt from it; the concurrency window handles those.
 */
export function paceOnNoResponse(pace: Pace, now: number): void {
  if (pace.kind === 'fixed') return;
  advance(pace.state, now);
  pace.state.traffic.inFlight = Math.max(0, pace.state.traffic.inFlight - 1);
}

/**
 * A response arrived at `now`. Returns when the key should hold until, when the headers say the
 * window's quota is spent (a fixed window's edge); the caller makes that the key's pause, so
 * requests that cannot wait that long fail fast.
 */
export function paceOnResponse(pace: Pace, now: number, info: PacerResponse): number | undefined {
  if (pace.kind === 'fixed') return undefined;
  const s = pace.state;
  now = advance(s, now);
  const t = s.traffic;
  t.inFlight = Math.max(0, t.inFlight - 1);
  const answeredAt = Math.min(info.answeredAt ?? now, now);
  const known = info.sentAt !== undefined && info.sentAt <= answeredAt;
  const sentAt = known ? info.sentAt! : answeredAt - (t.srtt ?? 0);
  const roundTrip = known ? answeredAt - sentAt : undefined;
  if (roundTrip !== undefined) observeRoundTrip(s, roundTrip);
  // The server decided about half a round trip after the release.
  const decidedAt = (sentAt + answeredAt) / 2;
  pushOutcome(t.outcomes, decidedAt, !info.throttled, roundTrip);
  if (known) markAnswered(t.sends, sentAt, !info.throttled);
  if (!info.throttled) {
    t.successes++;
    if (sentAt === t.episodeStart) t.openingOk++;
  }
  if (info.pausedUntil !== undefined) t.pausedUntil = Math.max(t.pausedUntil, info.pausedUntil);

  const verdict = info.rateLimit === undefined ? undefined : onRateLimit(s, now, info.rateLimit, sentAt, decidedAt, info.throttled);
  // A throttle while the headers pace: the bucket was ahead of the server, so it gives up what it
  // holds; unless the headers decided a hold, or a fixed window keeps its tokens itself (a late
  // refusal from a window already held for must not empty the next one's quota).
  if (info.throttled) {
    if (!verdict?.paced) {
      if (!(info.alone && sentOneAtATime(t.sends, ONE_AT_A_TIME_SENDS))) onThrottle(s, now, sentAt);
    } else if (verdict.holdUntil === undefined && s.mode !== 'fixed-window') setTokens(s.bucket, Math.min(0, tokensAt(s.bucket, now)), now);
  }
  if (s.throttle.pendingFit !== undefined && t.inFlight === 0) fitAfterThrottle(s, now);
  applyRate(s, now);
  return verdict?.holdUntil;
}

/** The pacing rate now, per second (`Infinity` = unpaced); a fixed window's average over the window. */
export function paceRate(pace: Pace): number {
  if (pace.kind === 'fixed') return pace.bucket.rate;
  const { mode, fixed, rate } = pace.state;
  return mode === 'fixed-window' && Number.isFinite(fixed.windowHigh) ? (fixed.limit / fixed.windowHigh) * 1000 : rate;
}

/** Short name of what drives the rate, for `stats()`. */
export function paceMode(pace: Pace): string {
  return pace.kind === 'fixed' ? 'fixed' : pace.state.mode;
}

/**
 * A refusal teaches no rate when the client has been sending one request at a time: the refused
 * attempt had nothing else in flight or waiting (`alone`), and neither had the sends before it.
 * One such send alone is not enough: a producer that pulls on capacity (`client.map`) queues
 * nothing either, and its refusals must teach the pace.
 */
const ONE_AT_A_TIME_SENDS = 8;

/** TCP's smoothed round trip and mean deviation (RFC 6298 gains), and the shortest seen. */
function observeRoundTrip(s: PacerState, sample: number): void {
  const t = s.traffic;
  t.minRtt = Math.min(t.minRtt, sample);
  t.rttvar = t.rttvar === undefined ? sample / 2 : t.rttvar * 0.75 + Math.abs(sample - (t.srtt ?? sample)) * 0.25;
  t.srtt = t.srtt === undefined ? sample : t.srtt * 0.875 + sample * 0.125;
}

/** Moves time-driven state (ramp, creep, idle reset, a fit due) to `now`; returns the clamped `now`. */
function advance(s: PacerState, now: number): number {
  now = Math.max(now, s.now);
  const prev = s.now;
  s.now = now;
  if (prev > -Infinity) {
    accrueOffered(s.traffic.binding, Math.max(prev, s.traffic.pausedUntil), now, s.rate);
    trackQuiet(s, prev, now);
  }
  if (s.throttle.pendingFit !== undefined && now >= s.traffic.pausedUntil) fitAfterThrottle(s, now);
  advanceRamp(s, now);
  applyRate(s, now);
  leaveWhenUnlimited(s, now);
  if (s.mode === 'held') grantAfterPause(s, now);
  return now;
}
