// Tests of reading undici's header shapes: response headers for the engine's parsers, request
// headers for the Idempotency-Key check.

import { describe, expect, it } from 'vitest';
import { requestHeader, responseHeaderReader } from '../../src/undici/undici-headers.js';
import { serverDelayOf } from '../../src/retry/policy.js';

describe('responseHeaderReader', () => {
  it('reads undici’s parsed headers case-insensitively, joining repeated ones like Headers.get', () => {
    const reader = responseHeaderReader({ 'retry-after': '3', 'set-cookie': ['a=1', 'b=2'] });
    expect(reader.get('Retry-After')).toBe('3');
    expect(reader.get('set-cookie')).toBe('a=1, b=2');
    expect(reader.get('x-missing')).toBeNull();
  });

  it('reads a flat raw array of Buffers, as some dispatchers pass', () => {
    const reader = responseHeaderReader([Buffer.from('Retry-After-Ms'), Buffer.from('250'), Buffer.from('X-A'), Buffer.from('1')]);
    expect(reader.get('retry-after-ms')).toBe('250');
    expect(reader.get('x-a')).toBe('1');
  });

  it('reads an object whose names were not lower-cased', () => {
    expect(responseHeaderReader({ 'Retry-After': '7' } as never).get('retry-after')).toBe('7');
  });

  it('feeds the engine’s server-time parsing', () => {
    expect(serverDelayOf(responseHeaderReader({ 'retry-after-ms': '120' }), 0)).toBe(120);
  });
});

describe('requestHeader', () => {
  it.each([
    ['a plain object', { 'Idempotency-Key': 'k1' }],
    ['a flat array', ['content-type', 'text/plain', 'idempotency-key', 'k1']],
    ['an array of pairs', [['Idempotency-Key', 'k1']]],
    ['a Map', new Map([['idempotency-key', 'k1']])],
  ])('finds a header in %s', (_name, headers) => {
    expect(requestHeader(headers, 'idempotency-key')).toBe('k1');
  });

  it('returns null when there are no headers or no such header', () => {
    expect(requestHeader(undefined, 'idempotency-key')).toBeNull();
    expect(requestHeader(null, 'idempotency-key')).toBeNull();
    expect(requestHeader({ accept: '*/*' }, 'idempotency-key')).toBeNull();
  });
});
