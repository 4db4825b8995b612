// Tests for the IETF RateLimit / RateLimit-Policy parser, on the draft's own examples and real
// express-rate-limit output, including which of several policies is reported.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIetf } from '../../src/ratelimit/ietf.js';
import { expectWellFormed, headersWith, nowArb } from './arbitraries.js';

const NOW = Date.UTC(2025, 8, 27, 12, 0, 0);

function parse(fields: Record<string, string>) {
  return parseIetf(new Headers(fields), NOW);
}

describe('parseIetf on draft-10 examples', () => {
  it('reads a service limit with remaining quota and reset (section 4.2)', () => {
    expect(parse({ RateLimit: '"default";r=50;t=30' })).toEqual({ dialect: 'ietf', remaining: 50, resetMs: 30_000 });
  });

  it('joins a policy with its service limit by name (appendix B.2.1)', () => {
    expect(parse({ RateLimit: '"fixedwindow";r=99;t=50', 'RateLimit-Policy': '"fixedwindow";q=100;w=60' })).toEqual({
      dialect: 'ietf',
      limit: 100,
      remaining: 99,
      windowMs: 60_000,
      resetMs: 50_000,
    });
  });

  it('reports an exhausted quota (appendix B.1.1)', () => {
    expect(parse({ RateLimit: '"default";r=0;t=50' })).toEqual({ dialect: 'ietf', remaining: 0, resetMs: 50_000 });
  });

  it('reads a partition key as the bucket, base64 encoded (section 4.2)', () => {
    expect(parse({ RateLimit: '"default";r=999;pk=:dHJpYWwxMjEzMjM=:' })).toEqual({
      dialect: 'ietf',
      remaining: 999,
      bucket: 'dHJpYWwxMjEzMjM=',
    });
  });

  it('reads a policy with a partition key when no service limit is sent (section 3.2)', () => {
    const observation = parse({ 'RateLimit-Policy': '"peruser";q=100;w=60;pk=:cHsdsRa894==:' });
    expect(observation).toMatchObject({ dialect: 'ietf', limit: 100, windowMs: 60_000 });
    // The draft's example is not canonical base64; the bucket is the canonical form of its bytes.
    expect(observation?.bucket).toBe('cHsdsRa89w==');
  });

  it('reports the live policy the server chose to send among several (appendix B.3.2)', () => {
    const observation = parse({
      'RateLimit-Policy': '"hour";q=1000;w=3600, "day";q=5000;w=86400',
      RateLimit: '"day";r=100;t=36000',
    });
    expect(observation).toEqual({ dialect: 'ietf', limit: 5000, remaining: 100, windowMs: 86_400_000, resetMs: 36_000_000 });
  });

  it('accepts token policy names and a missing remaining (appendix B.3.1)', () => {
    expect(parse({ 'RateLimit-Policy': 'quota;q=100;w=1', RateLimit: 'quota;t=1' })).toEqual({
      dialect: 'ietf',
      limit: 100,
      windowMs: 1_000,
      resetMs: 1_000,
    });
  });

  it('skips a policy measured in content bytes, which are not requests (section 3.2)', () => {
    expect(parse({ 'RateLimit-Policy': '"peruser";q=65535;qu="content-bytes";w=10;pk=:sdfjLJUOUH==:' })).toBeUndefined();
    const mixed = parse({
      'RateLimit-Policy': '"bytes";q=300000000;qu="content-bytes";w=60, "calls";q=10;w=1',
      RateLimit: '"bytes";r=0;t=60, "calls";r=5;t=1',
    });
    expect(mixed).toEqual({ dialect: 'ietf', limit: 10, remaining: 5, windowMs: 1_000, resetMs: 1_000 });
  });

  it('reads lists split over several fields and joined by the Headers class', () => {
    const headers = new Headers();
    headers.append('RateLimit-Policy', '"permin";q=50;w=60');
    headers.append('RateLimit-Policy', '"perhr";q=1000;w=3600');
    expect(parseIetf(headers, NOW)).toEqual({ dialect: 'ietf', limit: 1000, windowMs: 3_600_000 });
  });
});

describe('parseIetf choosing among several policies', () => {
  it('picks the policy with the lowest sustainable rate when only policies are sent', () => {
    // 100 per minute is 1.7/s; 1000 per day is 0.012/s, so the daily quota decides.
    expect(parse({ 'RateLimit-Policy': '"burst";q=100;w=60, "daily";q=1000;w=86400' })).toEqual({
      dialect: 'ietf',
      limit: 1000,
      windowMs: 86_400_000,
    });
  });

  it('picks the live limit allowing the fewest requests per second until its reset', () => {
    const observation = parse({
      'RateLimit-Policy': '"burst";q=100;w=60, "daily";q=1000;w=86400',
      RateLimit: '"burst";r=50;t=30, "daily";r=900;t=600',
    });
    // burst: 50 in 30 s = 1.67/s; daily: 900 in 600 s = 1.5/s.
    expect(observation).toMatchObject({ limit: 1000, remaining: 900, resetMs: 600_000 });
  });

  it('picks an exhausted limit over any other, and the longest wait among exhausted ones', () => {
    const observation = parse({ RateLimit: '"a";r=1;t=1000, "b";r=0;t=5, "c";r=0;t=20' });
    expect(observation).toEqual({ dialect: 'ietf', remaining: 0, resetMs: 20_000 });
  });

  it('prefers the live state over policies the server did not report on', () => {
    const observation = parse({
      'RateLimit-Policy': '"burst";q=100;w=60, "daily";q=1000;w=86400',
      RateLimit: '"burst";r=50;t=30',
    });
    expect(observation).toEqual({ dialect: 'ietf', limit: 100, remaining: 50, windowMs: 60_000, resetMs: 30_000 });
  });

  it('keeps the first listed policy on a tie', () => {
    expect(parse({ RateLimit: '"a";r=10;t=10;pk=:YQ==:, "b";r=1;t=1;pk=:Yg==:' })?.bucket).toBe('YQ==');
  });
});

