// Tests of `sluice()` as an undici interceptor: dispatcher chains, per-request options, request
// bodies, final and discarded responses, and the errors undici users get.

import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, Client, errors, fetch as undiciFetch, Pool, request, type Dispatcher } from 'undici';
import type { RequestHandler } from 'msw';
import { startLoopbackServer } from '../../mocks/loopback.js';
import { sequence, type SequenceEntry } from '../../mocks/sequence.js';
import { InvalidOptionError, isQueueFullError, isTimeoutError } from '../../src/errors.js';
import { sluice, type SluiceOptions } from '../../src/undici/index.js';
import { closedPort } from '../helpers/refused-once.js';
import { waitUntil } from '../helpers/wait-until.js';

// Behaviour shared with the other adapters lives in test/adapters; these are the interceptor's
// own concerns: dispatcher chains, per-request options, bodies, handlers and undici's errors.
const fast = { 'retry-after-ms': '5' };
const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const resource of open.splice(0).reverse()) await resource.close();
});

async function serve(handlers: RequestHandler[], options: SluiceOptions = {}) {
  const server = await startLoopbackServer(handlers);
  open.push(server);
  const interceptor = sluice({ rate: false, retry: { backoff: { base: 1 } }, ...options });
  const agent = new Agent().compose(interceptor);
  open.push(agent);
  return { server, interceptor, agent, url: `${server.origin}/items` };
}

async function script(entries: SequenceEntry[], options: SluiceOptions = {}) {
  const scripted = sequence(entries);
  return { script: scripted, ...(await serve(scripted.handlers, options)) };
}

describe('composition', () => {
  it.each([
    ['Pool', (origin: string) => new Pool(origin)],
    ['Client', (origin: string) => new Client(origin)],
  ])('works over a %s as over an Agent', async (_name, make) => {
    const scripted = sequence([{ status: 503, headers: fast }, { status: 200, body: 'ok' }]);
    const server = await startLoopbackServer(scripted.handlers);
    open.push(server);
    const dispatcher = make(server.origin).compose(sluice({ rate: false }));
    open.push(dispatcher);
    const { statusCode, body } = await request(`${server.origin}/items`, { dispatcher });
    expect([statusCode, await body.text()]).toEqual([200, 'ok']);
    expect(scripted.counters.received).toBe(2);
  });

  it('serves undici.fetch through a composed agent', async () => {
    const { agent, url, script: scripted } = await script([{ status: 429, headers: fast }, { status: 200, body: 'ok' }]);
    const response = await undiciFetch(url, { dispatcher: agent });
    expect([response.status, await response.text()]).toEqual([200, 'ok']);
    expect(scripted.counters.received).toBe(2);
  });

  it('shares one gate between every dispatcher it is composed into', async () => {
    const { interceptor, server, url } = await script([{ status: 429, headers: { 'retry-after-ms': '50' } }, { status: 200 }]);
    const other = new Pool(server.origin).compose(interceptor);
    open.push(other);
    await (await request(url, { dispatcher: other })).body.dump();
    expect(interceptor.stats(server.origin)?.counters).toMatchObject({ sent: 2, throttled: 1 });
  });

  it('passes CONNECT and upgrade requests straight to the next dispatcher', () => {
    const seen: Dispatcher.DispatchOptions[] = [];
    const next: Dispatcher.Dispatch = (opts) => (seen.push(opts), true);
    const dispatch = sluice()(next);
    const handler = {};
    dispatch({ origin: 'http://127.0.0.1:1', path: '/', method: 'GET', upgrade: 'websocket' }, handler);
    dispatch({ origin: 'http://127.0.0.1:1', path: '127.0.0.1:443', method: 'CONNECT' }, handler);
    expect(seen.map((opts) => opts.method)).toEqual(['GET', 'CONNECT']);
  });

  it('exposes its gates: stats, ready and events', async () => {
    const { interceptor, agent, url, server } = await script([{ status: 429, headers: fast }, { status: 200 }]);
    const pauses: number[] = [];
    interceptor.on('pause', ({ until }) => pauses.push(until));
    await (await request(url, { dispatcher: agent })).body.dump();
    await interceptor.ready(server.origin);
    expect(pauses).toHaveLength(1);
    expect(interceptor.stats().map((s) => s.key)).toEqual([server.origin]);
  });

  it('refuses an option the interceptor cannot honour', () => {
    expect(() => sluice({ dispatcher: new Agent() } as never)).toThrow(InvalidOptionError);
    expect(() => sluice({ limits: { concurrency: 0 } })).toThrow('limits.concurrency');
  });
});

