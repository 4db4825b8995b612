// Turns the server's own "come back later" (Retry-After, retry-after-ms) into a delay in ms.
// Pure and total: a malformed value is `undefined` so the caller falls back to backoff.

import type { HeaderReader } from '../headers.js';

/**
 * Largest delay any parser here returns: 100 years (365.25-day years) in ms. A server asking
 * for longer is clamped, not rejected, so "wait a very long time" survives as a finite number
 * that the caller's `maxRetryAfter` cap can act on (fail fast) instead of being lost as NaN.
 */
export const MAX_DELAY_MS = 100 * 365.25 * 24 * 60 * 60 * 1000;

const DECIMAL = /^\d+(?:\.\d+)?$/;

/** Clamp into `[0, MAX_DELAY_MS]`; NaN and -Infinity count as 0, +Infinity as the maximum. */
export function clampDelay(ms: number): number {
  if (Number.isNaN(ms) || ms <= 0) return 0;
  return ms >= MAX_DELAY_MS ? MAX_DELAY_MS : Math.ceil(ms);
}

/**
 * Convert a non-negative decimal string (`"12"`, `"1.337"`) in the given unit to whole ms,
 * rounded up. Exact on the digits rather than via floating-point multiplication, which would
 * round `1.1` s up to 1101 ms. Unclamped: may be huge or Infinity; callers clamp.
 *
 * @param text - the digits, already trimmed; signs, exponents and bare dots are rejected.
 * @param unitMs - 1000 for seconds, 1 for milliseconds.
 */
export function decimalToMs(text: string, unitMs: 1 | 1000): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const dot = text.indexOf('.');
  const whole = dot === -1 ? text : text.slice(0, dot);
  const fraction = dot === -1 ? '' : text.slice(dot + 1);
  const scaleDigits = unitMs === 1000 ? 3 : 0;
  const kept = fraction.slice(0, scaleDigits).padEnd(scaleDigits, '0');
  const dropped = fraction.slice(scaleDigits);
  // Any non-zero digit below 1 ms means the server asked for a little more: round up.
  const roundUp = /[1-9]/.test(dropped) ? 1 : 0;
  return Number(whole) * unitMs + (kept === '' ? 0 : Number(kept)) + roundUp;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

// RFC 9110 §5.6.7. Names are matched case-insensitively and runs of spaces are tolerated (the
// RFC asks recipients to be robust); the shape of each grammar is otherwise enforced, unlike
// `Date.parse`, which accepts "1" or "May 5" and reads them in the local time zone.
const IMF_FIXDATE = new RegExp(`^${DAY}, +(\\d{1,2}) +${MONTH} +(\\d{4}) +${TIME} +GMT$`, 'i');
const RFC850_DATE = new RegExp(`^${LONG_DAY}, +(\\d{1,2})-${MONTH}-(\\d{2}) +${TIME} +GMT$`, 'i');
const ASCTIME_DATE = new RegExp(`^${DAY} +${MONTH} +(\\d{1,2}) +${TIME} +(\\d{4})$`, 'i');

function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one; year 2000 stands in for any leap year.
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return new Date(Date.UTC(leap ? 2000 : 2001, month, 0)).getUTCDate();
}

/**
 * Epoch ms of a validated UTC calendar time, or `undefined` when a field is out of range.
 * Second 60 (a leap second) is allowed and lands on the next minute, i.e. never too early.
 */
export function utcTime(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  // Date.UTC maps years 0–99 to 1900–1999; setting the year afterwards keeps it literal.
  date.setUTCFullYear(year);
  return date.getTime();
}

function monthNumber(name: string): number {
  return MONTHS.indexOf(name.toLowerCase()) + 1;
}

/** RFC 9110: a two-digit year more than 50 years ahead means the most recent past century. */
function expandTwoDigitYear(twoDigits: number, now: number): number {
  const currentYear = new Date(now).getUTCFullYear();
  let year = Math.floor(currentYear / 100) * 100 + twoDigits;
  if (year > currentYear + 50) year -= 100;
  else if (year + 100 <= currentYear + 50) year += 100; // "00" read in 1999 is 2000, not 1900
  return year;
}

/**
 * Parse an HTTP-date in any of its three forms (IMF-fixdate, RFC 850, asctime) to epoch ms.
 *
 * @param text - the date, already trimmed.
 * @param now - epoch ms, used only to place RFC 850's two-digit years.
 * @returns epoch ms, or `undefined` when `text` matches none of the grammars or names an
 * impossible date (31 Feb, 25:00:00).
 */
