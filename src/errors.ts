// sluice's own refusals, as typed errors. Network failures stay `TypeError` and aborts keep the
// signal's reason (fetch semantics); everything sluice decides on its own is a `SluiceError`.

/** Brand checked by the guards, so `isSluiceError` works across realms and duplicate copies. */
const brand = Symbol.for('sluice.error');

export type SluiceErrorCode =
  | 'SLUICE_QUEUE_FULL'
  | 'SLUICE_QUEUE_TIMEOUT'
  | 'SLUICE_RATE_LIMITED'
  | 'SLUICE_LOAD_SHED'
  | 'SLUICE_RETRY_BUDGET_EXHAUSTED'
  | 'SLUICE_TIMEOUT'
  | 'SLUICE_CLIENT_CLOSED'
  | 'SLUICE_INVALID_OPTION'
  | 'SLUICE_BODY_TOO_LARGE';

/** Where the refused request was going; attached to every error so logs explain themselves. */
export interface RequestFacts {
  method?: string | undefined;
  origin?: string | undefined;
}

export interface SluiceErrorOptions extends RequestFacts {
  cause?: unknown;
}

/** Base class of every error sluice raises on its own. `code` is stable across versions. */
export class SluiceError extends Error {
  readonly code: SluiceErrorCode;
  readonly method: string | undefined;
  readonly origin: string | undefined;

  constructor(code: SluiceErrorCode, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.method = options.method;
    this.origin = options.origin;
    Object.defineProperty(this, brand, { value: code });
  }
}

export interface QueueFullErrorOptions extends SluiceErrorOptions {
  /** Requests waiting when this one was refused or dropped. @default maxQueue */
  queued?: number | undefined;
  /** This request was waiting and was dropped for a newcomer (`overflow: 'drop-oldest'`, or a higher priority). */
  evicted?: boolean | undefined;
}

/** The key's queue was at `maxQueue` and the overflow policy refused the newcomer (or dropped it). */
export class QueueFullError extends SluiceError {
  /** Requests waiting when this one was refused or dropped. */
  readonly queued: number;
  /** True when this request had been waiting and was dropped to make room for another. */
  readonly evicted: boolean;

  constructor(readonly maxQueue: number, options: QueueFullErrorOptions = {}) {
    const queued = options.queued ?? maxQueue;
    const evicted = options.evicted ?? false;
    const what = evicted ? 'Dropped from a full queue' : 'Queue full';
    super('SLUICE_QUEUE_FULL', `${what} (${queued} waiting, limits.maxQueue ${maxQueue})${where(options)}`, options);
    this.queued = queued;
    this.evicted = evicted;
  }
}

/** The request waited `queueTimeout` ms for admission without being admitted. */
export class QueueTimeoutError extends SluiceError {
  constructor(readonly queueTimeout: number, options: SluiceErrorOptions = {}) {
    super('SLUICE_QUEUE_TIMEOUT', `Waited ${queueTimeout} ms in queue without admission${where(options)}`, options);
  }
}

/** The key is paused until `retryAt` (epoch ms), later than this request may wait. */
export class RateLimitedError extends SluiceError {
  constructor(readonly retryAt: number, reason: string, options: SluiceErrorOptions = {}) {
    super('SLUICE_RATE_LIMITED', `Rate limited until ${new Date(retryAt).toISOString()}: ${reason}${where(options)}`, options);
  }
}

/** Low-priority work refused early because the queue was filling (load shedding). */
export class LoadShedError extends SluiceError {
  constructor(readonly priority: number, readonly queued: number, readonly maxQueue: number, options: SluiceErrorOptions = {}) {
    super('SLUICE_LOAD_SHED', `Shed priority ${priority} request (queue ${queued}/${maxQueue})${where(options)}`, options);
  }
}

/** A retry was wanted but the key's retry budget had no tokens left; `cause` is the last failure. */
export class RetryBudgetExhaustedError extends SluiceError {
  constructor(readonly attempts: number, options: SluiceErrorOptions = {}) {
    super('SLUICE_RETRY_BUDGET_EXHAUSTED', `Retry budget exhausted after ${attempts} attempt(s)${where(options)}`, options);
  }
}

