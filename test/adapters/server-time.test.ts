// The shared adapter suite, server time: a 429 pauses the whole origin, retries wait at least
// the server's time, and a final 429 is a response — for every adapter in the table.

import { afterEach, describe, expect, it } from 'vitest';
import type { RequestHandler } from 'msw';
import { startLoopbackServer, type LoopbackServer } from '../../mocks/loopback.js';
import { sequence } from '../../mocks/sequence.js';
import { adapters, type Adapter, type AdapterResponse } from '../helpers/adapters.js';
import { arrivals, monotonicClock } from '../helpers/arrivals.js';
import { waitUntil } from '../helpers/wait-until.js';

// Server times use retry-after-ms so real sockets need not wait whole seconds. One clock is shared
// by sluice and the arrival log, so "not before the server's time" compares like with like.
const open: (Adapter | LoopbackServer)[] = [];
afterEach(async () => {
  for (const resource of open.splice(0).reverse()) await resource.close();
});

describe.each(adapters)('$name', (kind) => {
  async function setUp(handlers: RequestHandler[], options: Parameters<typeof kind.create>[0] = {}) {
    const seen = arrivals(monotonicClock);
    const server = await startLoopbackServer([seen.handler, ...handlers]);
    open.push(server);
    const adapter = kind.create({ now: monotonicClock, rate: false, ...options });
    open.push(adapter);
    return { adapter, server, seen, url: `${server.origin}/items` };
  }

  it('pauses the whole origin on a 429: requests made during the pause wait, and the server gets none until it ends', async () => {
    const script = sequence([{ status: 429, headers: { 'retry-after-ms': '200' }, body: 'slow down' }, { status: 200, body: 'ok' }]);
    const { adapter, server, seen, url } = await setUp(script.handlers);
    // The other requests are made the moment the pause starts, so they are concurrent with it
    // however slow the machine; what is asserted is where their arrivals fall, not how long anything took.
    const paused = new Promise<{ until: number; issuedAt: number; others: Promise<AdapterResponse>[] }>((resolve) => {
      adapter.on('pause', ({ until }) => {
        const issuedAt = monotonicClock();
        queueMicrotask(() => resolve({ until, issuedAt, others: [1, 2, 3].map(() => adapter.send(url)) }));
      });
    });

    const first = adapter.send(url);
    const { until, issuedAt, others } = await paused;
    const responses = await Promise.all([first, ...others]);

    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(issuedAt).toBeLessThan(until);
    expect(seen.log).toHaveLength(5);
    for (const arrival of seen.log.slice(1)) expect(arrival.at).toBeGreaterThanOrEqual(until);
    expect(adapter.stats(server.origin)?.counters).toMatchObject({ sent: 5, throttled: 1, retried: 1 });
  });

  it('shows the pause and the waiting requests in its stats', async () => {
    const script = sequence([{ status: 429, headers: { 'retry-after-ms': '10000' } }, { status: 200 }]);
    const { adapter, server, url } = await setUp(script.handlers);
    const controller = new AbortController();
    const first = adapter.send(url, { signal: controller.signal }).catch(() => undefined);
    await waitUntil(() => adapter.stats(server.origin)?.pausedUntil !== undefined, 'the 429 paused the origin');
    const second = adapter.send(url, { signal: controller.signal }).catch(() => undefined);
    await waitUntil(() => adapter.stats(server.origin)?.queued === 1, 'a second request waits in the queue');
    expect(script.counters.received).toBe(1);
    controller.abort();
    await Promise.all([first, second]);
  });

  it('retries no earlier than the server asked', async () => {
    const script = sequence([{ status: 503, headers: { 'retry-after-ms': '80' } }, { status: 200, body: 'ok' }]);
    const { adapter, seen, url } = await setUp(script.handlers);
    expect(await adapter.send(url)).toEqual({ status: 200, body: 'ok' });
    expect(seen.log).toHaveLength(2);
    expect(seen.log[1]!.at - seen.log[0]!.at).toBeGreaterThanOrEqual(80);
  });

  it('returns the final 429 as a response, body included', async () => {
    const script = sequence([{ status: 429, headers: { 'retry-after-ms': '5' }, body: 'slow down' }]);
    const { adapter, url } = await setUp(script.handlers, { retry: { maxRetries: 1 } });
    expect(await adapter.send(url)).toEqual({ status: 429, body: 'slow down' });
    expect(script.counters.received).toBe(2);
  });
});
