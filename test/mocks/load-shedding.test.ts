// Tests for the load-shedding mock: slots, then a first-in-first-out queue, then 503s past the
// busy fraction — checked on the counters over real loopback connections, never on the clock.

import { afterEach, beforeEach, expect, onTestFinished, test, vi } from 'vitest';
import { Agent, request } from 'undici';
import { loadShedding, type LoadSheddingOptions } from '../../mocks/load-shedding.js';
import { startLoopbackServer } from '../../mocks/loopback.js';

let agent: Agent;
beforeEach(() => {
  agent = new Agent();
});
afterEach(async () => {
  await agent.close();
});

async function serve(options: LoadSheddingOptions) {
  const mock = loadShedding(options);
  const server = await startLoopbackServer(mock.handlers);
  onTestFinished(() => server.close());
  const get = async (path = '/', signal?: AbortSignal) => {
    const res = await request(`${server.origin}${path}`, { dispatcher: agent, signal });
    const body = await res.body.text();
    return { status: res.statusCode, retryAfter: res.headers['retry-after'], body };
  };
  return { mock, get };
}

/** Starts requests that the server holds until `controller` aborts them. */
function holdOpen(get: (path?: string, signal?: AbortSignal) => Promise<unknown>, count: number, controller: AbortController) {
  return Array.from({ length: count }, (_, i) => get(`/${i}`, controller.signal).catch(() => 'aborted'));
}

test('holds as many as it has slots, queues as many as its queue takes, and sheds the rest with 503', async () => {
  const { mock, get } = await serve({ slots: 2, queue: 2, latencyMs: 60_000, retryAfter: 2 });
  const controller = new AbortController();
  const held = holdOpen(get, 4, controller);
  await vi.waitFor(() => expect(mock.counters).toMatchObject({ held: 2, queued: 2 }));
  const shed = await Promise.all([get(), get()]);
  expect(shed.map((r) => [r.status, r.retryAfter])).toEqual([
    [503, '2'],
    [503, '2'],
  ]);
  expect(mock.counters).toMatchObject({ received: 6, accepted: 4, rejected: 2, held: 2, queued: 2 });
  controller.abort();
  await Promise.all(held);
  await vi.waitFor(() => expect(mock.counters).toMatchObject({ held: 0, queued: 0 }));
});

test('sheds past the busy fraction of slots + queue before the queue is full', async () => {
  // 0.75 × (2 + 2) = 3: two held, one queued, the fourth arrival is shed.
  const { mock, get } = await serve({ slots: 2, queue: 2, shedAbove: 0.75, latencyMs: 60_000 });
  const controller = new AbortController();
  const held = holdOpen(get, 3, controller);
  await vi.waitFor(() => expect(mock.counters).toMatchObject({ held: 2, queued: 1 }));
  expect((await get()).status).toBe(503);
  expect(mock.counters.peakQueued).toBe(1);
  controller.abort();
  await Promise.all(held);
});

test('hands a freed slot to the oldest waiter, so every queued request is served', async () => {
  const { mock, get } = await serve({ slots: 1, queue: 3, latencyMs: 5 });
  const answers = await Promise.all([0, 1, 2, 3].map((i) => get(`/${i}`)));
  expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
  expect(mock.counters).toMatchObject({ received: 4, accepted: 4, rejected: 0, held: 0, queued: 0, peakHeld: 1 });
  expect(mock.counters.peakQueued).toBeGreaterThan(0);
});

test('a queued request whose client goes away leaves the queue at once', async () => {
  const { mock, get } = await serve({ slots: 1, queue: 1, latencyMs: 60_000 });
  const holder = new AbortController();
  const waiter = new AbortController();
  const first = get('/held', holder.signal).catch(() => 'aborted');
  await vi.waitFor(() => expect(mock.counters.held).toBe(1));
  const second = get('/queued', waiter.signal).catch(() => 'aborted');
  await vi.waitFor(() => expect(mock.counters.queued).toBe(1));
  waiter.abort();
  expect(await second).toBe('aborted');
  await vi.waitFor(() => expect(mock.counters.queued).toBe(0));
  expect(mock.counters.held).toBe(1);
  holder.abort();
  await first;
  await vi.waitFor(() => expect(mock.counters.held).toBe(0));
});

test('sends no Retry-After when none is configured, and the configured status', async () => {
  const { get } = await serve({ slots: 1, latencyMs: 0, shedAbove: 0, status: 529 });
  const refused = await get();
  expect(refused.status).toBe(529);
  expect(refused.retryAfter).toBeUndefined();
});

test('rejects invalid options with a message naming the option', () => {
  expect(() => loadShedding({ slots: 0, latencyMs: 1 })).toThrow(/`slots`.*`0`/);
  expect(() => loadShedding({ slots: 1, latencyMs: 1, queue: 1.5 })).toThrow(/`queue`/);
  expect(() => loadShedding({ slots: 1, latencyMs: 1, shedAbove: 1.2 })).toThrow(/`shedAbove`/);
  expect(() => loadShedding({ slots: 1, latencyMs: 1, retryAfter: -1 })).toThrow(/`retryAfter`/);
});
