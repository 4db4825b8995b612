// Reads the three separate fields of the earlier IETF drafts (RateLimit-Limit, -Remaining,
// -Reset), still sent by many gateways (GitLab, Kong, express-rate-limit's draft-6 mode).

import type { HeaderReader } from '../headers.js';
import { parseCount, parseLimit, parseReset, toObservation, windowForLimit } from './field-values.js';
import type { RateLimitObservation } from './types.js';

/**
 * Parse `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.
 *
 * The drafts define the reset as delta seconds, but GitLab sends epoch seconds in the same
 * field, so the reset is read by magnitude like X-RateLimit-Reset (`>= 1e9` epoch seconds,
 * `>= 1e12` epoch ms). A draft-03 limit list such as `10, 10;w=1, 50;w=60` gives the first
 * (expiring) limit and, when stated, its window.
 *
 * @param headers - the response headers.
 * @param now - epoch ms the response was received at.
 * @returns the observation, or `undefined` when none of the three fields is usable.
 */
export function parseIetfLegacy(headers: HeaderReader, now: number): RateLimitObservation | undefined {
  const limitField = headers.get('ratelimit-limit');
  const limit = parseLimit(limitField);
  return toObservation('ietf-legacy', {
    limit,
    remaining: parseCount(headers.get('ratelimit-remaining')),
    windowMs: windowForLimit(limitField, limit),
    resetMs: parseReset(headers.get('ratelimit-reset'), now),
  });
}
