import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { isRateLimitedError, RateLimitedError } from '../../src/errors.js';
import { drip, flood, response, type RawBehaviour } from '../helpers/raw-http-server.js';
import { finishAll, rig, settle } from '../helpers/reliability-harness.js';

// Servers that answer in ways meant to hurt a client: absurd or invalid server times, floods of
// headers or body. sluice must neither hang, nor buffer, nor retry earlier than it may.

afterEach(finishAll);

const YEAR_S = 365 * 24 * 3600;

describe('Retry-After of a year', () => {
  it('returns the 429 at once, then fails later requests to the key fast with RateLimitedError', async () => {
    const { client, url, server, finish } = await rig((socket) => {
      socket.write(response(429, { 'Retry-After': YEAR_S }, 'come back next year'));
    });
    const started = performance.now();
    const first = await client.fetch(url);
    expect(first.status).toBe(429);
    expect(await first.text()).toBe('come back next year');
    expect(performance.now() - started).toBeLessThan(1000);

    const later = await settle(client.fetch(`${url}/other-path`));
    const error = (later as { error: unknown }).error;
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(isRateLimitedError(error)).toBe(true);
    expect((error as RateLimitedError).retryAt).toBeGreaterThan(Date.now() + (YEAR_S - 60) * 1000);
    expect(server.counters.requests).toBe(1);
    expect(await finish()).toEqual([]);
  });

  it('refuses the requests queued behind the first one instead of holding them for a year', async () => {
    const { client, url, server, finish } = await rig((socket) => {
      socket.write(response(429, { 'Retry-After': YEAR_S }));
    });
    const outcomes = await Promise.all(Array.from({ length: 30 }, () => settle(client.fetch(url))));
    for (const outcome of outcomes) {
      if ('value' in outcome) expect(outcome.value.status).toBe(429);
      else expect(isRateLimitedError(outcome.error)).toBe(true);
    }
    expect(outcomes.filter((o) => 'error' in o).length).toBeGreaterThan(0);
    // At most the first flight reached the server; nobody retried.
    expect(server.counters.requests).toBeLessThanOrEqual(10);
    expect(await finish()).toEqual([]);
  });
});

describe('a negative Retry-After', () => {
  it('falls back to backoff: attempts are spaced by the backoff, never sent at once', async () => {
    const backoff = { base: 50, max: 1000, jitter: 'none' as const };
    const { client, url, server, finish } = await rig(
      (socket) => void socket.write(response(503, { 'Retry-After': '-5' })),
      { retry: { maxRetries: 3, backoff } },
    );
    const res = await client.fetch(url);
    expect(res.status).toBe(503);
    expect(server.counters.requests).toBe(4);
    const gaps = server.requests.slice(1).map((r, i) => r.at - server.requests[i]!.at);
    // 50, 100, 200 ms; a timer may fire a millisecond early by clock granularity, never more.
    [50, 100, 200].forEach((delay, i) => expect(gaps[i]).toBeGreaterThanOrEqual(delay - 2));
    expect(await finish()).toEqual([]);
  });

  it('on a 429 does not let a burst retry in a storm: every request keeps its attempt bound', async () => {
    const { client, url, server, finish } = await rig(
      (socket) => void socket.write(response(429, { 'Retry-After': '-1' })),
      { retry: { maxRetries: 2, backoff: { base: 20, max: 100 } } },
    );
    const started = performance.now();
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => settle(client.fetch(url))));
    for (const outcome of outcomes) {
      if ('value' in outcome) expect(outcome.value.status).toBe(429);
      else expect(outcome.error).toBeInstanceOf(Error);
    }
    expect(server.counters.requests).toBeLessThanOrEqual(20 * 3);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(await finish()).toEqual([]);
  });
});

