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
 * Read a response's rate-limit headers, whatever the dialect.
 *
 * @param headers - the response headers.
 * @param now - epoch ms the response was received at, for dialects with absolute resets.
 * @returns the first usable observation in order IETF, Discord, OpenAI, Anthropic,
 * X-RateLimit, IETF legacy; `undefined` when none is usable. Never throws.
 */
export function parseRateLimitHeaders(headers: HeaderReader, now = Date.now()): RateLimitObservation | undefined {
  for (const parse of PARSERS) {
    const observation = parse(headers, now);
    if (observation !== undefined) return observation;
  }
  return undefined;
}
