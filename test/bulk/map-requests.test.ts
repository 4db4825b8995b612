import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { http, HttpResponse } from 'msw';
import { createClient, type SluiceClient } from '../../src/client.js';
import type { ClientOptions } from '../../src/client-options.js';
import { mapRequests } from '../../src/bulk/map-requests.js';
import { BodyTooLargeError } from '../../src/bulk/body-mode.js';
import { mapDefaults } from '../../src/bulk/map-options.js';
import { InvalidOptionError } from '../../src/errors.js';
import { sequence } from '../../mocks/sequence.js';
import { tokenBucket } from '../../mocks/token-bucket.js';
import { startLoopbackServer, type LoopbackServer } from '../../mocks/loopback.js';
import { startHeldServer, type HeldServer } from '../helpers/held-server.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

function client(options: ClientOptions = {}): SluiceClient {
  const c = createClient({ rate: false, retry: { backoff: { base: 1 } }, ...options });
  cleanup.push(() => c.close());
  return c;
}
async function held(): Promise<HeldServer> {
  const s = await startHeldServer();
  cleanup.push(() => s.close());
  return s;
}
async function loopback(handlers: Parameters<typeof startLoopbackServer>[0]): Promise<LoopbackServer> {
  const s = await startLoopbackServer(handlers);
  cleanup.push(() => s.close());
  return s;
}
/** A source that counts how often it was pulled and whether it was closed. */
function counted<T>(items: Iterable<T>, onPull?: (item: T) => void) {
  const state = { pulled: 0, closed: false };
  const source = (async function* () {
    try {
      for (const item of items) {
        state.pulled++;
        onPull?.(item);
        yield item;
      }
    } finally {
      state.closed = true;
    }
  })();
  return { source, state };
}
function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}
function* forever(): Generator<number> {
  for (let i = 0; ; i++) yield i;
}
async function collect<R>(results: AsyncIterable<R>): Promise<R[]> {
  const out: R[] = [];
  for await (const result of results) out.push(result);
  return out;
}

