// Reads the de-facto X-RateLimit-Limit / -Remaining / -Reset family (GitHub, X, Reddit and
// many gateways), whose reset may be epoch seconds, epoch ms or delta seconds.

import type { HeaderReader } from '../headers.js';
import { parseBucket, parseCount, parseLimit, parseReset, toObservation, windowForLimit } from './field-values.js';
import type { RateLimitObservation } from './types.js';

/** X (Twitter) spells the family `x-rate-limit-*`; the meaning is the same. */
function field(headers: HeaderReader, suffix: string): string | null {
  return headers.get(`x-ratelimit-${suffix}`) ?? headers.get(`x-rate-limit-${suffix}`);
}

/**
 * Parse `X-RateLimit-Limit`, `-Remaining`, `-Reset`, `-Used` and `-Resource` (also spelled
 * `X-Rate-Limit-*`).
 *
 * The reset is told apart by magnitude: `>= 1e12` is epoch ms, `>= 1e9` epoch seconds (GitHub,
 * X), anything smaller delta seconds (Reddit, many gateways). The thresholds are both
 * September 2001 in their unit, and a delta that large would be decades, so the readings cannot
 * collide. When Remaining is absent it is derived as Limit − Used (GitHub sends both). GitHub's
 * `x-ratelimit-resource` (`core`, `search`, `graphql`) becomes the bucket.
 *
 * @param headers - the response headers.
 * @param now - epoch ms the response was received at.
 * @returns the observation, or `undefined` when no limit, remaining, used or reset is usable.
 */
export function parseXRateLimit(headers: HeaderReader, now: number): RateLimitObservation | undefined {
  const limitField = field(headers, 'limit');
  const limit = parseLimit(limitField);
  const used = parseCount(field(headers, 'used'));
  const derived = limit !== undefined && used !== undefined ? Math.max(0, limit - used) : undefined;
  return toObservation('x-ratelimit', {
    limit,
    remaining: parseCount(field(headers, 'remaining')) ?? derived,
    windowMs: windowForLimit(limitField, limit),
    resetMs: parseReset(field(headers, 'reset'), now),
    bucket: parseBucket(headers.get('x-ratelimit-resource')),
  });
}