/** The per-attempt timeout or the total deadline elapsed. */
export class TimeoutError extends SluiceError {
  constructor(readonly timeout: number, readonly kind: 'attempt' | 'total', options: SluiceErrorOptions = {}) {
    super('SLUICE_TIMEOUT', `${kind === 'attempt' ? 'Attempt' : 'Request'} timed out after ${timeout} ms${where(options)}`, options);
  }
}

/** The client was closed while the request was waiting or before it started. */
export class ClientClosedError extends SluiceError {
  constructor(options: SluiceErrorOptions = {}) {
    super('SLUICE_CLIENT_CLOSED', `Client closed${where(options)}`, options);
  }
}

/** An option failed validation; the message names the option, the expectation and the value. */
export class InvalidOptionError extends SluiceError {
  constructor(readonly option: string, expected: string, value: unknown) {
    super('SLUICE_INVALID_OPTION', `Expected \`${option}\` to be ${expected}, got ${describe(value)}`);
  }
}

/** A response body was larger than the reader allowed (`maxBodyBytes`); its connection was dropped. */
export class BodyTooLargeError extends SluiceError {
  constructor(readonly maxBodyBytes: number, options: SluiceErrorOptions = {}) {
    super(
      'SLUICE_BODY_TOO_LARGE',
      `Response body larger than maxBodyBytes (${maxBodyBytes} bytes); read it yourself with \`body: false\` or a reader${where(options)}`,
      options,
    );
  }
}

function where({ method, origin }: RequestFacts): string {
  if (method === undefined && origin === undefined) return '';
  return ` (${[method, origin].filter(Boolean).join(' ')})`;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `\`${JSON.stringify(value)}\` (string)`;
  if (typeof value === 'function') return 'a function';
  if (value === null) return '`null`';
  // JSON has no Infinity or NaN (it would print `null`), and no bigint (it would throw).
  if (typeof value === 'number' || typeof value === 'bigint') return `\`${String(value)}\` (${typeof value})`;
  if (value === undefined) return '`undefined`';
  try {
    return `\`${JSON.stringify(value) ?? String(value)}\` (${typeof value})`;
  } catch {
    return `a ${typeof value}`;
  }
}

function hasCode(error: unknown, code: SluiceErrorCode): boolean {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[brand] === code;
}

export function isSluiceError(error: unknown): error is SluiceError {
  return typeof error === 'object' && error !== null && typeof (error as Record<symbol, unknown>)[brand] === 'string';
}
export const isQueueFullError = (e: unknown): e is QueueFullError => hasCode(e, 'SLUICE_QUEUE_FULL');
export const isQueueTimeoutError = (e: unknown): e is QueueTimeoutError => hasCode(e, 'SLUICE_QUEUE_TIMEOUT');
export const isRateLimitedError = (e: unknown): e is RateLimitedError => hasCode(e, 'SLUICE_RATE_LIMITED');
export const isLoadShedError = (e: unknown): e is LoadShedError => hasCode(e, 'SLUICE_LOAD_SHED');
export const isRetryBudgetExhaustedError = (e: unknown): e is RetryBudgetExhaustedError =>
  hasCode(e, 'SLUICE_RETRY_BUDGET_EXHAUSTED');
export const isTimeoutError = (e: unknown): e is TimeoutError => hasCode(e, 'SLUICE_TIMEOUT');
export const isClientClosedError = (e: unknown): e is ClientClosedError => hasCode(e, 'SLUICE_CLIENT_CLOSED');
export const isInvalidOptionError = (e: unknown): e is InvalidOptionError => hasCode(e, 'SLUICE_INVALID_OPTION');
export const isBodyTooLargeError = (e: unknown): e is BodyTooLargeError => hasCode(e, 'SLUICE_BODY_TOO_LARGE');
