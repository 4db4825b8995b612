// close() in every state a request can be in — queued, backing off, waiting for its response,
// uploading, streaming its body — over each adapter: what the request gets, that close() resolves
// once the grace period allows, and that nothing is left open afterwards.

import { afterEach, describe, expect, it } from 'vitest';
import { Agent, getGlobalDispatcher, request as undiciRequest, setGlobalDispatcher, type Dispatcher } from 'undici';
import { createClient } from '../../src/client.js';
import type { ClientOptions } from '../../src/client-options.js';
import type { CloseOptions } from '../../src/engine/shutdown.js';
import { ClientClosedError, InvalidOptionError, isClientClosedError } from '../../src/errors.js';
import type { SluiceEventName, SluiceListener } from '../../src/gate/gate-events.js';
import { install, sluice, uninstall } from '../../src/undici/index.js';
import { activeResources, leftoverResources } from '../helpers/active-resources.js';
import { behaviours, drip, response, startRawServer, type RawBehaviour, type RawServer } from '../helpers/raw-http-server.js';
import { settle } from '../helpers/reliability-harness.js';
import { waitUntil } from '../helpers/wait-until.js';

/** What a test needs of a response, whichever adapter produced it. */
interface Answer {
  status: number;
  /** Reads the whole body. */
  text(): Promise<string>;
  /** Reads one chunk of the body. */
  readChunk(): Promise<unknown>;
}

interface Way {
  send(url: string, init?: { method?: string; body?: ReadableStream<Uint8Array> }): Promise<Answer>;
  on<E extends SluiceEventName>(event: E, listener: SluiceListener<E>): () => void;
  close(options?: CloseOptions): Promise<void>;
  /** Closes what the test made besides sluice (a dispatcher it gave). */
  teardown(): Promise<void>;
  /** Whether sluice owns the connections, so close() also ends bodies already returned. */
  ownsConnections: boolean;
  /** Whether `error` is how this way's caller learns of close(): Node's global fetch wraps a dispatcher's error in a TypeError. */
  isClosed(error: unknown): boolean;
}

const fromFetch = (res: Response): Answer => {
  const reader = res.body!.getReader();
  return {
    status: res.status,
    async text() {
      let text = '';
      const decoder = new TextDecoder();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value);
      return text;
    },
    readChunk: () => reader.read(),
  };
};

const ways: { name: string; create(options: Omit<ClientOptions, 'dispatcher'>): Way }[] = [
  {
    name: 'client.fetch on its own Agent',
    create(options) {
      const client = createClient(options);
      return {
        send: async (url, init) => fromFetch(await client.fetch(url, init?.body ? { ...init, duplex: 'half' } as RequestInit : init)),
        on: (event, listener) => client.on(event, listener),
        close: (o) => client.close(o),
        teardown: async () => {},
        ownsConnections: true,
        isClosed: isClientClosedError,
      };
    },
  },
  {
    name: 'client.fetch on a dispatcher it was given',
    create(options) {
      const agent = new Agent();
      const client = createClient({ ...options, dispatcher: agent });
      return {
        send: async (url, init) => fromFetch(await client.fetch(url, init?.body ? { ...init, duplex: 'half' } as RequestInit : init)),
        on: (event, listener) => client.on(event, listener),
        close: (o) => client.close(o),
        teardown: () => agent.destroy(),
        ownsConnections: false,
        isClosed: isClientClosedError,
      };
    },
  },
  {
    name: 'the interceptor',
    create(options) {
      const interceptor = sluice(options);
      const agent = new Agent().compose(interceptor);
      return {
        async send(url, init = {}) {
          const { statusCode, body } = await undiciRequest(url, { dispatcher: agent, method: (init.method ?? 'GET') as Dispatcher.HttpMethod, body: init.body as never });
          const iterator = body[Symbol.asyncIterator]();
          return { status: statusCode, text: () => body.text(), readChunk: () => iterator.next() };
        },
        on: (event, listener) => interceptor.on(event, listener),
        close: (o) => interceptor.close(o),
        teardown: () => agent.destroy(),
        ownsConnections: false,
        isClosed: isClientClosedError,
      };
    },
  },
  {
    name: 'install()',
    create(options) {
      const before = getGlobalDispatcher();
      const programAgent = new Agent();
      setGlobalDispatcher(programAgent);
      const interceptor = install(options);
      return {
        send: async (url, init) => fromFetch(await globalThis.fetch(url, init?.body ? { ...init, duplex: 'half' } as RequestInit : init)),
        on: (event, listener) => interceptor.on(event, listener),
        close: (o) => uninstall(o),
        async teardown() {
          await uninstall({ force: true });
          setGlobalDispatcher(before);
          await programAgent.destroy();
        },
        ownsConnections: false,
        isClosed: (error) => error instanceof TypeError && isClientClosedError(error.cause),
      };
    },
  },
];

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function setUp(way: (typeof ways)[number], behaviour: RawBehaviour, options: Omit<ClientOptions, 'dispatcher'> = {}) {
  const baseline = activeResources();
  const server = await startRawServer(behaviour);
  const sluiceWay = way.create({ retry: { backoff: { base: 1, max: 10 } }, ...options });
  let done = false;
  const finish = async (): Promise<string[]> => {
    if (done) return [];
    done = true;
    await sluiceWay.close({ force: true });
    await sluiceWay.teardown();
    await server.close();
    return leftoverResources(baseline);
  };
  cleanup.push(async () => void (await finish()));
  return { server, way: sluiceWay, url: `${server.origin}/thing`, finish };
}

