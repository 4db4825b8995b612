// Detects which rate-limit dialect a response speaks and returns one normalised observation,
// so the gate can pace proactively without knowing the vendor.

import type { HeaderReader } from '../headers.js';
import { parseAnthropic } from './anthropic.js';
import { parseDiscord } from './discord.js';
import { parseIetf } from './ietf.js';
import { parseIetfLegacy } from './ietf-legacy.js';
import { parseOpenAI } from './openai.js';
import type { RateLimitObservation } from './types.js';
import { parseXRateLimit } from './x-ratelimit.js';

/** A pure dialect parser: `undefined` when the dialect's headers are absent or unusable. */
export type RateLimitParser = (headers: HeaderReader, now: number) => RateLimitObservation | undefined;

/**
 * Most specific first. Discord must precede the generic X-RateLimit family it extends, and the
 * IETF fields come first because a server (or gateway) that sends them alongside an older
 * family means them as the authoritative one. A dialect whose headers are present but unusable
 * yields to the next, so a garbled IETF field does not hide a valid X-RateLimit set.
 */
const PARSERS: readonly RateLimitParser[] = [
  parseIetf,
  parseDiscord,
  parseOpenAI,
  parseAnthropic,
  parseXRateLimit,
  parseIetfLegacy,
];

/**
 * Every field a dialect parser reads: `RateLimit*`, `X-RateLimit-*`, `X-Rate-Limit-*`,
 * `anthropic-ratelimit-*`. A parser that reads a new field must keep to these names.
 */
const RATE_LIMIT_FIELD = /^(?:x-|anthropic-)?rate-?limit/i;

/** A reader that can also list its field names, as fetch's `Headers` and the interceptor's reader can. */
interface ListableHeaders extends HeaderReader {
  keys(): Iterable<string>;
}

/**
 * False only when the headers can be listed and none is a rate-limit field. Every response goes
 * through `parseRateLimitHeaders`, and most carry none of these fields: one pass over the names
 * is far cheaper than the twenty lookups the parsers make, and since a parser only reads these
 * fields the result is the same (`undefined`) either way.
 */
function mayHaveRateLimitFields(headers: HeaderReader): boolean {
  if (typeof (headers as Partial<ListableHeaders>).keys !== 'function') return true;
  for (const name of (headers as ListableHeaders).keys()) {
    if (RATE_LIMIT_FIELD.test(name)) return true;
  }
  return false;
}

/**
 * Read a response's rate-limit headers, whatever the dialect.
 *
 * @param headers - the response headers.
 * @param now - epoch ms the response was received at, for dialects with absolute resets.
 * @returns the first usable observation in order IETF, Discord, OpenAI, Anthropic,
 * X-RateLimit, IETF legacy; `undefined` when none is usable. Never throws.
 */
export function parseRateLimitHeaders(headers: HeaderReader, now = Date.now()): RateLimitObservation | undefined {
  if (!mayHaveRateLimitFields(headers)) return undefined;
  for (const parse of PARSERS) {
    const observation = parse(headers, now);
    if (observation !== undefined) return observation.dialect === 'ietf' ? withLegacyFields(observation, headers, now) : observation;
  }
  return undefined;
}

/**
 * A policy alone (`RateLimit-Policy: 100;w=1`) beside the earlier drafts' separate fields is how
 * express-rate-limit's draft-6 mode speaks: the policy states the quota and window, the legacy
 * fields what is left and when it resets. Read alone, the policy paced with nothing known about
 * `remaining` (measured: 2.3 × ideal against a 100-per-second window).
 */
function withLegacyFields(observation: RateLimitObservation, headers: HeaderReader, now: number): RateLimitObservation {
  if (observation.remaining !== undefined && observation.resetMs !== undefined) return observation;
  const legacy = parseIetfLegacy(headers, now);
  if (legacy === undefined) return observation;
  return {
    ...observation,
    remaining: observation.remaining ?? legacy.remaining,
    resetMs: observation.resetMs ?? legacy.resetMs,
    limit: observation.limit ?? legacy.limit,
  };
}
