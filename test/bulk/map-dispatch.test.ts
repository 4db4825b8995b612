import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { http, HttpResponse } from 'msw';
import { createClient, type SluiceClient } from '../../src/client.js';
import type { ClientOptions } from '../../src/client-options.js';
import { isRateLimitedError } from '../../src/errors.js';
import { sequence } from '../../mocks/sequence.js';
import { startLoopbackServer, type LoopbackServer } from '../../mocks/loopback.js';

// client.map sends plain items as undici dispatches through the client's engine; these tests
// hold it to what client.fetch would have done, and to the run going on when one item cannot.

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});
function client(options: ClientOptions = {}): SluiceClient {
  const c = createClient({ rate: false, retry: { backoff: { base: 1 } }, ...options });
  cleanup.push(() => c.close());
  return c;
}
async function loopback(handlers: Parameters<typeof startLoopbackServer>[0]): Promise<LoopbackServer> {
  const s = await startLoopbackServer(handlers);
  cleanup.push(() => s.close());
  return s;
}
async function collect<R>(results: AsyncIterable<R>): Promise<R[]> {
  const out: R[] = [];
  for await (const result of results) out.push(result);
  return out;
}

describe('client.map on the dispatcher path', () => {
  it('sends what fetch would send: its default headers, content type and method spelling', async () => {
    const script = sequence([{ status: 200, body: 'ok' }]);
    const server = await loopback(script.handlers);
    const c = client();
    const specs = [
      `${server.origin}/plain`,
      { input: `${server.origin}/post`, init: { method: 'post', body: 'hello' } },
      { input: new URL(`${server.origin}/purge`), init: { method: 'PURGE', headers: { 'X-One': ' 1 ' }, body: new URLSearchParams({ a: 'b' }) } },
      { input: `${server.origin}/delete`, init: { method: 'delete' } },
      { input: `${server.origin}/agent`, init: { headers: new Headers({ 'user-agent': 'mine', accept: 'text/plain' }) } },
    ];
    const results = await collect(c.map(specs, (spec) => spec));
    expect(results.every((r) => r.ok && r.body === 'ok' && r.attempts === 1)).toBe(true);
    const byPath = Object.fromEntries(script.log.map((entry) => [new URL(entry.url).pathname, entry]));
    expect(byPath['/plain']).toMatchObject({
      method: 'GET',
      headers: { accept: '*/*', 'accept-language': '*', 'sec-fetch-mode': 'cors', 'user-agent': 'undici', 'accept-encoding': 'gzip, deflate' },
    });
    expect(byPath['/post']).toMatchObject({ method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain;charset=UTF-8' } });
    // fetch upper-cases the six methods it normalises ('delete'), and sends others as written.
    expect(byPath['/delete']).toMatchObject({ method: 'DELETE' });
    expect(byPath['/purge']).toMatchObject({
      method: 'PURGE',
      body: 'a=b',
      headers: { 'x-one': '1', 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
    });
    expect(byPath['/agent']!.headers).toMatchObject({ 'user-agent': 'mine', accept: 'text/plain' });
  });

  it('goes through the client gates, counts attempts, and gives a Response with the final URL', async () => {
    const script = sequence([{ status: 503, headers: { 'retry-after-ms': '1' } }, { status: 200, body: '{"n":1}', headers: { 'content-type': 'application/json' } }]);
    const server = await loopback(script.handlers);
    const c = client();
    const [result] = await collect(c.map([1], () => `${server.origin}/item`, { body: 'json' }));
    expect(result).toMatchObject({ ok: true, attempts: 2, body: { n: 1 } });
    expect(result!.response!.status).toBe(200);
    expect(result!.response!.headers.get('content-type')).toBe('application/json');
    expect(result!.response!.url).toBe(`${server.origin}/item`);
    // A spread keeps the response (it is an own property, built when first read).
    expect({ ...result }.response).toBe(result!.response);
    expect(c.stats(server.origin)!.counters.sent).toBe(2);
  });

  it('follows redirects as fetch does, and decodes a compressed body', async () => {
    const server = await loopback([
      http.get('*/old', () => new HttpResponse(null, { status: 302, headers: { location: '/new' } })),
      http.get('*/new', () => new HttpResponse(gzipSync('compressed'), { headers: { 'content-encoding': 'gzip', 'content-type': 'text/plain' } })),
    ]);
    const c = client();
    const [result] = await collect(c.map([1], () => `${server.origin}/old`));
    expect(result).toMatchObject({ ok: true, body: 'compressed', attempts: 1 });
    expect(result!.response!.url).toBe(`${server.origin}/new`);
  });

  it('redirects a POST with 303 as a GET, drops Authorization across origins, and fails a loop', async () => {
    const other = sequence([{ status: 200, body: 'elsewhere' }]);
    const elsewhere = await loopback(other.handlers);
    const server = await loopback([
      http.post('*/submit', () => new HttpResponse(null, { status: 303, headers: { location: '/done' } })),
      http.get('*/done', ({ request }) => HttpResponse.text(`${request.method} ${request.headers.get('content-type') ?? 'no body'}`)),
      http.get('*/away', () => new HttpResponse(null, { status: 307, headers: { location: `${elsewhere.origin}/there` } })),
      http.get('*/loop', () => new HttpResponse(null, { status: 302, headers: { location: '/loop' } })),
    ]);
    const c = client();
    const results = await collect(
      c.map(
        [
          { input: `${server.origin}/submit`, init: { method: 'POST', body: 'x' } },
          { input: `${server.origin}/away`, init: { headers: { authorization: 'Bearer secret' } } },
          `${server.origin}/loop`,
        ],
        (spec) => spec,
        { ordered: true },
      ),
    );
    expect(results[0]).toMatchObject({ ok: true, body: 'GET no body' });
    expect(results[1]).toMatchObject({ ok: true, body: 'elsewhere' });
    expect(results[1]!.response!.url).toBe(`${elsewhere.origin}/there`);
    expect(other.log[0]!.headers.authorization).toBeUndefined();
    expect(results[2]!.ok).toBe(false);
    expect(results[2]!.error).toBeInstanceOf(TypeError);
  });

  it('reports a network failure as fetch does: a TypeError with the cause', async () => {
    const gone = await startLoopbackServer([]);
    await gone.close();
    const c = client({ retry: false });
    const [result] = await collect(c.map([1], () => `${gone.origin}/x`));
    expect(result!.ok).toBe(false);
    expect(result!.error).toBeInstanceOf(TypeError);
    expect((result!.error as TypeError).cause).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('leaves what only fetch can do to fetch: Request objects, stream bodies, credentials in the URL', async () => {
    const script = sequence([{ status: 200, body: 'ok' }]);
    const server = await loopback(script.handlers);
    const c = client();
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'));
        controller.close();
      },
    });
    const results = await collect(
      c.map(
        [
          new Request(`${server.origin}/request`, { method: 'PUT', body: 'from a Request' }),
          { input: `${server.origin}/stream`, init: { method: 'POST', body: stream, duplex: 'half' } as RequestInit },
          `http://user:secret@127.0.0.1:${server.port}/credentials`,
        ],
        (spec) => spec,
        { ordered: true },
      ),
    );
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
    // fetch refuses a URL with credentials, and so does the map (with fetch's own error).
    expect(results[2]!.error).toBeInstanceOf(TypeError);
    expect(script.log.map((entry) => entry.body).sort()).toEqual(['from a Request', 'streamed']);
  });
});

describe('client.map keeps going when one item cannot be sent', () => {
  it('fails the items of an origin that asks for a Retry-After beyond maxRetryAfter, and sends the rest', async () => {
    const refusing = await loopback([http.all('*', () => new HttpResponse('later', { status: 429, headers: { 'retry-after': '3600' } }))]);
    const healthy = await loopback(sequence([{ status: 200, body: 'ok' }]).handlers);
    const c = client({ retry: { maxRetryAfter: 1000 } });
    const items = [0, 1, 2, 3, 4, 5].map((i) => (i % 2 === 0 ? `${refusing.origin}/${i}` : `${healthy.origin}/${i}`));
    const results = await collect(c.map(items, (url) => url, { concurrency: 1 }));
    expect(results).toHaveLength(6);
    const fromHealthy = results.filter((r) => (r.input as string).startsWith(healthy.origin));
    expect(fromHealthy.every((r) => r.ok)).toBe(true);
    const fromRefusing = results.filter((r) => (r.input as string).startsWith(refusing.origin));
    // The first gets the 429 itself; later ones fail fast, without reaching the server.
    expect(fromRefusing[0]!.response?.status).toBe(429);
    expect(fromRefusing.slice(1).every((r) => !r.ok && isRateLimitedError(r.error))).toBe(true);
  });

  it('fails only the item whose key function throws', async () => {
    const server = await loopback(sequence([{ status: 200, body: 'ok' }]).handlers);
    const c = client({
      key: (url) => {
        if (url.pathname === '/bad') throw new Error('no key for /bad');
        return url.origin;
      },
    });
    const results = await collect(c.map(['/a', '/bad', '/b'], (path) => `${server.origin}${path}`, { ordered: true }));
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect((results[1]!.error as Error).message).toBe('no key for /bad');
  });
});
