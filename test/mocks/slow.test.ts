// Tests for the slow mock: late headers trip a headers timeout, a dripped body arrives in
// order, and a client that stops waiting or reading cancels the drip on the server.

import { afterEach, beforeEach, expect, onTestFinished, test, vi } from 'vitest';
import { Agent, errors, fetch, request } from 'undici';
import { interceptNetwork } from '../../mocks/intercept.js';
import { startLoopbackServer } from '../../mocks/loopback.js';
import { slow, type SlowOptions } from '../../mocks/slow.js';

let agent: Agent;
beforeEach(() => {
  agent = new Agent();
});
afterEach(async () => {
  await agent.close();
});

async function serve(options: SlowOptions) {
  const mock = slow(options);
  const server = await startLoopbackServer(mock.handlers);
  onTestFinished(() => server.close());
  return { mock, origin: server.origin };
}

test('answers with a small JSON body once the delay has passed', async () => {
  const { mock, origin } = await serve({ delayMs: 20 });
  const res = await request(origin, { dispatcher: agent });
  expect(await res.body.json()).toEqual({ ok: true });
  expect(mock.counters).toEqual({ received: 1, headersSent: 1, completed: 1, cancelled: 0 });
});

test('holds its headers long enough to trip a client’s headers timeout, then counts the request as cancelled', async () => {
  const { mock, origin } = await serve({ delayMs: 60_000 });
  const impatient = new Agent({ headersTimeout: 50 });
  onTestFinished(() => impatient.destroy());
  await expect(request(origin, { dispatcher: impatient })).rejects.toBeInstanceOf(errors.HeadersTimeoutError);
  await vi.waitFor(() => expect(mock.counters).toMatchObject({ headersSent: 0, cancelled: 1 }));
});

test('drips the body in numbered chunks, in order', async () => {
  const { mock, origin } = await serve({ delayMs: 0, bodyChunks: 3, chunkDelayMs: 5 });
  const res = await fetch(origin, { dispatcher: agent });
  expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  expect(await res.text()).toBe('chunk 0\nchunk 1\nchunk 2\n');
  expect(mock.counters).toEqual({ received: 1, headersSent: 1, completed: 1, cancelled: 0 });
});

test('stops dripping when the client aborts mid-body', async () => {
  const { mock, origin } = await serve({ delayMs: 0, bodyChunks: 1_000, chunkDelayMs: 20 });
  const controller = new AbortController();
  const res = await request(origin, { dispatcher: agent, signal: controller.signal });
  const chunks = res.body[Symbol.asyncIterator]();
  expect(String((await chunks.next()).value)).toBe('chunk 0\n');
  controller.abort();
  await expect(chunks.next()).rejects.toThrow();
  await vi.waitFor(() => expect(mock.counters).toMatchObject({ headersSent: 1, completed: 0, cancelled: 1 }));
});

test('trips a client’s body timeout between chunks', async () => {
  const { mock, origin } = await serve({ delayMs: 0, bodyChunks: 2, chunkDelayMs: 60_000 });
  const impatient = new Agent({ bodyTimeout: 50 });
  onTestFinished(() => impatient.destroy());
  const res = await request(origin, { dispatcher: impatient });
  await expect(res.body.text()).rejects.toBeInstanceOf(errors.BodyTimeoutError);
  await vi.waitFor(() => expect(mock.counters.cancelled).toBe(1));
});

test('drips through interception too', async () => {
  const mock = slow({ delayMs: 5, bodyChunks: 2, chunkDelayMs: 5 });
  const network = await interceptNetwork(mock.handlers);
  onTestFinished(() => network.close());
  const res = await request('http://127.0.0.1:4/', { dispatcher: agent });
  expect(await res.body.text()).toBe('chunk 0\nchunk 1\n');
  expect(mock.counters.completed).toBe(1);
});
