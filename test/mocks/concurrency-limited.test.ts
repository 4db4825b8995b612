// Tests for the concurrency-limited mock: slots held for the latency, refusals beyond them at
// once, and slots released when a client goes away — over real loopback connections.

import { afterEach, beforeEach, expect, onTestFinished, test, vi } from 'vitest';
import { Agent, request } from 'undici';
import { concurrencyLimited, type ConcurrencyLimitedOptions } from '../../mocks/concurrency-limited.js';
import { startLoopbackServer } from '../../mocks/loopback.js';

let agent: Agent;
beforeEach(() => {
  agent = new Agent();
});
afterEach(async () => {
  await agent.close();
});

async function serve(options: ConcurrencyLimitedOptions) {
  const mock = concurrencyLimited(options);
  const server = await startLoopbackServer(mock.handlers);
  onTestFinished(() => server.close());
  const get = async (signal?: AbortSignal) => {
    const res = await request(server.origin, { dispatcher: agent, signal });
    await res.body.dump();
    return res;
  };
  return { mock, get };
}

test('serves as many requests at once as it has slots and refuses the rest with 503', async () => {
  // Slots held until the client lets go, so a slow machine cannot free one before all five arrive.
  const { mock, get } = await serve({ slots: 2, latencyMs: 60_000 });
  const controller = new AbortController();
  const refused: number[] = [];
  const sends = Array.from({ length: 5 }, () =>
    get(controller.signal).then(
      (res) => refused.push(res.statusCode),
      () => {},
    ),
  );
  await vi.waitFor(() => expect(refused).toHaveLength(3), { timeout: 10_000 });
  expect(refused).toEqual([503, 503, 503]);
  expect(mock.counters).toEqual({ received: 5, accepted: 2, rejected: 3, inFlight: 2, peakInFlight: 2 });
  controller.abort();
  await Promise.all(sends);
  await vi.waitFor(() => expect(mock.counters.inFlight).toBe(0));
});

test('never refuses requests that arrive one at a time', async () => {
  const { mock, get } = await serve({ slots: 1, latencyMs: 5 });
  for (let i = 0; i < 3; i++) expect((await get()).statusCode).toBe(200);
  expect(mock.counters).toMatchObject({ accepted: 3, rejected: 0, peakInFlight: 1 });
});

test('sends the configured status and Retry-After with a refusal', async () => {
  const { get } = await serve({ slots: 0, latencyMs: 0, status: 429, retryAfter: 2 });
  const refused = await get();
  expect(refused.statusCode).toBe(429);
  expect(refused.headers['retry-after']).toBe('2');
});

test('sends no Retry-After when none is configured', async () => {
  const { get } = await serve({ slots: 0, latencyMs: 0 });
  const refused = await get();
  expect(refused.statusCode).toBe(503);
  expect(refused.headers['retry-after']).toBeUndefined();
});

test('releases a slot as soon as its client aborts', async () => {
  const { mock, get } = await serve({ slots: 1, latencyMs: 60_000 });
  const controller = new AbortController();
  const held = get(controller.signal);
  await vi.waitFor(() => expect(mock.counters.inFlight).toBe(1));
  controller.abort();
  await expect(held).rejects.toThrow();
  await vi.waitFor(() => expect(mock.counters.inFlight).toBe(0));
});

test('reads a slots function on every arrival, so capacity can change at run time', async () => {
  let slots = 0;
  const { mock, get } = await serve({ slots: () => slots, latencyMs: 0 });
  expect((await get()).statusCode).toBe(503);
  slots = 1;
  expect((await get()).statusCode).toBe(200);
  expect(mock.counters).toMatchObject({ accepted: 1, rejected: 1 });
});

test('rejects invalid options with a message naming the option', () => {
  expect(() => concurrencyLimited({ slots: -1, latencyMs: 0 })).toThrow(/`slots`.*`-1`/);
  expect(() => concurrencyLimited({ slots: 1, latencyMs: 0, status: 600 })).toThrow(/`status`/);
});
