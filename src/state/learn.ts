// The rules that turn admissions and attempt signals into a key's state: who may go now, and what
// each ended attempt teaches the pause, the pace and the window. Functions over plain data.

import { windowSample } from '../limits/limit.js';
import { paceDelay, paceOnNoResponse, paceOnResponse, paceOnSend } from '../pacing/pacer.js';
import { budgetDeposit, budgetWithdraw } from '../retry/budget.js';
import type { AttemptSignal } from '../signal/attempt-signal.js';
import type { KeyState } from './key-state.js';

/** One admitted attempt, as its key remembers it until it ends. */
export interface Admission {
  /** When it was released (the key's clock). */
  readonly sentAt: number;
  /** Attempts in flight to the key once it was admitted, itself included. */
  readonly inFlight: number;
  /**
   * Nothing else of the client's was in flight or waiting: its refusal cannot tell a rate (and
   * honouring the refusal's server time already paces a caller that sends one at a time).
   */
  readonly alone: boolean;
  /** Attempts still waiting in the key's queue when it was admitted: the backlog behind it. */
  readonly waiting: number;
}

/** What the key's state says back about an attempt that ended, for the retry decision. */
export interface AttemptFeedback {
  /**
   * The window holds this capacity refusal's retry back: it was cut below the level refused and
   * the attempts still out fill it, so the retry waits in the gate for room, not on a backoff.
   */
  readonly windowHeld: boolean;
}

export const NOT_HELD: AttemptFeedback = Object.freeze({ windowHeld: false });
const HELD: AttemptFeedback = Object.freeze({ windowHeld: true });

/** A refusal counts as saturation when the origin served a request within this many round trips of it. */
const SATURATION_ROUND_TRIPS = 2;
/** ... and within at least this long (ms): a fast origin's quiet millisecond proves no outage. */
const SATURATION_MIN_MS = 1000;

/**
 * Resets and timeouts after the request left cut the window only while they end at least this
 * share of recent attempts. One alone says little: an origin that mostly answers also drops the odd connection (a worker
 * restart, a proxy's idle timeout, a flaky network), and cutting on each one held such an origin
 * at a window of 1 (test/bench/random-resets.ts: 5 % random resets at 48 callers, 30 ms per
 * answer, 46–63/s; 289–410/s with this rule). An origin short of capacity fails a large share
 * at once — everything above its limit — and crosses this within a few failures.
 */
const OVERLOAD_FAILURE_SHARE = 0.2;
/** Weight of the newest attempt in the failure share: it averages over about the last 16. */
const FAILURE_SHARE_WEIGHT = 1 / 16;

/** Counts an ended attempt into the key's share of transport failures; returns the new share. */
function countFailure(s: KeyState, failed: boolean): number {
  s.transportFailureShare += ((failed ? 1 : 0) - s.transportFailureShare) * FAILURE_SHARE_WEIGHT;
  return s.transportFailureShare;
}

/** True when an attempt may be admitted at `now` (pause over, window has room, pace has a token). */
export function admissible(s: KeyState, now: number): boolean {
  return s.pausedUntil <= now && s.inFlight < s.window.limit && (s.pace === undefined || paceDelay(s.pace, now) === 0);
}

/**
 * ms until an attempt may be admitted (0: now), or `undefined` while the window is full: then
 * only an attempt that ends makes room, and it says so. Infinity when the pace allows nothing.
 */
export function admissionIn(s: KeyState, now: number): number | undefined {
  if (s.pausedUntil > now) return s.pausedUntil - now;
  if (s.inFlight >= s.window.limit) return undefined;
  return s.pace === undefined ? 0 : paceDelay(s.pace, now);
}

/**
 * Admits an attempt at `now`; `waiting`: how many more wait in the key's queue. `sentAt`: when it
 * left, if earlier (another process's attempt, heard of late).
 */
export function admit(s: KeyState, now: number, waiting: number, sentAt = now): Admission {
  s.inFlight++;
  s.counters.sent++;
  if (s.pace !== undefined) paceOnSend(s.pace, now, waiting, sentAt);
  return { sentAt, inFlight: s.inFlight, alone: s.inFlight === 1 && waiting === 0, waiting };
}

/** Pauses the key until `until`; a shorter pause never shortens a longer one. True when it moved. */
export function pause(s: KeyState, until: number): boolean {
  if (until <= s.pausedUntil) return false;
  s.pausedUntil = until;
  return true;
}

/** Counts a logical request into the retry budget (when its first attempt is sent). */
export function deposit(s: KeyState, now: number): void {
  if (s.budget !== undefined) budgetDeposit(s.budget, now);
}

/**
 * Takes a retry from the budget; false when it is not affordable. A retry the window holds back
 * costs nothing: it adds load only as fast as the window admits, which is what the budget guards.
 */
export function tryRetry(s: KeyState, feedback: AttemptFeedback, now: number): boolean {
  const allowed = feedback.windowHeld || s.budget === undefined || budgetWithdraw(s.budget, now);
  if (allowed) s.counters.retried++;
  return allowed;
}

/**
 * An admitted attempt ended at `now` with `signal` (`undefined`: abandoned by an abort, which
 * teaches nothing). What it says about capacity (the window, a 503's pause) stays with `s`, the
 * key that admitted it; what it says about rate (quota, pace, a 429's pause) goes to `rated`, the
 * key of the rate-limit bucket its response named (`s` itself unless the server names buckets).
 * `answeredAt`: when the answer came, if earlier (another process's attempt, heard of late).
 */
