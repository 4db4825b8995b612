// Small value parsers shared by the plain-text rate-limit dialects (numbers, resets, buckets),
// so every dialect rounds, clamps and rejects the same way.

import { clampDelay, decimalToMs } from '../retry/retry-after.js';
import type { RateLimitDialect, RateLimitObservation } from './types.js';

/** Longest bucket name kept: the gate keys on it, and a key must stay small. */
export const MAX_BUCKET_LENGTH = 256;

/**
 * Reset values at or above this are epoch milliseconds (1e12 ms is September 2001); a delta
 * that large would be 31,000 years.
 */
export const EPOCH_MS_THRESHOLD = 1e12;

/**
 * Reset values at or above this (and below {@link EPOCH_MS_THRESHOLD}) are epoch seconds (1e9 s
 * is September 2001); below it they are delta seconds. A delta of 1e9 s would be 31 years, and
 * no real epoch timestamp is below it, so the two readings cannot be confused.
 */
export const EPOCH_SECONDS_THRESHOLD = 1e9;

const DECIMAL = /^\d+(?:\.\d+)?$/;

/**
 * The numbers of a field such as `"59"`, `"99.0"`, `"59, 59"` (a repeated field joined by the
 * fetch `Headers` class) or `"100, 100;w=60"` (draft-03 style, parameters ignored).
 *
 * @returns the trimmed decimal texts, or `undefined` when the field is absent, empty, or any
 * element is not a non-negative decimal (so a garbled field is ignored, never half-read).
 */
export function numberTexts(value: string | null): string[] | undefined {
  if (value === null) return undefined;
  const texts: string[] = [];
  for (const element of value.split(',')) {
    const semicolon = element.indexOf(';');
    const text = (semicolon === -1 ? element : element.slice(0, semicolon)).trim();
    if (!DECIMAL.test(text)) return undefined;
    texts.push(text);
  }
  return texts;
}

function toCount(text: string): number {
  // Floor: a fractional count ("99.0" from Reddit) never grants more than was said.
  return Math.min(Math.floor(Number(text)), Number.MAX_SAFE_INTEGER);
}

/**
 * A request count (limit, remaining, used) from a header value. When a repeated field carries
 * several numbers the smallest is taken: it is the one that throttles first.
 *
 * @returns an integer in `[0, Number.MAX_SAFE_INTEGER]`, or `undefined` when absent/malformed.
 */
export function parseCount(value: string | null): number | undefined {
  const texts = numberTexts(value);
  if (texts === undefined) return undefined;
  // reduce, not Math.min(...spread): a field of a million joined values must not overflow the stack.
  return texts.reduce((least, text) => Math.min(least, toCount(text)), Number.MAX_SAFE_INTEGER);
}

/**
 * A quota from a limit field. A draft-03 style list (`"100, 100;w=60, 10000;w=86400"`, also
 * sent by WHOOP as X-RateLimit-Limit) puts the expiring limit first, and the rest describe
 * policies, so its first element is the limit; otherwise repeats are read as by
 * {@link parseCount}.
 */
export function parseLimit(value: string | null): number | undefined {
  const texts = numberTexts(value);
  if (texts === undefined) return undefined;
  return value!.includes(';') ? toCount(texts[0]!) : parseCount(value);
}

/**
 * The window, in ms, that a draft-03 style limit list states for the given limit, as in
 * `"100, 100;w=60, 1000;w=86400"` (or WHOOP's `window=`).
 */
export function windowForLimit(value: string | null, limit: number | undefined): number | undefined {
  if (value === null || limit === undefined) return undefined;
  for (const element of value.split(',')) {
    const [quota, ...params] = element.split(';').map((part) => part.trim());
    if (quota === undefined || !/^\d+$/.test(quota) || Number(quota) !== limit) continue;
    for (const param of params) {
      const m = /^(?:w|window)\s*=\s*(\d+)$/.exec(param);
      if (m !== null && Number(m[1]) > 0) return clampDelay(Number(m[1]) * 1000);
    }
  }
  return undefined;
}

/**
 * ms until a reset given as one decimal number whose meaning is told apart by magnitude:
 * `>= 1e12` epoch ms, `>= 1e9` epoch seconds, otherwise delta seconds (see the thresholds).
 *
 * @returns ms in `[0, MAX_DELAY_MS]` (a reset in the past gives 0).
 */
export function resetFromNumber(text: string, now: number): number {
  const value = Number(text);
  if (value >= EPOCH_MS_THRESHOLD) return clampDelay(decimalToMs(text, 1)! - now);
  if (value >= EPOCH_SECONDS_THRESHOLD) return clampDelay(decimalToMs(text, 1000)! - now);
  return clampDelay(decimalToMs(text, 1000)!);
}

/**
 * A reset header read with {@link resetFromNumber}. A repeated field takes the latest reset:
 * waiting for it is never too early.
 */
export function parseReset(value: string | null, now: number): number | undefined {
  const texts = numberTexts(value);
  if (texts === undefined) return undefined;
  return texts.reduce((latest, text) => Math.max(latest, resetFromNumber(text, now)), 0);
}

/** A bucket or partition name, trimmed; absent when empty or implausibly long. */
export function parseBucket(value: string | null): string | undefined {
  const bucket = value?.trim();
  return bucket === undefined || bucket === '' || bucket.length > MAX_BUCKET_LENGTH ? undefined : bucket;
}

/** The fields an observation may carry, before absent ones are dropped. */
export interface ObservationFields {
  limit?: number | undefined;
  remaining?: number | undefined;
  windowMs?: number | undefined;
  resetMs?: number | undefined;
  bucket?: string | undefined;
}

/**
 * Assemble an observation, leaving out absent fields. It is `undefined` unless it says
 * something the gate can pace by (a limit, a remaining count or a reset): a bucket alone is not.
 */
export function toObservation(dialect: RateLimitDialect, fields: ObservationFields): RateLimitObservation | undefined {
  const { limit, remaining, windowMs, resetMs, bucket } = fields;
  if (limit === undefined && remaining === undefined && resetMs === undefined) return undefined;
  const observation: RateLimitObservation = { dialect };
  if (limit !== undefined) observation.limit = limit;
  if (remaining !== undefined) observation.remaining = remaining;
  if (windowMs !== undefined) observation.windowMs = windowMs;
  if (resetMs !== undefined) observation.resetMs = resetMs;
  if (bucket !== undefined) observation.bucket = bucket;
  return observation;
}
