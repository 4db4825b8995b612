// Decides how fast one key (origin) may be called, from what its responses say: rate-limit
// headers when present, else the pattern of successes and 429s; it steers the key's token bucket.

import { InvalidOptionError } from '../errors.js';
import type { RateLimitObservation } from '../ratelimit/types.js';
import { OutcomeLog, SendLog } from './attempt-history.js';
import { fitBucketRate, replayBurstBounds } from './bucket-fit.js';
import { paceAfterThrottle, type PaceDecision } from './pace-after-throttle.js';
import { PaceBinding } from './pace-binding.js';
import { TokenBucket, type TokenBucketOptions } from './token-bucket.js';

/** A probe of a held (or long-capped) rate creeps up to this multiple of it, then reopens. */
const PROBE_SPAN = 2;

export interface RateControllerOptions {
  /**
   * Rate of the slow start at first contact, per second (RATE-DISCOVERY point 4: ≈ 20/s).
   * @default 20
   */
  initialRate?: number;
  /**
   * The slow start doubles the rate every this many ms. 50–100 ms makes the first episode a
   * measurement of the server's rate; a window that doubles per round trip alone does not
   * (RATE-DISCOVERY point 4). Lower is cheaper on a healthy origin, higher measures better.
   * @default 50
   */
  rampDoublingMs?: number;
  /**
   * When the slow start passes this rate without a throttle, pacing stops (rate `Infinity`): a
   * healthy origin sees no limiter. In header modes the ramp stops here instead (finite), since
   * the headers keep the bucket in step anyway.
   * @default 10000
   */
  unboundedAbove?: number;
  /**
   * Tokens in the bucket at first contact. One request goes first; its answer (headers or not)
   * arrives a round trip later, long before the ramp's next token.
   * @default 1
   */
  initialTokens?: number;
  /**
   * Once estimated from throttles, the rate creeps up by at least this fraction per second
   * until a throttle ends a paced episode (RATE-DISCOVERY point 7: 1–2 %/s).
   * @default 0.02
   */
  creepPerSecond?: number;
  /**
   * When a throttle leaves the rate uncertain, the controller tests the middle of the possible
   * range and creeps fast enough to cross the rest in about this many seconds (never slower
   * than `creepPerSecond`).
   * @default 4
   */
  creepSpanS?: number;
  /**
   * When the fit pins the rate (range narrower than `tightWithin`), pace at this fraction of it
   * and stop creeping; creeping without holding throttled every 4.4 s (RATE-DISCOVERY point 7).
   * @default 0.99
   */
  holdFactor?: number;
  /**
   * A held rate (or one capped by a fit) starts creeping again (at `creepPerSecond`, up to twice
   * itself) after it has bound sending this long without a throttle, so a server that raised its
   * limit, or a hold fitted too low, is eventually noticed. The cost is at most one throttle per
   * probe against an unchanged server; time when demand, not the pace, limited sending does not
   * count (it says nothing about the server).
   * @default 60000
   */
  probeAfterMs?: number;
  /**
   * A cap that was never tested reopens after the pace has bound sending at it this long without
   * a throttle: the cap of an estimate made while demand, not the pace, limited sending (the
   * throttle may have been the server's passing trouble, or a limit since raised), and the top of
   * a probe. Reopened, the rate doubles every `probeDoublingMs` until a throttle or
   * `unboundedAbove`.
   * @default 1000
   */
  reopenAfterMs?: number;
  /**
   * Doubling period of a reopened rate: a slow start twenty times slower than the first one, so
   * the throttle that ends it lands in a long, paced episode that measures the server.
   * @default 1000
   */
  probeDoublingMs?: number;
  /**
   * Relative width of the fitted rate interval below which the estimate counts as exact.
   * @default 0.05
   */
  tightWithin?: number;
  /**
   * Attempts remembered (send times and outcomes) for fitting: memory per key is bounded by
   * about 32 bytes × this (64 KB at the default), allocated as needed. A fit runs once per
   * episode that ends in a throttle and costs about 5 µs per remembered attempt (measured: 10 ms
   * for 2048), up to three times when timing noise forces a wider tolerance.
   * @default 2048
   */
  historySize?: number;
  /**
   * X-RateLimit without a stated window: learn the refill rate from how `remaining` changes over
   * at least this span while the bucket never reported full (RATE-DISCOVERY, header modes: ≥ 0.5
   * s). Shorter here because the estimate also waits for three times its own doubt (answers
   * overtaking each other) in tokens and counts that doubt against itself; 0.5 s let a ramp
   * frozen at 1.7 × R earn a 429 against 500/s, B = 10 before the estimate arrived.
   * @default 100
   */
  learnSpanMs?: number;
  /**
   * A quota that does not refill continuously (hourly quotas) is spread evenly until its reset
   * only once what is left falls to this fraction of the limit; above it the quota is far from
   * binding and nothing is paced.
   * @default 0.2
   */
  quotaSpreadBelow?: number;
  /**
   * A key that sent nothing for this long while unpaced (or still in slow start) starts over
   * from slow start, like TCP's restart after idle: the origin may have changed meanwhile.
   * @default 30000
   */
  idleResetMs?: number;
  /**
   * Slowest rate the controller will pace at or consider in fits, per second.
   * @default 0.05
   */
  minRate?: number;
  /** Depth options of the token bucket the controller steers. */
  bucket?: Pick<TokenBucketOptions, 'minDepth' | 'depthMs' | 'catchUpMs'>;
}