describe('pulling on capacity', () => {
  it('never pulls an item while the key has no room in its window', async () => {
    const server = await held();
    const c = client({ limits: { concurrency: 3 } });
    const atPull: { inFlight: number; queued: number }[] = [];
    const { source, state } = counted(range(8), () =>
      atPull.push({ inFlight: run.progress.inFlight, queued: c.stats(server.origin)?.queued ?? 0 }),
    );
    const run = c.map(source, (i) => `${server.origin}/item/${i}`);
    const done = collect(run);

    await server.until(() => server.held === 3);
    for (let i = 0; i < 5; i++) await nextTurn();
    // Three in flight fill the window; the fourth item stays in the source.
    expect(state.pulled).toBe(3);
    expect(run.progress).toMatchObject({ pulled: 3, inFlight: 3 });

    server.release(1);
    await server.until(() => server.counters.received === 4);
    expect(state.pulled).toBe(4);

    server.releaseAll();
    const results = await done;
    expect(results).toHaveLength(8);
    expect(atPull.every((p) => p.inFlight < 3 && p.queued === 0)).toBe(true);
  });

  it('stops pulling while the consumer does not read: at most bufferSize items are held', async () => {
    const script = sequence([{ status: 200, body: 'ok' }]);
    const server = await loopback(script.handlers);
    const c = client();
    const { source, state } = counted(range(50));
    const run = c.map(source, (i) => `${server.origin}/item/${i}`, { bufferSize: 3, concurrency: 2 });

    expect((await run.next()).done).toBe(false);
    await vi.waitFor(() => expect(run.progress).toMatchObject({ buffered: 3, inFlight: 0 }));
    for (let i = 0; i < 20; i++) await nextTurn();
    await sleep(20);
    expect(state.pulled).toBe(4);
    expect(script.counters.received).toBe(4);

    const rest = await collect(run);
    expect(rest).toHaveLength(49);
    expect(state.pulled).toBe(50);
  });

  it("holds at most 128 in flight by default, though the key's window would admit more", async () => {
    const server = await held();
    // A window of 300 stands for an adaptive window grown against a fast server (up to 1000);
    // `mapRequests` applies map's own default whatever the client's window.
    const c = client({ limits: { concurrency: 300 } });
    const { source, state } = counted(range(200));
    const run = mapRequests(c, source, (i) => `${server.origin}/item/${i}`);
    const done = collect(run);

    await server.until(() => server.held >= 128);
    for (let i = 0; i < 5; i++) await nextTurn();
    expect(state.pulled).toBe(128);
    expect(mapDefaults.concurrency).toBe(128);
    expect(run.progress).toMatchObject({ pulled: 128, inFlight: 128 });
    expect(c.stats(server.origin)).toMatchObject({ inFlight: 128, queued: 0 });

    server.releaseAll();
    expect(await done).toHaveLength(200);
  });

  it.each([
    ['with concurrency: Infinity', { concurrency: Infinity }],
    ['by default on a client whose window is fixed', undefined],
  ])("leaves the cap to the key's window %s", async (_, options) => {
    const server = await held();
    const c = client({ limits: { concurrency: 150 } });
    const { source, state } = counted(range(200));
    const done = collect(c.map(source, (i) => `${server.origin}/item/${i}`, options));

    await server.until(() => server.held >= 150);
    for (let i = 0; i < 5; i++) await nextTurn();
    expect(state.pulled).toBe(150);

    server.releaseAll();
    expect(await done).toHaveLength(200);
  });

  it("reads the key's room from the engine, not from a full stats() per item", async () => {
    // stats() copies every counter of the key: 6.6 KB of garbage per item of a million-item run.
    const server = await loopback([http.get('*/item/:i', () => HttpResponse.text('ok'))]);
    const c = client();
    const stats = vi.spyOn(c, 'stats');
    expect(await collect(c.map(range(50), (i) => `${server.origin}/item/${i}`))).toHaveLength(50);
    expect(stats).not.toHaveBeenCalled();
  });

  it('does not pull while the key is paused by a 429', async () => {
    const bucket = tokenBucket({ rate: 4, burst: 2, dialect: 'retry-after-only', retryAfter: 'ms' });
    const server = await loopback(bucket.handlers);
    const c = client({ rate: 'adaptive' });
    const pausedAtPull: (number | undefined)[] = [];
    const { source } = counted(range(8), () => {
      const paused = c.stats(server.origin)?.pausedUntil;
      pausedAtPull.push(paused !== undefined && paused > Date.now() ? paused : undefined);
    });
    const results = await collect(c.map(source, (i) => `${server.origin}/item/${i}`));
    expect(results.map((r) => r.response?.status)).toEqual(Array(8).fill(200));
    expect(bucket.counters.rejected).toBeGreaterThan(0);
    expect(pausedAtPull.filter((p) => p !== undefined)).toEqual([]);
  });
});

describe('result order', () => {
  it('yields results as they complete by default', async () => {
    const server = await held();
    const c = client();
    const run = c.map(range(4), (i) => `${server.origin}/${i === 0 ? 'item' : 'now'}/${i}`);
    const order: number[] = [];
    for await (const result of run) {
      order.push(result.index);
      if (order.length === 3) server.release();
    }
    expect(order.slice(0, 3).sort()).toEqual([1, 2, 3]);
    expect(order[3]).toBe(0);
  });

  it('yields results in source order with ordered, holding early ones back', async () => {
    const server = await held();
    const c = client();
    const run = c.map(range(4), (i) => `${server.origin}/${i === 0 ? 'item' : 'now'}/${i}`, { ordered: true });
    const pending = collect(run);
    await vi.waitFor(() => expect(run.progress.buffered).toBe(3));
    server.release();
    const results = await pending;
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    expect(results.map((r) => r.body)).toEqual(['/item/0', '/now/1', '/now/2', '/now/3']);
  });

  it('bounds the reorder buffer: a stuck first item stops the pulling', async () => {
    const server = await held();
    const c = client();
    const { source, state } = counted(range(60));
    const run = c.map(source, (i) => `${server.origin}/${i === 0 ? 'item' : 'now'}/${i}`, {
      ordered: true,
      bufferSize: 5,
      concurrency: 4,
    });
    const pending = collect(run);
    // The stuck first item and four finished ones behind it fill the buffer of five.
    await vi.waitFor(() => expect(run.progress).toMatchObject({ inFlight: 1, buffered: 4 }));
    await sleep(20);
    expect(state.pulled).toBe(5);
    server.release();
    const results = await pending;
    expect(results.map((r) => r.index)).toEqual([...range(60)]);
  });
});