describe('parseIetf on earlier drafts', () => {
  it('reads the draft-07 dictionary that express-rate-limit sends', () => {
    expect(parse({ 'RateLimit-Policy': '100;w=900', RateLimit: 'limit=100, remaining=25, reset=5' })).toEqual({
      dialect: 'ietf',
      limit: 100,
      remaining: 25,
      windowMs: 900_000,
      resetMs: 5_000,
    });
  });

  it('ties a draft-07 limit to the policy with the same quota', () => {
    const observation = parse({ 'RateLimit-Policy': '10;w=1, 50;w=60', RateLimit: 'limit=50, remaining=1, reset=7' });
    expect(observation).toEqual({ dialect: 'ietf', limit: 50, remaining: 1, windowMs: 60_000, resetMs: 7_000 });
  });

  it('reads the draft-08 form that express-rate-limit sends, with spaces after semicolons', () => {
    expect(
      parse({ 'RateLimit-Policy': '"100-in-15min"; q=100; w=900; pk=:ZDk2YjVhMzcxNWQz:', RateLimit: '"100-in-15min"; r=25; t=5' }),
    ).toEqual({ dialect: 'ietf', limit: 100, remaining: 25, windowMs: 900_000, resetMs: 5_000, bucket: 'ZDk2YjVhMzcxNWQz' });
  });

  it('accepts the l parameter some draft-08 servers used for the quota', () => {
    expect(parse({ 'RateLimit-Policy': 'default;l=100;w=10', RateLimit: 'default;r=50;t=5' })).toMatchObject({ limit: 100, remaining: 50 });
  });
});

describe('parseIetf rejecting what it cannot use', () => {
  it('gives undefined when neither field is present', () => {
    expect(parse({ 'X-RateLimit-Limit': '60' })).toBeUndefined();
  });

  it('ignores a field that is not a valid structured field, as the draft requires', () => {
    expect(parse({ RateLimit: '"default";r=50;t=30,' })).toBeUndefined();
    expect(parse({ RateLimit: '"default;r=50' })).toBeUndefined();
    expect(parse({ RateLimit: 'r=50 t=30' })).toBeUndefined();
  });

  it('falls back to the policies when the service limits are garbled', () => {
    expect(parse({ RateLimit: '{{', 'RateLimit-Policy': '"default";q=100;w=10' })).toEqual({ dialect: 'ietf', limit: 100, windowMs: 10_000 });
  });

  it('ignores negative or non-numeric parameters rather than guessing', () => {
    expect(parse({ RateLimit: '"default";r=-1;t="soon"' })).toBeUndefined();
    expect(parse({ 'RateLimit-Policy': '"default";q=-5;w=60' })).toBeUndefined();
    expect(parse({ RateLimit: '"default";r=5;t=-1' })).toEqual({ dialect: 'ietf', remaining: 5 });
  });

  it('ignores inner lists and items that are neither names nor quotas', () => {
    expect(parse({ RateLimit: '("a" "b");r=1, ?1;r=2, "ok";r=3' })).toEqual({ dialect: 'ietf', remaining: 3 });
  });

  it('treats a zero window as not stated', () => {
    expect(parse({ 'RateLimit-Policy': '"p";q=5;w=0' })).toEqual({ dialect: 'ietf', limit: 5 });
  });

  it('clamps a fifteen-digit reset to the maximum delay', () => {
    const observation = parse({ RateLimit: '"p";r=999999999999999;t=999999999999999' });
    expect(observation?.remaining).toBe(999_999_999_999_999);
    expect(observation?.resetMs).toBe(3_155_760_000_000);
  });
});

describe('parseIetf properties', () => {
  it('never throws and keeps every number finite, whole and non-negative', () => {
    fc.assert(
      fc.property(headersWith(['ratelimit', 'ratelimit-policy']), nowArb, (headers, now) => {
        expectWellFormed(parseIetf(headers, now));
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads any well-formed draft-10 pair back exactly', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1e9 }), fc.integer({ min: 1, max: 1e6 }), fc.nat(), fc.nat({ max: 1e6 }), (q, w, r, t) => {
        const observation = parse({ 'RateLimit-Policy': `"p";q=${q};w=${w}`, RateLimit: `"p";r=${r};t=${t}` });
        expect(observation).toEqual({ dialect: 'ietf', limit: q, remaining: r, windowMs: w * 1000, resetMs: t * 1000 });
      }),
    );
  });

  it('reports the same choice whatever order the policies are listed in, barring ties', () => {
    const item = fc.record({ r: fc.nat({ max: 1000 }), t: fc.integer({ min: 1, max: 1000 }) });
    fc.assert(
      fc.property(fc.uniqueArray(item, { minLength: 1, maxLength: 8, selector: ({ r, t }) => r / t }), (items) => {
        const field = (list: typeof items) => list.map(({ r, t }, i) => `"p${r}-${t}-${i}";r=${r};t=${t}`).join(', ');
        const forward = parse({ RateLimit: field(items) });
        const backward = parse({ RateLimit: field([...items].reverse()) });
        expect(backward?.remaining).toBe(forward?.remaining);
        expect(backward?.resetMs).toBe(forward?.resetMs);
      }),
    );
  });
});
