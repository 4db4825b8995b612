// The flags every request-sending command shares (concurrency, rate, retries, timeout, headers)
// and how they become `createClient()` options — one definition so `run` and `get` agree.

import type { ParseArgsOptionsConfig } from 'node:util';
import type { ClientOptions } from '../client-options.js';
import { parseCount, parseCountOrAdaptive, parseDuration, parseHeader, parseRate } from './args.js';

export const clientFlagOptions = {
  concurrency: { type: 'string' },
  rate: { type: 'string' },
  'max-retries': { type: 'string' },
  timeout: { type: 'string' },
  header: { type: 'string', short: 'H', multiple: true },
} as const satisfies ParseArgsOptionsConfig;

export interface ClientFlagValues {
  concurrency?: string;
  rate?: string;
  'max-retries'?: string;
  timeout?: string;
  header?: string[];
}

export const clientFlagHelp = `  --concurrency <n|adaptive>  requests in flight per origin; adaptive starts at 10 and
                              grows while the origin is healthy (default: adaptive)
  --rate <n|adaptive|off>     requests per second per origin; adaptive learns it from
                              429s and rate-limit headers (default: adaptive)
  --max-retries <n>           retries per request after the first attempt (default: 5)
  --timeout <duration>        limit per attempt until the response headers, e.g. 500ms,
                              30s, 2m; a bare number is seconds (default: none)
  -H, --header 'Name: value'  add a header to every request (repeatable)`;

/** Validates the shared flags; throws `UsageError` naming the flag. */
export function clientOptionsFrom(values: ClientFlagValues): { client: ClientOptions; headers: [string, string][] } {
  const client: ClientOptions = {};
  if (values.concurrency !== undefined) client.limits = { concurrency: parseCountOrAdaptive('--concurrency', values.concurrency) };
  if (values.rate !== undefined) client.rate = parseRate(values.rate);
  if (values['max-retries'] !== undefined) {
    client.retry = { maxRetries: parseCount('--max-retries', values['max-retries'], 0, '', 1000) };
  }
  if (values.timeout !== undefined) client.timeout = { attempt: parseDuration('--timeout', values.timeout) };
  return { client, headers: (values.header ?? []).map(parseHeader) };
}
