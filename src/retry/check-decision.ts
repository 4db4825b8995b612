// Checks what a retry policy decided before the attempt loop acts on it: a custom policy is user
// code, and a missing or absurd answer must fail the request with a clear error, not a hang.

import { MAX_DELAY_MS, expectDuration } from '../duration.js';
import { InvalidOptionError } from '../errors.js';
import type { RetryDecision } from './policy.js';

/** How the error names the result, whoever set the policy (the client, or one request). */
const NAME = 'retry.decide() result';
const SHAPE = `{ retry: false, reason } or { retry: true, delay: a number of ms from 0 to ${MAX_DELAY_MS}, source: 'server' | 'backoff' }`;

/**
 * Returns `value` when it is a decision the loop can act on; else throws `InvalidOptionError`
 * naming what was wrong. A delay must be one a timer can hold: `Infinity` or 1e12 would sleep
 * until Node's 24.8-day timer limit (which turns longer ones into 1 ms) and is refused instead.
 */
export function checkDecision(value: unknown): RetryDecision {
  if (typeof value !== 'object' || value === null || typeof (value as { retry?: unknown }).retry !== 'boolean') {
    throw new InvalidOptionError(NAME, SHAPE, value);
  }
  const decision = value as RetryDecision;
  if (!decision.retry) return decision;
  expectDuration(`${NAME}.delay`, decision.delay, { infinity: false });
  if (decision.source !== 'server' && decision.source !== 'backoff') {
    throw new InvalidOptionError(`${NAME}.source`, "'server' or 'backoff'", decision.source);
  }
  return decision;
}
