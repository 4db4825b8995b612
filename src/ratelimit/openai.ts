// Reads OpenAI's request quota headers (x-ratelimit-{limit,remaining,reset}-requests), whose
// reset is a Go duration such as "6m0s" or "12ms". Token quotas are not requests and are ignored.

import type { HeaderReader } from '../headers.js';
import { clampDelay, decimalToMs } from '../retry/retry-after.js';
import { parseCount, toObservation } from './field-values.js';
import { parseGoDuration } from './go-duration.js';
import type { RateLimitObservation } from './types.js';

/**
 * One reset value in ms. A bare number is read as seconds: Azure OpenAI sends integers there,
 * and Go's grammar has no unitless numbers other than "0", so the two cannot be confused.
 */
function resetValueMs(text: string): number | undefined {
  const seconds = decimalToMs(text, 1000);
  if (seconds !== undefined) return clampDelay(seconds);
  const ms = parseGoDuration(text);
  // A negative duration says the reset has already passed.
  return ms === undefined ? undefined : clampDelay(ms);
}

/** The latest reset in a (possibly repeated) field; absent if any part is malformed. */
function parseDurationReset(value: string | null): number | undefined {
  if (value === null) return undefined;
  let latest = 0;
  for (const part of value.split(',')) {
    const ms = resetValueMs(part.trim());
    if (ms === undefined) return undefined;
    latest = Math.max(latest, ms);
  }
  return latest;
}

/**
 * Parse OpenAI's `x-ratelimit-limit-requests`, `x-ratelimit-remaining-requests` and
 * `x-ratelimit-reset-requests` (also sent by Azure OpenAI, Groq and other OpenAI-compatible
 * servers).
 *
 * @param headers - the response headers.
 * @param _now - unused: the reset is relative. Kept so every dialect has the same signature.
 * @returns the observation, or `undefined` when none of the three is usable.
 */
export function parseOpenAI(headers: HeaderReader, _now: number): RateLimitObservation | undefined {
  return toObservation('openai', {
    limit: parseCount(headers.get('x-ratelimit-limit-requests')),
    remaining: parseCount(headers.get('x-ratelimit-remaining-requests')),
    resetMs: parseDurationReset(headers.get('x-ratelimit-reset-requests')),
  });
}
