// Counts of what happened per time bin (sent, 2xx, 429, …) for pictures of a run: fixed-width
// bins that merge in pairs as the run grows, so a run of any length costs a bounded array.

/** What a timeline counts: attempts sent, and how they ended. `other`: any other status, or no response. */
export const timelineSeries = ['sent', '2xx', '429', '503', 'other'] as const;
export type TimelineSeries = (typeof timelineSeries)[number];

export type TimelineCounts = Record<TimelineSeries, number>;

export interface TimelineOptions {
  /** Width of a bin in ms at first. @default 100 */
  binMs?: number;
  /** Most bins kept; past it, neighbouring bins merge and the width doubles. @default 1200 */
  maxBins?: number;
}

/** A timeline as plain data, for the renderers. */
export interface TimelineData {
  /** Epoch ms of the first bin's start. */
  start: number;
  binMs: number;
  /** One entry per bin, in order; `bins.length * binMs` covers the run. */
  bins: TimelineCounts[];
}

export function emptyCounts(): TimelineCounts {
  return { sent: 0, '2xx': 0, '429': 0, '503': 0, other: 0 };
}

/** The series a response status (or `undefined`: no response) falls in. */
export function seriesOfStatus(status: number | undefined): TimelineSeries {
  if (status === undefined) return 'other';
  if (status >= 200 && status < 300) return '2xx';
  if (status === 429) return '429';
  if (status === 503) return '503';
  return 'other';
}

export class Timeline {
  #binMs: number;
  readonly #maxBins: number;
  readonly #bins: TimelineCounts[] = [];

  constructor(
    readonly start: number,
    options: TimelineOptions = {},
  ) {
    this.#binMs = options.binMs ?? 100;
    this.#maxBins = options.maxBins ?? 1200;
    if (!(this.#binMs > 0)) throw new RangeError(`Expected \`binMs\` to be a positive number, got ${this.#binMs}`);
    if (!(Number.isInteger(this.#maxBins) && this.#maxBins >= 2)) throw new RangeError(`Expected \`maxBins\` to be an integer from 2 up, got ${this.#maxBins}`);
  }

  get binMs(): number {
    return this.#binMs;
  }

  /** Counts `count` of `series` at epoch ms `at` (earlier than `start` counts in the first bin). */
  add(series: TimelineSeries, at: number, count = 1): void {
    let index = Math.max(0, Math.floor((at - this.start) / this.#binMs));
    while (index >= this.#maxBins) {
      this.#merge();
      index = Math.max(0, Math.floor((at - this.start) / this.#binMs));
    }
    while (this.#bins.length <= index) this.#bins.push(emptyCounts());
    this.#bins[index]![series] += count;
  }

  /** Each series summed over the run. */
  totals(): TimelineCounts {
    const totals = emptyCounts();
    for (const bin of this.#bins) for (const series of timelineSeries) totals[series] += bin[series];
    return totals;
  }

  toJSON(): TimelineData {
    return { start: this.start, binMs: this.#binMs, bins: this.#bins.map((bin) => ({ ...bin })) };
  }

  /** Halves the resolution: bins 2k and 2k+1 become bin k. */
  #merge(): void {
    const merged: TimelineCounts[] = [];
    for (let i = 0; i < this.#bins.length; i += 2) {
      const pair = emptyCounts();
      for (const bin of this.#bins.slice(i, i + 2)) for (const series of timelineSeries) pair[series] += bin[series];
      merged.push(pair);
    }
    this.#bins.splice(0, this.#bins.length, ...merged);
    this.#binMs *= 2;
  }
}
