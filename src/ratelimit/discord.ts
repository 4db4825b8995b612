// Reads Discord's rate-limit headers: the X-RateLimit family plus a precise relative reset
// (X-RateLimit-Reset-After) and a bucket id shared by routes that share a limit.

import type { HeaderReader } from '../headers.js';
import { clampDelay, decimalToMs } from '../retry/retry-after.js';
import { numberTexts, parseBucket, parseCount, toObservation } from './field-values.js';
import type { RateLimitObservation } from './types.js';

/** The latest of the decimal values in a field, converted by `toMs`; absent when malformed. */
function latest(value: string | null, toMs: (text: string) => number): number | undefined {
  const texts = numberTexts(value);
  return texts?.reduce((max, text) => Math.max(max, toMs(text)), 0);
}

/**
 * Parse Discord's `X-RateLimit-Limit`, `-Remaining`, `-Reset-After`, `-Reset` and `-Bucket`.
 *
 * Only claims a response that carries `X-RateLimit-Reset-After` or `X-RateLimit-Bucket`, the
 * headers that set Discord apart from the generic X-RateLimit family. The reset comes from
 * Reset-After (seconds with a fraction, relative, so immune to clock skew) and only falls back
 * to Reset (epoch seconds with a fraction) when Reset-After is unusable.
 *
 * @param headers - the response headers.
 * @param now - epoch ms the response was received at (used only for the epoch fallback).
 * @returns the observation, or `undefined` when this is not Discord or nothing is usable.
 */
export function parseDiscord(headers: HeaderReader, now: number): RateLimitObservation | undefined {
  const resetAfter = headers.get('x-ratelimit-reset-after');
  const bucketField = headers.get('x-ratelimit-bucket');
  if (resetAfter === null && bucketField === null) return undefined;
  const resetMs =
    latest(resetAfter, (text) => clampDelay(decimalToMs(text, 1000)!)) ??
    latest(headers.get('x-ratelimit-reset'), (text) => clampDelay(decimalToMs(text, 1000)! - now));
  return toObservation('discord', {
    limit: parseCount(headers.get('x-ratelimit-limit')),
    remaining: parseCount(headers.get('x-ratelimit-remaining')),
    resetMs,
    bucket: parseBucket(bucketField),
  });
}
