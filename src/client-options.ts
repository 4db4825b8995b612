// The options of `createClient()` and of each request, with their defaults in one place and
// eager validation, so a bad option fails when the client is made, naming what was wrong.

import type { Dispatcher } from 'undici';
import { InvalidOptionError } from './errors.js';
import { normalizeRetryOptions, retryDefaults, retryPolicyFrom, type RetryOptions, type RetryPolicy } from './retry/policy.js';
import {
  expectBoolean,
  expectFiniteNumber,
  expectFunction,
  expectInteger,
  expectKnownKeys,
  expectNumber,
  expectObject,
  expectOneOf,
} from './validate.js';
import { expectDuration } from './duration.js';
import { overflowPolicies, type OverflowPolicy } from './gate/waiter-queue.js';
import { normalizeRetryBudgetOptions, type RetryBudgetOptions } from './retry/budget.js';
import type { BeforeRetryHook } from './retry/before-retry.js';
import { createMemoryStore } from './state/memory-store.js';
import type { StateStore } from './state/store.js';

export interface TimeoutOptions {
  /**
   * ms each attempt may take until its response headers arrive; a timed-out attempt is
   * retried like a transport error. Off by default so a drop-in replacement never cuts a slow
   * but healthy call short (undici's own 300 s headers timeout still applies).
   * @default Infinity
   */
  attempt?: number;
  /**
   * ms the whole request may take until its response headers, waits and retries included. A
   * wait that cannot fit is not started.
   * @default Infinity
   */
  total?: number;
}

/** `false` disables retries; a `RetryPolicy` replaces the default policy. */
export type RetrySetting = false | RetryPolicy | RetryOptions;

export interface ClientOptions {
  /** Retry behaviour. @default the default policy (see `RetryOptions`) */
  retry?: RetrySetting;
  /**
   * Runs before every retry, after its wait: may change the next attempt's URL and headers
   * (refresh a token, re-sign the request). Async hooks are awaited. A request's own
   * `beforeRetry` runs after this one.
   */
  beforeRetry?: BeforeRetryHook;
  timeout?: TimeoutOptions;
  /**
   * The undici Dispatcher to send through (a ProxyAgent, an `Agent({ allowH2: true })`, a mock
   * agent, …). When absent the client owns an `Agent` and closes it in `close()`; that Agent
   * proxies from the environment (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`) when the process
   * opted in as Node 24's own fetch requires: `NODE_USE_ENV_PROXY=1` or `--use-env-proxy`.
   */
  dispatcher?: Dispatcher;
  /**
   * Bytes of a stream request body kept so it can be re-sent; a longer stream is not retried
   * once it started.
   * @default 1048576
   */
  maxReplayBytes?: number;
  /** Concurrency window and queue of each key. */
  limits?: LimitOptions;
  /**
   * Pacing of each key: `'adaptive'` learns the server's rate from its rate-limit headers and
   * its 429s (and stays out of the way of a healthy origin); a number paces every key at that
   * many requests per second; `false` never paces.
   * @default 'adaptive'
   */
  rate?: 'adaptive' | number | false;
  /** Retry budget per key (retries as a share of requests); `false` for none. */
  budget?: RetryBudgetOptions | false;
  /**
   * The gate key of a request: requests with one key share one pause, pace, window and queue.
   * @default the URL's origin
   */
  key?: (url: URL) => string;
  /**
   * Split a key by the rate-limit bucket its responses name (GitHub's `x-ratelimit-resource`,
   * Discord's `X-RateLimit-Bucket`, the IETF `pk`): a route the server put in a bucket gets
   * that bucket's own pause, pace and quota, so a spent `search` quota does not hold up `core`.
   * Routes are method + path with identifier segments folded (`GET /users/:id`).
   * @default true
   */
  buckets?: boolean;
  /**
   * ms after which an idle key's gate (and what it learned) is dropped.
   * @default 60000
   */
  idleTimeout?: number;
  /**
   * ms that `close()` lets requests in flight finish — and, on the client's own Agent, response
   * bodies the caller is still reading — before it aborts them (`close({ grace })` overrides it).
   * Queued requests and requests waiting between attempts are refused at once whatever it is.
   * @default 5000
   */
  closeGrace?: number;
  /** Clock in epoch ms (tests inject one). @default Date.now */
  now?: () => number;
  /**
   * Where each key's state (pause, pace, window, budget) lives. `redisStore({ client })` from
   * `sluice/redis` shares it between every process using the same Redis, so a fleet of processes
   * pauses, paces and fills the window as one.
   * @default a fresh in-memory store of this client
   */
  store?: StateStore;
}

