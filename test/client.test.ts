import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { createClient, type SluiceClient } from '../src/client.js';
import { ClientClosedError, InvalidOptionError } from '../src/errors.js';
import type { RetryPolicy } from '../src/retry/policy.js';
import { sequence, type SequenceEntry } from '../mocks/sequence.js';
import { startLoopbackServer, type LoopbackServer } from '../mocks/loopback.js';
import { startHeldServer } from './helpers/held-server.js';
import { waitUntil } from './helpers/wait-until.js';

// Server times in these tests use retry-after-ms so real sockets need not wait whole seconds;
// the delays themselves are pinned by the policy and attempt-loop unit tests.
const fast = { 'retry-after-ms': '5' };
const open: { server?: LoopbackServer; client?: SluiceClient }[] = [];

async function serve(entries: SequenceEntry[], options: Parameters<typeof createClient>[0] = {}) {
  const script = sequence(entries);
  const server = await startLoopbackServer(script.handlers);
  const client = createClient({ retry: { backoff: { base: 1 } }, ...options });
  open.push({ server, client });
  return { script, server, client, url: `${server.origin}/thing` };
}

afterEach(async () => {
  for (const { server, client } of open.splice(0)) {
    await client?.close();
    await server?.close();
  }
});

describe('fetch compatibility', () => {
  it('resolves with the final 429 as a Response, not a throw', async () => {
    const { client, url, script } = await serve([{ status: 429, headers: fast, body: 'slow down' }], {
      retry: { maxRetries: 2 },
    });
    const response = await client.fetch(url);
    expect(response.status).toBe(429);
    expect(await response.text()).toBe('slow down');
    expect(script.counters.received).toBe(3);
  });

  it('retries a 429 with server time and resolves with the 200', async () => {
    const { client, url, script } = await serve([{ status: 429, headers: fast }, { status: 200, body: 'ok' }]);
    const response = await client.fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
    expect(script.counters.received).toBe(2);
  });

  it('rejects a network failure with a TypeError carrying the cause', async () => {
    const { client, url, server } = await serve([{ status: 200 }], { retry: false });
    await server.close();
    const error = await client.fetch(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).cause).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('retries a refused connection even for POST, since nothing was sent', async () => {
    let dispatched = 0;
    const counting = new Agent().compose((dispatch) => (options, handler) => {
      dispatched++;
      return dispatch(options, handler);
    });
    const { client, url, server } = await serve([{ status: 200 }], {
      dispatcher: counting,
      retry: { maxRetries: 2, backoff: { base: 1 } },
    });
    await server.close();
    await expect(client.fetch(url, { method: 'POST', body: 'x' })).rejects.toThrow(TypeError);
    expect(dispatched).toBe(3);
    await counting.close();
  });

  it('rejects with the signal reason when aborted during a server-time wait', async () => {
    const { client, url, script } = await serve([{ status: 503, headers: { 'retry-after': '30' } }, { status: 200 }]);
    const controller = new AbortController();
    const pending = client.fetch(url, { signal: controller.signal });
    while (script.counters.received === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort(new Error('user gave up'));
    await expect(pending).rejects.toThrow('user gave up');
    expect(script.counters.received).toBe(1);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const { client, url, script } = await serve([{ status: 200 }]);
    await expect(client.fetch(url, { signal: AbortSignal.abort('early') })).rejects.toBe('early');
    expect(script.counters.received).toBe(0);
  });

  it('accepts a Request object, including one made by the global Request class', async () => {
    const { client, url, script } = await serve([{ status: 503, headers: fast }, { status: 200 }]);
    const request = new Request(url, { method: 'PUT', body: 'payload', headers: { 'x-test': 'yes' } });
    const response = await client.fetch(request);
    expect(response.status).toBe(200);
    expect(script.log.map((entry) => [entry.method, entry.body, entry.headers['x-test']])).toEqual([
      ['PUT', 'payload', 'yes'],
      ['PUT', 'payload', 'yes'],
    ]);
  });

  it('throws the same TypeError as fetch for an invalid URL', async () => {
    const client = createClient();
    open.push({ client });
    await expect(client.fetch('not a url')).rejects.toThrow(TypeError);
  });
});

describe('what is re-sent', () => {
  it('never re-sends a POST without an Idempotency-Key after it left', async () => {
    const { client, url, script } = await serve(['network-error', { status: 200 }]);
    await expect(client.fetch(url, { method: 'POST', body: 'once' })).rejects.toThrow(TypeError);
    expect(script.counters.received).toBe(1);
  });

  it('re-sends a POST carrying an Idempotency-Key, with the same body', async () => {
    const { client, url, script } = await serve(['network-error', { status: 201 }]);
    const response = await client.fetch(url, { method: 'POST', body: 'twice', headers: { 'Idempotency-Key': 'k1' } });
    expect(response.status).toBe(201);
    expect(script.log.map((entry) => entry.body)).toEqual(['twice', 'twice']);
  });

  it('re-sends a GET whose connection was reset after sending', async () => {
    const { client, url, script } = await serve(['network-error', { status: 200 }]);
    expect((await client.fetch(url)).status).toBe(200);
    expect(script.counters.received).toBe(2);
  });

  it.each([
    ['URLSearchParams', () => new URLSearchParams({ a: '1' }), 'a=1'],
    ['Uint8Array', () => new TextEncoder().encode('bytes'), 'bytes'],
    ['Blob', () => new Blob(['blob']), 'blob'],
  ])('replays a %s body on retry', async (_name, makeBody, text) => {
    const { client, url, script } = await serve([{ status: 503, headers: fast }, { status: 200 }]);
    await client.fetch(url, { method: 'PUT', body: makeBody() });
    expect(script.log.map((entry) => entry.body)).toEqual([text, text]);
  });

  it('replays a stream body that fit the replay buffer', async () => {
    const { client, url, script } = await serve([{ status: 503, headers: fast }, { status: 200 }]);
    const response = await client.fetch(url, { method: 'PUT', body: streamOf(['a', 'b', 'c']), duplex: 'half' } as RequestInit);
    expect(response.status).toBe(200);
    expect(script.log.map((entry) => entry.body)).toEqual(['abc', 'abc']);
  });

  it('does not re-send a stream body larger than the replay buffer once it started', async () => {
    const { client, url, script } = await serve([{ status: 503, headers: fast }, { status: 200 }], {
      maxReplayBytes: 4,
    });
    const response = await client.fetch(url, { method: 'PUT', body: streamOf(['abc', 'def']), duplex: 'half' } as RequestInit);
    expect(response.status).toBe(503);
    expect(script.counters.received).toBe(1);
  });
});

describe('connections', () => {
  it('drains a small discarded body so the connection is reused', async () => {
    const { client, url, server } = await serve([{ status: 503, headers: fast, body: 'busy' }, { status: 200 }]);
    await (await client.fetch(url)).text();
    expect(server.connections.total).toBe(1);
  });

  it('destroys the connection rather than read a large discarded body', async () => {
    const big = 'x'.repeat(1024 * 1024);
    const { client, url, server } = await serve([{ status: 503, headers: fast, body: big }, { status: 200 }]);
    await (await client.fetch(url)).text();
    expect(server.connections.total).toBe(2);
  });
});

describe('options', () => {
  it('uses a dispatcher the caller passes and leaves it open on close', async () => {
    const agent = new Agent();
    const { client, url } = await serve([{ status: 200 }], { dispatcher: agent });
    expect((await client.fetch(url)).status).toBe(200);
    await client.close();
    expect(agent.closed).toBe(false);
    await agent.close();
  });

  it('rejects requests after close with ClientClosedError', async () => {
    const { client, url } = await serve([{ status: 200 }]);
    await client.close();
    await expect(client.fetch(url)).rejects.toBeInstanceOf(ClientClosedError);
  });

  it('lets a request override retry and timeout', async () => {
    const { client, url, script } = await serve([{ status: 503, headers: fast }, { status: 200 }]);
    expect((await client.fetch(url, { sluice: { retry: false } })).status).toBe(503);
    expect(script.counters.received).toBe(1);
  });

  it.each([
    [{ timeout: { attempt: 0 } }, 'Expected `timeout.attempt` to be a number of ms above 0'],
    [{ maxReplayBytes: -1 }, 'Expected `maxReplayBytes` to be a number from 0 and up, got `-1` (number)'],
    [{ dispatcher: {} }, 'Expected `dispatcher` to be an undici Dispatcher'],
    [{ retries: 3 }, 'Expected `options.retries` to be one of the known options'],
    [{ retry: 'yes' }, 'Expected `retry` to be an object, got `"yes"` (string)'],
  ])('rejects bad options %j with a message naming them', (options, message) => {
    expect(() => createClient(options as never)).toThrow(InvalidOptionError);
    expect(() => createClient(options as never)).toThrow(message);
  });

  it("accepts fetch's own priority and orders the queue by it: 'high', then the default, then 'low'", async () => {
    const held = await startHeldServer();
    const client = createClient({ limits: { concurrency: 1 }, rate: false });
    open.push({ client, server: held.server });
    const first = client.fetch(`${held.origin}/first`);
    await held.until(() => held.held === 1);
    const queued = [
      client.fetch(`${held.origin}/low`, { priority: 'low' }),
      client.fetch(`${held.origin}/plain`),
      client.fetch(`${held.origin}/high`, { priority: 'high' }),
    ];
    await waitUntil(() => client.stats(held.origin)?.queued === 3, 'three requests queued');
    held.releaseAll();
    for (const response of await Promise.all([first, ...queued])) expect(response.status).toBe(200);
    expect(held.log).toEqual(['/first', '/high', '/plain', '/low']);
  });

  it.each([Infinity, -Infinity, Number.NaN])('refuses init.sluice.priority %s before it reaches the queue', async (priority) => {
    const client = createClient();
    open.push({ client });
    await expect(client.fetch('http://127.0.0.1:1/', { sluice: { priority } })).rejects.toThrow(
      `Expected \`init.sluice.priority\` to be a finite number, got \`${priority}\` (number)`,
    );
  });

  it('merges a per-request retry over the client\'s, field by field', async () => {
    // The client retries 418 (not a default status); the request only lowers maxRetries.
    const { client, url, script } = await serve([{ status: 418, headers: fast }], {
      retry: { statusCodes: [418], maxRetries: 5, backoff: { base: 1 } },
    });
    expect((await client.fetch(url, { sluice: { retry: { maxRetries: 1 } } })).status).toBe(418);
    expect(script.counters.received).toBe(2);
  });

  it("keeps the client's maxRetryAfter under a per-request retry that does not name it", async () => {
    const { client, url, script } = await serve([{ status: 503, headers: { 'retry-after': '1' } }, { status: 200 }], {
      retry: { maxRetryAfter: 10 },
    });
    // The server asks for 1 s, past the client's 10 ms cap: returned at once, not slept through.
    expect((await client.fetch(url, { sluice: { retry: { maxRetries: 2 } } })).status).toBe(503);
    expect(script.counters.received).toBe(1);
  });

  it('lets a per-request retry: false or policy replace the setting whole', async () => {
    const { client, url, script } = await serve([{ status: 418, headers: fast }, { status: 418, headers: fast }, { status: 200 }], {
      retry: { statusCodes: [418], backoff: { base: 1 } },
    });
    expect((await client.fetch(url, { sluice: { retry: false } })).status).toBe(418);
    const untilOk: RetryPolicy = {
      decide: ({ outcome }) =>
        outcome.type === 'response' && outcome.status === 200 ? { retry: false, reason: 'success' } : { retry: true, delay: 0, source: 'backoff' },
    };
    expect((await client.fetch(url, { sluice: { retry: untilOk } })).status).toBe(200);
    expect(script.counters.received).toBe(3);
  });

  it('names init.sluice.retry when a per-request option is bad', async () => {
    const client = createClient();
    open.push({ client });
    await expect(client.fetch('http://127.0.0.1:1/', { sluice: { retry: { maxRetries: -1 } } })).rejects.toThrow(
      'Expected `init.sluice.retry.maxRetries` to be an integer',
    );
  });
});

function streamOf(parts: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(encoder.encode(part));
      controller.close();
    },
  });
}
