// Tests for the value helpers shared by the plain-text dialects: counts, limit lists, the reset
// magnitude rule and bucket names.

import { describe, expect, it } from 'vitest';
import {
  MAX_BUCKET_LENGTH,
  numberTexts,
  parseBucket,
  parseCount,
  parseLimit,
  parseReset,
  resetFromNumber,
  toObservation,
  windowForLimit,
} from '../../src/ratelimit/field-values.js';

describe('field values', () => {
  it('splits a joined field into its numbers, dropping draft-03 parameters', () => {
    expect(numberTexts('100, 100;w=60, 10000;w=86400')).toEqual(['100', '100', '10000']);
    expect(numberTexts(null)).toBeUndefined();
    expect(numberTexts('5, five')).toBeUndefined();
    expect(numberTexts('')).toBeUndefined();
  });

  it('floors a fractional count and clamps a huge one to the largest safe integer', () => {
    expect(parseCount('99.9')).toBe(99);
    expect(parseCount('9'.repeat(30))).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('reads the first element of a draft-03 list as the limit but the least of plain repeats', () => {
    expect(parseLimit('1000, 100;w=1, 1000;w=3600')).toBe(1000);
    expect(parseLimit('60, 50')).toBe(50);
  });

  it('finds the window stated for the chosen limit', () => {
    expect(windowForLimit('100, 100;w=60, 10000;w=86400', 100)).toBe(60_000);
    expect(windowForLimit('100, 100;comment="x";window=60', 100)).toBe(60_000);
    expect(windowForLimit('100, 100;w=0', 100)).toBeUndefined();
    expect(windowForLimit('100', 100)).toBeUndefined();
  });

  it('tells delta seconds, epoch seconds and epoch ms apart by magnitude', () => {
    const now = 1_700_000_000_000;
    expect(resetFromNumber('30', now)).toBe(30_000);
    expect(resetFromNumber('1700000030', now)).toBe(30_000);
    expect(resetFromNumber('1700000030000', now)).toBe(30_000);
    expect(parseReset('1700000030, 45', now)).toBe(45_000);
  });

  it('keeps a bucket name only when it is non-empty and short', () => {
    expect(parseBucket('  core ')).toBe('core');
    expect(parseBucket('   ')).toBeUndefined();
    expect(parseBucket('x'.repeat(MAX_BUCKET_LENGTH + 1))).toBeUndefined();
  });

  it('builds no observation from a window or bucket alone', () => {
    expect(toObservation('x-ratelimit', { windowMs: 1_000, bucket: 'core' })).toBeUndefined();
    expect(toObservation('x-ratelimit', { remaining: 0, limit: undefined })).toEqual({ dialect: 'x-ratelimit', remaining: 0 });
  });
});
