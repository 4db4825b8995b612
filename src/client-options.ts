// The options of `createClient()` and of each request, with their defaults in one place and
// eager validation, so a bad option fails when the client is made, naming what was wrong.

import type { Dispatcher } from 'undici';
import { InvalidOptionError } from './errors.js';
import { normalizeRetryOptions, retryPolicyFrom, type RetryOptions, type RetryPolicy } from './retry/policy.js';
import { expectFunction, expectKnownKeys, expectNumber, expectObject } from './validate.js';

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
  timeout?: TimeoutOptions;
  /**
   * The undici Dispatcher to send through (a ProxyAgent, a mock agent, …). When absent the client
   * owns an `Agent` and closes it in `close()`.
   */
  dispatcher?: Dispatcher;
  /**
   * Bytes of a stream request body kept so it can be re-sent; a longer stream is not retried
   * once it started.
   * @default 1048576
   */
  maxReplayBytes?: number;
  /** Clock in epoch ms (tests inject one). @default Date.now */
  now?: () => number;
}

/** Per-request options, read from fetch's `init` beside the standard members. */
export interface RequestOptions {
  retry?: RetrySetting;
  timeout?: TimeoutOptions;
}

export const clientDefaults = {
  timeout: { attempt: Infinity, total: Infinity },
  maxReplayBytes: 1024 * 1024,
} as const;

export interface NormalizedClientOptions {
  policy: RetryPolicy | undefined;
  timeout: Required<TimeoutOptions>;
  dispatcher: Dispatcher | undefined;
  maxReplayBytes: number;
  now: () => number;
}

const clientKeys = ['retry', 'timeout', 'dispatcher', 'maxReplayBytes', 'now'] as const;

export function normalizeClientOptions(input: ClientOptions = {}): NormalizedClientOptions {
  const options = expectObject('options', input) as ClientOptions;
  expectKnownKeys('options', options as Record<string, unknown>, clientKeys);
  if (options.dispatcher !== undefined && typeof options.dispatcher?.dispatch !== 'function') {
    throw new InvalidOptionError('dispatcher', 'an undici Dispatcher (with a dispatch method)', options.dispatcher);
  }
  return {
    policy: toPolicy(options.retry, 'retry'),
    timeout: normalizeTimeout(options.timeout, clientDefaults.timeout, 'timeout'),
    dispatcher: options.dispatcher,
    maxReplayBytes: expectNumber('maxReplayBytes', options.maxReplayBytes ?? clientDefaults.maxReplayBytes),
    now: options.now === undefined ? Date.now : expectFunction('now', options.now),
  };
}

/** Applies per-request overrides on top of the client's settings; the common case costs nothing. */
export function resolveRequestOptions(
  client: NormalizedClientOptions,
  request: RequestOptions,
): Pick<NormalizedClientOptions, 'policy' | 'timeout'> {
  return {
    policy: request.retry === undefined ? client.policy : toPolicy(request.retry, 'init.retry'),
    timeout:
      request.timeout === undefined ? client.timeout : normalizeTimeout(request.timeout, client.timeout, 'init.timeout'),
  };
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

function positive(name: string, value: unknown): number {
  const ms = expectNumber(name, value, 0);
  if (ms === 0) throw new InvalidOptionError(name, 'a number of ms above 0 (or Infinity)', value);
  return ms;
}