export interface LimitOptions {
  /**
   * In-flight requests per key: `'adaptive'` starts at 10 and grows while responses are
   * healthy (slow start); on a 503, timeout or refused connection it drops to what the origin
   * was holding and probes that level again only rarely. A number fixes it.
   * @default 'adaptive'
   */
  concurrency?: 'adaptive' | number;
  /**
   * Requests that may wait per key; beyond it the overflow policy applies.
   * @default 10000
   */
  maxQueue?: number;
  /**
   * `'reject'` refuses the newcomer with `QueueFullError`; `'drop-oldest'` rejects the oldest
   * waiter instead. Either way, lower-priority waiters go first.
   * @default 'reject'
   */
  overflow?: OverflowPolicy;
  /**
   * ms a request may wait for admission before failing with `QueueTimeoutError`.
   * @default Infinity
   */
  queueTimeout?: number;
}

/**
 * Per-request options: fetch's `init.sluice` and the interceptor's `opts.sluice`. One namespaced
 * member, so none of them can collide with a member fetch has (`priority`) or may add later.
 */
export interface RequestOptions {
  /**
   * Overrides the client's retry settings for this request. An options object overrides only the
   * fields it names (`{ maxRetries: 1 }` keeps the client's statuses, backoff and
   * `maxRetryAfter`); `false` or a `RetryPolicy` replaces the setting whole.
   */
  retry?: RetrySetting | undefined;
  /** Overrides the client's timeouts, field by field. */
  timeout?: TimeoutOptions | undefined;
  /**
   * Admission priority: higher is admitted sooner; under load, lower priorities are shed first.
   * @default fetch's own `priority`: 'high' is 1, 'low' is -1, else 0
   */
  priority?: number | undefined;
  /** Overrides the gate key for this request. */
  key?: string | undefined;
  /** Runs before each retry of this request, after the client's own `beforeRetry`. */
  beforeRetry?: BeforeRetryHook | undefined;
}

const requestOptionKeys = ['retry', 'timeout', 'priority', 'key', 'beforeRetry'] as const;

/**
 * Checks the shape of a request's `sluice` member (`name` says where it was written) and returns
 * it; the values are checked as the engine applies them (`resolveRequestOptions`).
 */
export function readRequestOptions(value: unknown, name: string): RequestOptions | undefined {
  if (value === undefined) return undefined;
  const options = expectObject(name, value);
  expectKnownKeys(name, options, requestOptionKeys);
  if (options.key !== undefined && typeof options.key !== 'string') {
    throw new InvalidOptionError(`${name}.key`, 'a string (a gate key)', options.key);
  }
  if (options.beforeRetry !== undefined) expectFunction(`${name}.beforeRetry`, options.beforeRetry);
  return options as RequestOptions;
}

export const clientDefaults = {
  timeout: { attempt: Infinity, total: Infinity },
  maxReplayBytes: 1024 * 1024,
  limits: { concurrency: 'adaptive', maxQueue: 10_000, overflow: 'reject', queueTimeout: Infinity },
  rate: 'adaptive',
  idleTimeout: 60_000,
  buckets: true,
  closeGrace: 5000,
} as const;

