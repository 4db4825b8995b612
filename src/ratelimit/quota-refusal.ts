// GitHub (and others) refuse over-quota requests with 403 rather than 429; a 403 that carries a
// server time or a spent quota is a rate-limit refusal, not a permission error.

import type { HeaderReader } from '../headers.js';
import { serverRetryDelay } from '../retry/retry-after.js';
import { parseRateLimitHeaders } from './parse.js';

/** True for a 403 that says "not now" (Retry-After, or rate-limit headers with nothing remaining). */
export function isQuotaRefusal(status: number, headers: HeaderReader, now: number): boolean {
  if (status !== 403) return false;
  return serverRetryDelay(headers, now) !== undefined || parseRateLimitHeaders(headers, now)?.remaining === 0;
}