describe('per-request options', () => {
  it('lets opts.sluice override the interceptor’s retry setting', async () => {
    const { agent, url, script: scripted } = await script([{ status: 503, headers: fast }, { status: 200 }]);
    const { statusCode, body } = await request(url, { dispatcher: agent, sluice: { retry: false } });
    await body.dump();
    expect(statusCode).toBe(503);
    expect(scripted.counters.received).toBe(1);
  });

  it('gates a request under the key opts.sluice names', async () => {
    const { agent, url, interceptor } = await script([{ status: 200 }]);
    await (await request(url, { dispatcher: agent, sluice: { key: 'tenant-a' } })).body.dump();
    expect(interceptor.stats('tenant-a')?.counters.sent).toBe(1);
  });

  it('rejects a misspelt per-request option without sending anything', async () => {
    const { agent, url, script: scripted } = await script([{ status: 200 }]);
    const error = await request(url, { dispatcher: agent, sluice: { retries: 2 } as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toContain('opts.sluice.retries');
    expect(scripted.counters.received).toBe(0);
  });

  it('rejects a bad per-request value with the engine’s validation error', async () => {
    const { agent, url, script: scripted } = await script([{ status: 200 }]);
    const error = await request(url, { dispatcher: agent, sluice: { priority: 'high' as never } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(scripted.counters.received).toBe(0);
  });
});

describe('request bodies', () => {
  it.each([
    ['string', () => 'payload'],
    ['Buffer', () => Buffer.from('payload')],
    ['Uint8Array', () => new TextEncoder().encode('payload')],
  ])('replays a %s body on retry', async (_name, makeBody) => {
    const { agent, url, script: scripted } = await script([{ status: 503, headers: fast }, { status: 200 }]);
    await (await request(url, { dispatcher: agent, method: 'PUT', body: makeBody() })).body.dump();
    expect(scripted.log.map((entry) => entry.body)).toEqual(['payload', 'payload']);
  });

  it('replays a stream body that fit the replay buffer', async () => {
    const { agent, url, script: scripted } = await script([{ status: 503, headers: fast }, { status: 200 }]);
    const body = Readable.from([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')]);
    const { statusCode } = await request(url, { dispatcher: agent, method: 'PUT', body });
    expect(statusCode).toBe(200);
    expect(scripted.log.map((entry) => entry.body)).toEqual(['abc', 'abc']);
  });

  it('replays an async iterable body that fit the replay buffer', async () => {
    const { agent, url, script: scripted } = await script([{ status: 503, headers: fast }, { status: 200 }]);
    async function* chunks() {
      yield Buffer.from('x');
      yield Buffer.from('y');
    }
    // undici accepts (async) iterables at run time; its DispatchOptions type does not list them.
    await (await request(url, { dispatcher: agent, method: 'PUT', body: chunks() as never })).body.dump();
    expect(scripted.log.map((entry) => entry.body)).toEqual(['xy', 'xy']);
  });

  it('re-sends a generator body whole on retry, never empty', async () => {
    const { agent, url, script: scripted } = await script([{ status: 503, headers: fast }, { status: 200 }]);
    function* chunks() {
      yield 'gen';
      yield Buffer.from('erator');
    }
    const { statusCode, body } = await request(url, { dispatcher: agent, method: 'PUT', body: chunks() as never });
    await body.dump();
    expect(statusCode).toBe(200);
    expect(scripted.log.map((entry) => entry.body)).toEqual(['generator', 'generator']);
  });

  it('keeps an async iterable of strings for replay', async () => {
    const { agent, url, script: scripted } = await script([{ status: 503, headers: fast }, { status: 200 }]);
    async function* chunks() {
      yield 'grüße ';
      yield 'aus ';
      yield 'Köln';
    }
    await (await request(url, { dispatcher: agent, method: 'PUT', body: chunks() as never })).body.dump();
    expect(scripted.log.map((entry) => entry.body)).toEqual(['grüße aus Köln', 'grüße aus Köln']);
  });

  it('replays an array of chunks (re-iterable) as it is', async () => {
    const { agent, url, script: scripted } = await script([{ status: 503, headers: fast }, { status: 200 }]);
    await (await request(url, { dispatcher: agent, method: 'PUT', body: [Buffer.from('a'), Buffer.from('b')] as never })).body.dump();
    expect(scripted.log.map((entry) => entry.body)).toEqual(['ab', 'ab']);
  });

  it('retries a small stream body after a refused connection and sends it whole', async () => {
    const scripted = sequence([{ status: 200 }]);
    const server = await startLoopbackServer(scripted.handlers);
    open.push(server);
    const dead = `http://127.0.0.1:${await closedPort()}`;
    let dispatched = 0;
    // The first attempt really connects to a closed port, so undici pulls the body's first chunk.
    const agent = new Agent()
      .compose((dispatch) => (opts, handler) => dispatch(++dispatched === 1 ? { ...opts, origin: dead } : opts, handler))
      .compose(sluice({ rate: false, retry: { backoff: { base: 1 } } }));
    open.push(agent);
    const body = Readable.from([Buffer.from('one,'), Buffer.from('two')]);
    const { statusCode, body: response } = await request(`${server.origin}/items`, { dispatcher: agent, method: 'POST', body });
    await response.dump();
    expect(statusCode).toBe(200);
    expect(dispatched).toBe(2);
    expect(scripted.log.map((entry) => entry.body)).toEqual(['one,two']);
  });

  it("destroys the caller's stream when a refused request is not retried", async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const agent = new Agent().compose(sluice({ retry: false }));
    open.push(agent);
    const body = new Readable({ read() {} });
    body.push('never sent');
    const error = await request(`${dead}/items`, { dispatcher: agent, method: 'POST', body }).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('ECONNREFUSED');
    await waitUntil(() => body.destroyed, 'the body stream is destroyed');
  });

  it('does not re-send a stream body larger than the replay buffer once it started', async () => {
    const { agent, url, script: scripted } = await script([{ status: 503, headers: fast }, { status: 200 }], {
      maxReplayBytes: 4,
    });
    const body = Readable.from([Buffer.from('abc'), Buffer.from('def')]);
    const { statusCode, body: response } = await request(url, { dispatcher: agent, method: 'PUT', body });
    await response.dump();
    expect(statusCode).toBe(503);
    expect(scripted.counters.received).toBe(1);
  });
});

describe('responses', () => {
  it('drains a small discarded body so the connection is reused', async () => {
    const { agent, url, server } = await script([{ status: 503, headers: fast, body: 'busy' }, { status: 200 }]);
    await (await request(url, { dispatcher: agent })).body.dump();
    expect(server.connections.total).toBe(1);
  });

  it('destroys the connection rather than read a large discarded body', async () => {
    const big = 'x'.repeat(1024 * 1024);
    const { agent, url, server } = await script([{ status: 503, headers: fast, body: big }, { status: 200 }]);
    await (await request(url, { dispatcher: agent })).body.dump();
    expect(server.connections.total).toBe(2);
  });

  it('streams a large final body to the caller whole', async () => {
    const big = 'y'.repeat(2 * 1024 * 1024);
    const { agent, url } = await script([{ status: 503, headers: fast }, { status: 200, body: big }]);
    const { statusCode, body } = await request(url, { dispatcher: agent });
    expect(statusCode).toBe(200);
    expect((await body.text()).length).toBe(big.length);
  });

  it('gives the caller the final response’s raw headers', async () => {
    const { agent, url } = await script([
      { status: 503, headers: { ...fast, 'x-attempt': 'first' } },
      { status: 200, headers: { 'x-attempt': 'second' } },
    ]);
    const { headers, body } = await request(url, { dispatcher: agent, responseHeaders: 'raw' });
    await body.dump();
    // With responseHeaders: 'raw', undici reads the controller's raw headers: a flat name/value list.
    const raw = headers as unknown as string[];
    expect(raw[raw.findIndex((name) => name.toLowerCase() === 'x-attempt') + 1]).toBe('second');
  });
});

describe('errors and aborts as undici reports them', () => {
  it('rejects a reset connection with undici’s SocketError once retries are spent', async () => {
    const { agent, url, script: scripted } = await script(['network-error'], { retry: { maxRetries: 1, backoff: { base: 1 } } });
    const error = await request(url, { dispatcher: agent }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(errors.SocketError);
    expect(scripted.counters.received).toBe(2);
  });

  it('rejects a refused connection with the connect error', async () => {
    const { agent, url, server } = await script([{ status: 200 }], { retry: false });
    await server.close();
    const error = await request(url, { dispatcher: agent }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('rejects with sluice’s QueueFullError when the key’s queue is full', async () => {
    const { agent, url, interceptor, server } = await script([{ status: 200, delayMs: 10_000 }], {
      limits: { concurrency: 1, maxQueue: 1 },
    });
    const controller = new AbortController();
    const running = request(url, { dispatcher: agent, signal: controller.signal }).catch(() => undefined);
    const waiting = request(url, { dispatcher: agent, signal: controller.signal }).catch(() => undefined);
    await waitUntil(() => interceptor.stats(server.origin)?.queued === 1, 'one request waits');
    const error = await request(url, { dispatcher: agent }).catch((e: unknown) => e);
    expect(isQueueFullError(error)).toBe(true);
    controller.abort();
    await Promise.all([running, waiting]);
  });

  it('fails an attempt that outlives its timeout with sluice’s TimeoutError and lets the connection go', async () => {
    const { agent, url, interceptor, server } = await script([{ status: 200, delayMs: 10_000 }], {
      retry: false,
      timeout: { attempt: 30 },
    });
    const error = await request(url, { dispatcher: agent }).catch((e: unknown) => e);
    expect(isTimeoutError(error)).toBe(true);
    await waitUntil(() => server.connections.open === 0, 'the timed-out connection is closed');
    expect(interceptor.stats(server.origin)?.inFlight).toBe(0);
  });

  // Needs the retry policy to treat undici's argument errors as permanent (see the report on
  // issue #4); today a request undici refuses outright is dispatched 1 + maxRetries times.
  it('does not retry a request undici refuses as invalid', async () => {
    let dispatched = 0;
    const counting: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => (dispatched++, dispatch(opts, handler));
    const agent = new Agent().compose(counting, sluice({ rate: false, retry: { backoff: { base: 1 } } }));
    open.push(agent);
    const error = await request('http://127.0.0.1:9/items', { dispatcher: agent, headers: { 'x-bad': 'a\nb' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(errors.InvalidArgumentError);
    expect(dispatched).toBe(1);
  });

  it('ends a queued request when the handler aborts through its controller, without sending it', async () => {
    const { agent, url, interceptor, server, script: scripted } = await script([{ status: 200, delayMs: 10_000 }], {
      limits: { concurrency: 1 },
    });
    const blocker = new AbortController();
    const running = request(url, { dispatcher: agent, signal: blocker.signal }).catch(() => undefined);
    await waitUntil(() => scripted.counters.received === 1, 'the first request holds the only slot');

    const events: string[] = [];
    let controller: Dispatcher.DispatchController | undefined;
    const failed = new Promise<Error>((resolve) => {
      agent.dispatch(
        { origin: server.origin, path: '/items', method: 'GET' },
        {
          onRequestStart: (c) => {
            controller = c;
            events.push('start');
          },
          onResponseStart: () => void events.push('response'),
          onResponseError: (_c, error) => resolve(error),
        },
      );
    });
    await waitUntil(() => interceptor.stats(server.origin)?.queued === 1, 'the dispatch is queued');
    controller!.abort(new Error('handler gave up'));
    expect((await failed).message).toBe('handler gave up');
    expect(events).toEqual(['start']);
    expect(interceptor.stats(server.origin)?.queued).toBe(0);
    blocker.abort();
    await running;
    expect(scripted.counters.received).toBe(1);
  });
});