export interface NormalizedClientOptions {
  policy: RetryPolicy | undefined;
  /** The client's retry options when it was given options (not a policy or `false`): what a request's own retry options are merged over. */
  retryOptions: RetryOptions | undefined;
  beforeRetry: BeforeRetryHook | undefined;
  /** Longest pause a request waits through for admission (the policy's maxRetryAfter). */
  maxWait: number;
  timeout: Required<TimeoutOptions>;
  dispatcher: Dispatcher | undefined;
  maxReplayBytes: number;
  limits: Required<LimitOptions>;
  rate: 'adaptive' | number | false;
  budget: Required<RetryBudgetOptions> | false;
  key: (url: URL) => string;
  buckets: boolean;
  idleTimeout: number;
  closeGrace: number;
  now: () => number;
  store: StateStore;
}

const clientKeys = [
  'retry',
  'beforeRetry',
  'timeout',
  'dispatcher',
  'maxReplayBytes',
  'limits',
  'rate',
  'budget',
  'key',
  'buckets',
  'idleTimeout',
  'closeGrace',
  'now',
  'store',
] as const;

export function normalizeClientOptions(input: ClientOptions = {}): NormalizedClientOptions {
  const options = expectObject('options', input) as ClientOptions;
  expectKnownKeys('options', options as Record<string, unknown>, clientKeys);
  if (options.dispatcher !== undefined && typeof options.dispatcher?.dispatch !== 'function') {
    throw new InvalidOptionError('dispatcher', 'an undici Dispatcher (with a dispatch method)', options.dispatcher);
  }
  const now = options.now === undefined ? Date.now : expectFunction<() => number>('now', options.now);
  return {
    policy: toPolicy(options.retry, 'retry'),
    retryOptions: isRetryOptions(options.retry) ? options.retry : undefined,
    beforeRetry: options.beforeRetry === undefined ? undefined : expectFunction<BeforeRetryHook>('beforeRetry', options.beforeRetry),
    maxWait: maxWaitOf(options.retry),
    timeout: normalizeTimeout(options.timeout, clientDefaults.timeout, 'timeout'),
    dispatcher: options.dispatcher,
    maxReplayBytes: expectNumber('maxReplayBytes', options.maxReplayBytes ?? clientDefaults.maxReplayBytes),
    limits: normalizeLimits(options.limits),
    rate: normalizeRate(options.rate),
    budget: options.budget === false ? false : normalizeRetryBudgetOptions(expectObject('budget', options.budget ?? {}) as RetryBudgetOptions),
    key: options.key === undefined ? (url) => url.origin : expectFunction('key', options.key),
    buckets: expectBoolean('buckets', options.buckets ?? clientDefaults.buckets),
    idleTimeout: expectDuration('idleTimeout', options.idleTimeout ?? clientDefaults.idleTimeout, { min: 1 }),
    closeGrace: expectDuration('closeGrace', options.closeGrace ?? clientDefaults.closeGrace),
    now,
    store: options.store === undefined ? createMemoryStore() : normalizeStore(options.store),
  };
}

function normalizeStore(store: unknown): StateStore {
  if (typeof (store as StateStore | null)?.open !== 'function') throw new InvalidOptionError('store', 'a StateStore (with an open method), such as redisStore()', store);
  return store as StateStore;
}

function maxWaitOf(retry: RetrySetting | undefined): number {
  const configured = retry && typeof (retry as RetryPolicy).decide !== 'function' ? (retry as RetryOptions).maxRetryAfter : undefined;
  return configured ?? retryDefaults.maxRetryAfter;
}

function normalizeLimits(input: LimitOptions | undefined): Required<LimitOptions> {
  const limits = expectObject('limits', input ?? {}) as LimitOptions;
  expectKnownKeys('limits', limits as Record<string, unknown>, ['concurrency', 'maxQueue', 'overflow', 'queueTimeout']);
  const defaults = clientDefaults.limits;
  const concurrency = limits.concurrency ?? defaults.concurrency;
  return {
    concurrency:
      concurrency === 'adaptive' ? concurrency : expectInteger('limits.concurrency', concurrency, 1),
    maxQueue: expectInteger('limits.maxQueue', limits.maxQueue ?? defaults.maxQueue, 1),
    overflow: expectOneOf('limits.overflow', limits.overflow ?? defaults.overflow, overflowPolicies),
    queueTimeout: positive('limits.queueTimeout', limits.queueTimeout ?? defaults.queueTimeout),
  };
}

