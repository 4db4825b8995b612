// The flags every request-sending command shares (concurrency, rate, retries, timeout, headers)
// and how they become `createClient()` options — one definition so `run` and `get` agree.

import type { ParseArgsOptionsConfig } from 'node:util';
import type { ClientOptions } from '../client-options.js';
import { retryDefaults, type RetryOptions } from '../retry/policy.js';
import { parseCount, parseCountOrAdaptive, parseDuration, parseHeader, parseRate } from './args.js';
import { UsageError } from './cli-errors.js';

/** Flags for how each request is sent and retried: `run` and `get`. */
export const requestFlagOptions = {
  'max-retries': { type: 'string' },
  'retry-method': { type: 'string', multiple: true },
  'retry-status': { type: 'string', multiple: true },
  'max-retry-after': { type: 'string' },
  timeout: { type: 'string' },
  header: { type: 'string', short: 'H', multiple: true },
} as const satisfies ParseArgsOptionsConfig;

/** Flags for many requests to one origin at once: `run` only. */
export const originFlagOptions = {
  concurrency: { type: 'string' },
  rate: { type: 'string' },
} as const satisfies ParseArgsOptionsConfig;

export interface ClientFlagValues {
  concurrency?: string;
  rate?: string;
  'max-retries'?: string;
  'retry-method'?: string[];
  'retry-status'?: string[];
  'max-retry-after'?: string;
  timeout?: string;
  header?: string[];
}

export const originFlagHelp = `  --concurrency <n|adaptive>  requests in flight per origin; adaptive starts
                              at 10 and grows while the origin is healthy
                              (default: adaptive)
  --rate <n|adaptive|off>     requests per second per origin; adaptive learns
                              it from 429s and rate-limit headers
                              (default: adaptive)`;

export const requestFlagHelp = `  --max-retries <n>           retries after the first attempt (default: ${retryDefaults.maxRetries})
  --retry-method <method>     also retry this method once it was sent, e.g.
                              POST after a 429 (repeatable or comma-separated;
                              GET HEAD OPTIONS PUT DELETE TRACE QUERY always
                              are, and so is a request with Idempotency-Key)
  --retry-status <code>       also retry this status (repeatable or comma-
                              separated; default: ${retryDefaults.statusCodes.join(' ')})
  --max-retry-after <dur>     longest server-asked wait (Retry-After) to sleep
                              through; a longer one fails the request at once
                              (default: 60s)
  --timeout <dur>             limit per attempt until the response headers
                              (default: none)
  -H, --header 'Name: value'  add a header to every request (repeatable);
                              User-Agent is sluice/<version> unless set`;

export const durationHelp = 'Durations are written as 500ms, 30s, 2m, 1m30s or 1h; a bare number is seconds.';

/** Validates the shared flags; throws `UsageError` naming the flag. */
export function clientOptionsFrom(values: ClientFlagValues): { client: ClientOptions; headers: [string, string][] } {
  const client: ClientOptions = {};
  if (values.concurrency !== undefined) client.limits = { concurrency: parseCountOrAdaptive('--concurrency', values.concurrency) };
  if (values.rate !== undefined) client.rate = parseRate(values.rate);
  const retry: RetryOptions = {};
  if (values['max-retries'] !== undefined) retry.maxRetries = parseCount('--max-retries', values['max-retries'], 0, '', 1000);
  if (values['retry-method'] !== undefined) {
    const extra = listOf(values['retry-method']).map((method) => {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method)) throw new UsageError(`--retry-method needs an HTTP method like POST, got "${method}"`);
      return method.toUpperCase();
    });
    retry.methods = [...new Set([...retryDefaults.methods, ...extra])];
  }
  if (values['retry-status'] !== undefined) {
    const extra = listOf(values['retry-status']).map((status) => parseCount('--retry-status', status, 100, '(an HTTP status)', 599));
    retry.statusCodes = [...new Set([...retryDefaults.statusCodes, ...extra])];
  }
  if (values['max-retry-after'] !== undefined) {
    retry.maxRetryAfter = parseDuration('--max-retry-after', values['max-retry-after'], { allowZero: true });
  }
  if (Object.keys(retry).length > 0) client.retry = retry;
  if (values.timeout !== undefined) client.timeout = { attempt: parseDuration('--timeout', values.timeout) };
  return { client, headers: (values.header ?? []).map(parseHeader) };
}

/** Values of a repeatable flag that may also be comma-separated. */
function listOf(values: readonly string[]): string[] {
  return values.flatMap((value) => value.split(',')).map((value) => value.trim()).filter((value) => value !== '');
}
