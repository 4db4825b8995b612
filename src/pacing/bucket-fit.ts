// Fits a token-bucket model (refill rate R, burst B) to the outcomes of attempts: which rates,
// with some burst, explain every success and refusal seen, given how uncertain their timing was.

/** Ratio between neighbouring rates of the fit's first, coarse look. */
const GRID_STEP = 1.05;

/** One attempt's outcome, placed at the time the server decided it (ms). */
export interface Outcome {
  at: number;
  ok: boolean;
  /**
   * How far (ms) the decision may lie from `at` beyond the fit's usual tolerance: half of what
   * this round trip took over the shortest one. A round trip stretched by queueing or a stalled
   * process (measured on a loaded machine: 100–700 ms against 3 ms) hides when the server
   * decided; placed at its middle, bunched successes "proved" 1.8 × the true rate.
   */
  slack?: number;
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
  const tolerance = (o: Outcome): number => Math.max(toleranceMs, o.slack ?? 0);
  let widest = toleranceMs;
  for (const o of outcomes) widest = Math.max(widest, tolerance(o));
  // Refusals are judged against the most the server could have been owed: every success as late
  // as its slack allows (less refill since). A second replay keeps those later times; successes
  // not yet placed there could still have come before the refusal, so they count in full.
  const late = new LateSuccesses(rate);
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i]!;
    const gap = o.at - prev;
    const tol = tolerance(o);
    late.advanceTo(o.at);
    if (o.ok) {
      low = Math.max(low, 1 + Math.max(0, deficit - (rate * (gap + tol)) / 1000));
      late.add(o.at + (o.slack ?? 0));
    } else {
      let overtaken = 0;
      for (let j = i + 1; j < outcomes.length && outcomes[j]!.at <= o.at + tol + widest; j++) {
        const other = outcomes[j]!;
        if (other.ok && other.at - tolerance(other) <= o.at + tol) overtaken++;
      }
      high = Math.min(high, 1 + overtaken + late.owedAt(o.at - tol));
    }
    deficit = Math.max(0, deficit - (rate * gap) / 1000);
    prev = o.at;
    if (o.ok) deficit += 1;
  }
  return { low, high };
}

/**
 * The server's deficit with successes placed as late as they may have been decided: a replay
 * (Lindley's recursion) over those times, kept in order by a binary min-heap of the successes
 * whose late time is still ahead.
 */
class LateSuccesses {
  readonly #heap: number[] = [];
  #deficit = 0;
  #at = -Infinity;

  constructor(readonly rate: number) {}

  add(at: number): void {
    const heap = this.#heap;
    let i = heap.push(at) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! <= heap[i]!) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  /** Places every success whose late time is at or before `now`. */
  advanceTo(now: number): void {
    const heap = this.#heap;
    while (heap.length > 0 && heap[0]! <= now) {
      const at = heap[0]!;
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        for (let i = 0; ; ) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && heap[l]! < heap[m]!) m = l;
          if (r < heap.length && heap[r]! < heap[m]!) m = r;
          if (m === i) break;
          [heap[m], heap[i]] = [heap[i]!, heap[m]!];
          i = m;
        }
      }
      this.#deficit = this.#owed(at) + 1;
      this.#at = at;
    }
  }

  /** The deficit at `at` (not before the last placed success), with every pending one added. */
  owedAt(at: number): number {
    return this.#owed(Math.max(at, this.#at)) + this.#heap.length;
  }

  #owed(at: number): number {
    return this.#at === -Infinity ? 0 : Math.max(0, this.#deficit - (this.rate * (at - this.#at)) / 1000);
  }
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
  // A throttle at a rate below the floor (the caller's bound) must still leave one rate to test.
  maxRate = Math.max(minRate, maxRate);
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

