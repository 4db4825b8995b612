// The rate-limit headers real servers send, one writer per dialect, as pure functions of a
// quota snapshot — so each dialect's exact wire format is written (and tested) in one place.

/** Which family of rate-limit headers a simulated server sends. */
export type RateLimitHeaderDialect =
  | 'ietf' // draft-ietf-httpapi-ratelimit-headers-10: RateLimit-Policy + RateLimit structured fields
  | 'ietf-legacy' // earlier drafts: RateLimit-Limit / -Remaining / -Reset (delta seconds)
  | 'x-ratelimit-epoch' // X-RateLimit-* with Reset in epoch seconds (GitHub, X)
  | 'x-ratelimit-delta' // X-RateLimit-* with Reset in delta seconds
  | 'discord' // X-RateLimit-* with float epoch Reset, Reset-After and Bucket
  | 'openai' // x-ratelimit-{limit,remaining,reset}-requests, reset as a Go duration
  | 'anthropic' // anthropic-ratelimit-requests-{limit,remaining,reset}, reset in RFC 3339
  | 'retry-after-only'; // no rate headers at all; only Retry-After on rejections

/** Every dialect, for validation and for tests that sweep them. */
export const RATE_LIMIT_HEADER_DIALECTS: readonly RateLimitHeaderDialect[] = [
  'ietf',
  'ietf-legacy',
  'x-ratelimit-epoch',
  'x-ratelimit-delta',
  'discord',
  'openai',
  'anthropic',
  'retry-after-only',
];

/** How a rejection says when to come back. */
export type RetryAfterStyle =
  | 'seconds' // Retry-After: <integer seconds, rounded up, at least 1>
  | 'http-date' // Retry-After: <IMF-fixdate, rounded up to the second>
  | 'ms'; // retry-after-ms: <integer ms> plus Retry-After in seconds

/** Every Retry-After style, for validation. */
export const RETRY_AFTER_STYLES: readonly RetryAfterStyle[] = ['seconds', 'http-date', 'ms'];

/** The state of a server's quota at the moment it answers. */
export interface QuotaSnapshot {
  /** Refill rate, requests per second. */
  rate: number;
  /** Requests that may be made at once from full: the bucket's capacity. */
  limit: number;
  /** Whole requests left after this one. */
  remaining: number;
  /** Milliseconds until the quota is full again. */
  resetMs: number;
  /** Epoch milliseconds of the response, for dialects that send absolute reset times. */
  nowMs: number;
  /** Name of the policy / bucket (IETF policy name, GitHub resource, Discord bucket). */
  name: string;
}

const seconds = (ms: number) => Math.ceil(ms / 1000);

/**
 * IETF policy parameters for a token bucket: `w` is the bucket's refill time `burst / rate`
 * rounded up to whole seconds (the draft's `w` is an integer), and `q = rate × w`, so that
 * `q / w` is exactly the refill rate whenever `rate × w` is whole (always, for integer rates).
 * A client that paces at `q / w` therefore paces at the server's rate. When `burst >= rate`,
 * `q` equals `burst` too.
 */
export function ietfPolicy(rate: number, burst: number): { q: number; w: number } {
  const first = Math.max(1, Math.ceil(burst / rate - 1e-9));
  // Look a little further for a window whose quota is whole; a fractional rate like 2.5/s
  // gets w = 2, q = 5 rather than a rounded, wrong q.
  for (let w = first; w < first + 1000; w++) {
    const q = rate * w;
    if (Math.abs(q - Math.round(q)) < 1e-9) return { q: Math.round(q), w };
  }
  return { q: Math.max(1, Math.round(rate * first)), w: first };
}

/**
 * Formats milliseconds like Go's `time.Duration.String()` (`120ms`, `1.5s`, `6m0s`, `1h0m0s`),
 * as OpenAI sends its reset times. Rounded up to whole milliseconds so it never reads early.
 */
export function formatGoDuration(ms: number): string {
  const total = Math.ceil(ms);
  if (total <= 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor((total % 3_600_000) / 60_000);
  const s = String((total % 60_000) / 1000);
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** RFC 3339 in UTC with whole seconds (`2026-11-01T12:00:05Z`), rounded up. */
export function formatRfc3339(epochMs: number): string {
  return new Date(seconds(epochMs) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The rate-limit headers `dialect` sends with every response, for the quota in `q`. */
export function rateLimitHeaders(dialect: RateLimitHeaderDialect, q: QuotaSnapshot): Record<string, string> {
  const limit = String(q.limit);
  const remaining = String(q.remaining);
  switch (dialect) {
    case 'ietf': {
      const policy = ietfPolicy(q.rate, q.limit);
      const name = JSON.stringify(q.name); // a structured-field String; the name is plain ASCII
      return {
        'RateLimit-Policy': `${name};q=${policy.q};w=${policy.w}`,
        RateLimit: `${name};r=${remaining};t=${seconds(q.resetMs)}`,
      };
    }
    case 'ietf-legacy':
      return {
        'RateLimit-Limit': limit,
        'RateLimit-Remaining': remaining,
        'RateLimit-Reset': String(seconds(q.resetMs)),
      };
    case 'x-ratelimit-epoch':
      return {
        'X-RateLimit-Limit': limit,
        'X-RateLimit-Remaining': remaining,
        'X-RateLimit-Reset': String(seconds(q.nowMs + q.resetMs)),
        'X-RateLimit-Used': String(q.limit - q.remaining),
        'X-RateLimit-Resource': q.name,
      };
    case 'x-ratelimit-delta':
      return {
        'X-RateLimit-Limit': limit,
        'X-RateLimit-Remaining': remaining,
        'X-RateLimit-Reset': String(seconds(q.resetMs)),
      };
    case 'discord': {
      // Discord sends seconds with millisecond decimals; round up to the millisecond.
      const resetAfterMs = Math.ceil(q.resetMs);
      return {
        'X-RateLimit-Limit': limit,
        'X-RateLimit-Remaining': remaining,
        'X-RateLimit-Reset': ((Math.ceil(q.nowMs) + resetAfterMs) / 1000).toFixed(3),
        'X-RateLimit-Reset-After': (resetAfterMs / 1000).toFixed(3),
        'X-RateLimit-Bucket': q.name,
      };
    }
    case 'openai':
      return {
        'x-ratelimit-limit-requests': limit,
        'x-ratelimit-remaining-requests': remaining,
        'x-ratelimit-reset-requests': formatGoDuration(q.resetMs),
      };
    case 'anthropic':
      return {
        'anthropic-ratelimit-requests-limit': limit,
        'anthropic-ratelimit-requests-remaining': remaining,
        'anthropic-ratelimit-requests-reset': formatRfc3339(q.nowMs + q.resetMs),
      };
    case 'retry-after-only':
      return {};
  }
}

/**
 * The headers a rejection carries to say "come back in `waitMs`". Always rounded up: a client
 * that honours them exactly must find a token waiting.
 */
export function retryAfterHeaders(style: RetryAfterStyle, waitMs: number, nowMs: number): Record<string, string> {
  // Integer seconds with a floor of 1, as most servers send: 0 would invite an immediate retry.
  const wholeSeconds = String(Math.max(1, seconds(waitMs)));
  switch (style) {
    case 'seconds':
      return { 'Retry-After': wholeSeconds };
    case 'http-date':
      return { 'Retry-After': new Date(seconds(nowMs + waitMs) * 1000).toUTCString() };
    case 'ms':
      return { 'retry-after-ms': String(Math.max(1, Math.ceil(waitMs))), 'Retry-After': wholeSeconds };
  }
}
