// Tests for the scripted sequence mock: answers in order with the last repeating, network
// errors, and the request log — over loopback and through interception.

import { afterEach, beforeEach, describe, expect, onTestFinished, test } from 'vitest';
import { Agent, errors, fetch, request } from 'undici';
import { interceptNetwork } from '../../mocks/intercept.js';
import { startLoopbackServer } from '../../mocks/loopback.js';
import { sequence, type SequenceEntry } from '../../mocks/sequence.js';

let agent: Agent;
beforeEach(() => {
  agent = new Agent();
});
afterEach(async () => {
  await agent.close();
});

const throttleOnce: SequenceEntry[] = [
  { status: 429, headers: { 'Retry-After': '1' }, body: 'slow down' },
  { status: 200, body: { ok: true } },
];

describe('sequence over the loopback server', () => {
  async function serve(entries: SequenceEntry[]) {
    const mock = sequence(entries);
    const server = await startLoopbackServer(mock.handlers);
    onTestFinished(() => server.close());
    return { mock, origin: server.origin };
  }

  test('answers its entries in order and repeats the last one', async () => {
    const { mock, origin } = await serve(throttleOnce);
    const first = await request(origin, { dispatcher: agent });
    expect(first.statusCode).toBe(429);
    expect(first.headers['retry-after']).toBe('1');
    expect(await first.body.text()).toBe('slow down');
    for (let i = 0; i < 2; i++) {
      const next = await request(origin, { dispatcher: agent });
      expect(next.statusCode).toBe(200);
      expect(next.headers['content-type']).toBe('application/json');
      expect(await next.body.json()).toEqual({ ok: true });
    }
    expect(mock.counters.received).toBe(3);
    expect(mock.log.map((e) => e.answeredWith)).toEqual([0, 1, 1]);
  });

  test('resets the connection for a network-error entry', async () => {
    const { mock, origin } = await serve(['network-error', { status: 204 }]);
    await expect(request(origin, { dispatcher: agent })).rejects.toBeInstanceOf(errors.SocketError);
    const next = await request(origin, { dispatcher: agent });
    expect(next.statusCode).toBe(204);
    await next.body.dump();
    expect(mock.counters.received).toBe(2);
  });

  test('logs each request’s method, URL, headers and body text', async () => {
    const { mock, origin } = await serve([{ status: 201 }]);
    const res = await request(`${origin}/orders?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'idempotency-key': 'k-1' },
      body: 'one order',
      dispatcher: agent,
    });
    await res.body.dump();
    const get = await fetch(origin, { dispatcher: agent });
    await get.body?.cancel();

    expect(mock.log).toHaveLength(2);
    expect(mock.log[0]).toMatchObject({
      method: 'POST',
      url: `${origin}/orders?x=1`,
      headers: { 'content-type': 'text/plain', 'idempotency-key': 'k-1' },
      body: 'one order',
    });
    expect(mock.log[1]).toMatchObject({ method: 'GET', url: `${origin}/`, body: '' });
  });

  test('waits an entry’s delay before answering', async () => {
    const { mock, origin } = await serve([{ status: 200, delayMs: 10_000 }]);
    const impatient = new Agent({ headersTimeout: 50 });
    onTestFinished(() => impatient.destroy());
    await expect(request(origin, { dispatcher: impatient })).rejects.toBeInstanceOf(errors.HeadersTimeoutError);
    expect(mock.counters.received).toBe(1);
  });

  test('reset() starts the script again from the first entry', async () => {
    const { mock, origin } = await serve(throttleOnce);
    await (await request(origin, { dispatcher: agent })).body.dump();
    mock.reset();
    expect(mock.log).toEqual([]);
    const again = await request(origin, { dispatcher: agent });
    await again.body.dump();
    expect(again.statusCode).toBe(429);
  });
});

describe('sequence through interceptNetwork', () => {
  test('answers undici.request and undici.fetch in order, in-process', async () => {
    const mock = sequence([...throttleOnce]);
    const network = await interceptNetwork(mock.handlers);
    onTestFinished(() => network.close());
    const url = 'http://127.0.0.1:4/resource';

    const first = await request(url, { method: 'PUT', body: 'v1', dispatcher: agent });
    expect(first.statusCode).toBe(429);
    expect(first.headers['retry-after']).toBe('1');
    await first.body.dump();

    const second = await fetch(url, { method: 'PUT', body: 'v1', dispatcher: agent });
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ ok: true });

    expect(mock.log.map((e) => [e.method, e.body])).toEqual([
      ['PUT', 'v1'],
      ['PUT', 'v1'],
    ]);
  });

  test('answers a network-error entry with TypeError: Network error', async () => {
    const mock = sequence(['network-error', {}]);
    const network = await interceptNetwork(mock.handlers);
    onTestFinished(() => network.close());
    await expect(request('http://127.0.0.1:4/', { dispatcher: agent })).rejects.toThrow(new TypeError('Network error'));
    const next = await request('http://127.0.0.1:4/', { dispatcher: agent });
    expect(next.statusCode).toBe(200);
    await next.body.dump();
  });
});

test('refuses an empty script', () => {
  expect(() => sequence([])).toThrow('Expected `entries` to hold at least one response, got `[]`');
});
