// Decides how fast one key (origin) may be called, from what its responses say: rate-limit
// headers when present, else the pattern of successes and 429s; it steers the key's token bucket.

import { InvalidOptionError } from '../errors.js';
import type { RateLimitObservation } from '../ratelimit/types.js';
import { TokenBucket, type TokenBucketOptions } from './token-bucket.js';

/**
 * A paced episode "moved" the bound when the fit's upper bound fell below this fraction of the
 * rate it was throttled at; above it, B and R still trade off (see `paceAfterThrottle`).
 */
const MOVED = 0.8;
/** After a paced episode drained, the next pace is at least this fraction below it. */
const BELOW_THROTTLED = 0.01;
/** One episode cuts a paced rate to no less than this fraction of it (see `paceAfterThrottle`). */
const MAX_CUT = 0.5;
/** Ratio between neighbouring rates of the fit's first, coarse look. */
const GRID_STEP = 1.05;

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
   * A held rate starts creeping again (at `creepPerSecond`) after this long without a throttle,
   * so a server that raised its limit, or a hold fitted too low, is eventually noticed. The cost
   * is one throttle per probe against an unchanged server.
   * @default 60000
   */
  probeAfterMs?: number;
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
  bucket?: Pick<TokenBucketOptions, 'minDepth' | 'depthMs'>;
}

export type NormalizedRateControllerOptions = Required<Omit<RateControllerOptions, 'bucket'>> & {
  bucket: Pick<TokenBucketOptions, 'minDepth' | 'depthMs'>;
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

/** One attempt's outcome, placed at the time the server decided it (ms). */
export interface Outcome {
  at: number;
  ok: boolean;
}

// ---------------------------------------------------------------------------------------------
// Pure pieces

/** Rate of a ramp that started at `base` and doubles every `doublingMs`, after `elapsedMs`. */
export function rampRate(base: number, doublingMs: number, elapsedMs: number): number {
  return base * 2 ** (Math.max(0, elapsedMs) / doublingMs);
}

/**
 * Replays outcomes (sorted by time) against a server bucket of refill `rate`, starting full,
 * and returns the burst sizes B consistent with them: `low <= B < high`.
 *
 * The deficit D (tokens below full) grows by one per success and drains at `rate`, floored at 0
 * (Lindley's recursion, so pauses and slow phases need no special case). A success needs
 * B − D ≥ 1, a refusal B − D < 1; refusals consume nothing.
 *
 * Decision times are estimates (± `toleranceMs`), so each outcome gets the benefit of the doubt:
 * a success is judged as if decided that much later (more refill), a refusal that much earlier
 * (less), and a refusal also counts the successes decided within 2 × `toleranceMs` after it, which
 * may have reached the server first (measured: one such overtaking made the true rate look
 * impossible). Successes need no such allowance: the largest deficit within a cluster of them
 * does not depend on their order.
 */
export function replayBurstBounds(
  outcomes: readonly Outcome[],
  rate: number,
  toleranceMs = 0,
): { low: number; high: number } {
  let deficit = 0;
  let low = 1;
  let high = Infinity;
  let prev = outcomes[0]?.at ?? 0;
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i]!;
    const gap = o.at - prev;
    if (o.ok) {
      low = Math.max(low, 1 + Math.max(0, deficit - (rate * (gap + toleranceMs)) / 1000));
    } else {
      let overtaken = 0;
      for (let j = i + 1; j < outcomes.length && outcomes[j]!.at <= o.at + 2 * toleranceMs; j++) {
        if (outcomes[j]!.ok) overtaken++;
      }
      high = Math.min(high, 1 + overtaken + Math.max(0, deficit - (rate * Math.max(0, gap - toleranceMs)) / 1000));
    }
    deficit = Math.max(0, deficit - (rate * gap) / 1000);
    prev = o.at;
    if (o.ok) deficit += 1;
  }
  return { low, high };
}