/** Settles `promise` and reports whether it had settled by the time `other` did. */
function tracked<T>(promise: Promise<T>) {
  const state = { settled: false, outcome: undefined as { value: T } | { error: unknown } | undefined };
  const settledPromise = settle(promise).then((outcome) => {
    state.settled = true;
    state.outcome = outcome;
    return outcome;
  });
  return Object.assign(state, { promise: settledPromise });
}

const errorOf = (outcome: { value: unknown } | { error: unknown } | undefined): unknown => (outcome as { error?: unknown } | undefined)?.error;

/** A request body that sends one chunk and then never another, nor ends. */
function stalledBody(): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream({
    pull(controller) {
      if (sent) return new Promise(() => {});
      sent = true;
      controller.enqueue(new TextEncoder().encode('first chunk'));
    },
  });
}

describe.each(ways)('close() on $name', (wayKind) => {
  it('fails a queued request at once with ClientClosedError and lets the one in flight finish', async () => {
    const { way, url, server, finish } = await setUp(wayKind, (socket, request) => {
      setTimeout(() => socket.destroyed || behaviours.ok(socket, request), 150);
    }, { limits: { concurrency: 1 } });
    const inFlight = tracked(way.send(`${url}?first`).then((answer) => answer.text()));
    await waitUntil(() => server.counters.requests === 1, 'the first request reached the server');
    const queued = tracked(way.send(`${url}?second`));
    const closing = tracked(way.close());

    await queued.promise;
    expect(way.isClosed(errorOf(queued.outcome))).toBe(true);
    expect(inFlight.settled).toBe(false);
    await closing.promise;
    expect((await inFlight.promise)).toEqual({ value: 'ok' });
    expect(server.counters.requests).toBe(1);
    expect(await finish()).toEqual([]);
  });

  it('fails a request backing off after a 429 at once, without waiting out its Retry-After', async () => {
    const { way, url, server, finish } = await setUp(wayKind, (socket) => void socket.write(response(429, { 'Retry-After': 60 })));
    const retries: number[] = [];
    way.on('retry', (event) => retries.push(event.delay));
    const backingOff = tracked(way.send(url));
    await waitUntil(() => retries.length === 1, 'sluice decided to wait before retrying');
    expect(retries[0]).toBeGreaterThanOrEqual(60_000);

    const closing = tracked(way.close());
    await backingOff.promise;
    const error = errorOf(backingOff.outcome);
    expect(way.isClosed(error)).toBe(true);
    const closed = (isClientClosedError(error) ? error : (error as Error).cause) as ClientClosedError;
    expect(closed.message).toMatch(/^Client closed \(GET http:\/\/127\.0\.0\.1:\d+\)$/);
    await closing.promise;
    expect(server.counters.requests).toBe(1);
    // The 60 s timer went with it: nothing keeps the process alive.
    expect(await finish()).toEqual([]);
  });

  it('aborts an attempt still waiting for its response when the grace period ends', async () => {
    const { way, url, server, finish } = await setUp(wayKind, behaviours.silent);
    const waiting = tracked(way.send(url));
    await waitUntil(() => server.counters.requests === 1, 'the request reached the server');
    const closing = tracked(way.close({ grace: 100 }));
    await closing.promise;
    await waiting.promise;
    expect(way.isClosed(errorOf(waiting.outcome))).toBe(true);
    expect(server.counters.requests).toBe(1);
    expect(await finish()).toEqual([]);
  });

  it('aborts a stalled upload when the grace period ends', async () => {
    const { way, url, server, finish } = await setUp(wayKind, behaviours.silent);
    const uploading = tracked(way.send(url, { method: 'POST', body: stalledBody() }));
    await waitUntil(() => server.counters.requests === 1, 'the upload started');
    await way.close({ grace: 100 });
    await uploading.promise;
    expect(way.isClosed(errorOf(uploading.outcome))).toBe(true);
    expect(server.counters.requests).toBe(1);
    expect(await finish()).toEqual([]);
  });

  it('with force, aborts what is in flight at once', async () => {
    const { way, url, server, finish } = await setUp(wayKind, behaviours.silent, { closeGrace: 60_000 });
    const waiting = tracked(way.send(url));
    await waitUntil(() => server.counters.requests === 1, 'the request reached the server');
    const closing = tracked(way.close());
    await way.close({ force: true });
    await closing.promise;
    await waiting.promise;
    expect(way.isClosed(errorOf(waiting.outcome))).toBe(true);
    expect(await finish()).toEqual([]);
  });

  it('lets a response body being read go on until the grace period ends, then ends it if sluice owns its connection', async () => {
    const { way, url, finish } = await setUp(wayKind, (socket) => void drip(socket, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 10));
    const answer = await way.send(url);
    expect(answer.status).toBe(200);
    await answer.readChunk();
    const closing = tracked(way.close({ grace: 150 }));
    // Within the grace period the body still comes.
    await answer.readChunk();
    await closing.promise;
    if (way.ownsConnections) {
      expect(await settle(answer.text())).toHaveProperty('error');
    } else {
      // On a dispatcher sluice was given, the body is the dispatcher's: it streams on until that closes.
      expect(await settle(answer.readChunk())).toHaveProperty('value');
    }
    expect(await finish()).toEqual([]);
  });
});

