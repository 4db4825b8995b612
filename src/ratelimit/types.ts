// What a response's rate-limit headers say, normalised across dialects, so the gate can pace
// before the first 429 without knowing which vendor it is talking to.

export type RateLimitDialect =
  | 'ietf' // draft-ietf-httpapi-ratelimit-headers-10: RateLimit-Policy / RateLimit structured fields
  | 'ietf-legacy' // earlier drafts: RateLimit-Limit / -Remaining / -Reset (delta seconds)
  | 'x-ratelimit' // X-RateLimit-Limit / -Remaining / -Reset (epoch or delta seconds)
  | 'discord' // X-RateLimit-* plus -Reset-After and -Bucket
  | 'openai' // x-ratelimit-{limit,remaining,reset}-requests with Go durations
  | 'anthropic'; // anthropic-ratelimit-requests-{limit,remaining,reset} with RFC 3339 times

/**
 * One response's view of the server's quota for requests. Every number is finite and >= 0;
 * a field the server did not send (or sent malformed) is absent, never a guess.
 */
export interface RateLimitObservation {
  dialect: RateLimitDialect;
  /** Requests allowed per window (the quota). */
  limit?: number;
  /** Requests left in the current window. */
  remaining?: number;
  /** Window length in ms, when the server states it (IETF policy `w`). */
  windowMs?: number;
  /** ms from the response until the window resets (or the quota is refilled). */
  resetMs?: number;
  /** Partition hint that may refine the gate key (x-ratelimit-resource, X-RateLimit-Bucket, IETF `pk`). */
  bucket?: string;
}
