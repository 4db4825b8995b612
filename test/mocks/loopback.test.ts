// Tests for the loopback server: msw handlers answered over real TCP on 127.0.0.1, resets for
// error responses, keep-alive reuse, and a close() that leaves nothing open.

import { afterEach, beforeEach, expect, onTestFinished, test, vi } from 'vitest';
import { Agent, errors, request } from 'undici';
import { http, HttpResponse, type RequestHandler } from 'msw';
import { startLoopbackServer } from '../../mocks/loopback.js';

let agent: Agent;
beforeEach(() => {
  agent = new Agent();
});
afterEach(async () => {
  await agent.close();
});

async function serve(handlers: RequestHandler[]) {
  const server = await startLoopbackServer(handlers);
  onTestFinished(() => server.close());
  return server;
}

test('listens on 127.0.0.1 on a free port and reports its url and origin', async () => {
  const server = await serve([]);
  expect(server.port).toBeGreaterThan(0);
  expect(server.origin).toBe(`http://127.0.0.1:${server.port}`);
  expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
});

test('hands the handler the method, URL, headers and body of the request', async () => {
  const server = await serve([
    http.post('*/echo', async ({ request: req }) =>
      HttpResponse.json({
        url: req.url,
        key: req.headers.get('idempotency-key'),
        body: await req.text(),
      }),
    ),
  ]);
  const res = await request(`${server.origin}/echo?q=1`, {
    method: 'POST',
    headers: { 'idempotency-key': 'abc' },
    body: 'payload',
    dispatcher: agent,
  });
  expect(await res.body.json()).toEqual({ url: `${server.origin}/echo?q=1`, key: 'abc', body: 'payload' });
});

test('answers 404 when no handler matches', async () => {
  const server = await serve([http.get('*/known', () => HttpResponse.text('ok'))]);
  const res = await request(`${server.origin}/unknown`, { dispatcher: agent });
  expect(res.statusCode).toBe(404);
  expect(await res.body.text()).toBe('No handler for GET /unknown\n');
});

test('resets the connection for HttpResponse.error() and for a handler that throws', async () => {
  const server = await serve([
    http.get('*/error', () => HttpResponse.error()),
    http.get('*/throw', () => {
      throw new Error('handler crashed');
    }),
  ]);
  for (const path of ['/error', '/throw']) {
    const failure = await request(`${server.origin}${path}`, { dispatcher: agent }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(errors.SocketError);
    expect(failure).toMatchObject({ code: 'UND_ERR_SOCKET' });
  }
});

test('counts one connection for sequential requests that reuse a keep-alive socket', async () => {
  const server = await serve([http.get('*', () => HttpResponse.text('ok'))]);
  for (let i = 0; i < 3; i++) {
    await (await request(server.origin, { dispatcher: agent })).body.dump();
    // An Agent's pool hears that its client is free a tick after the body ends; a request sent
    // in that gap opens a second connection. Let it settle so reuse is what is measured.
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(server.connections).toEqual({ total: 1, open: 1 });
});

test('sends each Set-Cookie header separately and no body for HEAD', async () => {
  const server = await serve([
    http.all('*', () => {
      const headers = new Headers();
      headers.append('set-cookie', 'a=1');
      headers.append('set-cookie', 'b=2');
      return HttpResponse.text('body', { headers });
    }),
  ]);
  const res = await request(server.origin, { dispatcher: agent });
  expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
  await res.body.dump();
  const head = await request(server.origin, { method: 'HEAD', dispatcher: agent });
  expect(await head.body.text()).toBe('');
});

test('aborts the request’s signal when the client goes away mid-request', async () => {
  let entered = false;
  let sawAbort = false;
  const server = await serve([
    http.get('*', ({ request: req }) => new Promise<Response>((resolve) => {
      entered = true;
      const onAbort = () => {
        sawAbort = true;
        resolve(HttpResponse.text('too late'));
      };
      // The client may be gone before the handler runs: an open socket is not yet a request.
      if (req.signal.aborted) onAbort();
      else req.signal.addEventListener('abort', onAbort);
    })),
  ]);
  const controller = new AbortController();
  const pending = request(server.origin, { dispatcher: agent, signal: controller.signal });
  await vi.waitFor(() => expect(entered).toBe(true));
  controller.abort();
  await expect(pending).rejects.toThrow();
  await vi.waitFor(() => expect(sawAbort).toBe(true));
});

test('close() closes idle keep-alive sockets and resolves once fully closed', async () => {
  const server = await startLoopbackServer([http.get('*', () => HttpResponse.text('ok'))]);
  await (await request(server.origin, { dispatcher: agent })).body.dump();
  expect(server.connections.open).toBe(1); // idle in the agent's pool

  await server.close();
  expect(server.connections).toEqual({ total: 1, open: 0 });
  await expect(request(server.origin, { dispatcher: agent })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  await server.close(); // idempotent
});

test('close() also ends requests still in flight', async () => {
  // A handler that never answers on its own, only when its client goes away.
  const server = await startLoopbackServer([
    http.get('*', ({ request: req }) => new Promise<Response>((resolve) => {
      req.signal.addEventListener('abort', () => resolve(HttpResponse.error()));
    })),
  ]);
  const pending = request(server.origin, { dispatcher: agent }).catch((e: unknown) => e);
  await vi.waitFor(() => expect(server.connections.open).toBe(1));
  await server.close();
  expect(await pending).toBeInstanceOf(errors.SocketError);
  expect(server.connections.open).toBe(0);
});
