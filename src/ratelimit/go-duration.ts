// Parses Go's time.Duration text ("6m0s", "12ms", "1h2m3.5s"), which OpenAI uses for its
// x-ratelimit-reset-* headers. Same grammar and range as Go's time.ParseDuration.

const NS_PER_UNIT: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['µs', 1_000n], // U+00B5 micro sign
  ['μs', 1_000n], // U+03BC Greek small mu
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

/** Go rejects anything past int64 nanoseconds (about 292 years); so do we. */
const MAX_NS = (1n << 63n) - 1n;

/** A number with an optional fraction, then its unit: the repeated part of the grammar. */
const COMPONENT = /(\d*)(?:\.(\d*))?([^\d.]+)/y;

/** Enough fraction digits for ns precision of an hour; later digits only decide rounding up. */
const MAX_FRACTION_DIGITS = 13;

function componentNs(whole: string, fraction: string, unit: bigint): bigint {
  const kept = fraction.slice(0, MAX_FRACTION_DIGITS);
  const scale = 10n ** BigInt(kept.length);
  const scaled = BigInt(kept === '' ? '0' : kept) * unit;
  // Go truncates sub-nanosecond fractions; we round up, so a reset is never read as earlier.
  const roundUp = scaled % scale !== 0n || /[1-9]/.test(fraction.slice(MAX_FRACTION_DIGITS)) ? 1n : 0n;
  return BigInt(whole === '' ? '0' : whole) * unit + scaled / scale + roundUp;
}

/**
 * Parse a Go duration string to milliseconds.
 *
 * Grammar (as Go's `time.ParseDuration`): an optional sign, then one or more
 * `<digits>[.<digits>]<unit>` with units `ns`, `us`/`µs`/`μs`, `ms`, `s`, `m`, `h`; the bare
 * string `"0"` is also valid. No surrounding whitespace.
 *
 * @param text - e.g. `"6m0s"`, `"12ms"`, `"1h2m3.5s"`, `"100us"`.
 * @returns milliseconds (may be fractional, and negative for a leading `-`), or `undefined`
 * when malformed or beyond Go's ±292-year range. Never throws.
 */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;

  let totalNs = 0n;
  COMPONENT.lastIndex = 0;
  while (COMPONENT.lastIndex < rest.length) {
    const m = COMPONENT.exec(rest);
    if (m === null) return undefined;
    const whole = m[1]!;
    const fraction = m[2] ?? '';
    if (whole === '' && fraction === '') return undefined; // ".s" or a unit with no number
    const unit = NS_PER_UNIT.get(m[3]!);
    if (unit === undefined) return undefined;
    // Checked before BigInt() so a megabyte of digits costs nothing: 20 digits exceed int64.
    if (whole.replace(/^0+/, '').length > 19) return undefined;
    totalNs += componentNs(whole, fraction, unit);
    if (totalNs > MAX_NS) return undefined;
  }
  return (sign * Number(totalNs)) / 1_000_000;
}
