import { afterEach, describe, expect, it } from 'vitest';
import { isTimeoutError, TimeoutError } from '../../src/errors.js';
import { behaviours, drip, type RawBehaviour } from '../helpers/raw-http-server.js';
import { finishAll, rig, settle } from '../helpers/reliability-harness.js';

// Transport faults over real sockets. Each test asserts three things: the request settles with
// what fetch promises (a Response, a TypeError with a cause, or sluice's TimeoutError), the
// server saw a bounded number of attempts, and nothing is left open once the test closes up.

afterEach(finishAll);

const fewRetries = { maxRetries: 3, backoff: { base: 1, max: 10 } };

function expectNetworkError(outcome: { error: unknown } | { value: unknown }): void {
  expect(outcome).toHaveProperty('error');
  const { error } = outcome as { error: unknown };
  expect(error).toBeInstanceOf(TypeError);
  expect((error as TypeError).cause).toBeDefined();
}

describe('a connection reset', () => {
  it.each([
    ['before any byte of the response', behaviours.resetBeforeResponse],
    ['in the middle of the response head', behaviours.resetMidHeaders],
  ])('%s rejects a GET with a TypeError after maxRetries + 1 attempts', async (_when, behaviour) => {
    const { client, url, server, finish } = await rig(behaviour, { retry: fewRetries });
    expectNetworkError(await settle(client.fetch(url)));
    expect(server.counters.requests).toBe(4);
    expect(await finish()).toEqual([]);
  });

  it('is not retried for a POST without an Idempotency-Key, since the request left', async () => {
    const { client, url, server, finish } = await rig(behaviours.resetBeforeResponse, { retry: fewRetries });
    expectNetworkError(await settle(client.fetch(url, { method: 'POST', body: 'once' })));
    expect(server.counters.requests).toBe(1);
    expect(await finish()).toEqual([]);
  });

  it('on one attempt is retried and the request resolves', async () => {
    const { client, url, server, finish } = await rig((socket, request) =>
      request.index === 0 ? behaviours.resetMidHeaders(socket, request) : behaviours.ok(socket, request),
    );
    const res = await client.fetch(url);
    expect([res.status, await res.text()]).toEqual([200, 'ok']);
    expect(server.counters.requests).toBe(2);
    expect(await finish()).toEqual([]);
  });
});

describe('a truncated body (Content-Length larger than what is sent, then close)', () => {
  const truncated: RawBehaviour = (socket) => {
    socket.end(`HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n${'y'.repeat(10)}`);
  };

  it('resolves with the response, and reading it rejects with a TypeError', async () => {
    const { client, url, server, finish } = await rig(truncated);
    const res = await client.fetch(url);
    expect(res.status).toBe(200);
    const read = await settle(res.text());
    expectNetworkError(read);
    expect(server.counters.requests).toBe(1);
    expect(await finish()).toEqual([]);
  });

  it('on a discarded 503 does not stop the retry', async () => {
    const { client, url, server, finish } = await rig((socket, request) => {
      if (request.index === 0) socket.end(`HTTP/1.1 503 Service Unavailable\r\nretry-after-ms: 5\r\nContent-Length: 1000\r\n\r\nshort`);
      else behaviours.ok(socket, request);
    });
    const res = await client.fetch(url);
    expect([res.status, await res.text()]).toEqual([200, 'ok']);
    expect(server.counters.requests).toBe(2);
    expect(await finish()).toEqual([]);
  });
});

