// Chooses how to pace after a throttle from what a fit of the outcomes allows: where to start,
// how fast to creep and up to where, or whether to hold.

import type { RateRange } from './bucket-fit.js';
import type { NormalizedPacerOptions } from './pacer-options.js';

/**
 * A paced episode "moved" the bound when the fit's upper bound fell below this fraction of the
 * rate it was throttled at; above it, B and R still trade off (see `paceAfterThrottle`).
 */
const MOVED = 0.8;
/** After a paced episode drained, the next pace is at least this fraction below it. */
const BELOW_THROTTLED = 0.01;
/** One episode cuts a paced rate to no less than this fraction of it (see `paceAfterThrottle`). */
const MAX_CUT = 0.5;
/** A fitted range up to this many times `tightWithin` wide is narrow: paced at, not crept across. */
const NARROW = 4;
/**
 * How far under `holdFactor` × its log-middle a narrow range is paced: a pace above R costs a
 * whole pause when its bucket drains, one below costs only the difference.
 */
const NARROW_MARGIN = 0.01;

/**
 * A shared pace is cut to this fraction of the rate refused at. Multiplicative decrease with an
 * increase the same for every client is what makes shares converge (AIMD; Chiu and Jain): the
 * faster client is refused more often and gives up more. Simulated with 2 and 4 clients sharing
 * 20–500/s: 0.7–0.85 all converge; 0.8 lost least to the refusals' pauses.
 */
const SHARED_CUT = 0.8;
/** A shared pace grows like this long without a throttle before it also probes (see `sharedRate`). */
const SHARED_PROBE_AFTER_S = 3;
/** Once probing, a shared pace adds its whole scale this many seconds later. */
const SHARED_PROBE_S = 4;

/**
 * How to pace after a throttle: start at `base`, creep by `creep` per second up to `cap`; or, with
 * a `sharedScale`, grow additively (see `sharedRate`).
 */