export function parseHttpDate(text: string, now = Date.now()): number | undefined {
  let m = IMF_FIXDATE.exec(text);
  if (m !== null) {
    return utcTime(Number(m[3]), monthNumber(m[2]!), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  m = RFC850_DATE.exec(text);
  if (m !== null) {
    const year = expandTwoDigitYear(Number(m[3]), now);
    return utcTime(year, monthNumber(m[2]!), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  m = ASCTIME_DATE.exec(text);
  if (m !== null) {
    return utcTime(Number(m[6]), monthNumber(m[1]!), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
  }
  return undefined;
}

function parseOneRetryAfter(text: string, now: number): number | undefined {
  const delta = decimalToMs(text, 1000);
  if (delta !== undefined) return clampDelay(delta);
  const date = parseHttpDate(text, now);
  return date === undefined ? undefined : clampDelay(date - now);
}

const WEEKDAY_ONLY = new RegExp(`^(?:${DAY}|${LONG_DAY})$`, 'i');

/**
 * Split a value that a proxy or the fetch `Headers` class joined from repeated fields with
 * ", ". IMF-fixdate and RFC 850 dates contain a comma themselves, after the weekday, so a
 * piece that is only a weekday is glued back to the piece after it.
 */
function splitRepeated(text: string): string[] {
  const pieces = text.split(',');
  const values: string[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!.trim();
    if (WEEKDAY_ONLY.test(piece) && i + 1 < pieces.length) {
      values.push(`${piece}, ${pieces[++i]!.trim()}`);
    } else {
      values.push(piece);
    }
  }
  return values;
}

/** The longest of several delays, or `undefined` if any one of them is malformed. */
function longestOf(texts: readonly string[], parse: (text: string) => number | undefined): number | undefined {
  let longest: number | undefined;
  for (const text of texts) {
    const ms = parse(text);
    if (ms === undefined) return undefined;
    longest = longest === undefined ? ms : Math.max(longest, ms);
  }
  return longest;
}

/**
 * The delay the server asked for in a `Retry-After` value, in whole ms rounded up.
 *
 * Accepts delta-seconds and all three HTTP-date forms, with surrounding whitespace. Decimal
 * seconds (`"1.5"`) are accepted although RFC 9110 allows only integers: some servers send
 * them, and rejecting one would fall back to backoff, which may retry earlier than asked.
 * Signs, exponents (`"1e3"`), hex and `Date.parse`-style free text are rejected. When repeated
 * fields were joined (`"120, 120"`), every part must be valid and the longest wins.
 *
 * @param value - the raw header value; `null`/`undefined` (absent) give `undefined`.
 * @param now - epoch ms the HTTP-date is measured from (injectable for tests).
 * @returns ms in `[0, MAX_DELAY_MS]` (a past date gives 0), or `undefined` when malformed.
 * Never throws.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  const single = parseOneRetryAfter(text, now);
  if (single !== undefined || !text.includes(',')) return single;
  return longestOf(splitRepeated(text), (part) => parseOneRetryAfter(part, now));
}

/**
 * The delay in a `retry-after-ms` value (OpenAI, Azure OpenAI): milliseconds, possibly with a
 * fraction, rounded up to a whole ms.
 *
 * @param value - the raw header value; `null`/`undefined` (absent) give `undefined`.
 * @returns ms in `[0, MAX_DELAY_MS]`, or `undefined` when malformed. Never throws.
 */
export function parseRetryAfterMs(value: string | null | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  const parseOne = (part: string): number | undefined => {
    const ms = decimalToMs(part, 1);
    return ms === undefined ? undefined : clampDelay(ms);
  };
  return longestOf(text.split(',').map((part) => part.trim()), parseOne);
}

/**
 * The server-given retry delay of a response: `retry-after-ms` when present and valid (it is
 * more precise), else `Retry-After`.
 *
 * @param headers - the response headers.
 * @param now - epoch ms an HTTP-date is measured from.
 * @returns ms in `[0, MAX_DELAY_MS]`, or `undefined` when neither header is usable.
 */
export function serverRetryDelay(headers: HeaderReader, now = Date.now()): number | undefined {
  return parseRetryAfterMs(headers.get('retry-after-ms')) ?? parseRetryAfter(headers.get('retry-after'), now);
}
