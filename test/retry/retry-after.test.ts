// Tests for Retry-After / retry-after-ms parsing: the RFC 9110 grammars, vendor samples, and
// properties that hold for any input (total, finite, never earlier than asked).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_DELAY_MS,
  parseHttpDate,
  parseRetryAfter,
  parseRetryAfterMs,
  serverRetryDelay,
} from '../../src/retry/retry-after.js';
import { headerReader, headerValue, joinedValue, nowArb } from '../ratelimit/arbitraries.js';

/** RFC 9110's example instant, Sun, 06 Nov 1994 08:49:37 GMT. */
const RFC_EXAMPLE = Date.UTC(1994, 10, 6, 8, 49, 37);

describe('parseRetryAfter with delta-seconds', () => {
  it('reads whole seconds as milliseconds', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter('0')).toBe(0);
    expect(parseRetryAfter('007')).toBe(7_000);
  });

  it('tolerates whitespace around the value', () => {
    expect(parseRetryAfter('  30\t')).toBe(30_000);
  });

  it('accepts decimal seconds and rounds up to a whole millisecond', () => {
    expect(parseRetryAfter('1.5')).toBe(1_500);
    expect(parseRetryAfter('1.1')).toBe(1_100);
    expect(parseRetryAfter('0.0001')).toBe(1);
    expect(parseRetryAfter('2.0004')).toBe(2_001);
  });

  it('rejects signs, exponents, hex, bare dots and inner spaces', () => {
    for (const value of ['-1', '+5', '1e3', '0x10', '.5', '5.', '1 2', 'Infinity', 'NaN', '', '   ', 'soon']) {
      expect(parseRetryAfter(value), value).toBeUndefined();
    }
  });

  it('treats an absent header as no delay given', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('clamps a year, or a thirty-one digit number, to the documented maximum', () => {
    expect(parseRetryAfter(String(365 * 24 * 3600))).toBe(31_536_000_000);
    expect(parseRetryAfter(`1${'0'.repeat(30)}`)).toBe(MAX_DELAY_MS);
    expect(parseRetryAfter('9'.repeat(400))).toBe(MAX_DELAY_MS);
    expect(Number.isFinite(MAX_DELAY_MS)).toBe(true);
  });

  it('takes the longest of repeated fields joined by commas', () => {
    expect(parseRetryAfter('120, 120')).toBe(120_000);
    expect(parseRetryAfter('5,30')).toBe(30_000);
  });

  it('rejects a joined value when any part is malformed', () => {
    expect(parseRetryAfter('120, soon')).toBeUndefined();
    expect(parseRetryAfter('120,')).toBeUndefined();
  });
});

describe('parseRetryAfter with an HTTP-date', () => {
  const now = RFC_EXAMPLE - 90_000;

  it('reads the IMF-fixdate form relative to now', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', now)).toBe(90_000);
  });

  it('reads the obsolete RFC 850 form', () => {
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(90_000);
  });

  it('reads the obsolete asctime form with its space-padded day', () => {
    expect(parseRetryAfter('Sun Nov  6 08:49:37 1994', now)).toBe(90_000);
  });

  it('gives zero for a date in the past', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', RFC_EXAMPLE + 1)).toBe(0);
  });

  it('reads the date in the IETF draft example against its Date header', () => {
    // draft-ietf-httpapi-ratelimit-headers-10, appendix B.1.4
    const date = Date.UTC(2019, 7, 5, 9, 27, 0);
    expect(parseRetryAfter('Mon, 05 Aug 2019 09:27:05 GMT', date)).toBe(5_000);
  });

  it('places a two-digit RFC 850 year in the most recent matching century', () => {
    const in2030 = Date.UTC(2030, 0, 1);
    // "94" is 2094, more than 50 years ahead of 2030, so it means 1994: long past.
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', in2030)).toBe(0);
    // "31" is 2031, within 50 years.
    expect(parseRetryAfter('Wednesday, 01-Jan-31 00:00:00 GMT', in2030)).toBe(365 * 86_400_000);
    // Read on the last second of 1999, "00" is a second later, in 2000, not 1900.
    expect(parseRetryAfter('Saturday, 01-Jan-00 00:00:00 GMT', Date.UTC(1999, 11, 31, 23, 59, 59))).toBe(1_000);
  });

  it('accepts day and month names in any case', () => {
    expect(parseRetryAfter('sun, 06 NOV 1994 08:49:37 gmt', now)).toBe(90_000);
  });

  it('rejects what Date.parse would accept', () => {
    for (const value of ['1994-11-06T08:49:37Z', 'Nov 6 1994', 'Sun, 06 Nov 1994 08:49:37', 'Sun, 06 Nov 1994 08:49:37 PST', 'tomorrow']) {
      expect(parseRetryAfter(value, now), value).toBeUndefined();
    }
  });

  it('rejects impossible calendar dates and times', () => {
    for (const value of ['Fri, 31 Feb 2023 00:00:00 GMT', 'Thu, 29 Feb 2023 00:00:00 GMT', 'Sun, 06 Nov 1994 24:00:00 GMT', 'Sun, 06 Nov 1994 08:60:00 GMT', 'Sun, 00 Nov 1994 08:49:37 GMT']) {
      expect(parseRetryAfter(value, now), value).toBeUndefined();
    }
  });

  it('accepts 29 February in a leap year', () => {
    expect(parseHttpDate('Thu, 29 Feb 2024 00:00:00 GMT')).toBe(Date.UTC(2024, 1, 29));
  });

  it('takes the later of two joined dates', () => {
    const joined = 'Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:50:37 GMT';
    expect(parseRetryAfter(joined, now)).toBe(150_000);
  });

  it('clamps a date thousands of years ahead to the maximum', () => {
    expect(parseRetryAfter('Fri, 31 Dec 9999 23:59:59 GMT', 0)).toBe(MAX_DELAY_MS);
  });
});