export function endAttempt(
  s: KeyState,
  admission: Admission,
  signal: AttemptSignal | undefined,
  now: number,
  rated: KeyState = s,
  answeredAt = now,
): AttemptFeedback {
  const outstanding = s.inFlight--;
  const rttMs = Math.max(0, answeredAt - admission.sentAt);
  if (signal === undefined || signal.kind === 'transport-error') {
    if (s.pace !== undefined) paceOnNoResponse(s.pace, now);
    // The last attempt out ended without an answer: a pause held for it is due now.
    holdOrPause(s, -Infinity, outstanding, now);
    if (signal === undefined) return NOT_HELD;
    // A connection the origin refused or never accepted (the request never left) is its word, as
    // a 503 is. A reset or a timeout is no evidence of capacity either way unless such failures
    // are common (see OVERLOAD_FAILURE_SHARE). Either cuts the window to what the origin held.
    const share = countFailure(s, true);
    const refused = signal.outcome.type === 'error' && !signal.outcome.sent;
    const overload = signal.capacityError && (refused || share >= OVERLOAD_FAILURE_SHARE);
    if (!overload) return NOT_HELD;
    const sample = { inFlight: admission.inFlight, outstanding, rttMs, dropped: true, waiting: admission.waiting };
    return windowSample(s.window, sample, now) ? HELD : NOT_HELD;
  }
  countFailure(s, false);
  const { serverDelay } = signal;
  const kind = capacityOrRate(s, signal.kind, outstanding, now);
  if (kind === 'served') {
    s.lastServedAt = now;
    s.lastServedRttMs = rttMs;
    s.heldPauseUntil = -Infinity;
  } else if (signal.kind === 'capacity-refusal') {
    s.counters.unavailable++;
    // An origin that is down or shedding everything is paused for its server time, as a whole.
    // One that still serves others is saturated: pausing it would idle the slots it is serving
    // (measured: 2 × ideal against load-shedding servers). Its window is cut instead, and the
    // refused request alone waits its server time (the retry policy's delay).
    if (kind === 'capacity-refusal' && serverDelay !== undefined && !isSaturated(s, now)) holdOrPause(s, now + serverDelay, outstanding, now);
  }
  learnRate(rated, signal, kind === 'rate-refusal', admission, now, answeredAt);
  // A rate refusal says nothing about concurrency: it neither grows nor cuts the window.
  if (kind === 'rate-refusal') return NOT_HELD;
  const sample = {
    inFlight: admission.inFlight,
    outstanding,
    rttMs,
    dropped: kind === 'capacity-refusal',
    pausedMs: serverDelay,
    waiting: admission.waiting,
  };
  return windowSample(s.window, sample, now) ? HELD : NOT_HELD;
}

/**
 * What a refusal is about. A capacity refusal (503, 529) that came with nothing else of ours
 * outstanding, while the origin still serves, cannot be about concurrency — one request at a time
 * was refused — so it is about rate: nginx's `limit_req` answers 503 by default, and its refusals
 * follow the send rate (measured: a window of 1 still sent ~1,400/s into instant refusals, and
 * 351 of 400 requests failed once the retry budget was spent). It teaches the pace instead.
 */
function capacityOrRate(s: KeyState, kind: AttemptSignal['kind'], outstanding: number, now: number): AttemptSignal['kind'] {
  return kind === 'capacity-refusal' && outstanding === 1 && isSaturated(s, now) ? 'rate-refusal' : kind;
}

/** What a response says about rate (`throttled`: a refusal for rate): its quota, a pause, and the pace. */
function learnRate(s: KeyState, signal: AttemptSignal, throttled: boolean, { sentAt, alone }: Admission, now: number, answeredAt: number): void {
  const { rateLimit, serverDelay } = signal;
  if (rateLimit?.remaining !== undefined) s.remaining = rateLimit.remaining;
  if (throttled) s.counters.throttled++;
  const refusalUntil = throttled && serverDelay !== undefined ? now + serverDelay : undefined;
  // Only rate refusals teach the pace: a 503 (even with Retry-After) is a capacity signal, and
  // read as a rate it capped a recovering origin at its brownout pace (bench scenario 5).
  const pausedUntil = Math.max(s.pausedUntil, refusalUntil ?? 0);
  const hold =
    s.pace === undefined
      ? undefined
      : paceOnResponse(s.pace, now, { throttled, rateLimit, pausedUntil: pausedUntil > now ? pausedUntil : undefined, sentAt, answeredAt, alone });
  // A spent window (or quota) holds the whole key until its edge, as a pause: requests that cannot
  // wait that long fail fast rather than sit paced at a crawl (caps, not hangs). A fixed window's
  // edge, known from its resets, also stands in for a refusal's Retry-After for the rest of the
  // key (the refused request itself still waits its server time): rounded up to whole seconds,
  // the Retry-After would idle the key past the edge.
  const until = hold ?? refusalUntil;
  if (until !== undefined) pause(s, until);
}

/**
 * A capacity refusal from an origin that served nothing recently: down, unless others of ours
 * still out are being served — a small backend sheds the excess of a first burst at once while
 * it serves the rest (measured: 4 slots × 200 ms, `Retry-After: 3`: the whole origin paused 3 s
 * at its first answer, 1.61 × ideal). So the pause waits for their answers: one served makes it
 * saturation and drops it; the refusal that leaves nothing else out pauses for all of them.
 */
function holdOrPause(s: KeyState, until: number, outstanding: number, now: number): void {
  s.heldPauseUntil = Math.max(s.heldPauseUntil, until);
  if (outstanding > 1) return;
  if (s.heldPauseUntil > now) pause(s, s.heldPauseUntil);
  s.heldPauseUntil = -Infinity;
}

/** The origin served a request recently enough that a refusal now means "full", not "down". */
function isSaturated(s: KeyState, now: number): boolean {
  return now - s.lastServedAt <= Math.max(SATURATION_MIN_MS, SATURATION_ROUND_TRIPS * s.lastServedRttMs);
}
