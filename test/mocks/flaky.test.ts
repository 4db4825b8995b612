// Tests for the flaky mock: which requests fail follows the injected random source, and a
// failure is a connection reset both over loopback and under interception.

import { afterEach, beforeEach, expect, onTestFinished, test } from 'vitest';
import { Agent, errors, fetch, request } from 'undici';
import { flaky } from '../../mocks/flaky.js';
import { interceptNetwork } from '../../mocks/intercept.js';
import { startLoopbackServer } from '../../mocks/loopback.js';

let agent: Agent;
beforeEach(() => {
  agent = new Agent();
});
afterEach(async () => {
  await agent.close();
});

/** A random source that replays `values` in order. */
const replay = (values: number[]) => () => values.shift() ?? 0.99;

/** 'ok' for a 200, else the error's class name and code. */
async function outcome(url: string): Promise<string> {
  try {
    const res = await request(url, { dispatcher: agent });
    await res.body.dump();
    return res.statusCode === 200 ? 'ok' : String(res.statusCode);
  } catch (error) {
    const e = error as Error & { code?: string };
    return `${e.name}${e.code ? ` ${e.code}` : ''}`;
  }
}

test('resets the connection of requests whose random draw falls under the failure rate', async () => {
  const mock = flaky({ failureRate: 0.5, random: replay([0.1, 0.9, 0.49, 0.5]) });
  const server = await startLoopbackServer(mock.handlers);
  onTestFinished(() => server.close());

  const outcomes = [];
  for (let i = 0; i < 4; i++) outcomes.push(await outcome(server.origin));
  expect(outcomes).toEqual(['SocketError UND_ERR_SOCKET', 'ok', 'SocketError UND_ERR_SOCKET', 'ok']);
  expect(mock.counters).toEqual({ received: 4, failed: 2, succeeded: 2 });
});

test('a reset over loopback is an undici SocketError, and fetch wraps it in TypeError', async () => {
  const server = await startLoopbackServer(flaky({ failureRate: 1 }).handlers);
  onTestFinished(() => server.close());
  await expect(request(server.origin, { dispatcher: agent })).rejects.toBeInstanceOf(errors.SocketError);
  const failure = await fetch(server.origin, { dispatcher: agent }).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(TypeError);
  expect((failure as TypeError).cause).toBeInstanceOf(errors.SocketError);
});

test('under interception a reset is TypeError: Network error with no code', async () => {
  const mock = flaky({ failureRate: 1 });
  const network = await interceptNetwork(mock.handlers);
  onTestFinished(() => network.close());
  const failure = await request('http://127.0.0.1:4/', { dispatcher: agent }).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(TypeError);
  expect((failure as TypeError).message).toBe('Network error');
  expect(failure).not.toHaveProperty('code');
  expect(mock.counters.failed).toBe(1);
});

test('never fails at a failure rate of 0', async () => {
  const mock = flaky({ failureRate: 0 });
  const server = await startLoopbackServer(mock.handlers);
  onTestFinished(() => server.close());
  for (let i = 0; i < 5; i++) expect(await outcome(server.origin)).toBe('ok');
  expect(mock.counters).toEqual({ received: 5, failed: 0, succeeded: 5 });
});

test('rejects a failure rate outside 0 to 1', () => {
  expect(() => flaky({ failureRate: 1.5 })).toThrow('Expected `failureRate` to be a number from 0 to 1, got `1.5` (number)');
});
