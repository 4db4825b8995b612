// Tests for the brownout mock: capacity follows its schedule (driven by an injected clock from
// the first request), and refusals during the brownout carry Retry-After.

import { afterEach, beforeEach, expect, onTestFinished, test } from 'vitest';
import { Agent, request } from 'undici';
import { brownout, type BrownoutOptions } from '../../mocks/brownout.js';
import { startLoopbackServer } from '../../mocks/loopback.js';

let agent: Agent;
beforeEach(() => {
  agent = new Agent();
});
afterEach(async () => {
  await agent.close();
});

async function serve(options: Omit<BrownoutOptions, 'now'>) {
  let t = 1_000;
  const mock = brownout({ ...options, now: () => t });
  const server = await startLoopbackServer(mock.handlers);
  onTestFinished(() => server.close());
  const get = async () => {
    const res = await request(server.origin, { dispatcher: agent });
    await res.body.dump();
    return res;
  };
  const burst = async (n: number) => (await Promise.all(Array.from({ length: n }, get))).map((r) => r.statusCode).sort();
  return { mock, get, burst, setElapsed: (ms: number) => (t = 1_000 + ms) };
}

const schedule = { slots: 3, degradedSlots: 1, degradeAtMs: 1_000, recoverAtMs: 2_000 };

test('starts its schedule at the first request and walks through healthy, degraded, recovered', async () => {
  const { mock, get, setElapsed } = await serve({ ...schedule, latencyMs: 0 });
  setElapsed(5_000); // time before the first request does not count
  expect(mock.phase()).toBe('healthy');
  await get();
  // The first request arrived at elapsed 5 000: the schedule is relative to it from now on.
  setElapsed(5_000 + 999);
  expect([mock.phase(), mock.capacity()]).toEqual(['healthy', 3]);
  setElapsed(5_000 + 1_000);
  expect([mock.phase(), mock.capacity()]).toEqual(['degraded', 1]);
  setElapsed(5_000 + 2_000);
  expect([mock.phase(), mock.capacity()]).toEqual(['recovered', 3]);
});

test('serves its full capacity, then only the degraded capacity, then full capacity again', async () => {
  const { mock, get, burst, setElapsed } = await serve({ ...schedule, latencyMs: 250 });
  expect(await burst(3)).toEqual([200, 200, 200]);

  setElapsed(1_500);
  expect(await burst(3)).toEqual([200, 503, 503]);
  const refused = await Promise.all([get(), get()]).then((rs) => rs.find((r) => r.statusCode === 503));
  expect(refused?.headers['retry-after']).toBe('1');

  setElapsed(2_000);
  expect(await burst(3)).toEqual([200, 200, 200]);
  expect(mock.counters).toMatchObject({ received: 11, accepted: 8, rejected: 3, inFlight: 0, peakInFlight: 3 });
});

test('reset() restarts the schedule at the next request', async () => {
  const { mock, get, setElapsed } = await serve({ ...schedule, latencyMs: 0 });
  await get();
  setElapsed(1_500);
  expect(mock.phase()).toBe('degraded');
  mock.reset();
  expect(mock.phase()).toBe('healthy');
  expect(mock.counters.received).toBe(0);
  await get();
  setElapsed(1_500 + 999);
  expect(mock.phase()).toBe('healthy');
});

test('rejects a recovery scheduled before the degradation', () => {
  expect(() => brownout({ ...schedule, latencyMs: 0, degradeAtMs: 2_000, recoverAtMs: 1_000 })).toThrow(
    /`recoverAtMs`.*from 2000/,
  );
});
