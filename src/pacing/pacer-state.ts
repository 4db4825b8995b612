// The adaptive pacer of one key as plain data: what drives the rate now (`mode`), the token
// bucket it steers, and what each pacing mode remembers. The mode files change it; nothing else.

import type { RateLimitObservation } from '../ratelimit/types.js';
import { createFixedWindowMemory, type FixedWindowMemory } from './fixed-window.js';
import { createOutcomeLog, createSendLog, type OutcomeLog, type Ring } from './attempt-history.js';
import type { RateRange } from './bucket-fit.js';
import { createPaceBinding, type PaceBinding } from './pace-binding.js';
import type { PaceDecision } from './pace-after-throttle.js';
import { normalizePacerOptions, type NormalizedPacerOptions, type PacerOptions } from './pacer-options.js';
import { createTokenBucket, type TokenBucketState } from './token-bucket.js';

/**
 * What drives the rate, for `stats()`:
 * - `unknown`: nothing sent yet (or reset after idle).
 * - `slow-start`: ramping by rate; no evidence of a limit yet.
 * - `unbounded`: the ramp passed `unboundedAbove` unthrottled (or a quota is far from binding).
 * - `estimated`: paced at a rate estimated from throttles, creeping up.
 * - `held`: the estimate is exact; held just under it.
 * - `header`: paced from rate-limit headers (stated policy or learned from `remaining`).
 * - `fixed-window`: spending a fixed window's quota at once, then holding until its edge.
 */
export type PacerMode = 'unknown' | 'slow-start' | 'unbounded' | 'estimated' | 'held' | 'header' | 'fixed-window';

/** What one response told the pacer. */
export interface PacerResponse {
  /** A rate refusal (429, a spent-quota 403), or a refusal the window could not explain. */
  throttled: boolean;
  /** Normalised rate-limit headers of the response, when it had any. */
  rateLimit?: RateLimitObservation | undefined;
  /** The key's pause-until (same clock as `now`) after this response, when it set one. */
  pausedUntil?: number | undefined;
  /**
   * When this attempt was released (same clock). Strongly recommended: header modes subtract the
   * attempts released after it (the server had not counted them), and fits place the server's
   * decision half a round trip after it. Without it the pacer assumes one smoothed round trip.
   */
  sentAt?: number | undefined;
  /**
   * When the response arrived, if before `now` (same clock): another process's attempt, heard of
   * late. Round trips and fits are timed by it; the state moves at `now`.
   */
  answeredAt?: number | undefined;
  /**
   * The attempt was the only one the client had going (nothing else in flight or waiting). When
   * the sends before it were alike, a refusal of it is recorded but teaches no rate. Measured: a
   * caller sending one at a time to a server that refuses every other request drew the pace
   * 32 → 9 → 4.7 → 2.4 → 1.3 → 0.9/s in eight calls, waiting 20–40 s where it asked for 1 s.
   */
  alone?: boolean | undefined;
}

/** What throttles revealed about the server's bucket; `undefined` before the first one. */
export interface RateEstimate {
  /** Lowest and highest refill rate consistent with every outcome seen (per second). */
  low: number;
  high: number;
  /** Least burst consistent with the outcomes (at the range's top rate). */
  burst: number;
}

/** The traffic of the key as the pacer saw it: shared by every mode. */
export interface Traffic {
  /** Send times, each with the attempts unanswered just before it, and whether it was refused. */
  sends: Ring;
  outcomes: OutcomeLog;
  binding: PaceBinding;
  successes: number;
  /** Attempts released and not yet answered. */
  inFlight: number;
  /** Attempts waiting behind the last one released (Infinity: the caller does not say). */
  waiting: number;
  srtt: number | undefined;
  rttvar: number | undefined;
  /** Shortest round trip seen: the part of every round trip that is not queueing. */
  minRtt: number;
  lastSend: number;
  pausedUntil: number;
  /** The current episode: sending between two throttles' pauses. */
  episodeStart: number;
  episodeThrottled: boolean;
  /** Successes among the attempts released at the very start of the current episode. */
  openingOk: number;
}

/** Slow start by rate: the ramp's rate at `at`; it advances only while `open`. */
export interface Ramp {
  rate: number;
  at: number;
  open: boolean;
}

/** Retry-After-only pacing: the current episode and what the fits concluded. */
export interface Estimated extends PaceDecision {
  /**
   * When the creep (re)started: the throttle, then the first send of each episode; moved on by
   * the time demand, not the pace, limited sending, so only binding time creeps.
   */
  since: number;
  /**
   * The cap was never tested against the server: the throttle came while demand, not the pace,
   * limited sending (or this is a probe's top). Such a cap reopens after `reopenAfterMs` binding
   * at it without a throttle; a tested one only after `probeAfterMs`, by a probe.
   */
  soft: boolean;
  /** The fit explained nothing: the server changed, or others share its bucket. */
  uncertain: boolean;
  /** Binding time at the cap without a throttle. */
  atCapMs: number;
}

