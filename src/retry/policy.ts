// The retry policy decides *whether* an attempt is retried and *how long* to wait first. It sees
// one attempt's outcome and returns stop or a delay; the attempt loop and the gate do the rest.

import type { HeaderReader } from '../headers.js';
import { type AttemptOutcome, type AttemptSignal, classifyAttempt } from '../signal/attempt-signal.js';
import {
  expectFunction,
  expectInteger,
  expectKnownKeys,
  expectNumber,
  expectObject,
  expectOneOf,
} from '../validate.js';
import { InvalidOptionError } from '../errors.js';
import { type BackoffOptions, backoffDelay, jitterKinds } from './backoff.js';
import { errorCode } from '../engine/transport-error.js';

export type { AttemptOutcome } from '../signal/attempt-signal.js';

export interface RetryContext {
  /** Retries already made for this request (0 after the first attempt). */
  retries: number;
  /** Upper-case request method. */
  method: string;
  /** The request carries an `Idempotency-Key` header, so re-sending it is safe whatever the method. */
  idempotencyKey: boolean;
  /** The request body can be sent again (or there is none). */
  replayable: boolean;
  outcome: AttemptOutcome;
  /** What the outcome means (served, refused for rate or capacity, transport error), with its server time. */
  signal: AttemptSignal;
  /**
   * The key's concurrency window already holds a retry of this capacity refusal back: it was cut
   * below the level refused and the requests still out fill it, so the retry can wait in the
   * gate for room instead of on a backoff (and costs no retry budget).
   */
  windowHeld: boolean;
  /** ms left before the request's total deadline; Infinity without one. */
  remainingMs: number;
  /** The delay chosen before the previous retry (0 before the first). */
  previousDelay: number;
  /** Epoch ms, from the client's clock. */
  now: number;
}

export type StopReason =
  | 'success'
  | 'status-not-retried'
  | 'method-not-retried'
  | 'error-not-retried'
  | 'body-not-replayable'
  | 'max-retries'
  | 'retry-after-too-long'
  | 'server-declined'
  | 'deadline';

export type RetryDecision =
  | { retry: false; reason: StopReason; /** When the server asked for a time past the caps. */ retryAt?: number }
  | { retry: true; delay: number; source: 'server' | 'backoff' };

/**
 * Pluggable: given an attempt and its outcome, stop or wait `delay` ms and try again. The answer
 * may be a promise (ask a quota service, say): the request waits for it, holding no gate slot.
 */
export interface RetryPolicy {
  decide(context: RetryContext): RetryDecision | Promise<RetryDecision>;
}

/** A policy that always decides at once, as the default one does (so a wrapper can call it inline). */
export interface ImmediateRetryPolicy extends RetryPolicy {
  decide(context: RetryContext): RetryDecision;
}

export interface RetryOptions {
  /**
   * Retries after the first attempt (so at most `maxRetries + 1` attempts). Five covers a
   * couple of rate-limit pauses plus transient errors; the retry budget bounds the total anyway.
   * @default 5
   */
  maxRetries?: number;
  /**
   * Response statuses that are retried: the ones that mean "not now" rather than "never"
   * (529 is the "overloaded" status some APIs, Anthropic's among them, send). A 403 that
   * carries a rate-limit signal (GitHub's secondary limits) is retried too.
   * @default [408, 429, 500, 502, 503, 504, 529]
   */
  statusCodes?: readonly number[];
  /**
   * Methods that may be re-sent after the request left. Others (POST, PATCH) are only re-sent
   * with an `Idempotency-Key` header, or when the error proves the request never left.
   * @default ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE', 'QUERY']
   */
  methods?: readonly string[];
  /** Backoff used when the server gives no time. */
  backoff?: Partial<BackoffOptions>;
  /**
   * Longest server-requested wait (ms) that sluice sleeps through. Longer requests return the
   * response at once instead of hanging (and never retry early).
   * @default 60000
   */
  maxRetryAfter?: number;
  /** Source of randomness for jitter (tests inject one). @default Math.random */
  random?: () => number;
}

