// Latency percentiles in bounded memory: log-spaced buckets 2 % wide, so p50/p90/p99 of any
// number of requests are within 2 % of the exact figure and cost at most a few hundred counters.

/** Bucket growth factor: a reported percentile is within this ratio of the true one. */
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** Latencies below this (ms) share the first bucket. */
const FLOOR_MS = 0.01;

// hdr-histogram-js does this job too, but brings a WebAssembly loader and a compressor with it;
// a run report needs three percentiles, which this sparse map gives within 2 %.
export class LatencyHistogram {
  readonly #buckets = new Map<number, number>();
  #count = 0;
  #max = 0;
  #sum = 0;

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const index = ms <= FLOOR_MS ? 0 : Math.ceil(Math.log(ms / FLOOR_MS) / LOG_GROWTH);
    this.#buckets.set(index, (this.#buckets.get(index) ?? 0) + 1);
    this.#count++;
    this.#sum += ms;
    if (ms > this.#max) this.#max = ms;
  }

  get count(): number {
    return this.#count;
  }

  get max(): number {
    return this.#max;
  }

  get mean(): number {
    return this.#count === 0 ? Number.NaN : this.#sum / this.#count;
  }

  /** The `p`-th percentile (0–100) in ms: the upper edge of its bucket, never above the maximum; NaN when empty. */
  percentile(p: number): number {
    if (this.#count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.#count));
    let seen = 0;
    for (const index of [...this.#buckets.keys()].sort((a, b) => a - b)) {
      seen += this.#buckets.get(index)!;
      if (seen >= rank) return Math.min(this.#max, FLOOR_MS * GROWTH ** index);
    }
    return this.#max;
  }
}
