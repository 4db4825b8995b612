// Number formatting shared by the benchmark's tables and scripts: seconds, fixed digits, ratios
// and rates, each printing '—' for a figure that was not measured.

export function fmt(value: number | undefined, digits: number): string {
  return value === undefined || Number.isNaN(value) ? '—' : value.toFixed(digits);
}

/** Milliseconds as seconds with two decimals. */
export function fmtS(ms: number | undefined): string {
  return ms === undefined ? '—' : (ms / 1000).toFixed(2);
}

/** `a / b` to two decimals, or '—' when either is missing. */
export function fmtRatio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || !(b > 0) ? '—' : (a / b).toFixed(2);
}

/** A gate's rate: `12.3/s`, `∞`, or the string it was sent as. */
export function fmtRate(rate: unknown): string {
  return typeof rate === 'number' ? (Number.isFinite(rate) ? rate.toFixed(1) + '/s' : '∞') : String(rate);
}

/** `12 (2.0 %)`: a count and its share of `n`. */
export function fmtShare(count: number | undefined, n: number): string {
  return count === undefined ? '—' : `${count} (${((100 * count) / n).toFixed(1)} %)`;
}