/** A range of refill rates (per second) consistent with the outcomes, and its most consistent point. */
export interface RateRange {
  low: number;
  high: number;
  /** Where the consistent bursts span the widest interval: the rate the data fits most loosely. */
  best: number;
  /** Width of that burst interval, in tokens: how comfortably the range explains the data. */
  margin: number;
}

/**
 * The refill rates (per second) a token-bucket server could have, given outcomes sorted by
 * time: every rate at which some burst B explains all of them (within `toleranceMs` of timing
 * noise per outcome). This is RATE-DISCOVERY point 3 (R ≥ max over s of (successes in (s, T]
 * − B) / (T − s)) and point 5 (fit B and R jointly) in one: instead of assuming the bucket full
 * after each pause, the replay computes it, so every episode — the ramp, each paced run, each
 * pause — narrows the same set. `undefined` when no throttle has been seen (no upper bound).
 *
 * The set is often not one interval: after one short paced episode, "R high, B small" and "R
 * low, B large, each pause refilling R·pause" both fit (measured: 12–14/s and 85–110/s for a
 * 100/s, B = 10 server). Ranges come lowest first. When nothing fits (the server changed, or
 * another client shares its bucket) the least inconsistent rate is returned, `consistent: false`.
 */
export function fitBucketRate(
  outcomes: readonly Outcome[],
  {
    minRate,
    maxRate,
    toleranceMs,
    hints = [],
  }: { minRate: number; maxRate: number; toleranceMs: number; hints?: readonly number[] },
): { ranges: RateRange[]; consistent: boolean } | undefined {
  if (!outcomes.some((o) => !o.ok) || !outcomes.some((o) => o.ok)) return undefined;
  const margin = (rate: number): number => {
    const b = replayBurstBounds(outcomes, rate, toleranceMs);
    return b.high - b.low;
  };
  const ok = (rate: number): boolean => margin(rate) > 0;
  const step = GRID_STEP;
  const grid: { rate: number; margin: number }[] = [];
  for (let rate = minRate; rate <= maxRate; rate *= step) grid.push({ rate, margin: margin(rate) });
  // A long episode pins R so tightly that the consistent set can fall between two grid points
  // (measured: ±0.05 % after 27 s at 20/s, ±0.02 % after minutes at 5/s, where the neighbours
  // missed by tens of tokens). Look closer at the most promising local maxima, and at the
  // caller's hints (the previous estimate: servers rarely change their rate) on a fine grid.
  // Plateaus (every rate above the client's own pace explains nothing, equally) are not peaks.
  const peaks = grid
    .map((g, i) => ({ g, before: grid[i - 1]?.margin ?? -Infinity, after: grid[i + 1]?.margin ?? -Infinity }))
    .filter(({ g, before, after }) => g.margin <= 0 && g.margin >= before && g.margin >= after && (g.margin > before || g.margin > after))
    .sort((a, b) => b.g.margin - a.g.margin)
    .slice(0, 4)
    .map(({ g }) => g.rate);
  for (const hint of hints.filter((h) => h >= minRate && h <= maxRate)) {
    let near = { rate: hint, margin: -Infinity };
    for (let rate = hint / step; rate <= Math.min(maxRate, hint * step); rate *= 1.002) {
      const m = margin(rate);
      if (m > near.margin) near = { rate, margin: m };
    }
    if (near.margin > 0) grid.push(near);
    else peaks.push(near.rate);
  }
  for (const rate of peaks) {
    const peak = maximize(margin, Math.max(minRate, rate / step), Math.min(maxRate, rate * step));
    if (peak.margin > 0) grid.push(peak);
  }
  grid.sort((a, b) => a.rate - b.rate);
  const ranges: RateRange[] = [];
  let least = grid[0]!;
  for (let i = 0; i < grid.length; i++) {
    if (grid[i]!.margin > least.margin) least = grid[i]!;
    if (grid[i]!.margin <= 0) continue;
    let j = i;
    while (j + 1 < grid.length && grid[j + 1]!.margin > 0) j++;
    const first = grid[i]!.rate;
    const last = grid[j]!.rate;
    const low = i === 0 ? first : bisect(grid[i - 1]!.rate, first, ok);
    const high = j === grid.length - 1 ? last : bisect(grid[j + 1]!.rate, last, ok);
    const peak = grid.slice(i, j + 1).reduce((a, g) => (g.margin > a.margin ? g : a));
    const best = refineBest(margin, peak.rate, low, high);
    ranges.push({ low, high, best, margin: margin(best) });
    i = j;
  }
  if (ranges.length === 0) {
    return { ranges: [{ low: least.rate, high: least.rate, best: least.rate, margin: least.margin }], consistent: false };
  }
  return { ranges, consistent: true };
}