export type NormalizedRateControllerOptions = Required<Omit<RateControllerOptions, 'bucket'>> & {
  bucket: Pick<TokenBucketOptions, 'minDepth' | 'depthMs' | 'catchUpMs'>;
};

export const rateControllerDefaults: Readonly<NormalizedRateControllerOptions> = Object.freeze({
  initialRate: 20,
  rampDoublingMs: 50,
  unboundedAbove: 10_000,
  initialTokens: 1,
  creepPerSecond: 0.02,
  creepSpanS: 4,
  holdFactor: 0.99,
  probeAfterMs: 60_000,
  reopenAfterMs: 1000,
  probeDoublingMs: 1000,
  tightWithin: 0.05,
  historySize: 2048,
  learnSpanMs: 100,
  quotaSpreadBelow: 0.2,
  idleResetMs: 30_000,
  minRate: 0.05,
  bucket: {},
});

export function normalizeRateControllerOptions(options: RateControllerOptions = {}): NormalizedRateControllerOptions {
  const o = { ...rateControllerDefaults, ...stripUndefined(options) };
  positive('initialRate', o.initialRate);
  positive('rampDoublingMs', o.rampDoublingMs);
  if (!(o.unboundedAbove > o.initialRate)) {
    throw new InvalidOptionError('unboundedAbove', `a number above \`initialRate\` (${o.initialRate})`, o.unboundedAbove);
  }
  if (typeof o.initialTokens !== 'number' || !Number.isFinite(o.initialTokens) || o.initialTokens < 1) {
    throw new InvalidOptionError('initialTokens', 'a finite number from 1 and up', o.initialTokens);
  }
  fraction('creepPerSecond', o.creepPerSecond, true);
  positive('creepSpanS', o.creepSpanS);
  if (typeof o.holdFactor !== 'number' || !(o.holdFactor > 0 && o.holdFactor <= 1)) {
    throw new InvalidOptionError('holdFactor', 'a number above 0 and at most 1', o.holdFactor);
  }
  positive('probeAfterMs', o.probeAfterMs);
  positive('reopenAfterMs', o.reopenAfterMs);
  positive('probeDoublingMs', o.probeDoublingMs);
  fraction('tightWithin', o.tightWithin, false);
  if (!Number.isInteger(o.historySize) || o.historySize < 16) {
    throw new InvalidOptionError('historySize', 'an integer from 16 and up', o.historySize);
  }
  positive('learnSpanMs', o.learnSpanMs);
  fraction('quotaSpreadBelow', o.quotaSpreadBelow, true);
  positive('idleResetMs', o.idleResetMs);
  positive('minRate', o.minRate);
  if (typeof o.bucket !== 'object' || o.bucket === null) throw new InvalidOptionError('bucket', 'an object', o.bucket);
  return o;
}

/** What one response told the gate, as the gate reports it. */
export interface ResponseInfo {
  /** 429, or a 503 carrying a server time: the server refused for load, not for this request. */
  throttled: boolean;
  /** Normalised rate-limit headers of the response, when it had any. */
  rateLimit?: RateLimitObservation | undefined;
  /** The key's pause-until (same clock as `now`) after this response, when it set one. */
  pausedUntil?: number | undefined;
  /**
   * When this attempt was released (same clock). Strongly recommended: header modes subtract the
   * attempts released after it (the server had not counted them), and fits place the server's
   * decision half a round trip after it. Without it the controller assumes one smoothed RTT.
   */
  sentAt?: number | undefined;
}

/**
 * Short name of what drives the rate, for `stats()`:
 * - `unknown`: nothing sent yet (or reset after idle).
 * - `slow-start`: ramping by rate; no evidence of a limit yet.
 * - `unbounded`: the ramp passed `unboundedAbove` unthrottled (or a quota is far from binding).
 * - `estimated`: paced at a rate estimated from throttles, creeping up.
 * - `held`: the estimate is exact; held just under it.
 * - `header`: paced from rate-limit headers (stated policy or learned from `remaining`).
 * - `quota`: spreading a non-refilling quota until its reset.
 */
export type RateControllerState = 'unknown' | 'slow-start' | 'unbounded' | 'estimated' | 'held' | 'header' | 'quota';

/** What the fits say about the server's bucket, for `stats()` and tests. */
export interface RateEstimate {
  /** Lowest and highest refill rate consistent with every outcome seen (per second). */
  low: number;
  high: number;
  /** Least burst consistent with the outcomes (at the range's top rate). */
  burst: number;
}

// The fit and the pace choice live in their own files; tests and callers reach them from here.
export { fitBucketRate, replayBurstBounds, type Outcome, type RateRange } from './bucket-fit.js';
export { paceAfterThrottle, type PaceDecision } from './pace-after-throttle.js';

// ---------------------------------------------------------------------------------------------
// Pure pieces

/** Rate of a ramp that started at `base` and doubles every `doublingMs`, after `elapsedMs`. */
export function rampRate(base: number, doublingMs: number, elapsedMs: number): number {
  return base * 2 ** (Math.max(0, elapsedMs) / doublingMs);
}

