// The one rule for every duration a user hands sluice (options, a custom policy's delay): a
// number of ms that a Node timer can hold, or Infinity where that means "no bound".

import { InvalidOptionError } from './errors.js';

/**
 * The longest delay a Node timer holds: 2³¹ − 1 ms, about 24.8 days. Node turns a longer one into
 * 1 ms (with a warning), so a `queueTimeout` of a month would time every queued request out at
 * once, and a 30-day sleep would wake a minute later. Durations are checked against it where they
 * enter, so no timer ever sees more.
 */
export const MAX_DELAY_MS = 2 ** 31 - 1;

export interface DurationRule {
  /** Smallest value allowed. @default 0 */
  min?: number;
  /** `min` itself is not allowed (a timeout of 0 ms means nothing). @default false */
  aboveMin?: boolean;
  /** Infinity is allowed, meaning "no bound" (no timer at all). @default true */
  infinity?: boolean;
}

/**
 * Checks a duration where it enters sluice and returns it: a number of ms from `min` to
 * `MAX_DELAY_MS`, or Infinity when allowed. Anything else (NaN, a negative, a month, a string)
 * throws `InvalidOptionError` naming `name`, the range and the value — never a timer that fires
 * at the wrong time.
 */
export function expectDuration(name: string, value: unknown, rule: DurationRule = {}): number {
  const { min = 0, aboveMin = false, infinity = true } = rule;
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    (aboveMin ? value > min : value >= min) &&
    (value <= MAX_DELAY_MS || (infinity && value === Infinity));
  if (!ok) throw new InvalidOptionError(name, describeDuration(min, aboveMin, infinity), value);
  return value;
}

function describeDuration(min: number, aboveMin: boolean, infinity: boolean): string {
  const from = aboveMin ? `above ${min}` : `from ${min}`;
  const range = `a number of ms ${from} to ${MAX_DELAY_MS} (about 24.8 days)`;
  return infinity ? `${range}, or Infinity for no limit` : range;
}