/** A throttle whose fit waits for the pause to end (see `fitAfterThrottle`). */
export interface PendingFit {
  throttledRate: number;
  maxRate: number;
  soft: boolean;
  demandRate: number | undefined;
  heldTooHigh: boolean;
  rampOpen: boolean;
}

/** What throttle learning remembers across episodes. */
export interface ThrottleMemory {
  estimated: Estimated | undefined;
  estimate: RateEstimate | undefined;
  /** Least burst the fits allow (1 until a consistent fit says more). */
  burst: number;
  burstKnown: boolean;
  /** The fits rule out a burst of 2 or more at every rate they allow. */
  burstUnderTwo: boolean;
  /** When the last episode ended in a throttle, and the least rate the server refills at. */
  throttledAt: number | undefined;
  resumeRate: number;
  /** Depth the evidence allows: lowered when an episode's opening burst was refused. */
  depthCap: number;
  /** Depth the fitted burst allows. */
  fitDepth: number;
  pendingFit: PendingFit | undefined;
  /** The highest paced rate a throttle ended (0: none yet): the scale of a shared pace's increase. */
  peakRate: number;
  /**
   * Others share the server's bucket (a paced fit explained nothing): every later throttle cuts
   * and grows as a shared pace, until the rate leaves pacing. A fit of a shared bucket describes
   * only what the others left at the time: held at it, a squeezed client stayed at 5/s for 20 s.
   */
  shared: boolean;
}

/** X-RateLimit-like headers without a stated window: what `remaining` has shown so far. */
export interface Remaining {
  /** Start of the current span in which the bucket never reported full. */
  anchor?: { at: number; remaining: number; successes: number; inFlight: number } | undefined;
  learned?: number | undefined;
  /** The ramp was halved at the first drain. */
  halved?: boolean | undefined;
  /**
   * Until learned, while drained: the most refill a bucket that is full at its reset can have,
   * (limit − remaining) / (reset − its unit), since resets are rounded up (often to whole
   * seconds). It stops a ramp frozen at several times a slow server's rate from outrunning it; a
   * reset of a single unit says nothing and gives none.
   */
  hint?: number | undefined;
}

/** What header pacing remembers. */
export interface HeaderMemory {
  /** A stated policy's q / w. */
  policyRate: number | undefined;
  remaining: Remaining;
  /** Largest `remaining` reported so far (−1: none). */
  maxRemaining: number;
}

export interface PacerState {
  readonly o: NormalizedPacerOptions;
  mode: PacerMode;
  /** The pacing rate now, per second (`Infinity` = unpaced). */
  rate: number;
  bucket: TokenBucketState;
  /** The latest time seen; time never runs backwards for the pacer. */
  now: number;
  traffic: Traffic;
  ramp: Ramp;
  throttle: ThrottleMemory;
  header: HeaderMemory;
  fixed: FixedWindowMemory;
}

export function createPacerState(options: PacerOptions = {}, now = 0): PacerState {
  const o = normalizePacerOptions(options);
  return {
    o,
    mode: 'unknown',
    rate: o.initialRate,
    // Sub-token catch-up only once the server is known to take two arrivals at once.
    bucket: createTokenBucket({ ...o.bucket, rate: o.initialRate, initialTokens: o.initialTokens, keepPace: false }, now),
    now: -Infinity,
    traffic: {
      sends: createSendLog(o.historySize),
      outcomes: createOutcomeLog(o.historySize),
      binding: createPaceBinding(),
      successes: 0,
      inFlight: 0,
      waiting: Infinity,
      srtt: undefined,
      rttvar: undefined,
      minRtt: Infinity,
      lastSend: -Infinity,
      pausedUntil: -Infinity,
      episodeStart: 0,
      episodeThrottled: false,
      openingOk: 0,
    },
    ramp: { rate: o.initialRate, at: 0, open: true },
    throttle: {
      estimated: undefined,
      estimate: undefined,
      burst: 1,
      burstKnown: false,
      burstUnderTwo: false,
      throttledAt: undefined,
      resumeRate: 0,
      depthCap: Infinity,
      fitDepth: Infinity,
      pendingFit: undefined,
      peakRate: 0,
      shared: false,
    },
    header: { policyRate: undefined, remaining: {}, maxRemaining: -1 },
    fixed: createFixedWindowMemory(),
  };
}

/** A range of rates the state's fits allow, for tests and `stats()`. */
export type { RateRange };