describe('close()', () => {
  it('resolves at once when nothing is out, and every later call returns the same promise', async () => {
    const client = createClient();
    const first = client.close();
    expect(client.close({ force: true })).toBe(first);
    await first;
    await expect(client.fetch('http://127.0.0.1:1/')).rejects.toBeInstanceOf(ClientClosedError);
    await expect(client.ready()).rejects.toBeInstanceOf(ClientClosedError);
  });

  it('works with `await using`, for the client and the interceptor', async () => {
    const server = await startRawServer(behaviours.ok);
    cleanup.push(() => server.close());
    let outer: ReturnType<typeof createClient>;
    {
      await using client = createClient();
      outer = client;
      expect((await client.fetch(server.origin)).status).toBe(200);
    }
    await expect(outer.fetch(server.origin)).rejects.toBeInstanceOf(ClientClosedError);
    let interceptor: ReturnType<typeof sluice>;
    {
      await using gate = sluice();
      interceptor = gate;
    }
    await expect(interceptor.ready()).rejects.toBeInstanceOf(ClientClosedError);
  });

  it('refuses bad options without closing anything', async () => {
    const client = createClient();
    cleanup.push(() => client.close());
    await expect(client.close({ grace: -1 })).rejects.toThrow('Expected `options.grace` to be a number of ms from 0 to 2147483647');
    await expect(client.close({ grace: 2 ** 31 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(client.close({ forse: true } as CloseOptions)).rejects.toThrow('options.forse');
    await expect(uninstall({ grace: Number.NaN })).resolves.toBeUndefined(); // nothing installed: nothing to refuse
    install();
    await expect(uninstall({ grace: Number.NaN })).rejects.toBeInstanceOf(InvalidOptionError);
    await uninstall();
    expect(() => createClient({ closeGrace: -5 })).toThrow('Expected `closeGrace` to be a number of ms from 0');
    const server = await startRawServer(behaviours.ok);
    cleanup.push(() => server.close());
    expect((await client.fetch(server.origin)).status).toBe(200);
  });

  it('of an installed interceptor uninstalls it, so the process’s fetch works on without sluice', async () => {
    const server = await startRawServer(behaviours.ok);
    cleanup.push(() => server.close());
    const before = getGlobalDispatcher();
    const interceptor = install();
    await interceptor.close();
    expect(getGlobalDispatcher()).toBe(before);
    expect((await globalThis.fetch(server.origin)).status).toBe(200);
  });
});
