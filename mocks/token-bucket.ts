// A server that rate-limits with a token bucket and announces it in one header dialect: the
// overload sluice meets most (APIs answering 429), with a clock tests can drive by hand.

import { http, HttpResponse, type Path } from 'msw';
import {
  appendBounded,
  DEFAULT_LOG_LIMIT,
  expectNumber,
  expectOneOf,
  expectStatus,
  monotonicEpochNow,
  type Clock,
  type MockServer,
} from './internal.js';
import {
  RATE_LIMIT_HEADER_DIALECTS,
  RETRY_AFTER_STYLES,
  rateLimitHeaders,
  retryAfterHeaders,
  type RateLimitHeaderDialect,
  type RetryAfterStyle,
} from './rate-limit-headers.js';

/** Options of {@link tokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second. */
  rate: number;
  /** Bucket capacity: how many requests may arrive at once. The bucket starts full. */
  burst: number;
  /** Which rate-limit headers every response carries. */
  dialect: RateLimitHeaderDialect;
  /** How rejections say when to retry. @default 'seconds' */
  retryAfter?: RetryAfterStyle;
  /** Status of a rejection. @default 429 */
  status?: number;
  /** Which requests the bucket guards (any method). @default '*' */
  path?: Path;
  /** Policy / bucket name sent by the dialects that carry one. @default 'default' */
  name?: string;
  /**
   * Clock in epoch milliseconds. Inject one to drive refills by hand; dialects with absolute
   * resets (epoch, HTTP-date, RFC 3339) read it as epoch time.
   * @default monotonic epoch ms (`performance.timeOrigin + performance.now()`)
   */
  now?: Clock;
  /** How many entries `log` keeps (oldest dropped first); 0 keeps none. @default 10000 */
  logLimit?: number;
}

/** Live counters of a token-bucket server. */
export interface TokenBucketCounters {
  received: number;
  accepted: number;
  rejected: number;
}

/** One request as the bucket saw it. */
export interface TokenBucketLogEntry {
  /** Clock reading when the request arrived. */
  at: number;
  accepted: boolean;
}

/** What {@link tokenBucket} returns: handlers, live counters, the request log and the bucket. */
export interface TokenBucketServer extends MockServer<TokenBucketCounters> {
  /** Arrival time and verdict of recent requests, oldest first, bounded by `logLimit`. */
  readonly log: readonly TokenBucketLogEntry[];
  /** Tokens in the bucket now (fractional), after refilling up to the clock's current time. */
  tokens(): number;
}

// Float refills (elapsed × rate / 1000) can land a hair under a whole token; count it as whole
// so a test that advances the clock by exactly 1 / rate is served.
const EPSILON = 1e-9;

/**
 * A token-bucket rate limiter: `rate` tokens per second, capacity `burst`, starting full. A
 * request that finds a token gets 200 with a small JSON body; one that does not gets `status`
 * (429) and Retry-After for when the next token arrives. Every response carries the dialect's
 * rate-limit headers, as real servers do. Reset headers mean "until the bucket is full".
 */
export function tokenBucket(options: TokenBucketOptions): TokenBucketServer {
  const rate = expectNumber('rate', options.rate, Number.MIN_VALUE);
  const burst = expectNumber('burst', options.burst, 1, true);
  const dialect = expectOneOf('dialect', options.dialect, RATE_LIMIT_HEADER_DIALECTS);
  const style = expectOneOf('retryAfter', options.retryAfter ?? 'seconds', RETRY_AFTER_STYLES);
  const status = expectStatus('status', options.status ?? 429);
  const logLimit = expectNumber('logLimit', options.logLimit ?? DEFAULT_LOG_LIMIT, 0, true);
  const name = options.name ?? 'default';
  const now = options.now ?? monotonicEpochNow;

  const counters: TokenBucketCounters = { received: 0, accepted: 0, rejected: 0 };
  const log: TokenBucketLogEntry[] = [];
  let tokens = burst;
  let refilledAt = now();

  const refill = (at: number) => {
    // A clock that steps back must not drain the bucket.
    tokens = Math.min(burst, tokens + (Math.max(0, at - refilledAt) * rate) / 1000);
    refilledAt = Math.max(refilledAt, at);
  };

  const handler = http.all(options.path ?? '*', () => {
    const at = now();
    refill(at);
    counters.received++;
    const accepted = tokens >= 1 - EPSILON;
    if (accepted) {
      tokens = Math.max(0, tokens - 1);
      counters.accepted++;
    } else {
      counters.rejected++;
    }
    appendBounded(log, { at, accepted }, logLimit);

    const headers = rateLimitHeaders(dialect, {
      rate,
      limit: burst,
      remaining: Math.floor(tokens + EPSILON),
      resetMs: ((burst - tokens) / rate) * 1000,
      nowMs: at,
      name,
    });
    if (accepted) return HttpResponse.json({ ok: true }, { headers });

    const waitMs = ((1 - tokens) / rate) * 1000;
    return HttpResponse.json(
      { error: 'rate limited' },
      { status, headers: { ...headers, ...retryAfterHeaders(style, waitMs, at) } },
    );
  });

  return {
    handlers: [handler],
    counters,
    log,
    tokens() {
      refill(now());
      return tokens;
    },
    reset() {
      counters.received = counters.accepted = counters.rejected = 0;
      log.length = 0;
      tokens = burst;
      refilledAt = now();
    },
  };
}