describe('failures', () => {
  it('turns every kind of failure into a result and goes on', async () => {
    const server = await held();
    const closed = await startLoopbackServer([]);
    const closedUrl = `${closed.origin}/gone`;
    await closed.close();
    const c = client({ retry: false });
    const inputs = ['ok', 'throws', 'bad-url', 'refused', 'fail', 'ok-again'];
    const results = await collect(
      c.map(inputs, (name) => {
        if (name === 'throws') throw new Error('cannot build this one');
        if (name === 'bad-url') return 'not a url';
        if (name === 'refused') return closedUrl;
        if (name === 'fail') return `${server.origin}/fail/1`;
        return `${server.origin}/now/${name}`;
      }),
    );
    const byName = Object.fromEntries(results.map((r) => [r.input, r]));
    expect(results).toHaveLength(6);
    expect(byName.ok).toMatchObject({ ok: true, body: '/now/ok', attempts: 1 });
    expect(byName['ok-again']).toMatchObject({ ok: true });
    expect(byName.throws).toMatchObject({ ok: false, error: new Error('cannot build this one') });
    expect(byName['bad-url']!.error).toBeInstanceOf(TypeError);
    expect(byName.refused!.error).toBeInstanceOf(TypeError);
    expect((byName.refused!.error as TypeError).cause).toMatchObject({ code: 'ECONNREFUSED' });
    expect(byName.fail).toMatchObject({ ok: false, body: '/fail/1' });
    expect(byName.fail!.response?.status).toBe(500);
    expect(byName.fail!.error).toBeUndefined();
  });

  it('with failFast, stops pulling at the first failure and aborts what is in flight', async () => {
    const server = await held();
    const c = client({ limits: { concurrency: 3 } });
    const { source, state } = counted(range(20));
    const results = await collect(
      c.map(source, (i) => `${server.origin}/${i === 2 ? 'fail' : 'item'}/${i}`, { failFast: true }),
    );
    expect(state.pulled).toBe(3);
    expect(state.closed).toBe(true);
    expect(results.map((r) => r.index).sort()).toEqual([0, 1, 2]);
    const failed = results.find((r) => r.index === 2)!;
    expect(failed.response?.status).toBe(500);
    for (const aborted of results.filter((r) => r.index !== 2)) {
      expect(aborted.ok).toBe(false);
      expect((aborted.error as DOMException).name).toBe('AbortError');
    }
    await server.until(() => server.counters.cancelled === 2);
  });

  it('ends with the error of a source that throws, after the pulled items settle', async () => {
    const server = await held();
    server.releaseAll();
    const c = client();
    async function* breaking() {
      yield 1;
      yield 2;
      throw new Error('disk on fire');
    }
    const seen: number[] = [];
    const run = c.map(breaking(), (i) => `${server.origin}/item/${i}`);
    await expect(
      (async () => {
        for await (const result of run) seen.push(result.input);
      })(),
    ).rejects.toThrow('disk on fire');
    expect(seen.sort()).toEqual([1, 2]);
  });
});

describe('stopping', () => {
  it('an aborted signal stops pulling and settles in-flight items with its reason', async () => {
    const server = await held();
    const c = client({ limits: { concurrency: 2 } });
    const controller = new AbortController();
    const { source, state } = counted(forever());
    const run = c.map(source, (i) => `${server.origin}/item/${i}`, { signal: controller.signal });
    const pending = collect(run);
    await server.until(() => server.held === 2);
    const reason = new Error('user pressed stop');
    controller.abort(reason);
    const results = await pending;
    expect(results.map((r) => r.error)).toEqual([reason, reason]);
    expect(state.pulled).toBe(2);
    expect(state.closed).toBe(true);
    await server.until(() => server.counters.cancelled === 2);
  });

  it('breaking out of the loop closes the source and aborts what is in flight', async () => {
    const server = await held();
    const c = client({ limits: { concurrency: 4 } });
    const { source, state } = counted(forever());
    const run = c.map(source, (i) => `${server.origin}/${i < 2 ? 'now' : 'item'}/${i}`);
    let seen = 0;
    for await (const result of run) {
      expect(result.ok).toBe(true);
      if (++seen === 2) break;
    }
    expect(state.closed).toBe(true);
    expect(run.progress.inFlight).toBe(0);
    await server.until(() => server.counters.cancelled === server.counters.received - 2);
  });

  it("an item's own signal aborts that item only", async () => {
    const server = await held();
    const c = client();
    const own = new AbortController();
    const run = c.map(range(3), (i) => ({
      input: `${server.origin}/${i === 1 ? 'item' : 'now'}/${i}`,
      init: i === 1 ? { signal: own.signal } : {},
    }));
    const pending = collect(run);
    await server.until(() => server.held === 1);
    own.abort(new Error('not this one'));
    const results = (await pending).sort((a, b) => a.index - b.index);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(results[1]).toMatchObject({ error: new Error('not this one') });
    expect(results[1]!.cancelled).toBeUndefined();
  });

  it('stops at once, pulling nothing, when the signal is already aborted', async () => {
    const c = client();
    const { source, state } = counted(forever());
    const results = await collect(c.map(source, (i) => `http://127.0.0.1:9/${i}`, { signal: AbortSignal.abort() }));
    expect(results).toEqual([]);
    expect(state.pulled).toBe(0);
  });
});