function normalizeRate(rate: ClientOptions['rate']): 'adaptive' | number | false {
  if (rate === undefined) return clientDefaults.rate;
  if (rate === 'adaptive' || rate === false) return rate;
  if (typeof rate === 'number' && rate > 0 && Number.isFinite(rate)) return rate;
  throw new InvalidOptionError('rate', "'adaptive', false, or a number of requests per second above 0", rate);
}

/** Applies per-request overrides on top of the client's settings; the common case costs nothing. */
export function resolveRequestOptions(
  client: NormalizedClientOptions,
  request: RequestOptions,
  /** Where the caller wrote these options, for error messages (`init.sluice` for fetch). */
  name = 'init.sluice',
): Pick<NormalizedClientOptions, 'policy' | 'timeout' | 'maxWait'> & { priority: number } {
  const retry = request.retry === undefined ? client : requestRetry(client, request.retry, `${name}.retry`);
  return {
    policy: retry.policy,
    maxWait: retry.maxWait,
    timeout:
      request.timeout === undefined ? client.timeout : normalizeTimeout(request.timeout, client.timeout, `${name}.timeout`),
    // Finite: the queue orders by it, and ±Infinity would only fail there, under load.
    priority: request.priority === undefined ? 0 : expectFiniteNumber(`${name}.priority`, request.priority),
  };
}

/**
 * A request's retry setting over the client's. Options override only the fields they name, as
 * `timeout` does; over a client with a policy or `false`, they apply over the defaults.
 */
function requestRetry(
  client: NormalizedClientOptions,
  setting: RetrySetting,
  name: string,
): Pick<NormalizedClientOptions, 'policy' | 'maxWait'> {
  if (!isRetryOptions(setting)) return { policy: toPolicy(setting, name), maxWait: maxWaitOf(setting) };
  // Checked on its own first, so a bad field is reported under the name the caller wrote.
  normalizeRetryOptions(setting, name);
  const base = client.retryOptions ?? {};
  const own = definedFields(setting);
  const merged: RetryOptions = { ...base, ...own };
  if (base.backoff !== undefined && own.backoff !== undefined) merged.backoff = { ...base.backoff, ...definedFields(own.backoff) };
  const normalized = normalizeRetryOptions(merged, name);
  return { policy: retryPolicyFrom(normalized), maxWait: normalized.maxRetryAfter };
}

/** An options object, as opposed to `false`, `undefined` or a `RetryPolicy`. */
function isRetryOptions(setting: RetrySetting | undefined): setting is RetryOptions {
  return typeof setting === 'object' && setting !== null && typeof (setting as RetryPolicy).decide !== 'function';
}

/** `{ a: undefined }` names no field: it must not override the client's `a` with the default. */
function definedFields<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, field] of Object.entries(value)) if (field !== undefined) out[key as keyof T] = field as T[keyof T];
  return out;
}

function toPolicy(setting: RetrySetting | undefined, name: string): RetryPolicy | undefined {
  if (setting === false) return undefined;
  if (setting !== undefined && typeof (setting as RetryPolicy).decide === 'function') return setting as RetryPolicy;
  return retryPolicyFrom(normalizeRetryOptions(setting as RetryOptions | undefined, name));
}

function normalizeTimeout(
  input: TimeoutOptions | undefined,
  base: Required<TimeoutOptions>,
  name: string,
): Required<TimeoutOptions> {
  if (input === undefined) return base;
  const timeout = expectObject(name, input) as TimeoutOptions;
  expectKnownKeys(name, timeout as Record<string, unknown>, ['attempt', 'total']);
  return {
    attempt: positive(`${name}.attempt`, timeout.attempt ?? base.attempt),
    total: positive(`${name}.total`, timeout.total ?? base.total),
  };
}

/** A timeout: above 0 ms, and within what a timer can hold (or Infinity for none). */
function positive(name: string, value: unknown): number {
  return expectDuration(name, value, { aboveMin: true });
}
