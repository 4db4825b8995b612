import { afterEach, describe, expect, it } from 'vitest';
import { rateLimitHeaders, RATE_LIMIT_HEADER_DIALECTS } from '../../mocks/rate-limit-headers.js';
import { isRateLimitedError, type RateLimitedError } from '../../src/errors.js';
import { response } from '../helpers/raw-http-server.js';
import { finishAll, rig, settle } from '../helpers/reliability-harness.js';

// "Caps, not hangs" for the server times that come on a success: a 200 saying the quota is
// spent until a reset centuries away must make later requests fail fast when they cannot wait
// that long — not crawl at the pacer's slowest pace into a spent quota.

afterEach(finishAll);

// A century off: Go's durations (OpenAI) reach only 292 years, so the year 3000 is out of range there.
const CENTURY_MS = 100 * 365 * 24 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

describe.each(RATE_LIMIT_HEADER_DIALECTS.filter((d) => d !== 'retry-after-only'))('a 200 in %s saying the quota is spent for a century', (dialect) => {
  it('makes later requests fail fast with RateLimitedError, none of them sent', async () => {
    const headers = (): Record<string, string> => {
      const nowMs = Date.now();
      return rateLimitHeaders(dialect, { rate: 60 / (CENTURY_MS / 1000), limit: 60, remaining: 0, resetMs: CENTURY_MS, nowMs, name: 'core' });
    };
    const { client, url, server, finish } = await rig((socket) => void socket.write(response(200, headers(), 'last one')), {
      retry: { maxRetryAfter: 2000 },
    });
    const first = await client.fetch(url);
    expect([first.status, await first.text()]).toEqual([200, 'last one']);

    const later = await Promise.all([1, 2, 3].map((i) => settle(client.fetch(`${url}/${i}`))));
    for (const outcome of later) {
      const error = (outcome as { error: unknown }).error;
      expect(isRateLimitedError(error)).toBe(true);
      // Not before the first of its 60 requests could come back (reset / limit: months at least;
      // a delta reset this large reads as epoch seconds, the year 2069, as GitHub's would).
      expect((error as RateLimitedError).retryAt).toBeGreaterThan(Date.now() + 30 * DAY_MS);
    }
    expect(server.counters.requests).toBe(1);
    expect(await finish()).toEqual([]);
  });
});

describe('a 200 saying the quota is spent with a near reset', () => {
  it('still paces the next request instead of holding the key (a bucket refills before its reset)', async () => {
    const { client, url, server, finish } = await rig((socket, request) => {
      socket.write(response(200, { 'X-RateLimit-Limit': 10, 'X-RateLimit-Remaining': request.index === 0 ? 0 : 5, 'X-RateLimit-Reset': 2 }, 'ok'));
    }, { retry: { maxRetryAfter: 2000 } });
    expect((await client.fetch(url)).status).toBe(200);
    const next = await client.fetch(url);
    expect(next.status).toBe(200);
    expect(client.stats(url)?.pausedUntil).toBeUndefined();
    expect(server.counters.requests).toBe(2);
    expect(await finish()).toEqual([]);
  });
});
