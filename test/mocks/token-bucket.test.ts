// Tests for the token-bucket mock: admission, refill and headers driven by an injected clock,
// over the loopback server and through socket interception.

import { afterEach, beforeEach, describe, expect, onTestFinished, test } from 'vitest';
import { Agent, fetch, request } from 'undici';
import { interceptNetwork } from '../../mocks/intercept.js';
import { startLoopbackServer } from '../../mocks/loopback.js';
import { tokenBucket, type TokenBucketOptions } from '../../mocks/token-bucket.js';

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0); // Sun, 01 Nov 2026 12:00:00 GMT

let agent: Agent;
beforeEach(() => {
  agent = new Agent();
});
afterEach(async () => {
  await agent.close();
});

/** A bucket on a clock that only moves when the test says so, served over loopback. */
async function serve(options: Omit<TokenBucketOptions, 'now'>) {
  let t = T0;
  const bucket = tokenBucket({ ...options, now: () => t });
  const server = await startLoopbackServer(bucket.handlers);
  onTestFinished(() => server.close());
  const get = async (path = '/') => {
    const res = await request(`${server.origin}${path}`, { dispatcher: agent });
    await res.body.dump();
    return res;
  };
  return { bucket, server, get, advance: (ms: number) => (t += ms) };
}

describe('tokenBucket over the loopback server', () => {
  test('accepts a full burst at once and rejects the next request with 429 and Retry-After', async () => {
    const { bucket, get } = await serve({ rate: 10, burst: 3, dialect: 'retry-after-only' });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get()).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(bucket.counters).toEqual({ received: 4, accepted: 3, rejected: 1 });

    const rejected = await get();
    // The next token is 100 ms away; whole seconds round up to the usual minimum of 1.
    expect(rejected.headers['retry-after']).toBe('1');
    expect(rejected.headers['ratelimit']).toBeUndefined();
  });

  test('refills at the configured rate as the clock advances', async () => {
    const { bucket, get, advance } = await serve({ rate: 10, burst: 1, dialect: 'retry-after-only' });
    expect((await get()).statusCode).toBe(200);
    advance(50);
    expect((await get()).statusCode).toBe(429);
    advance(50); // 100 ms since the first: exactly one token at 10/s
    expect((await get()).statusCode).toBe(200);
    expect((await get()).statusCode).toBe(429);
    expect(bucket.counters).toEqual({ received: 4, accepted: 2, rejected: 2 });
  });

  test('never holds more than its burst, however long it idles', async () => {
    const { bucket, get, advance } = await serve({ rate: 100, burst: 2, dialect: 'retry-after-only' });
    advance(3_600_000);
    expect(bucket.tokens()).toBe(2);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get()).statusCode);
    expect(statuses).toEqual([200, 200, 429]);
  });

  test('sends its dialect’s headers on accepted and rejected responses alike', async () => {
    const { get } = await serve({ rate: 1, burst: 2, dialect: 'ietf' });
    const first = await get();
    expect(first.headers['ratelimit-policy']).toBe('"default";q=2;w=2');
    expect(first.headers['ratelimit']).toBe('"default";r=1;t=1');
    await get();
    const rejected = await get();
    expect(rejected.statusCode).toBe(429);
    expect(rejected.headers['ratelimit']).toBe('"default";r=0;t=2');
    expect(rejected.headers['retry-after']).toBe('1');
  });

  test('sends epoch resets from the injected clock in the x-ratelimit-epoch dialect', async () => {
    const { get, advance } = await serve({ rate: 0.5, burst: 1, dialect: 'x-ratelimit-epoch', name: 'core' });
    const first = await get();
    expect(first.headers).toMatchObject({
      'x-ratelimit-limit': '1',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(T0 / 1000 + 2),
      'x-ratelimit-resource': 'core',
    });
    advance(500);
    const rejected = await get();
    expect(rejected.headers['x-ratelimit-reset']).toBe(String(T0 / 1000 + 2));
    expect(rejected.headers['retry-after']).toBe('2'); // 1.5 s to the next token, rounded up
  });

  test('says when to retry as an HTTP-date when asked', async () => {
    const { get } = await serve({ rate: 4, burst: 1, dialect: 'anthropic', retryAfter: 'http-date' });
    const first = await get();
    expect(first.headers['anthropic-ratelimit-requests-reset']).toBe('2026-11-01T12:00:01Z');
    const rejected = await get();
    expect(rejected.headers['retry-after']).toBe('Sun, 01 Nov 2026 12:00:01 GMT');
  });

  test('says when to retry in milliseconds when asked', async () => {
    const { get } = await serve({ rate: 4, burst: 1, dialect: 'openai', retryAfter: 'ms' });
    await get();
    const rejected = await get();
    expect(rejected.headers).toMatchObject({
      'retry-after-ms': '250',
      'retry-after': '1',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '250ms',
    });
  });

  test('rejects with the configured status and guards only its path', async () => {
    const { bucket, get } = await serve({ rate: 1, burst: 1, dialect: 'discord', status: 503, path: '*/limited' });
    expect((await get('/limited')).statusCode).toBe(200);
    const rejected = await get('/limited');
    expect(rejected.statusCode).toBe(503);
    expect(rejected.headers['x-ratelimit-bucket']).toBe('default');
    expect(rejected.headers['x-ratelimit-reset-after']).toBe('1.000');
    expect((await get('/other')).statusCode).toBe(404);
    expect(bucket.counters.received).toBe(2);
  });

  test('logs each request’s arrival time and verdict, keeping only the newest logLimit', async () => {
    const { bucket, get, advance } = await serve({ rate: 1, burst: 1, dialect: 'ietf-legacy', logLimit: 2 });
    await get();
    advance(10);
    await get();
    advance(10);
    await get();
    expect(bucket.log).toEqual([
      { at: T0 + 10, accepted: false },
      { at: T0 + 20, accepted: false },
    ]);
  });

  test('reset() refills the bucket and zeroes the counters and log', async () => {
    const { bucket, get } = await serve({ rate: 1, burst: 1, dialect: 'x-ratelimit-delta' });
    await get();
    await get();
    bucket.reset();
    expect(bucket.counters).toEqual({ received: 0, accepted: 0, rejected: 0 });
    expect(bucket.log).toEqual([]);
    expect((await get()).statusCode).toBe(200);
  });
});