describe('thousands of response headers', () => {
  const manyHeaders = (count: number, extra: Record<string, string> = {}) => {
    const lines = Array.from({ length: count }, (_, i) => `X-Junk-${i}: ${'v'.repeat(8)}`);
    for (const [name, value] of Object.entries(extra)) lines.push(`${name}: ${value}`);
    return lines.join('\r\n');
  };

  it('beyond undici’s header limit reject with a TypeError, after a bounded number of attempts', async () => {
    const { client, url, server, finish } = await rig(
      (socket) => void socket.write(`HTTP/1.1 200 OK\r\n${manyHeaders(5000)}\r\nContent-Length: 0\r\n\r\n`),
      { retry: { maxRetries: 2, backoff: { base: 1, max: 5 } } },
    );
    const outcome = await settle(client.fetch(url));
    const error = (outcome as { error: unknown }).error;
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).cause).toMatchObject({ code: 'UND_ERR_HEADERS_OVERFLOW' });
    expect(server.counters.requests).toBeLessThanOrEqual(3);
    expect(await finish()).toEqual([]);
  });

  it('within a raised limit, on a 429 mixed with repeated rate-limit fields, are parsed without hanging', async () => {
    const repeated = Array.from({ length: 2000 }, (_, i) => `X-RateLimit-Remaining: ${i % 7}\r\nRetry-After: ${i % 3}`).join('\r\n');
    const { client, url, server, finish } = await rig(
      (socket, request) => {
        if (request.index === 0) {
          socket.write(`HTTP/1.1 429 Too Many Requests\r\n${manyHeaders(10_000)}\r\n${repeated}\r\nretry-after-ms: 20\r\nContent-Length: 0\r\n\r\n`);
        } else socket.write(response(200, {}, 'ok'));
      },
      {},
      new Agent({ maxHeaderSize: 4 * 1024 * 1024 }),
    );
    const started = performance.now();
    const res = await client.fetch(url);
    expect([res.status, await res.text()]).toEqual([200, 'ok']);
    expect(server.counters.requests).toBe(2);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(await finish()).toEqual([]);
  });
});

describe('a huge body on a discarded 503', () => {
  const TEN_GB = 10 * 1024 ** 3;

  it('is not read: the connection is destroyed, the server writes little, and the retry waits its Retry-After', async () => {
    let floodSocketClosedAt: number | undefined;
    const { client, url, server, finish } = await rig((socket, request) => {
      if (request.index === 0) {
        socket.once('close', () => (floodSocketClosedAt = performance.now()));
        flood(socket, `HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: ${TEN_GB}\r\n\r\n`, TEN_GB);
      } else socket.write(response(200, {}, 'ok'));
    });
    const started = performance.now();
    const res = await client.fetch(url);
    const elapsed = performance.now() - started;
    expect([res.status, await res.text()]).toEqual([200, 'ok']);
    // Not earlier than the server asked, and no hang.
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(5000);
    // The flooded connection was closed by the client long before the retry.
    expect(floodSocketClosedAt).toBeDefined();
    expect(floodSocketClosedAt! - started).toBeLessThan(1000);
    expect(server.counters.connections).toBe(2);
    expect(await finish()).toEqual([]);
    // What left the server: the 64 KiB drained plus what the loopback's socket buffers hold
    // (about 4 MB measured here), not gigabytes.
    expect(server.counters.bytesWritten).toBeLessThan(16 * 1024 * 1024);
  });

  it('that only drips is given up after the drain bound, while the retry goes ahead on a new connection', async () => {
    let dripClosedAt: number | undefined;
    const { client, url, finish } = await rig((socket, request) => {
      if (request.index === 0) {
        socket.once('close', () => (dripClosedAt = performance.now()));
        drip(socket, 'HTTP/1.1 503 Service Unavailable\r\nretry-after-ms: 10\r\nTransfer-Encoding: chunked\r\n\r\n', 50);
      } else socket.write(response(200, {}, 'ok'));
    });
    const started = performance.now();
    const res = await client.fetch(url);
    expect([res.status, await res.text()]).toEqual([200, 'ok']);
    expect(performance.now() - started).toBeLessThan(900);
    // Destroyed at the 1 s drain bound rather than read for ever.
    await expect.poll(() => dripClosedAt, { timeout: 3000 }).toBeDefined();
    expect(dripClosedAt! - started).toBeGreaterThanOrEqual(900);
    expect(dripClosedAt! - started).toBeLessThan(2500);
    expect(await finish()).toEqual([]);
  });
});

describe.each([
  ['429', 429],
  ['503', 503],
])('a %s with Retry-After: 0', (_name, status) => {
  const zero: RawBehaviour = (socket, request) => {
    socket.write(request.index < 3 ? response(status, { 'Retry-After': '0' }) : response(200, {}, 'ok'));
  };

  it('is retried, within maxRetries, and resolves', async () => {
    const { client, url, server, finish } = await rig(zero, { retry: { maxRetries: 5, backoff: { base: 1, max: 5 } } });
    const res = await client.fetch(url);
    expect(res.status).toBe(200);
    expect(server.counters.requests).toBe(4);
    expect(await finish()).toEqual([]);
  });
});
