// The shared adapter suite, aborts: a request aborted while queued, mid-request or waiting out a
// server time ends at once with the signal's reason and is not sent again — for every adapter.

import { afterEach, describe, expect, it } from 'vitest';
import type { RequestHandler } from 'msw';
import { startLoopbackServer, type LoopbackServer } from '../../mocks/loopback.js';
import { sequence } from '../../mocks/sequence.js';
import { adapters, type Adapter } from '../helpers/adapters.js';
import { waitUntil } from '../helpers/wait-until.js';

// An abort must end the request at whatever stage it is in and release what it held; the long
// server delays below would make a test that missed the abort fail on its counts (or time out).
const open: (Adapter | LoopbackServer)[] = [];
afterEach(async () => {
  for (const resource of open.splice(0).reverse()) await resource.close();
});

describe.each(adapters)('$name', (kind) => {
  async function setUp(handlers: RequestHandler[], options: Parameters<typeof kind.create>[0] = {}) {
    const server = await startLoopbackServer(handlers);
    open.push(server);
    const adapter = kind.create({ rate: false, ...options });
    open.push(adapter);
    return { adapter, server, url: `${server.origin}/items` };
  }

  it('aborts a queued request and then one mid-request, each with the signal reason', async () => {
    const script = sequence([{ status: 200, delayMs: 10_000 }]);
    const { adapter, server, url } = await setUp(script.handlers, { limits: { concurrency: 1 } });
    const running = new AbortController();
    const queued = new AbortController();
    const first = adapter.send(url, { signal: running.signal });
    await waitUntil(() => script.counters.received === 1, 'the first request reached the server');
    const second = adapter.send(url, { signal: queued.signal });
    await waitUntil(() => adapter.stats(server.origin)?.queued === 1, 'the second request is queued');

    queued.abort(new Error('no longer needed'));
    await expect(second).rejects.toThrow('no longer needed');
    expect(adapter.stats(server.origin)).toMatchObject({ queued: 0, inFlight: 1 });

    running.abort(new Error('user gave up'));
    await expect(first).rejects.toThrow('user gave up');
    await waitUntil(() => adapter.stats(server.origin)?.inFlight === 0, 'the aborted attempt released its slot');
    expect(script.counters.received).toBe(1);
  });

  it('aborts a request while it waits out the server time before a retry', async () => {
    const script = sequence([{ status: 503, headers: { 'retry-after-ms': '10000' } }, { status: 200 }]);
    const { adapter, url } = await setUp(script.handlers);
    const retries: number[] = [];
    adapter.on('retry', ({ delay }) => retries.push(delay));
    const controller = new AbortController();
    const pending = adapter.send(url, { signal: controller.signal });
    await waitUntil(() => retries.length === 1, 'sluice decided to wait before retrying');

    controller.abort(new Error('user gave up'));
    await expect(pending).rejects.toThrow('user gave up');
    expect(retries[0]).toBeGreaterThanOrEqual(10_000);
    expect(script.counters.received).toBe(1);
  });

  it('rejects at once without sending when the signal is already aborted', async () => {
    const script = sequence([{ status: 200 }]);
    const { adapter, url } = await setUp(script.handlers);
    await expect(adapter.send(url, { signal: AbortSignal.abort(new Error('too late')) })).rejects.toThrow('too late');
    expect(script.counters.received).toBe(0);
  });
});