/**
 * How many tokens the client should hold after a response that reported `remaining`, or
 * `undefined` to leave the bucket alone (IETF point of RATE-DISCOVERY: r minus the attempts sent
 * since, one token in reserve).
 *
 * The server answered at an unknown moment between the release and now, so which of our other
 * attempts it had counted is unknown: at most none of those unanswered when this one left or
 * released since (`uncounted`), at least all. Hence the server's tokens for us lie between
 * `remaining − uncounted` (no refill since) and `remaining + 1 + accrualMax` (a fraction hidden
 * by the integer, refill over the whole round trip). Raise the bucket to the lower bound when
 * below it (spend what the server grants); lower it to the lower bound only when above the upper
 * bound (the client is ahead of the server). Correcting inside the band would trust stale
 * answers — responses overtake each other — and keep the client a token behind forever, which
 * starves a burst-1 server.
 */
export function syncTokens(
  current: number,
  s: { remaining: number; uncounted: number; reserve: number; accrualMax: number; raise?: boolean },
): number | undefined {
  const lower = s.remaining - s.uncounted - s.reserve;
  const upper = s.remaining + 1 + s.accrualMax - s.reserve;
  if ((s.raise ?? true) && lower > current) return lower;
  if (current > upper) return lower;
  return undefined;
}

/** The rate whose spacing, less `jitterMs` of bunching on the way, still keeps 1/`rate` apart. */
export function withJitter(rate: number, jitterMs: number): number {
  return 1000 / (1000 / rate + jitterMs);
}

/** Rate (per second) that makes `remaining` last until the reset `resetMs` from now. */
export function quotaRate(remaining: number, resetMs: number): number {
  return resetMs > 0 ? (Math.max(0, remaining) / resetMs) * 1000 : Infinity;
}

// ---------------------------------------------------------------------------------------------
// The controller

/** Retry-After-only pacing: the current episode and what the fits concluded. */
interface Estimated extends PaceDecision {
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
  /** Binding time at the cap without a throttle. */
  atCapMs: number;
}

/** What a header sync needs besides `remaining`. */
interface SyncContext {
  uncounted: number;
  reserve: number;
  sentAt: number;
}

/** X-RateLimit-like headers without a stated window: what `remaining` has shown so far. */
interface Remaining {
  refill: 'unknown' | 'continuous' | 'none';
  /**
   * Start of the span compared for refill (telling a fixed quota from a bucket): a quota that
   * shows no refill over 2 s with no reset in between does not refill continuously. Restarted
   * whenever a reset may have passed since, so a one-second window never counts as flat.
   */
  flat?: { at: number; remaining: number; successes: number; resetAt: number };
  /** Start of the current span in which the bucket never reported full. */
  anchor?: { at: number; remaining: number; successes: number; inFlight: number };
  learned?: number;
  /** The ramp was halved at the first drain. */
  halved?: boolean;
  /**
   * Until learned, while drained: the most refill a bucket that is full at its reset can have,
   * (limit − remaining) / (reset − its unit), since resets are rounded up (often to whole
   * seconds). It stops a ramp frozen at several times a slow server's rate from outrunning it;
   * a reset of a single unit says nothing and gives none.
   */
  hint?: number;
}

/**
 * The pacing brain of one key. Feed it every release (`onSend`) and every response
 * (`onResponse`); ask it when the next release may happen (`delayUntilToken`). Pure and
 * deterministic: every method takes `now` (ms, any monotonic clock); no timers, no clock reads.
 */
export class RateController {
  readonly bucket: TokenBucket;
  readonly #o: NormalizedRateControllerOptions;
  readonly #sends: SendLog;
  readonly #outcomes: OutcomeLog;
  readonly #binding = new PaceBinding();

  #mode: RateControllerState = 'unknown';
  #rate: number;
  /** Slow start: the ramp's rate at `#rampAt`; the ramp advances only while `#rampOpen`. */
  #ramp: number;
  #rampAt = 0;
  #rampOpen = true;
  #estimated: Estimated | undefined;
  #estimate: RateEstimate | undefined;
  /** Header pacing: a stated policy's q / w, or a quota spread until its reset. */
  #policyRate: number | undefined;
  #remaining: Remaining = { refill: 'unknown' };
  #maxRemaining = -1;
  #successes = 0;
  /** Attempts released and not yet answered. */
  #inFlight = 0;
  #srtt: number | undefined;
  /** Shortest round trip seen: the part of every round trip that is not queueing. */
  #minRtt = Infinity;
  #rttvar: number | undefined;
  /** Least burst the fits allow (1 until a consistent fit says more). */
  #burst = 1;
  #burstKnown = false;
  /** The fits rule out a burst of 2 or more at every rate they allow. */
  #burstUnderTwo = false;
  /** When the last episode ended in a throttle, and the least rate the server refills at. */
  #throttledAt: number | undefined;
  #resumeRate = 0;
  #lastSend = -Infinity;
  #pausedUntil = -Infinity;
  #episodeStart = 0;
  #episodeThrottled = false;
  /** Successes among the attempts released at the very start of the current episode. */
  #openingOk = 0;
  /** Depth the evidence allows: lowered when an episode's opening burst was refused. */
  #depthCap = Infinity;
  /** Depth the fitted burst allows. */
  #fitDepth = Infinity;
  #now = -Infinity;
  /** A throttle whose fit waits for the pause to end (see `#fitAfterThrottle`). */
  #pendingFit:
    | { throttledRate: number; maxRate: number; soft: boolean; demandRate: number | undefined; heldTooHigh: boolean; rampOpen: boolean }
    | undefined;

