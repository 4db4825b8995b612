// The rate-limit parsers skip a response with none of their fields when its headers can be
// listed (fetch's Headers, the interceptor's reader): the result must be what the full parse gives.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HeaderReader } from '../../src/headers.js';
import { parseRateLimitHeaders } from '../../src/ratelimit/parse.js';
import { responseHeaderReader } from '../../src/undici/undici-headers.js';
import { headerValue, nowArb, rateLimitFieldNames } from './arbitraries.js';

const names = [...rateLimitFieldNames, 'content-type', 'retry-after', 'x-request-id'];

/** Spelled as servers do, in any case. */
const fieldName = fc.tuple(fc.constantFrom(...names), fc.boolean()).map(([name, upper]) => (upper ? name.toUpperCase() : name));
const fields = fc.dictionary(fieldName, headerValue, { maxKeys: 6 });

/** The same reader with only `get`: the parsers cannot list it, so they always run. */
function getOnly(reader: HeaderReader): HeaderReader {
  return { get: (name) => reader.get(name) };
}

/** fetch's Headers of `record`, or undefined when Headers refuses a value (not a ByteString). */
function fetchHeaders(record: Record<string, string>): Headers | undefined {
  try {
    return new Headers(record);
  } catch {
    return undefined;
  }
}

describe('parseRateLimitHeaders on listable headers', () => {
  it('gives what the full parse gives, for fetch Headers and the interceptor’s reader', () => {
    fc.assert(
      fc.property(fields, nowArb, (record, now) => {
        const lowered = Object.fromEntries(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));
        const readers: HeaderReader[] = [
          responseHeaderReader(lowered),
          responseHeaderReader(record),
          responseHeaderReader(Object.entries(record).flat()),
        ];
        const headers = fetchHeaders(record);
        if (headers) readers.push(headers);
        for (const reader of readers) {
          expect(parseRateLimitHeaders(reader, now)).toEqual(parseRateLimitHeaders(getOnly(reader), now));
        }
      }),
    );
  });

  it('is undefined for a response without rate-limit fields', () => {
    expect(parseRateLimitHeaders(new Headers({ 'content-type': 'text/plain', 'retry-after': '5' }), 0)).toBeUndefined();
  });
});
