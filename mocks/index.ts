// The mock servers sluice's tests and benchmarks run against, listed by name: simulated overload
// (rate limits, saturation, load shedding, resets, slowness, brownouts) and two ways to serve it.

export { brownout } from './brownout.js';
export type { BrownoutOptions, BrownoutPhase, BrownoutServer } from './brownout.js';
export { concurrencyLimited } from './concurrency-limited.js';
export type {
  ConcurrencyLimitedCounters,
  ConcurrencyLimitedOptions,
  ConcurrencyLimitedServer,
} from './concurrency-limited.js';
export { flaky } from './flaky.js';
export type { FlakyCounters, FlakyOptions, FlakyServer } from './flaky.js';
export { interceptNetwork } from './intercept.js';
export type { InterceptNetworkOptions, NetworkInterception } from './intercept.js';
export type { Clock, MockServer } from './internal.js';
export { loadShedding } from './load-shedding.js';
export type { LoadSheddingCounters, LoadSheddingOptions, LoadSheddingServer } from './load-shedding.js';
export { startLoopbackServer } from './loopback.js';
export type { LoopbackServer } from './loopback.js';
export {
  formatGoDuration,
  formatRfc3339,
  ietfPolicy,
  RATE_LIMIT_HEADER_DIALECTS,
  RETRY_AFTER_STYLES,
  rateLimitHeaders,
  retryAfterHeaders,
} from './rate-limit-headers.js';
export type { QuotaSnapshot, RateLimitHeaderDialect, RetryAfterStyle } from './rate-limit-headers.js';
export { sequence } from './sequence.js';
export type { SequenceCounters, SequenceEntry, SequenceLogEntry, SequenceOptions, SequenceServer } from './sequence.js';
export { slow } from './slow.js';
export type { SlowCounters, SlowOptions, SlowServer } from './slow.js';
export { tokenBucket } from './token-bucket.js';
export type { TokenBucketCounters, TokenBucketLogEntry, TokenBucketOptions, TokenBucketServer } from './token-bucket.js';