  constructor(options: RateControllerOptions = {}, now = 0) {
    this.#o = normalizeRateControllerOptions(options);
    this.#rate = this.#o.initialRate;
    this.#ramp = this.#o.initialRate;
    this.#sends = new SendLog(this.#o.historySize);
    this.#outcomes = new OutcomeLog(this.#o.historySize);
    // Sub-token catch-up only once the server is known to take two arrivals at once (below).
    this.bucket = new TokenBucket({ ...this.#o.bucket, rate: this.#rate, initialTokens: this.#o.initialTokens, keepPace: false }, now);
  }

  /** The pacing rate now, per second (`Infinity` = unpaced). */
  get rate(): number {
    return this.#rate;
  }

  get state(): RateControllerState {
    return this.#mode;
  }

  /** What throttles revealed about the server's bucket; `undefined` before the first one. */
  get estimate(): RateEstimate | undefined {
    return this.#estimate;
  }

  /** ms until the pacer allows the next release (0 = now). Does not consider pauses or windows. */
  delayUntilToken(now: number): number {
    this.#advance(now);
    return this.bucket.delayUntilToken(now);
  }

  /** An attempt was released to the server at `now`: takes its token and records it. */
  onSend(now: number): void {
    now = this.#advance(now);
    if (this.#mode === 'unknown') {
      this.#mode = 'slow-start';
      this.#ramp = this.#o.initialRate;
      this.#rampAt = now;
      this.#rampOpen = true;
    }
    if (this.#episodeThrottled && now >= this.#pausedUntil) {
      // First release after a pause: a new episode begins, and the creep counts from here.
      this.#episodeThrottled = false;
      this.#episodeStart = now;
      this.#openingOk = 0;
      if (this.#estimated !== undefined) this.#estimated.since = now;
    }
    this.bucket.take(now);
    this.#binding.onSend(now);
    this.#sends.push(now, this.#inFlight);
    this.#inFlight++;
    this.#lastSend = now;
  }

  /**
   * An attempt released earlier ended without a response (network error, abort): it no longer
   * counts as in flight. Nothing else is learnt from it; the concurrency window handles those.
   */
  onNoResponse(now: number): void {
    this.#advance(now);
    this.#inFlight = Math.max(0, this.#inFlight - 1);
  }

  /** A response arrived at `now`. */
  onResponse(now: number, info: ResponseInfo): void {
    now = this.#advance(now);
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    const sentAt = info.sentAt !== undefined && info.sentAt <= now ? info.sentAt : now - (this.#srtt ?? 0);
    let roundTrip: number | undefined;
    if (info.sentAt !== undefined && info.sentAt <= now) {
      const sample = now - info.sentAt;
      roundTrip = sample;
      this.#minRtt = Math.min(this.#minRtt, sample);
      // TCP's smoothed round trip and mean deviation (RFC 6298 gains).
      this.#rttvar = this.#rttvar === undefined ? sample / 2 : this.#rttvar * 0.75 + Math.abs(sample - (this.#srtt ?? sample)) * 0.25;
      this.#srtt = this.#srtt === undefined ? sample : this.#srtt * 0.875 + sample * 0.125;
    }
    // The server decided about half a round trip after the release.
    const decidedAt = (sentAt + now) / 2;
    this.#outcomes.push(decidedAt, !info.throttled, roundTrip);
    if (!info.throttled) {
      this.#successes++;
      if (sentAt === this.#episodeStart) this.#openingOk++;
    }
    if (info.pausedUntil !== undefined) this.#pausedUntil = Math.max(this.#pausedUntil, info.pausedUntil);

    const headerPaced = info.rateLimit !== undefined && this.#onRateLimit(now, info.rateLimit, sentAt, decidedAt);
    if (info.throttled) {
      if (headerPaced) this.bucket.setTokens(Math.min(0, this.bucket.tokens(now)), now);
      else this.#onThrottle(now, sentAt);
    }
    if (this.#pendingFit !== undefined && this.#inFlight === 0) this.#fitAfterThrottle(now);
    this.#apply(now);
  }

  // -- time ------------------------------------------------------------------------------------

  /** Moves time-driven state (ramp, creep, idle reset) to `now`; returns the clamped `now`. */
  #advance(now: number): number {
    now = Math.max(now, this.#now);
    const prev = this.#now;
    this.#now = now;
    if (prev > -Infinity) {
      this.#binding.accrue(Math.max(prev, this.#pausedUntil), now, this.#rate);
      this.#trackQuiet(prev, now);
    }
    if (this.#pendingFit !== undefined && now >= this.#pausedUntil) this.#fitAfterThrottle(now);
    if ((this.#mode === 'unbounded' || this.#mode === 'slow-start') && now - this.#lastSend >= this.#o.idleResetMs) {
      this.#reset(now);
    }
    // The ramp grows only while it is what limits sending (TCP's application-limited check): when
    // the window, a slow server or a busy event loop sends less, a ramp that kept doubling would
    // reach `unbounded` without ever having been tried (seen on a loaded machine: unbounded after
    // 1 s at 22 requests sent, then a 429 storm).
    const rampBinding = this.#mode !== 'slow-start' || this.bucket.tokens(now) < this.bucket.depth;
    if (this.#mode !== 'unknown' && this.#rampOpen && rampBinding && this.#ramp < this.#o.unboundedAbove) {
      this.#ramp = Math.min(this.#o.unboundedAbove, rampRate(this.#ramp, this.#o.rampDoublingMs, now - this.#rampAt));
    }
    this.#rampAt = now;
    if (this.#mode === 'slow-start' && this.#ramp >= this.#o.unboundedAbove) this.#mode = 'unbounded';
    this.#apply(now);
    if (this.#mode === 'estimated' && this.#estimated!.cap === Infinity && this.#rate >= this.#o.unboundedAbove) {
      // A reopened rate passed the slow start's ceiling: the server shows no limit any more.
      this.#mode = 'unbounded';
      this.#estimated = undefined;
      this.#apply(now);
    }
    if (this.#mode === 'held') this.#grantAfterPause(now);
    return now;
  }

  /**
   * Creep only while the pace binds (an unused pace proves nothing: RFC 7661), and count binding
   * time without a throttle towards probing a held rate and reopening an untested cap.
   */
  #trackQuiet(prev: number, now: number): void {
    const e = this.#estimated;
    if (e === undefined || (this.#mode !== 'estimated' && this.#mode !== 'held')) return;
    const dt = now - prev;
    if (now <= this.#pausedUntil || !this.#binding.bound(now, this.#rate)) {
      e.since = Math.min(now, e.since + dt);
      return;
    }
    if (this.#mode === 'held') {
      // `since` is the start of the hold's binding time (creep is 0 there).
      if (now - e.since >= this.#o.probeAfterMs) this.#probe(now, PROBE_SPAN * this.#rate, this.#o.creepPerSecond, true);
      return;
    }
    if (this.#rate < e.cap) return;
    e.atCapMs += dt;
    if (e.soft && e.atCapMs >= this.#o.reopenAfterMs) {
      // Bound at an untested cap for a while and never refused: the old evidence (a throttle
      // while demand was light, or a limit since raised) no longer describes the server.
      this.#outcomes.forgetBefore(now);
      this.#depthCap = Infinity;
      this.#fitDepth = Infinity;
      this.bucket.setMaxDepth(Infinity, now);
      this.#probe(now, Infinity, 2 ** (1000 / this.#o.probeDoublingMs) - 1, false);
    } else if (!e.soft && e.atCapMs >= this.#o.probeAfterMs) {
      this.#probe(now, PROBE_SPAN * this.#rate, this.#o.creepPerSecond, true);
    }
  }

  /** Creeps from the current rate by `creep` per second up to `cap`, from `now`. */
  #probe(now: number, cap: number, creep: number, soft: boolean): void {
    const e = this.#estimated!;
    this.#estimated = { ...e, base: this.#rate, cap, creep, held: false, soft, since: now, atCapMs: 0 };
    this.#mode = 'estimated';
  }

  #reset(now: number): void {
    this.#mode = 'unknown';
    this.#ramp = this.#o.initialRate;
    this.#rampOpen = true;
    this.#rate = this.#o.initialRate;
    this.bucket.setRate(this.#rate, now);
    this.bucket.setTokens(this.#o.initialTokens, now);
  }

  /** Computes the rate the current mode calls for and hands it to the bucket. */
  #apply(now: number): void {
    this.#rate = this.#currentRate(now);
    this.bucket.setRate(this.#rate, now);
  }

  #currentRate(now: number): number {
    switch (this.#mode) {
      case 'unknown':
      case 'slow-start':
        return this.#ramp;
      case 'unbounded':
        return Infinity;
      case 'estimated': {
        const e = this.#estimated!;
        const creeping = e.base * (1 + e.creep) ** (Math.max(0, now - e.since) / 1000);
        return Math.max(this.#o.minRate, Math.min(e.cap, creeping));
      }
      case 'held':
        // Probing leaves 'held' for 'estimated' (see `#trackQuiet`).
        return Math.max(this.#o.minRate, this.#estimated!.base);
      case 'header': {
        // Floored like every paced mode: a rate of 0 has no next token, and with nothing in flight
        // no answer would ever change it.
        const rate = this.#policyRate ?? this.#remaining.learned ?? Math.min(this.#ramp, this.#remaining.hint ?? Infinity);
        return Math.max(this.#o.minRate, rate);
      }
      case 'quota':
        return Math.max(this.#o.minRate, this.#policyRate ?? this.#o.minRate);
    }
  }

  // -- Retry-After only ------------------------------------------------------------------------

  #onThrottle(now: number, sentAt: number): void {
    // Refusals of attempts released before the current episode began are the tail of the last
    // one: data for the next fit, not a new verdict (and not a reason to cut twice).
    if (this.#episodeThrottled || sentAt < this.#episodeStart) return;
    this.#episodeThrottled = true;
    if (sentAt === this.#episodeStart && this.#openingOk >= 1 && this.#estimated !== undefined) {
      // Refused within the opening burst after others of it passed: the burst was deeper than
      // what the pause refilled. That says nothing about the rate, so keep the pace; only the
      // depth comes down (measured: 3 at once against B = 1 "proved" a rate of 2/s instead).
      this.#depthCap = Math.max(1, Math.min(this.#depthCap, this.#openingOk));
      this.bucket.setMaxDepth(Math.max(1, Math.min(this.#depthCap, this.#fitDepth)), now);
      this.bucket.setTokens(0, now);
      this.#estimated.since = now;
      return;
    }
    const throttledRate = this.#rate;
    // A finite rate that drained the server's bucket bounds the fit: rates far above it could
    // otherwise "explain" refusals as collisions within the timing noise.
    // Unpaced, the rate actually sent bounds it instead: at most four times the last second's sends.
    const maxRate = Number.isFinite(throttledRate) ? throttledRate : Math.max(this.#o.minRate, 4 * this.#sends.countAfter(now - 1000));
    // Refused while demand, not the pace, limited sending (RFC 7661's application-limited): the
    // cap the fit sets was never run into, and may reopen (see `#trackQuiet`).
    const soft = !this.#binding.bound(now, throttledRate);
    const window = Math.max(50, Math.min(1000, now - this.#episodeStart));
    const demandRate = soft ? (this.#sends.countAfter(now - window) / window) * 1000 : undefined;
    this.#pendingFit = { throttledRate, maxRate, soft, demandRate, heldTooHigh: this.#mode === 'held', rampOpen: this.#rampOpen };
    this.#rampOpen = false;
    this.bucket.setTokens(0, now);
    this.#throttledAt = now;
    if (now >= this.#pausedUntil) this.#fitAfterThrottle(now);
  }

  /**
   * Fits the outcomes once the pause ends (or nothing is in flight): attempts released before
   * the refused one and still unanswered when its refusal came were most likely decided before
   * it. Fitted without them, the refusal looked premature (simulated with stalled processes: a
   * 100/s server "proved" at most 32/s, and the run took 3.3 × ideal; at 500/s, B = 100 runs took
   * up to 4.4 × ideal instead of 1.7 ×).
   */
  #fitAfterThrottle(now: number): void {
    const { throttledRate, maxRate, soft, demandRate, heldTooHigh, rampOpen } = this.#pendingFit!;
    this.#pendingFit = undefined;
    const outcomes = this.#outcomes.sorted(this.#minRtt);
    // Timing noise beyond the estimate makes the truth look impossible; widen before giving up.
    let toleranceMs = this.#toleranceMs();
    const previous = this.#estimated;
    const hints = previous === undefined ? [] : [previous.base, previous.range.best];
    let fit = fitBucketRate(outcomes, { minRate: this.#o.minRate, maxRate, toleranceMs, hints });
    for (let i = 0; i < 2 && fit?.consistent === false; i++) {
      toleranceMs *= 2;
      fit = fitBucketRate(outcomes, { minRate: this.#o.minRate, maxRate, toleranceMs, hints });
    }
    if (fit === undefined) {
      // Nothing to fit (no success yet): as before the throttle.
      this.#rampOpen = rampOpen;
      return;
    }
    const paced = this.#estimated !== undefined;
    const decision = paceAfterThrottle(fit, { throttledRate, paced, demandRate, heldTooHigh, options: this.#o });
    const { range } = decision;
    // The least burst the chosen range allows; an inconsistent fit says nothing about it.
    if (fit.consistent) {
      this.#burst = replayBurstBounds(outcomes, range.high, toleranceMs).low;
      this.#burstUnderTwo = replayBurstBounds(outcomes, range.low, toleranceMs).high <= 2;
      this.#burstKnown = true;
      this.bucket.setKeepPace(this.#burst >= 2);
    }
    const base = decision.held ? this.#jitterSafe(decision.base) : decision.base;
    this.#estimated = { ...decision, base, since: now, soft, atCapMs: 0 };
    this.#mode = decision.held ? 'held' : 'estimated';
    this.#rampOpen = false;
    this.#estimate = { low: range.low, high: range.high, burst: this.#burst };
    // A refilled bucket must not release more at once than the server holds, less one token for
    // arrivals that bunch up on the way. Only a pinned fit may raise that depth again: a wrong
    // fit raised it from 1 to 13 against B = 1.
    if (fit.consistent) {
      const fitted = Math.max(1, Math.floor(this.#burst) - 1);
      this.#fitDepth = decision.held ? fitted : Math.min(this.#fitDepth, fitted);
    }
    this.bucket.setMaxDepth(Math.max(1, Math.min(this.#depthCap, this.#fitDepth)), now);
    this.#apply(now);
    // What the new pace accrued since the throttle, up to its depth, as if set then.
    const accrued = (this.#rate * (now - (this.#throttledAt ?? now))) / 1000;
    this.bucket.setTokens(Math.min(this.bucket.depth, accrued), now);
    this.#resumeRate = Math.min(range.low, base);
  }

  /**
   * At the end of a pause the server's bucket holds what it refilled meanwhile, up to its
   * burst. Once held, grant that (less two tokens: attempts still in flight at the throttle, and
   * arrivals bunched by the network) instead of leaving it to waste while pacing below R. Not
   * while still estimating: the grant would shorten the next episode, the measurement itself.
   */
  #grantAfterPause(now: number): void {
    if (this.#throttledAt === undefined || now < this.#pausedUntil) return;
    const refilled = (this.#resumeRate * (this.#pausedUntil - this.#throttledAt)) / 1000;
    const grant = Math.floor(Math.min(this.#burst, refilled)) - 2;
    if (grant > this.bucket.tokens(now)) this.bucket.setTokens(grant, now);
    this.#throttledAt = undefined;
  }

  /**
   * With a burst under 2 the server has no token to spare for two arrivals that the network
   * bunched up, so the spacing it sees (1/rate minus the jitter) must stay above 1/R.
   */
  #jitterSafe(rate: number): number {
    if (!this.#burstKnown || !this.#burstUnderTwo) return rate;
    return withJitter(rate, this.#jitterMs());
  }

  /** How much one-way delays may differ between two attempts: TCP's 4 × mean deviation. */
  #jitterMs(): number {
    return 4 * (this.#rttvar ?? 0);
  }

  /**
   * How far a decision time estimated as mid-round-trip may be off: the two directions of a
   * round trip differ, by about the round trip's own variation (and at least a fifth of it),
   * plus a little for clock granularity. Too little excluded the true rate (measured at 500/s).
   */
  #toleranceMs(): number {
    return 0.1 + Math.max(0.2 * (this.#srtt ?? 0), this.#rttvar ?? 0);
  }

  // -- headers ---------------------------------------------------------------------------------

  /** Returns true when the headers now drive the rate. */
  #onRateLimit(now: number, obs: RateLimitObservation, sentAt: number, decidedAt: number): boolean {
    if (obs.remaining !== undefined) this.#maxRemaining = Math.max(this.#maxRemaining, obs.remaining);
    if (this.#maxRemaining >= 1) this.bucket.setKeepPace(true);
    // One token in reserve absorbs timing noise, but a server whose burst is 1 or 2 has no room
    // for it: there the reserve alone would stop every release.
    const reserve = this.#maxRemaining >= 2 ? 1 : 0;
    // The server may not yet have counted any attempt unanswered when this one left (responses
    // overtake each other), nor any sent since, at the same instant included.
    const uncounted = this.#sends.inFlightAt(sentAt) + Math.max(0, this.#sends.countAfter(sentAt, true) - 1);
    if (obs.limit !== undefined && obs.windowMs !== undefined && obs.windowMs > 0) {
      // A stated policy: pace at q / w from the first response.
      this.#mode = 'header';
      // A burst of 1 (remaining never above 0) has no token to spare for two arrivals bunched by
      // the network: space releases by the jitter on top of 1/rate.
      const stated = Math.max(this.#o.minRate, (obs.limit / obs.windowMs) * 1000);
      this.#policyRate = this.#maxRemaining <= 0 ? withJitter(stated, this.#jitterMs()) : stated;
      this.#apply(now);
      this.#limitDepth(now);
      if (obs.remaining !== undefined) {
        const accrualMax = (this.#policyRate * (now - sentAt)) / 1000;
        this.#sync(now, { remaining: obs.remaining, uncounted, reserve, accrualMax });
      }
      return true;
    }
    if (obs.remaining === undefined) return false;
    return this.#onRemaining(now, obs, decidedAt, { uncounted, reserve, sentAt });
  }

  #onRemaining(
    now: number,
    obs: RateLimitObservation,
    decidedAt: number,
    ctx: SyncContext,
  ): boolean {
    const remaining = obs.remaining!;
    const s = this.#remaining;
    const limit = obs.limit ?? this.#maxRemaining + 1;
    const full = remaining >= limit - 1;
    const resetAt = obs.resetMs === undefined ? Infinity : now + obs.resetMs;

    // Refill evidence: more left (plus what we spent meanwhile) than at the start of the span,
    // with no reset in between (a reset may be a second late: epoch seconds). "None" needs one
    // span of 2 s without a reset: compared answer to answer instead, a bucket refilling at 50/s
    // behind a reset of "1" (whole delta seconds) gained less than a token between neighbours,
    // read as flat, and was spread as a spent quota at rate 0 (a hang).
    const flat = s.flat;
    if (flat === undefined || decidedAt >= flat.resetAt - 1000 || decidedAt < flat.at) {
      s.flat = { at: decidedAt, remaining, successes: this.#successes, resetAt };
    } else {
      const gained = remaining - flat.remaining + (this.#successes - flat.successes);
      if (gained >= 1) {
        s.refill = 'continuous';
        s.flat = { at: decidedAt, remaining, successes: this.#successes, resetAt };
      } else if (s.refill === 'unknown' && decidedAt - flat.at >= 2000) s.refill = 'none';
    }

    if (s.refill === 'none') return this.#spreadQuota(now, remaining, limit, obs.resetMs, ctx);
    // Without a stated window the policy rate is only ever a quota's spread; it ends with the quota.
    this.#policyRate = undefined;

    // Learn R from how remaining changes over ≥ learnSpanMs while never full (header modes of
    // RATE-DISCOVERY): (r₂ − r₁ + successes in between) / Δt.
    if (full) s.anchor = undefined;
    else if (s.anchor === undefined) {
      s.anchor = { at: decidedAt, remaining, successes: this.#successes, inFlight: this.#inFlight };
    } else if (decidedAt - s.anchor.at >= this.#o.learnSpanMs) {
      // Successes are counted as their answers arrive, not as the server decided them: up to the
      // attempts in flight at the anchor may belong before it (answers overtake each other), and
      // remaining hides a fraction. Count against the estimate: a rate learnt too high would let
      // the bucket run ahead of the server between answers; one too low the sync makes up for.
      const span = decidedAt - s.anchor.at;
      const gained = remaining - s.anchor.remaining + (this.#successes - s.anchor.successes);
      const doubt = 1 + s.anchor.inFlight;
      if (gained >= 3 * doubt) s.learned = Math.max(this.#o.minRate, ((gained - doubt) / span) * 1000);
    }
    const drained = remaining <= ctx.reserve + 1;
    // The reset is rounded up to its unit (whole seconds in most dialects), so the true time to
    // full lies up to one unit below it, and (limit − remaining) / reset is only a lower bound on
    // R: a reset of "1" at B = 5 read 5/s against 50/s and held the pace there (4 × ideal). As a
    // cap only the upper bound is sound: (limit − remaining) / (reset − unit), none when the reset
    // is a single unit.
    const certainMs = obs.resetMs === undefined ? 0 : obs.resetMs - resetUnitMs(obs);
    s.hint =
      drained && certainMs >= 500
        ? Math.max(this.#o.minRate, ((limit - remaining) / certainMs) * 1000)
        : undefined;
    // Ramp only while remaining shows spare tokens (RATE-DISCOVERY). A burst-1 or -2 bucket never
    // shows spare tokens, so there the ramp runs as without headers.
    const open = s.learned === undefined && (limit < 3 || !drained);
    // The first drain ends the doubling with the ramp up to 2 × past R (and a deep bucket drains
    // late): step back by half, as TCP sets ssthresh.
    if (this.#rampOpen && !open && s.learned === undefined && !s.halved) {
      this.#ramp = Math.max(this.#o.initialRate, this.#ramp / 2);
      s.halved = true;
    }
    this.#rampOpen = open;
    // A learned rate beats an estimate from throttles; until then a throttle (burst too small
    // for remaining to say anything) hands over to the Retry-After logic, which keeps it.
    if (s.learned !== undefined || (this.#mode !== 'estimated' && this.#mode !== 'held')) this.#mode = 'header';
    this.#apply(now);
    this.#limitDepth(now);
    // Unknown refill counts as none: the upper bound must stay an upper bound.
    const accrualMax = s.learned === undefined ? 0 : (s.learned * (now - ctx.sentAt)) / 1000;
    this.#sync(now, { remaining, uncounted: ctx.uncounted, reserve: ctx.reserve, accrualMax });
    // Only a learned rate lets the headers answer a throttle; the ramp does not know better than
    // the Retry-After logic.
    return s.learned !== undefined;
  }

  /** A quota that does not refill: free while far from binding, else spread until the reset. */
  #spreadQuota(
    now: number,
    remaining: number,
    limit: number,
    resetMs: number | undefined,
    ctx: SyncContext,
  ): boolean {
    this.#rampOpen = false;
    const left = remaining - ctx.uncounted - ctx.reserve;
    if (resetMs === undefined || resetMs <= 0 || remaining > this.#o.quotaSpreadBelow * limit) {
      this.#mode = 'unbounded';
      this.#policyRate = undefined;
      this.#apply(now);
      return true;
    }
    this.#mode = 'quota';
    if (left < 1) {
      // Spent: no token until the reset, then resume at the quota's average over the span just
      // waited (a whole new quota arrives then; its first answer re-decides). Spreading the zero
      // that is left instead gave a rate of 0: no token ever, and nothing in flight to change it.
      this.#policyRate = Math.max(this.#o.minRate, quotaRate(limit, resetMs));
      this.#apply(now);
      this.#limitDepth(now);
      // Exactly that debt, also when deeper: attempts the server refused or will refuse do not
      // push the next token past the reset, which brings a whole new quota.
      this.bucket.setTokens(1 - (this.#rate * resetMs) / 1000, now);
      return true;
    }
    this.#policyRate = Math.max(this.#o.minRate, quotaRate(left, resetMs));
    this.#apply(now);
    this.#limitDepth(now);
    // Spreading means no bursts: only ever lower the bucket to what the server has left.
    this.#sync(now, { remaining, uncounted: ctx.uncounted, reserve: ctx.reserve, accrualMax: 0, raise: false });
    return true;
  }

  /** The bucket never holds more at once than the server's largest reported remaining + 1. */
  #limitDepth(now: number): void {
    if (this.#maxRemaining >= 0) this.bucket.setMaxDepth(Math.max(1, this.#maxRemaining + 1), now);
  }

  #sync(now: number, server: Parameters<typeof syncTokens>[1]): void {
    if (this.#rate === Infinity) return;
    const tokens = syncTokens(this.bucket.tokens(now), server);
    if (tokens !== undefined) this.bucket.setTokens(tokens, now);
  }
}

export function createRateController(options: RateControllerOptions = {}, now = 0): RateController {
  return new RateController(options, now);
}

// ---------------------------------------------------------------------------------------------

/**
 * The unit a dialect's reset is rounded up to: Discord (seconds with millisecond decimals) and
 * OpenAI (Go durations such as `12ms`) to the millisecond; the others to the whole second (delta
 * seconds, epoch seconds, RFC 3339 without fraction).
 */
function resetUnitMs(obs: RateLimitObservation): number {
  return obs.dialect === 'discord' || obs.dialect === 'openai' ? 1 : 1000;
}

function positive(option: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionError(option, 'a finite number above 0', value);
  }
}

function fraction(option: string, value: unknown, zeroOk: boolean): void {
  if (typeof value !== 'number' || !(zeroOk ? value >= 0 : value > 0) || !(value < 1)) {
    throw new InvalidOptionError(option, `a number from ${zeroOk ? '0' : 'above 0'} to below 1`, value);
  }
}

function stripUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
