import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type SluiceClient } from '../../src/client.js';
import { isQueueFullError } from '../../src/errors.js';
import { GateEvents, type SluiceEvents } from '../../src/gate/gate-events.js';
import { channels } from '../../src/observe/channels.js';
import { sequence } from '../../mocks/sequence.js';
import { startLoopbackServer, type LoopbackServer } from '../../mocks/loopback.js';

type Heard = { [E in keyof typeof channels]: SluiceEvents[E][] };
const cleanup: (() => unknown)[] = [];

afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

/** Subscribes to every sluice channel; keeps what concerns `key` only. */
function listen(key: () => string): Heard {
  const heard = Object.fromEntries(Object.keys(channels).map((event) => [event, []])) as unknown as Heard;
  for (const [event, name] of Object.entries(channels) as [keyof Heard, string][]) {
    const onMessage = (message: unknown) => {
      if ((message as { key: string }).key === key()) (heard[event] as unknown[]).push(message);
    };
    diagnostics.subscribe(name, onMessage);
    cleanup.push(() => diagnostics.unsubscribe(name, onMessage));
  }
  return heard;
}

async function serve(handlers: Parameters<typeof startLoopbackServer>[0], options: Parameters<typeof createClient>[0]) {
  const server: LoopbackServer = await startLoopbackServer(handlers);
  const client: SluiceClient = createClient(options);
  cleanup.push(() => server.close(), () => client.close());
  return { server, client };
}

describe('diagnostics channels', () => {
  it('publishes queued, admitted with the wait, end, pause, retry and a rejection with its reason', async () => {
    const script = sequence([{ status: 429, headers: { 'retry-after-ms': '30' } }, { status: 200, body: 'ok' }]);
    const { server, client } = await serve(script.handlers, { limits: { concurrency: 1, maxQueue: 2 }, rate: false });
    const heard = listen(() => server.origin);
    const url = `${server.origin}/thing?secret=1`;
    const requests = [0, 1, 2].map(() => client.fetch(url));
    const refused = await client.fetch(url, { method: 'POST', body: 'x' }).catch((e: unknown) => e);
    expect(isQueueFullError(refused)).toBe(true);
    for (const response of await Promise.all(requests)) {
      expect(response.status).toBe(200);
      await response.body?.cancel();
    }
    const facts = { key: server.origin, bucket: undefined, origin: server.origin };
    // Two waited behind the first; the first's retry queued again once the pause was over.
    expect(heard.queued).toHaveLength(3);
    expect(heard.queued.slice(0, 2)).toEqual([
      { ...facts, method: 'GET', priority: 0, queued: 1 },
      { ...facts, method: 'GET', priority: 0, queued: 2 },
    ]);
    expect(heard.reject).toEqual([{ ...facts, method: 'POST', reason: 'queue-full', error: refused }]);
    // The first went at once; the others waited in the queue; the first's retry too.
    expect(heard.admitted).toHaveLength(4);
    expect(heard.admitted[0]).toEqual({ ...facts, method: 'GET', wait: 0, inFlight: 1, queued: 0 });
    for (const event of heard.admitted.slice(1)) expect(event.wait).toBeGreaterThan(0);
    expect(heard.end.map((e) => [e.outcome, e.status])).toEqual([['rate-refusal', 429], ['served', 200], ['served', 200], ['served', 200]]);
    for (const event of heard.end) expect(event.durationMs).toBeGreaterThanOrEqual(0);
    expect(heard.pause).toHaveLength(1);
    expect(heard.pause[0]).toMatchObject({ key: server.origin, status: 429 });
    expect(heard.pause[0]!.ms).toBeGreaterThan(0);
    expect(heard.pause[0]!.ms).toBeLessThanOrEqual(30);
    expect(heard.retry).toEqual([{ key: server.origin, attempt: 1, delay: expect.any(Number), source: 'server', status: 429 }]);
    expect(heard.retry[0]!.delay).toBeGreaterThanOrEqual(30);
    // Nothing published carries the path or the query.
    expect(JSON.stringify(heard)).not.toContain('secret');
  });

  it('publishes window moves, and rate moves only when marked', async () => {
    const script = sequence([{ status: 200, body: 'ok', delayMs: 5 }]);
    const server = await startLoopbackServer(script.handlers);
    cleanup.push(() => server.close());
    const heard = listen(() => server.origin);
    const burst = async (client: SluiceClient) => {
      cleanup.push(() => client.close());
      const responses = await Promise.all(Array.from({ length: 60 }, () => client.fetch(`${server.origin}/item`)));
      for (const response of responses) await response.body?.cancel();
    };

    // Unpaced, a burst fills the adaptive window, which grows (slow start).
    await burst(createClient({ rate: false }));
    expect(heard.limit.length).toBeGreaterThan(0);
    expect(heard.limit[0]!.previous).toBe(10);
    for (const { limit, previous } of heard.limit) expect(limit).toBeGreaterThan(previous);
    for (let i = 1; i < heard.limit.length; i++) expect(heard.limit[i]!.previous).toBe(heard.limit[i - 1]!.limit);
    expect(heard.rate).toEqual([]);

    // Paced, the rate ramps up from its careful start; each event is a move of more than 10 %.
    const paced = createClient();
    await burst(paced);
    expect(heard.rate.length).toBeGreaterThan(0);
    for (const { rate, previous, mode, previousMode } of heard.rate) {
      expect(mode !== previousMode || Math.abs(rate - previous) > 0.1 * previous).toBe(true);
    }
    expect(heard.rate[0]!.previousMode).not.toBe(heard.rate[0]!.mode);
  });

  it('builds no per-request payload when nobody listens', () => {
    const events = new GateEvents();
    expect(events.wants('admitted')).toBe(false);
    const off = events.on('admitted', () => {});
    expect(events.wants('admitted')).toBe(true);
    off();
    expect(events.wants('admitted')).toBe(false);
    const onMessage = () => {};
    diagnostics.subscribe(channels.admitted, onMessage);
    expect(events.wants('admitted')).toBe(true);
    diagnostics.unsubscribe(channels.admitted, onMessage);
    expect(events.wants('admitted')).toBe(false);
  });
});
