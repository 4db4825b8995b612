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
  | 'SLUICE_INVALID_OPTION';

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

/** The key's queue was at `maxQueue` and the overflow policy refused the newcomer (or dropped it). */
export class QueueFullError extends SluiceError {
  constructor(readonly maxQueue: number, options: SluiceErrorOptions = {}) {
    super('SLUICE_QUEUE_FULL', `Queue full (${maxQueue}/${maxQueue} waiting)${where(options)}`, options);
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

function where({ method, origin }: RequestFacts): string {
  if (method === undefined && origin === undefined) return '';
  return ` (${[method, origin].filter(Boolean).join(' ')})`;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `\`${JSON.stringify(value)}\` (string)`;
  if (typeof value === 'function') return 'a function';
  if (value === null) return '`null`';
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
