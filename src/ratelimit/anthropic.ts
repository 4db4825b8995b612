// Reads Anthropic's request quota headers (anthropic-ratelimit-requests-*), whose reset is an
// RFC 3339 timestamp. Token quotas are not requests and are ignored.

import type { HeaderReader } from '../headers.js';
import { clampDelay, utcTime } from '../retry/retry-after.js';
import { parseCount, toObservation } from './field-values.js';
import type { RateLimitObservation } from './types.js';

// RFC 3339 §5.6 date-time. The RFC allows a lowercase t/z and a space instead of "T".
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parse an RFC 3339 date-time to epoch ms, rounded up to a whole ms.
 *
 * @returns epoch ms, or `undefined` when malformed or out of range (month 13, offset 24:00).
 */
export function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const base = utcTime(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (base === undefined) return undefined;
  const fraction = m[7] ?? '';
  const fractionMs = Number(fraction.slice(0, 3).padEnd(3, '0')) + (/[1-9]/.test(fraction.slice(3)) ? 1 : 0);
  if (m[8] !== undefined) return base + fractionMs;
  const offsetHours = Number(m[10]);
  const offsetMinutes = Number(m[11]);
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  // Local time = UTC + offset, so UTC = local − offset.
  const offsetMs = (offsetHours * 60 + offsetMinutes) * 60_000 * (m[9] === '-' ? -1 : 1);
  return base + fractionMs - offsetMs;
}

/** The latest reset in a (possibly repeated) field; absent if any part is malformed. */
function parseTimestampReset(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  let latest = 0;
  for (const part of value.split(',')) {
    const at = parseRfc3339(part.trim());
    if (at === undefined) return undefined;
    latest = Math.max(latest, clampDelay(at - now));
  }
  return latest;
}

/**
 * Parse Anthropic's `anthropic-ratelimit-requests-limit`, `-remaining` and `-reset`.
 *
 * @param headers - the response headers.
 * @param now - epoch ms the response was received at; the reset is absolute.
 * @returns the observation, or `undefined` when none of the three is usable.
 */
export function parseAnthropic(headers: HeaderReader, now: number): RateLimitObservation | undefined {
  return toObservation('anthropic', {
    limit: parseCount(headers.get('anthropic-ratelimit-requests-limit')),
    remaining: parseCount(headers.get('anthropic-ratelimit-requests-remaining')),
    resetMs: parseTimestampReset(headers.get('anthropic-ratelimit-requests-reset'), now),
  });
}