export interface PaceDecision {
  base: number;
  cap: number;
  creep: number;
  /** Others share the server's bucket: the scale of the additive increase (see `sharedRate`). */
  sharedScale?: number | undefined;
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
 * - Pinned (narrower than `tightWithin`): hold at `holdFactor` × its best rate (point 7), or
 *   at its low end after a throttle while held (`heldTooHigh`): timing noise had centred the fit
 *   too high (measured on a loaded machine: held at 100.5, 98.5, then 94.7/s against 100/s,
 *   one pause each).
 * - Narrow (up to `NARROW` × `tightWithin`) after a paced episode: pace a little under
 *   `holdFactor` × its log-middle, without creeping. Creeping across it cost a third pause in
 *   most runs against 100/s, B = 10 (1.16 × ideal, against 1.10–1.14 × without); a pace a
 *   little above R drains slowly, and the episode that ends in its throttle is long enough to
 *   pin R.
 * - A paced episode that moved the upper bound well down: pace at the new bound. Either it
 *   holds, or its episode — paced, and long because the bound is close — pins R.
 * - Otherwise test the range's log-middle and creep across the rest in `creepSpanS`: either it
 *   drains (R is low) or it proves R above, in a long episode whose slope pins R. This is the
 *   first step after the slow start, which only ever yields an upper bound (B and R trade off
 *   along the ramp; its top was 3.8 × R against 100/s, B = 10), and after a paced episode that
 *   hardly moved the bound (B and R still trade off when each pause refills about what an
 *   episode drains, whatever R is). Measured against pacing at the top: 1.11 × instead of
 *   1.16 × ideal at 100/s, B = 10, one pause fewer.
 * - Nothing fits a paced episode (or an earlier one): others most likely share the server's
 *   bucket, so what this client gets is what they leave it, and that changes as they come and
 *   go. No fit describes it; AIMD does: cut by `SHARED_CUT`, then grow additively (see
 *   `sharedRate`).
 * - Refused while demand limited sending (`demandRate`: what it sent): the log-middle would test
 *   a range that light demand hardly narrowed (a steady 176/s refused once fits a slow rate with
 *   a deep burst as well as 109/s), and creeping across it took seconds. Pace at what demand
 *   sent, within the range, with no creep: a slower truth drains it at once and the next throttle
 *   is paced; a faster one shows as a quiet, binding pace, which reopens the cap.
 */
export function paceAfterThrottle(
  { ranges, consistent }: { ranges: readonly RateRange[]; consistent: boolean },
  { throttledRate, paced, demandRate, heldTooHigh = false, peakRate, shared = false, options: o }: {
    throttledRate: number;
    paced: boolean;
    demandRate?: number | undefined;
    heldTooHigh?: boolean;
    /** The highest paced rate throttled so far; omitted, an inconsistent fit is not taken as a shared bucket. */
    peakRate?: number | undefined;
    /** Earlier throttles showed others sharing the bucket (see `ThrottleMemory.shared`). */
    shared?: boolean;
    options: Pick<NormalizedPacerOptions, 'tightWithin' | 'holdFactor' | 'creepPerSecond' | 'creepSpanS' | 'minRate'>;
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
  if (demandRate !== undefined && consistent) {
    const base = Math.min(range.high, Math.max(range.low, floor, demandRate));
    return { base, cap: base, creep: 0, held: false, range };
  }
  if ((shared || !consistent) && paced && finite && peakRate !== undefined) {
    return { base: SHARED_CUT * throttledRate, cap: Infinity, creep: 0, sharedScale: Math.max(peakRate, throttledRate), held: false, range };
  }
  if (!consistent) {
    // Nothing fits, and no paced rate to cut from: no hold on a guess. A step below the least
    // inconsistent rate, creeping.
    const base = Math.max(floor, range.best * (1 - o.tightWithin));
    return { base, cap: finite ? Math.max(base, ceiling) : Infinity, creep: o.creepPerSecond, held: false, range };
  }
  if (range.high / range.low <= 1 + o.tightWithin) {
    const base = o.holdFactor * (heldTooHigh ? range.low : range.best);
    if (base >= floor) return { base, cap: Infinity, creep: 0, held: true, range };
    return { base: floor, cap: ceiling, creep: o.creepPerSecond, held: false, range };
  }
  if (paced && range.high / range.low <= 1 + NARROW * o.tightWithin) {
    const base = Math.max(floor, o.holdFactor * (1 - NARROW_MARGIN) * Math.sqrt(range.low * range.high));
    return { base, cap: base, creep: 0, held: false, range };
  }
  if (paced && range.high < MOVED * throttledRate) {
    if (range.high >= floor) return { base: range.high, cap: range.high, creep: 0, held: false, range };
    // The fit is not trusted that far down: creep back towards the throttled rate instead.
    return { base: floor, cap: ceiling, creep: o.creepPerSecond, held: false, range };
  }
  // The log-middle test is the one deliberate deep cut, after the slow start (whose top says
  // little); a paced rate is still never more than halved. Cutting a paced rate to an eighth of
  // that, as first designed, gained nothing in simulation and, on a loaded machine where stalls
  // bunch arrivals into refusals at any rate, took a held 48/s to 16/s (3 s lost per time).
  const base = Math.max(floor, Math.sqrt(Math.max(range.low, range.high / 16) * range.high));
  const creep = Math.max(o.creepPerSecond, (range.high / base) ** (1 / o.creepSpanS) - 1);
  return { base, cap: Math.max(base, range.high), creep, held: false, range };
}

/**
 * The rate `elapsedS` of binding time after a shared pace started at `base`: additive increase by
 * `creep` × `scale` per second, the same for every client whose refusals reached the same peak
 * (an increase proportional to its own rate would keep a squeezed client squeezed: measured
 * 18/s against 81/s for 6 s), plus a cubic probe once no throttle came for
 * `SHARED_PROBE_AFTER_S`, so the share of a client that left is taken up within seconds (a linear
 * 2 %/s alone took 15 s to go from 18/s to the whole 100/s bucket).
 */
export function sharedRate(base: number, scale: number, creep: number, elapsedS: number): number {
  const probe = Math.max(0, elapsedS - SHARED_PROBE_AFTER_S) / SHARED_PROBE_S;
  return base + scale * (creep * elapsedS + probe ** 3);
}