export const retryDefaults = {
  maxRetries: 5,
  statusCodes: [408, 429, 500, 502, 503, 504, 529],
  methods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE', 'QUERY'],
  backoff: { base: 200, max: 30_000, jitter: 'full' },
  maxRetryAfter: 60_000,
} as const satisfies Omit<Required<RetryOptions>, 'random'>;

export interface NormalizedRetryOptions {
  maxRetries: number;
  statusCodes: ReadonlySet<number>;
  methods: ReadonlySet<string>;
  backoff: BackoffOptions;
  maxRetryAfter: number;
  random: () => number;
}

const retryKeys = ['maxRetries', 'statusCodes', 'methods', 'backoff', 'maxRetryAfter', 'random'] as const;

/** Validates and fills in `RetryOptions`; throws `InvalidOptionError` naming the bad option. */
export function normalizeRetryOptions(input: RetryOptions = {}, name = 'retry'): NormalizedRetryOptions {
  const options = expectObject(name, input) as RetryOptions;
  expectKnownKeys(name, options as Record<string, unknown>, retryKeys);
  const backoff = expectObject(`${name}.backoff`, options.backoff ?? {}) as Partial<BackoffOptions>;
  expectKnownKeys(`${name}.backoff`, backoff as Record<string, unknown>, ['base', 'max', 'jitter']);
  const normalizedBackoff: BackoffOptions = {
    base: expectNumber(`${name}.backoff.base`, backoff.base ?? retryDefaults.backoff.base, 0, 1e9),
    max: expectNumber(`${name}.backoff.max`, backoff.max ?? retryDefaults.backoff.max, 0, 1e9),
    jitter: expectOneOf(`${name}.backoff.jitter`, backoff.jitter ?? retryDefaults.backoff.jitter, jitterKinds),
  };
  return {
    maxRetries: expectInteger(`${name}.maxRetries`, options.maxRetries ?? retryDefaults.maxRetries, 0, 1000),
    statusCodes: new Set(statusList(`${name}.statusCodes`, options.statusCodes ?? retryDefaults.statusCodes)),
    methods: new Set(methodList(`${name}.methods`, options.methods ?? retryDefaults.methods)),
    backoff: normalizedBackoff,
    maxRetryAfter: expectNumber(`${name}.maxRetryAfter`, options.maxRetryAfter ?? retryDefaults.maxRetryAfter),
    random: options.random === undefined ? Math.random : expectFunction(`${name}.random`, options.random),
  };
}

function statusList(name: string, value: unknown): number[] {
  if (!Array.isArray(value)) throw new InvalidOptionError(name, 'an array of HTTP status codes', value);
  return value.map((status, index) => expectInteger(`${name}[${index}]`, status, 100, 599));
}

function methodList(name: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw new InvalidOptionError(name, 'an array of HTTP method names', value);
  return value.map((method, index) => {
    if (typeof method !== 'string' || !/^[A-Za-z]+$/.test(method)) {
      throw new InvalidOptionError(`${name}[${index}]`, 'an HTTP method name', method);
    }
    return method.toUpperCase();
  });
}

/**
 * The largest upward jitter added to a server-given delay: a twentieth of it, at most one second.
 * Upward only, because retrying before the server's time is exactly what it asked us not to do;
 * small, because a retry that arrives well after the server's time wastes it (a tenth, with the
 * timer's and the network's own lateness, often took a retry past reset + 10 %).
 */
function serverJitter(delay: number, random: () => number): number {
  return random() * Math.min(delay * 0.05, 1000);
}

/**
 * The server-given delay a refusal with these headers carries, if any: `retry-after-ms`, then
 * `Retry-After`, then a rate-limit reset (the quota is spent, or nothing else names a time).
 * Malformed values are ignored, so the caller falls back to backoff rather than giving up.
 */
