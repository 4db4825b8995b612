import { describe, expect, it } from 'vitest';
import {
  BodyTooLargeError,
  ClientClosedError,
  InvalidOptionError,
  isBodyTooLargeError,
  isClientClosedError,
  isInvalidOptionError,
  isQueueFullError,
  isSluiceError,
  QueueFullError,
  SluiceError,
} from '../src/errors.js';
import { BodyTooLargeError as BulkBodyTooLargeError } from '../src/bulk/body-mode.js';

describe('InvalidOptionError', () => {
  it.each([
    [Infinity, '`Infinity` (number)'],
    [-Infinity, '`-Infinity` (number)'],
    [Number.NaN, '`NaN` (number)'],
    [10n, '`10` (bigint)'],
    [undefined, '`undefined`'],
    [null, '`null`'],
    [1.5, '`1.5` (number)'],
  ])('prints %s as it is, never as JSON null', (value, printed) => {
    expect(new InvalidOptionError('x', 'a thing', value).message).toBe(`Expected \`x\` to be a thing, got ${printed}`);
  });
});

describe('QueueFullError', () => {
  it('reports how many were waiting, not maxQueue twice', () => {
    const error = new QueueFullError(100, { queued: 37, method: 'GET', origin: 'http://a.test' });
    expect(error.message).toBe('Queue full (37 waiting, limits.maxQueue 100) (GET http://a.test)');
    expect(error).toMatchObject({ queued: 37, maxQueue: 100, evicted: false });
  });

  it('says when the request was dropped to make room rather than refused', () => {
    const error = new QueueFullError(5, { evicted: true });
    expect(error.message).toBe('Dropped from a full queue (5 waiting, limits.maxQueue 5)');
    expect(isQueueFullError(error)).toBe(true);
  });
});

describe('BodyTooLargeError', () => {
  it('is a SluiceError with a stable code, the same class bulk throws', () => {
    const error = new BodyTooLargeError(1024);
    expect(error).toBeInstanceOf(SluiceError);
    expect(error.code).toBe('SLUICE_BODY_TOO_LARGE');
    expect(error.name).toBe('BodyTooLargeError');
    expect(error.maxBodyBytes).toBe(1024);
    expect(isSluiceError(error)).toBe(true);
    expect(isBodyTooLargeError(error)).toBe(true);
    expect(BulkBodyTooLargeError).toBe(BodyTooLargeError);
  });
});

describe('guards', () => {
  it('tell ClientClosedError and InvalidOptionError apart by their brand', () => {
    const closed = new ClientClosedError();
    const invalid = new InvalidOptionError('x', 'y', 1);
    expect([isClientClosedError(closed), isClientClosedError(invalid)]).toEqual([true, false]);
    expect([isInvalidOptionError(invalid), isInvalidOptionError(closed)]).toEqual([true, false]);
  });

  it('recognise an error from another copy of sluice (the brand is a registered symbol)', () => {
    const foreign = Object.defineProperty(new Error('Client closed'), Symbol.for('sluice.error'), { value: 'SLUICE_CLIENT_CLOSED' });
    expect(isClientClosedError(foreign)).toBe(true);
    expect(isInvalidOptionError(foreign)).toBe(false);
    expect(isClientClosedError({ code: 'SLUICE_CLIENT_CLOSED' })).toBe(false);
  });
});
