// Decides, once per attempt, what its outcome says about the origin: served, refused for rate,
// refused for capacity, or a transport failure — with its server time and quota parsed once.

import { errorCode } from '../engine/transport-error.js';
import type { HeaderReader } from '../headers.js';
import { parseRateLimitHeaders } from '../ratelimit/parse.js';
import type { RateLimitObservation } from '../ratelimit/types.js';
import { serverRetryDelay } from '../retry/retry-after.js';

/** What one attempt produced, as a transport reports it: a response (any status) or an error. */
export type AttemptOutcome =
  | { type: 'response'; status: number; headers: HeaderReader }
  /** `sent` is false only when the request provably never left (refused, DNS, connect timeout). */
  | { type: 'error'; error: unknown; sent: boolean };

/**
 * - `served`: the origin answered the request itself (2xx–5xx other than the refusals below).
 * - `rate-refusal`: 429, or a 403 that says "not now" (a server time or a spent quota).
 * - `capacity-refusal`: 503 or 529 ("overloaded"): the origin is short of capacity.
 * - `transport-error`: no response; `sent` tells whether it could have reached the origin.
 */
export type SignalKind = 'served' | 'rate-refusal' | 'capacity-refusal' | 'transport-error';

export interface AttemptSignal {
  readonly kind: SignalKind;
  readonly outcome: AttemptOutcome;
  /**
   * ms the server asked for before the next try: `retry-after-ms`, `Retry-After`, else a rate-
   * limit reset when it applies (the quota is spent, or a rate refusal gives no other time).
   * `undefined` when it gave none or only malformed ones (the caller falls back to backoff).
   */
  readonly serverDelay: number | undefined;
  /** The response's rate-limit headers, normalised, when it had usable ones. */
  readonly rateLimit: RateLimitObservation | undefined;
  /** A transport failure that means "short of capacity": a timeout, a refused or reset connection. */
  readonly capacityError: boolean;
}

/**
 * Classifies one attempt's outcome, received at `now` (epoch ms of the client's clock). Headers
 * are read here and nowhere else; a served 2xx without rate-limit fields costs one pass over the
 * header names.
 */
export function classifyAttempt(outcome: AttemptOutcome, now: number): AttemptSignal {
  if (outcome.type === 'error') {
    return { kind: 'transport-error', outcome, serverDelay: undefined, rateLimit: undefined, capacityError: isCapacityError(outcome.error) };
  }
  const { status, headers } = outcome;
  const rateLimit = parseRateLimitHeaders(headers, now);
  // A success says "come back later" to nobody; server times only matter on answers that refuse or fail.
  if (status < 400) return { kind: 'served', outcome, serverDelay: undefined, rateLimit, capacityError: false };
  const explicit = serverRetryDelay(headers, now);
  const spent = rateLimit?.remaining === 0;
  const kind: SignalKind =
    status === 429 || (status === 403 && (explicit !== undefined || spent))
      ? 'rate-refusal'
      : status === 503 || status === 529
        ? 'capacity-refusal'
        : 'served';
  // A rate refusal that names no other time waits for the quota's reset: the reset is when the
  // server will take it again (a 429 with only `RateLimit-Reset: 1` retried after 50–160 ms of
  // backoff was refused again). Elsewhere a reset only counts once the quota is spent.
  const resetApplies = spent || (kind === 'rate-refusal' && rateLimit?.remaining === undefined);
  const serverDelay = explicit ?? (resetApplies ? rateLimit?.resetMs : undefined);
  return { kind, outcome, serverDelay, rateLimit, capacityError: false };
}

/** Transport failures that mean the origin is short of capacity, for the concurrency window. */
function isCapacityError(error: unknown): boolean {
  if (error instanceof Error && error.name === 'TimeoutError') return true;
  const code = errorCode(error);
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT';
}