export function serverDelayOf(headers: HeaderReader, now: number): number | undefined {
  return classifyAttempt({ type: 'response', status: 429, headers }, now).serverDelay;
}

/** The default policy: retried statuses and errors split by phase, server time wins, caps return. */
export function createRetryPolicy(options: RetryOptions = {}): ImmediateRetryPolicy {
  return retryPolicyFrom(normalizeRetryOptions(options));
}

/** The default policy over options already normalised (the client validates once, up front). */
export function retryPolicyFrom(config: NormalizedRetryOptions): ImmediateRetryPolicy {
  return { decide: (context) => decide(config, context) };
}

function decide(config: NormalizedRetryOptions, context: RetryContext): RetryDecision {
  const refusal = whyNotRetryable(config, context);
  if (refusal) return { retry: false, reason: refusal };
  if (context.retries >= config.maxRetries) return { retry: false, reason: 'max-retries' };

  const server = context.signal.serverDelay;
  if (server !== undefined) {
    // Caps, not hangs: a wait longer than allowed is not started, and never shortened either.
    const retryAt = context.now + server;
    if (server > config.maxRetryAfter) return { retry: false, reason: 'retry-after-too-long', retryAt };
    if (server > context.remainingMs) return { retry: false, reason: 'deadline', retryAt };
    const delay = server + serverJitter(server, config.random);
    return { retry: true, delay: Math.min(delay, context.remainingMs), source: 'server' };
  }
  // The gate is the backpressure here: the retry waits in its queue for a slot the window allows,
  // where a backoff would sleep on while slots free up (a 200 ms tail against 50 ms requests).
  // First retry only, so a refusal that keeps coming back still backs off and spreads out.
  if (context.windowHeld && context.retries === 0) return { retry: true, delay: 0, source: 'backoff' };
  const delay = backoffDelay(context.retries + 1, config.backoff, config.random, context.previousDelay);
  if (delay > context.remainingMs) return { retry: false, reason: 'deadline' };
  return { retry: true, delay, source: 'backoff' };
}

function whyNotRetryable(config: NormalizedRetryOptions, context: RetryContext): StopReason | undefined {
  const { outcome } = context;
  if (outcome.type === 'response') {
    const { status, headers } = outcome;
    if (!config.statusCodes.has(status) && context.signal.kind !== 'rate-refusal') {
      return status < 400 ? 'success' : 'status-not-retried';
    }
    // Vendors that know better say so (OpenAI's x-should-retry, Stripe's Stripe-Should-Retry).
    if (headers.get('x-should-retry') === 'false' || headers.get('stripe-should-retry') === 'false') {
      return 'server-declined';
    }
  } else if (!outcome.sent) {
    // Provably never sent: safe for any method, as long as the body can be offered again.
    return context.replayable ? undefined : 'body-not-replayable';
  } else if (!isTransientError(outcome.error)) {
    return 'error-not-retried';
  }
  if (!config.methods.has(context.method) && !context.idempotencyKey) return 'method-not-retried';
  if (!context.replayable) return 'body-not-replayable';
  return undefined;
}

/** undici error codes a retry cannot fix: the request is invalid or the dispatcher is gone. */
const permanentCodes = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_INVALID_RETURN_VALUE',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_EXCEEDED_MAX_SIZE',
  'UND_ERR_HEADERS_OVERFLOW',
]);

/** Errors that a retry can fix: transport failures and timeouts, not bugs or bad input. */
function isTransientError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TimeoutError') return true;
  const code = errorCode(error);
  if (code !== undefined && permanentCodes.has(code)) return false;
  // undici's fetch wraps every transport failure as `TypeError: fetch failed` with a coded cause;
  // one without a code ("bad port", an invalid header) is a request no retry can fix.
  return error instanceof TypeError ? code !== undefined : true;
}
