// The public API of sluice, listed by name: what is here is supported, what is not is internal.

// First: on a Node too old for undici this throws a clear error before undici is loaded.
import './node-support.js';

export { createClient, fetch } from './client.js';
export type { SluiceClient, SluiceRequestInit } from './client.js';
export type { ReadyOptions } from './engine/engine.js';
export type { CloseOptions } from './engine/shutdown.js';
export type { ClientOptions, LimitOptions, RequestOptions, RetrySetting, TimeoutOptions } from './client-options.js';
export type { GateCounters, GateStats } from './gate/gate.js';
export type { AttemptEnd, RefusalReason, RequestEventFacts, SluiceEventName, SluiceEvents, SluiceListener } from './gate/gate-events.js';
export { channels } from './observe/channels.js';
export type { SluiceChannelMessages, SluiceChannelName } from './observe/channels.js';
export type { RetryBudgetOptions } from './retry/budget.js';
export type { OverflowPolicy } from './gate/waiter-queue.js';
export type { StateStore } from './state/store.js';

export { createRetryPolicy, retryDefaults, serverDelayOf } from './retry/policy.js';
export type {
  AttemptOutcome,
  ImmediateRetryPolicy,
  RetryContext,
  RetryDecision,
  RetryOptions,
  RetryPolicy,
  StopReason,
} from './retry/policy.js';
export { backoffDelay, decorrelatedJitter, equalJitter, exponentialDelay, fullJitter } from './retry/backoff.js';
export type { BackoffOptions, Jitter } from './retry/backoff.js';
export { parseRetryAfter, parseRetryAfterMs, serverRetryDelay } from './retry/retry-after.js';
export type { BeforeRetryContext, BeforeRetryHook } from './retry/before-retry.js';

export { mapRequests } from './bulk/map-requests.js';
export type { MapClient, MapMethod, MapRun } from './bulk/map-requests.js';
export type { MapOptions } from './bulk/map-options.js';
export type { MapProgress, MapResult, RequestSpec, ToRequest } from './bulk/map-result.js';
export type { BodyItem, BodyMode, BodyReader } from './bulk/body-mode.js';

export { parseRateLimitHeaders } from './ratelimit/parse.js';
export type { RateLimitDialect, RateLimitObservation } from './ratelimit/types.js';
export type { HeaderReader } from './headers.js';

export {
  BodyTooLargeError,
  ClientClosedError,
  InvalidOptionError,
  isBodyTooLargeError,
  isClientClosedError,
  isInvalidOptionError,
  isLoadShedError,
  isQueueFullError,
  isQueueTimeoutError,
  isRateLimitedError,
  isRetryBudgetExhaustedError,
  isSluiceError,
  isTimeoutError,
  LoadShedError,
  QueueFullError,
  QueueTimeoutError,
  RateLimitedError,
  RetryBudgetExhaustedError,
  SluiceError,
  TimeoutError,
} from './errors.js';
export type { QueueFullErrorOptions, SluiceErrorCode } from './errors.js';