describe('parseRetryAfterMs', () => {
  it('reads the milliseconds Azure OpenAI sends', () => {
    expect(parseRetryAfterMs('30000')).toBe(30_000);
  });

  it('rounds a fractional millisecond up', () => {
    expect(parseRetryAfterMs('1500.25')).toBe(1_501);
    expect(parseRetryAfterMs('0.1')).toBe(1);
    expect(parseRetryAfterMs('12.000')).toBe(12);
  });

  it('rejects anything that is not a non-negative decimal', () => {
    for (const value of ['-5', '1e3', 'abc', '', ' ', null, undefined]) {
      expect(parseRetryAfterMs(value), String(value)).toBeUndefined();
    }
  });

  it('clamps huge values to the maximum', () => {
    expect(parseRetryAfterMs('9'.repeat(50))).toBe(MAX_DELAY_MS);
  });
});

describe('serverRetryDelay', () => {
  it('prefers retry-after-ms because it is more precise', () => {
    const headers = new Headers({ 'retry-after-ms': '1500', 'retry-after': '2' });
    expect(serverRetryDelay(headers, 0)).toBe(1_500);
  });

  it('falls back to Retry-After when retry-after-ms is malformed', () => {
    const headers = new Headers({ 'retry-after-ms': 'soon', 'Retry-After': '2' });
    expect(serverRetryDelay(headers, 0)).toBe(2_000);
  });

  it('reads an HTTP-date Retry-After against the injected now', () => {
    const headers = new Headers({ 'Retry-After': 'Sun, 06 Nov 1994 08:49:37 GMT' });
    expect(serverRetryDelay(headers, RFC_EXAMPLE - 1_000)).toBe(1_000);
  });

  it('gives undefined when the server named no delay', () => {
    expect(serverRetryDelay(new Headers(), 0)).toBeUndefined();
  });
});

/** An HTTP-date of `date` in the given form (seconds precision, as the grammar has). */
function httpDate(date: Date, form: 'imf' | 'rfc850' | 'asctime'): string {
  const [weekday, day, month, year, time] = date.toUTCString().replace(',', '').split(' ') as [string, string, string, string, string];
  if (form === 'imf') return date.toUTCString();
  if (form === 'rfc850') {
    const long = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][date.getUTCDay()]!;
    return `${long}, ${day}-${month}-${year.slice(-2)} ${time} GMT`;
  }
  return `${weekday} ${month} ${String(Number(day)).padStart(2, ' ')} ${time} ${year}`;
}

describe('parseRetryAfter properties', () => {
  const isDelay = (ms: number | undefined): boolean =>
    ms === undefined || (Number.isInteger(ms) && ms >= 0 && ms <= MAX_DELAY_MS && !Object.is(ms, -0));

  it('never throws and gives a whole, bounded, non-negative delay for any string', () => {
    fc.assert(
      fc.property(fc.oneof(headerValue, joinedValue), nowArb, (value, now) => {
        expect(isDelay(parseRetryAfter(value, now))).toBe(true);
        expect(isDelay(parseRetryAfterMs(value))).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads any whole number of seconds exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3_000_000_000 }), (seconds) => {
        expect(parseRetryAfter(String(seconds))).toBe(seconds * 1000);
      }),
    );
  });

  it('never reads decimal seconds as earlier than they say', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), fc.stringMatching(/^\d{1,9}$/), (whole, fraction) => {
        const ms = parseRetryAfter(`${whole}.${fraction}`)!;
        const asked = (whole + Number(`0.${fraction}`)) * 1000;
        expect(ms).toBeGreaterThanOrEqual(asked - 1e-6);
        expect(ms - asked).toBeLessThan(1);
      }),
    );
  });

  it('reads a date in any of the three forms as the time until it, or zero once past', () => {
    const seconds = fc.integer({ min: Date.UTC(1970, 0, 1) / 1000, max: Date.UTC(2060, 0, 1) / 1000 });
    fc.assert(
      fc.property(seconds, fc.integer({ min: -1e12, max: 1e12 }), fc.constantFrom('imf', 'rfc850', 'asctime'), (at, offset, form) => {
        const date = new Date(at * 1000);
        // RFC 850's two-digit year is only unambiguous within 50 years of now.
        const now = form === 'rfc850' ? date.getTime() + Math.trunc((offset % 1.5e12) / 2) : date.getTime() + offset;
        expect(parseRetryAfter(httpDate(date, form), now)).toBe(Math.max(0, date.getTime() - now));
      }),
    );
  });

  it('stays finite for many repeated comma-joined values', () => {
    const joined = Array.from({ length: 100_000 }, (_, i) => String(i % 97)).join(', ');
    expect(parseRetryAfter(joined)).toBe(96_000);
    expect(parseRetryAfterMs(joined)).toBe(96);
  });

  it('gives the same delay through serverRetryDelay for any pair of headers', () => {
    fc.assert(
      fc.property(fc.option(headerValue, { nil: undefined }), fc.option(headerValue, { nil: undefined }), nowArb, (ms, seconds, now) => {
        const record: Record<string, string> = {};
        if (ms !== undefined) record['retry-after-ms'] = ms;
        if (seconds !== undefined) record['retry-after'] = seconds;
        const delay = serverRetryDelay(headerReader(record), now);
        expect(isDelay(delay)).toBe(true);
        expect(delay).toBe(parseRetryAfterMs(ms) ?? parseRetryAfter(seconds, now));
      }),
    );
  });
});