describe('tokenBucket through interceptNetwork', () => {
  test('answers undici.request and undici.fetch in-process with the same decisions and headers', async () => {
    let t = T0;
    const bucket = tokenBucket({ rate: 2, burst: 2, dialect: 'openai', now: () => t });
    const network = await interceptNetwork(bucket.handlers);
    onTestFinished(() => network.close());
    const url = 'http://127.0.0.1:4/v1/chat';

    const first = await request(url, { method: 'POST', body: '{}', dispatcher: agent });
    await first.body.dump();
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-ratelimit-remaining-requests']).toBe('1');
    expect(first.headers['x-ratelimit-reset-requests']).toBe('500ms');

    const second = await fetch(url, { dispatcher: agent });
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ ok: true });

    const third = await fetch(url, { dispatcher: agent });
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('1');
    expect(third.headers.get('x-ratelimit-reset-requests')).toBe('1s');
    await third.body?.cancel();

    t += 500;
    expect((await fetch(url, { dispatcher: agent })).status).toBe(200);
    expect(bucket.counters).toEqual({ received: 4, accepted: 3, rejected: 1 });
  });
});

describe('tokenBucket options', () => {
  test('rejects an invalid option with a message naming it and the value', () => {
    expect(() => tokenBucket({ rate: 10, burst: 0, dialect: 'ietf' })).toThrow(
      'Expected `burst` to be an integer from 1 and up, got `0` (number)',
    );
    expect(() => tokenBucket({ rate: 10, burst: 1, dialect: 'github' as never })).toThrow(/`dialect`.*`github`/);
    expect(() => tokenBucket({ rate: 0, burst: 1, dialect: 'ietf' })).toThrow(/`rate`/);
  });
});