describe('bodies and attempts', () => {
  it('reads bodies as json, bytes, through a reader, or not at all', async () => {
    const server = await loopback([http.get('*', () => HttpResponse.json({ hello: 'world' }))]);
    const c = client();
    const url = () => `${server.origin}/doc`;
    const [json] = await collect(c.map([1], url, { body: 'json' }));
    expect(json!.body).toEqual({ hello: 'world' });
    const [bytes] = await collect(c.map([1], url, { body: 'bytes' }));
    expect(new TextDecoder().decode(bytes!.body)).toBe('{"hello":"world"}');
    const [custom] = await collect(c.map([1], url, { body: async (response) => (await response.json()) as { hello: string } }));
    expect(custom!.body?.hello).toBe('world');
    const [unread] = await collect(c.map([1], url, { body: false }));
    expect(unread!.body).toBeUndefined();
    expect(await unread!.response!.json()).toEqual({ hello: 'world' });
  });

  it('fails an item whose body is larger than maxBodyBytes', async () => {
    const server = await loopback([http.get('*', () => HttpResponse.text('x'.repeat(100)))]);
    const c = client();
    const [result] = await collect(c.map([1], () => `${server.origin}/big`, { maxBodyBytes: 10 }));
    expect(result).toMatchObject({ ok: false });
    expect(result!.error).toBeInstanceOf(BodyTooLargeError);
    expect(result!.response?.status).toBe(200);
  });

  it('counts attempts, retries included', async () => {
    const script = sequence([{ status: 503, headers: { 'retry-after-ms': '5' } }, { status: 200, body: 'ok' }]);
    const server = await loopback(script.handlers);
    const c = client();
    const [result] = await collect(c.map([1], () => `${server.origin}/x`));
    expect(result).toMatchObject({ ok: true, attempts: 2, body: 'ok' });
    // Standalone, without the client's dispatcher, attempts cannot be counted.
    const [plain] = await collect(mapRequests(c, [1], () => `${server.origin}/x`));
    expect(plain).toMatchObject({ ok: true });
    expect(plain!.attempts).toBeUndefined();
  });

  it('accepts a Request and { input, init } from toRequest', async () => {
    const script = sequence([{ status: 200 }]);
    const server = await loopback(script.handlers);
    const c = client();
    const results = await collect(
      c.map(
        ['a', 'b'],
        (name) =>
          name === 'a'
            ? new Request(`${server.origin}/a`, { method: 'PUT', body: 'A' })
            : { input: `${server.origin}/b`, init: { method: 'POST', body: 'B', headers: { 'x-name': 'b' } } },
        { ordered: true },
      ),
    );
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(script.log.map((e) => [e.method, e.body]).sort()).toEqual([
      ['POST', 'B'],
      ['PUT', 'A'],
    ]);
  });
});

describe('options', () => {
  it('validates options and arguments eagerly', () => {
    const c = client();
    const to = () => 'http://127.0.0.1:9/';
    expect(() => c.map([], to, { concurrency: 0 })).toThrow(InvalidOptionError);
    expect(() => c.map([], to, { body: 'xml' as never })).toThrow("Expected `body` to be one of 'text', 'json', 'bytes'");
    expect(() => c.map([], to, { orderd: true } as never)).toThrow(InvalidOptionError);
    expect(() => c.map('urls.txt' as never, to)).toThrow('Expected `source` to be an Iterable or AsyncIterable object');
    expect(() => c.map([], 'x' as never)).toThrow('Expected `toRequest` to be a function');
  });
});