describe('a server that accepts and never answers', () => {
  it('rejects with TimeoutError at the total deadline, and closes the sockets it opened', async () => {
    const { client, url, server, finish } = await rig(behaviours.silent, {
      timeout: { attempt: 100, total: 450 },
      retry: { backoff: { base: 1, max: 10 } },
    });
    const started = performance.now();
    const outcome = await settle(client.fetch(url));
    const elapsed = performance.now() - started;
    expect(outcome).toHaveProperty('error');
    const error = (outcome as { error: unknown }).error;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(isTimeoutError(error)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(440);
    expect(elapsed).toBeLessThan(2000);
    // One attempt per 100 ms in 450 ms, plus the one cut short by the deadline.
    expect(server.counters.requests).toBeGreaterThanOrEqual(2);
    expect(server.counters.requests).toBeLessThanOrEqual(5);
    // The client gave up on every silent connection: none is left for the server to hold.
    await expect.poll(() => server.counters.open, { timeout: 1000 }).toBe(0);
    expect(await finish()).toEqual([]);
  });

  it('with only an attempt timeout, stops after maxRetries + 1 attempts with the attempt TimeoutError', async () => {
    const { client, url, server, finish } = await rig(behaviours.silent, {
      timeout: { attempt: 50 },
      retry: { maxRetries: 2, backoff: { base: 1, max: 10 } },
    });
    let retries = 0;
    client.on('retry', () => retries++);
    const outcome = await settle(client.fetch(url));
    expect((outcome as { error: unknown }).error).toMatchObject({ name: 'TimeoutError', kind: 'attempt', timeout: 50 });
    // Counted by the client: on a loaded machine an attempt can time out before the server has
    // read it, so the server may see fewer, never more.
    expect(retries).toBe(2);
    expect(server.counters.requests).toBeGreaterThanOrEqual(1);
    expect(server.counters.requests).toBeLessThanOrEqual(3);
    await expect.poll(() => server.counters.open, { timeout: 1000 }).toBe(0);
    expect(await finish()).toEqual([]);
  });
});

describe('a slow drip body', () => {
  const dripping: RawBehaviour = (socket) => {
    drip(socket, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 20);
  };

  it('is the caller’s to read; aborting mid-body rejects the read and closes the connection at once', async () => {
    const { client, url, server, finish } = await rig(dripping, { timeout: { attempt: 200, total: 500 } });
    const controller = new AbortController();
    const res = await client.fetch(url, { signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    // Past the total deadline: it bounds the request until its headers, never the caller's read.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await reader.read()).done).toBe(false);
    const reading = settle(reader.read().then(() => reader.read()));
    controller.abort(new Error('caller stopped reading'));
    expect(await reading).toHaveProperty('error');
    await expect.poll(() => server.counters.open, { timeout: 500 }).toBe(0);
    expect(server.counters.requests).toBe(1);
    expect(await finish()).toEqual([]);
  });
});

describe('a server killed and restarted mid-run', () => {
  it('settles every request (200 or TypeError), never re-sends a POST, and attempts stay bounded', async () => {
    // Each answer takes 30 ms, so the kill lands on requests in flight as well as new ones.
    const slowOk: RawBehaviour = (socket, request) => {
      setTimeout(() => socket.destroyed || behaviours.ok(socket, request), 30);
    };
    const { client, url, server, finish } = await rig(slowOk, {
      retry: { maxRetries: 5, backoff: { base: 40, max: 400 } },
    });
    const retried: string[] = [];
    client.on('retry', (event) => retried.push(errorCode(event.error) ?? String(event.status)));
    const pending: Promise<{ method: string; outcome: { value: Response } | { error: unknown } }>[] = [];
    let restarted: Promise<void> | undefined;
    for (let i = 0; i < 40; i++) {
      const method = i % 5 === 4 ? 'POST' : 'GET';
      pending.push(
        settle(client.fetch(`${url}?i=${i}`, { method, ...(method === 'POST' ? { body: 'x' } : {}) })).then(async (outcome) => {
          if ('value' in outcome) await outcome.value.text();
          return { method, outcome };
        }),
      );
      if (i === 12) {
        // Killed: every connection destroyed and the port refusing; back on the same port 150 ms later.
        await server.close();
        restarted = new Promise((resolve) => setTimeout(resolve, 150)).then(() => server.restart());
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const settled = await Promise.all(pending);
    await restarted;
    for (const { outcome } of settled) {
      if ('error' in outcome) expectNetworkError(outcome);
      else expect(outcome.value.status).toBe(200);
    }
    // Both kinds of failure were met: connections refused while down, and requests cut in flight.
    expect(retried).toContain('ECONNREFUSED');
    expect(server.counters.connections).toBeGreaterThan(1);
    // Every GET got through in the end; a POST cut after it left was not sent again.
    expect(settled.filter((s) => s.method === 'GET' && 'error' in s.outcome)).toEqual([]);
    const postsReceived = server.requests.filter((r) => r.method === 'POST').map((r) => r.path);
    expect(new Set(postsReceived).size).toBe(postsReceived.length);
    expect(server.counters.requests).toBeLessThanOrEqual(40 * 6);
    expect(await finish()).toEqual([]);
  });
});

function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
