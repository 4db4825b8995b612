import { describe, expect, it } from 'vitest';
import { parseCountOrAdaptive, parseDuration, parseHeader, parseRate } from '../../src/cli/args.js';
import { clientOptionsFrom } from '../../src/cli/client-flags.js';

describe('flag values', () => {
  it('reads durations with units; a bare number is seconds', () => {
    expect(parseDuration('--timeout', '500ms')).toBe(500);
    expect(parseDuration('--timeout', '30s')).toBe(30_000);
    expect(parseDuration('--timeout', '1.5')).toBe(1500);
    expect(parseDuration('--timeout', '2m')).toBe(120_000);
    expect(() => parseDuration('--timeout', '0')).toThrow('--timeout must be a duration above 0');
  });

  it('reads rates and concurrency', () => {
    expect(parseRate('2.5')).toBe(2.5);
    expect(parseRate('off')).toBe(false);
    expect(parseRate('adaptive')).toBe('adaptive');
    expect(() => parseRate('-1')).toThrow('--rate must be requests per second above 0');
    expect(parseCountOrAdaptive('--concurrency', '8')).toBe(8);
    expect(() => parseCountOrAdaptive('--concurrency', '1.5')).toThrow("--concurrency must be a whole number from 1 up or 'adaptive'");
  });

  it('reads headers the way curl -H does', () => {
    expect(parseHeader('Authorization: Bearer a:b')).toEqual(['Authorization', 'Bearer a:b']);
    expect(parseHeader('X-Empty:')).toEqual(['X-Empty', '']);
    expect(() => parseHeader(': v')).toThrow("--header must look like 'Name: value'");
  });

  it('turns the shared flags into client options', () => {
    expect(clientOptionsFrom({ concurrency: '4', rate: '10', 'max-retries': '2', timeout: '5s', header: ['A: 1'] })).toEqual({
      client: { limits: { concurrency: 4 }, rate: 10, retry: { maxRetries: 2 }, timeout: { attempt: 5000 } },
      headers: [['A', '1']],
    });
    expect(clientOptionsFrom({})).toEqual({ client: {}, headers: [] });
  });
});