/** Golden-section search (in log space) for the widest margin between `from` and `to`. */
function maximize(margin: (rate: number) => number, from: number, to: number): { rate: number; margin: number } {
  const phi = (Math.sqrt(5) - 1) / 2;
  let a = Math.log(from);
  let b = Math.log(to);
  let c = b - phi * (b - a);
  let d = a + phi * (b - a);
  let mc = margin(Math.exp(c));
  let md = margin(Math.exp(d));
  for (let i = 0; i < 40 && b - a > 1e-7; i++) {
    if (mc >= md) {
      b = d;
      d = c;
      md = mc;
      c = b - phi * (b - a);
      mc = margin(Math.exp(c));
    } else {
      a = c;
      c = d;
      mc = md;
      d = a + phi * (b - a);
      md = margin(Math.exp(d));
    }
  }
  return mc >= md ? { rate: Math.exp(c), margin: mc } : { rate: Math.exp(d), margin: md };
}

/** The widest-margin rate within [low, high], searched around a grid point. */
function refineBest(margin: (rate: number) => number, around: number, low: number, high: number): number {
  const peak = maximize(margin, Math.max(low, around / 1.03), Math.min(high, around * 1.03));
  return peak.margin >= margin(around) ? peak.rate : around;
}

/** Boundary between `out` (predicate false) and `inside` (true), by bisection in log space. */
function bisect(out: number, inside: number, ok: (rate: number) => boolean): number {
  for (let i = 0; i < 20; i++) {
    const mid = Math.sqrt(out * inside);
    if (ok(mid)) inside = mid;
    else out = mid;
  }
  return inside;
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

/** How to pace after a throttle: start at `base`, creep by `creep` per second up to `cap`. */
export interface PaceDecision {
  base: number;
  cap: number;
  creep: number;
  /** The estimate is exact: no creep (until `probeAfterMs`). */
  held: boolean;
  /** The range of rates the decision bets on. */
  range: RateRange;
}

/**
 * Chooses the next pace from the fitted ranges (lowest first) after an episode ended in a
 * throttle at `throttledRate` (`paced`: the episode ran at an estimated rate, not the slow start
 * or unpaced).
 *
 * - Never above a rate just throttled (RATE-DISCOVERY point 5): a paced episode that drained
 *   proves R below its pace, so go at least 1 % lower. Only 1 %: a long episode drains at a pace
 *   just above R (measured: 20.27/s against 20/s), and a 5 % cut ruled the truth out.
 * - Bet on the fastest range that remains: a slower truth shows itself by draining fast.
 * - Pinned (narrower than `tightWithin`): hold at `holdFactor` × its best rate (point 7).
 * - A paced episode that moved the upper bound well down: pace at the new bound. Either it
 *   holds, or its episode — paced, and long because the bound is close — pins R.
 * - Otherwise test the range's log-middle and creep across the rest in `creepSpanS`: either it
 *   drains (R is low) or it proves R above, in a long episode whose slope pins R. This is the
 *   first step after the slow start, which only ever yields an upper bound (B and R trade off
 *   along the ramp; its top was 3.8 × R against 100/s, B = 10), and after a paced episode that
 *   hardly moved the bound (B and R still trade off when each pause refills about what an
 *   episode drains, whatever R is). Measured against pacing at the top: 1.11 × instead of
 *   1.16 × ideal at 100/s, B = 10, one pause fewer.
 */
export function paceAfterThrottle(
  { ranges, consistent }: { ranges: readonly RateRange[]; consistent: boolean },
  { throttledRate, paced, options: o }: {
    throttledRate: number;
    paced: boolean;
    options: Pick<NormalizedRateControllerOptions, 'tightWithin' | 'holdFactor' | 'creepPerSecond' | 'creepSpanS' | 'minRate'>;
  },
): PaceDecision {
  const finite = Number.isFinite(throttledRate);
  const ceiling = finite ? (paced ? throttledRate * (1 - BELOW_THROTTLED) : throttledRate) : Infinity;
  const top = ranges.filter((r) => r.low < ceiling).at(-1) ?? { low: ceiling, high: ceiling, best: ceiling, margin: 0 };
  const range: RateRange = {
    low: Math.max(o.minRate, top.low),
    high: Math.min(top.high, ceiling),
    best: Math.min(top.best, ceiling),
    margin: top.margin,
  };
  // A single episode never justifies more than halving a paced rate (TCP's bound on a cut):
  // fits can be wrong — measured: a log that had wrapped "explained" everything with B = 1826
  // at 2/s against a 500/s server — and a halved rate that holds is corrected by the creep.
  const floor = paced && finite ? MAX_CUT * throttledRate : 0;
  if (!consistent) {
    // Nothing fits (the server changed, or shares its bucket with others): no hold on a guess.
    // A step below the least inconsistent rate, creeping.
    const base = Math.max(floor, range.best * (1 - o.tightWithin));
    return { base, cap: finite ? Math.max(base, ceiling) : Infinity, creep: o.creepPerSecond, held: false, range };
  }
  if (range.high / range.low <= 1 + o.tightWithin) {
    const base = o.holdFactor * range.best;
    if (base >= floor) return { base, cap: Infinity, creep: 0, held: true, range };
    return { base: floor, cap: ceiling, creep: o.creepPerSecond, held: false, range };
  }
  if (paced && range.high < MOVED * throttledRate) {
    if (range.high >= floor) return { base: range.high, cap: range.high, creep: 0, held: false, range };
    // The fit is not trusted that far down: creep back towards the throttled rate instead.
    return { base: floor, cap: ceiling, creep: o.creepPerSecond, held: false, range };
  }
  // The log-middle test is the one deliberate deep cut; still no deeper than a sixteenth.
  const base = Math.max(floor / 8, Math.sqrt(Math.max(range.low, range.high / 16) * range.high));
  const creep = Math.max(o.creepPerSecond, (range.high / base) ** (1 / o.creepSpanS) - 1);
  return { base, cap: Math.max(base, range.high), creep, held: false, range };
}

// ---------------------------------------------------------------------------------------------
// Bounded memory

/**
 * A ring of numeric columns that starts small and doubles up to `capacity`, so a key that sends
 * little costs little; past `capacity` the oldest rows are overwritten.
 */
class Ring {
  #columns: Float64Array[];
  #start = 0;
  #size = 0;
  constructor(
    readonly capacity: number,
    columns: number,
  ) {
    this.#columns = Array.from({ length: columns }, () => new Float64Array(Math.min(64, capacity)));
  }
  get size(): number {
    return this.#size;
  }
  /** True once a row was overwritten. */
  wrapped = false;
  push(...values: number[]): void {
    let length = this.#columns[0]!.length;
    if (this.#size === length && length < this.capacity) {
      const grown = Math.min(this.capacity, length * 2);
      this.#columns = this.#columns.map((column) => {
        const next = new Float64Array(grown);
        for (let i = 0; i < this.#size; i++) next[i] = column[(this.#start + i) % length]!;
        return next;
      });
      this.#start = 0;
      length = grown;
    }
    const i = (this.#start + this.#size) % length;
    values.forEach((value, c) => (this.#columns[c]![i] = value));
    if (this.#size < length) this.#size++;
    else {
      this.#start = (this.#start + 1) % length;
      this.wrapped = true;
    }
  }
  /** Column `c` of the `i`-th oldest row. */
  at(i: number, c: number): number {
    const column = this.#columns[c]!;
    return column[(this.#start + i) % column.length]!;
  }
}

/**
 * Send times, oldest first, each with how many attempts were unanswered just before it; answers
 * "how many were sent after t" and "how many were in flight when t was sent".
 */
class SendLog {
  readonly #ring: Ring;
  constructor(capacity: number) {
    this.#ring = new Ring(capacity, 2);
  }
  push(t: number, inFlightBefore: number): void {
    this.#ring.push(t, inFlightBefore);
  }
  /** Index of the first send at or after `t` (inclusive) or after `t`; binary search. */
  #first(t: number, inclusive: boolean): number {
    let lo = 0;
    let hi = this.#ring.size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const x = this.#ring.at(mid, 0);
      if (inclusive ? x >= t : x > t) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
  /** Sends after `t` (at or after with `inclusive`). */
  countAfter(t: number, inclusive = false): number {
    return this.#ring.size - this.#first(t, inclusive);
  }
  /** Attempts unanswered just before the first send at `t` (0 if forgotten). */
  inFlightAt(t: number): number {
    const i = this.#first(t, true);
    return i < this.#ring.size ? this.#ring.at(i, 1) : 0;
  }
}

/**
 * Outcomes; sorted only when a fit needs them (at throttles, rarely). A fit replays from the
 * oldest outcome as if the server's bucket were full there — true at first contact. Once the
 * ring has overwritten its start, the replay starts after the first pause it still holds (a gap
 * of `restartGapMs`) instead, where the bucket has had time to refill, rather than at an
 * arbitrary point that may be mid-drain (measured: a 1024-entry ring starting mid-drain made
 * the fit hold a burst-1 server at a tenth of its rate).
 */
class OutcomeLog {
  readonly #ring: Ring;
  constructor(
    capacity: number,
    readonly restartGapMs = 1000,
  ) {
    this.#ring = new Ring(capacity, 2);
  }
  push(at: number, ok: boolean): void {
    this.#ring.push(at, ok ? 1 : 0);
  }
  sorted(): Outcome[] {
    const out: Outcome[] = [];
    for (let i = 0; i < this.#ring.size; i++) out.push({ at: this.#ring.at(i, 0), ok: this.#ring.at(i, 1) === 1 });
    out.sort((a, b) => a.at - b.at);
    if (!this.#ring.wrapped) return out;
    const restart = out.findIndex((o, i) => i > 0 && o.at - out[i - 1]!.at >= this.restartGapMs);
    return restart > 0 && restart < out.length - 1 ? out.slice(restart) : out;
  }
}

// ---------------------------------------------------------------------------------------------
// The controller

/** Retry-After-only pacing: the current episode and what the fits concluded. */
interface Estimated extends PaceDecision {
  /** When the creep (re)started: the throttle, then the first send of each episode. */
  since: number;
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
  last?: { at: number; remaining: number; successes: number; resetAt: number };
  /** Start of the current span in which the bucket never reported full. */
  anchor?: { at: number; remaining: number; successes: number; inFlight: number };
  /** Since when no refill has been seen (for telling a fixed quota from a bucket). */
  flatSince?: number;
  learned?: number;
  /** The ramp was halved at the first drain. */
  halved?: boolean;
  /**
   * Until learned, while drained: the refill a bucket that is full at its reset would need,
   * (limit − remaining) / reset. Coarse (resets are often whole epoch seconds, so it reads low)
   * but it stops a ramp frozen at several times a slow server's rate from outrunning it.
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
  #rttvar: number | undefined;
  /** Least burst the fits allow (1 until a consistent fit says more). */
  #burst = 1;
  #burstKnown = false;
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

  constructor(options: RateControllerOptions = {}, now = 0) {
    this.#o = normalizeRateControllerOptions(options);
    this.#rate = this.#o.initialRate;
    this.#ramp = this.#o.initialRate;
    this.#sends = new SendLog(this.#o.historySize);
    this.#outcomes = new OutcomeLog(this.#o.historySize);
    this.bucket = new TokenBucket({ ...this.#o.bucket, rate: this.#rate, initialTokens: this.#o.initialTokens }, now);
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
    if (info.sentAt !== undefined && info.sentAt <= now) {
      const sample = now - info.sentAt;
      // TCP's smoothed round trip and mean deviation (RFC 6298 gains).
      this.#rttvar = this.#rttvar === undefined ? sample / 2 : this.#rttvar * 0.75 + Math.abs(sample - (this.#srtt ?? sample)) * 0.25;
      this.#srtt = this.#srtt === undefined ? sample : this.#srtt * 0.875 + sample * 0.125;
    }
    // The server decided about half a round trip after the release.
    const decidedAt = (sentAt + now) / 2;
    this.#outcomes.push(decidedAt, !info.throttled);
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
    this.#apply(now);
  }

  // -- time ------------------------------------------------------------------------------------

  /** Moves time-driven state (ramp, creep, idle reset) to `now`; returns the clamped `now`. */
  #advance(now: number): number {
    now = Math.max(now, this.#now);
    this.#now = now;
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
    if (this.#mode === 'held') this.#grantAfterPause(now);
    return now;
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
      case 'held': {
        const e = this.#estimated!;
        const probing = Math.max(0, now - e.since - this.#o.probeAfterMs) / 1000;
        return Math.max(this.#o.minRate, e.base * (1 + this.#o.creepPerSecond) ** probing);
      }
      case 'header':
        return this.#policyRate ?? this.#remaining.learned ?? Math.min(this.#ramp, this.#remaining.hint ?? Infinity);
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
    const outcomes = this.#outcomes.sorted();
    // Timing noise beyond the estimate makes the truth look impossible; widen before giving up.
    let toleranceMs = this.#toleranceMs();
    const previous = this.#estimated;
    const hints = previous === undefined ? [] : [previous.base, previous.range.best];
    let fit = fitBucketRate(outcomes, { minRate: this.#o.minRate, maxRate, toleranceMs, hints });
    for (let i = 0; i < 2 && fit?.consistent === false; i++) {
      toleranceMs *= 2;
      fit = fitBucketRate(outcomes, { minRate: this.#o.minRate, maxRate, toleranceMs, hints });
    }
    if (fit === undefined) return;
    const paced = this.#estimated !== undefined;
    const decision = paceAfterThrottle(fit, { throttledRate, paced, options: this.#o });
    const { range } = decision;
    // The least burst the chosen range allows; an inconsistent fit says nothing about it.
    if (fit.consistent) {
      this.#burst = replayBurstBounds(outcomes, range.high, toleranceMs).low;
      this.#burstKnown = true;
    }
    const base = decision.held ? this.#jitterSafe(decision.base) : decision.base;
    this.#estimated = { ...decision, base, since: now };
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
    this.bucket.setTokens(0, now);
    this.#throttledAt = now;
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
    if (!this.#burstKnown || this.#burst >= 2) return rate;
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

    // Refill evidence: more left (plus what we spent meanwhile) than before, with no reset in
    // between (a reset may be a second late: epoch seconds).
    if (s.last !== undefined && decidedAt < s.last.resetAt - 1000) {
      const gained = remaining - s.last.remaining + (this.#successes - s.last.successes);
      if (gained >= 1) {
        s.refill = 'continuous';
        s.flatSince = undefined;
      } else if (s.refill === 'unknown') {
        s.flatSince ??= s.last.at;
        if (decidedAt - s.flatSince >= 2000) s.refill = 'none';
      }
    }
    s.last = { at: decidedAt, remaining, successes: this.#successes, resetAt };

    if (s.refill === 'none') return this.#spreadQuota(now, remaining, limit, obs.resetMs, ctx);

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
    s.hint =
      drained && obs.resetMs !== undefined && obs.resetMs >= 1000
        ? Math.max(this.#o.minRate, ((limit - remaining) / obs.resetMs) * 1000)
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
    this.#policyRate = quotaRate(left, resetMs);
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
