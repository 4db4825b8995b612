// Shared generators and checks for the header-parser property tests: hostile header values and
// the invariants every observation must keep whatever the server sent.

import fc from 'fast-check';
import { expect } from 'vitest';
import type { HeaderReader } from '../../src/headers.js';
import type { RateLimitObservation } from '../../src/ratelimit/types.js';

/**
 * A reader over a plain record. Unlike `Headers`, it accepts any string (control characters,
 * non-Latin-1), so the parsers are exercised beyond what undici would let through.
 */
export function headerReader(record: Record<string, string>): HeaderReader {
  const map = new Map(Object.entries(record).map(([name, value]) => [name.toLowerCase(), value]));
  return { get: (name) => map.get(name.toLowerCase()) ?? null };
}

const numberText = fc.oneof(
  fc.integer().map(String),
  fc.double().map(String), // NaN, Infinity, -0, 1e+300, 5e-324
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.nat({ max: 60 }).map((digits) => '9'.repeat(digits + 1)),
  fc.constantFrom('1e30', '-1', '0', '0.5', '.5', '1.', '+1', '0x10', ' 7 ', '', ' ', '\t3\t'),
);

const dateText = fc
  .date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true })
  .chain((date) => fc.constantFrom(date.toUTCString(), date.toISOString(), date.toString(), String(date.getTime())));

const durationText = fc.oneof(
  fc.stringMatching(/^[+-]?(\d{0,25}(\.\d{0,25})?(ns|us|µs|μs|ms|s|m|h|x)){1,5}$/),
  fc.constantFrom('6m0s', '1s', '12ms', '1h2m3.5s', '100us', '-1s', '0', '2562047h47m16.854775807s', '2562048h'),
);

const structuredText = fc.oneof(
  fc.stringMatching(/^("[a-z]{0,5}"|[a-z]{1,5}|\d{1,20})(;[a-z]{1,2}=(-?\d{1,20}(\.\d{1,4})?|"[a-z-]*"|:[A-Za-z0-9+/=]{0,12}:|\?[01]))*$/),
  fc.constantFrom('"burst";q=100;w=60', '"default";r=50;t=30', 'limit=100, remaining=50, reset=30', '100;w=60'),
);

/** One hostile header value: free text, numbers of every size and sign, dates, durations, fields. */
/** Every field name a rate-limit dialect reads, as servers spell them (lower case here). */
export const rateLimitFieldNames: readonly string[] = [
  'ratelimit',
  'ratelimit-policy',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'x-ratelimit-used',
  'x-ratelimit-resource',
  'x-ratelimit-reset-after',
  'x-ratelimit-bucket',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-rate-limit-limit',
  'x-rate-limit-remaining',
  'x-rate-limit-reset',
  'anthropic-ratelimit-requests-limit',
  'anthropic-ratelimit-requests-remaining',
  'anthropic-ratelimit-requests-reset',
];

export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  numberText,
  dateText,
  durationText,
  structuredText,
);

/** Up to 40 values joined the way repeated fields are joined (", "), or with bare commas. */
export const joinedValue: fc.Arbitrary<string> = fc
  .tuple(fc.array(headerValue, { minLength: 1, maxLength: 40 }), fc.constantFrom(', ', ','))
  .map(([values, separator]) => values.join(separator));

/** Values for some subset of the given header names; each name is absent, hostile or joined. */
export function headersWith(names: readonly string[]): fc.Arbitrary<HeaderReader> {
  const entries = names.map((name) =>
    fc.option(fc.oneof(headerValue, joinedValue), { nil: undefined }).map((value) => [name, value] as const),
  );
  return fc.tuple(...entries).map((pairs) => {
    const record: Record<string, string> = {};
    for (const [name, value] of pairs) if (value !== undefined) record[name] = value;
    return headerReader(record);
  });
}

/** An epoch ms "now" anywhere from 1970 to 2200, and occasionally at the extremes of Date. */
export const nowArb: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 0, max: 7_258_118_400_000 }),
  fc.constantFrom(0, 8.64e15, -8.64e15),
);

/** Every number finite, a whole number and >= 0; a bucket a short non-empty string. */
export function expectWellFormed(observation: RateLimitObservation | undefined): void {
  if (observation === undefined) return;
  for (const key of ['limit', 'remaining', 'windowMs', 'resetMs'] as const) {
    const value = observation[key];
    if (value === undefined) continue;
    expect(Number.isFinite(value), `${key} = ${value} is finite`).toBe(true);
    expect(Number.isInteger(value), `${key} = ${value} is whole`).toBe(true);
    expect(value, key).toBeGreaterThanOrEqual(0);
    expect(Object.is(value, -0), `${key} is not -0`).toBe(false);
  }
  const said = observation.limit !== undefined || observation.remaining !== undefined || observation.resetMs !== undefined;
  expect(said, 'an observation says something to pace by').toBe(true);
  if (observation.bucket !== undefined) {
    expect(observation.bucket.length).toBeGreaterThan(0);
    expect(observation.bucket.length).toBeLessThanOrEqual(256);
  }
}
