// The Redis store against a real redis-server (started and killed by the tests, on a free
// loopback port), once with each client library: two stores stand for two processes.

import { Redis } from 'ioredis';
import { createClient as createNodeRedis } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../src/index.js';
import { createAimdWindow } from '../../../src/limits/aimd-limit.js';
import { createStaticWindow } from '../../../src/limits/limit.js';
import { createPace } from '../../../src/pacing/pacer.js';
import { createBudget } from '../../../src/retry/budget.js';
import { redisStore, type RedisStore, type StoreEvent } from '../../../src/redis.js';
import { classifyAttempt } from '../../../src/signal/attempt-signal.js';
import type { KeyState } from '../../../src/state/key-state.js';
import type { KeyChange, KeyHandle } from '../../../src/state/store.js';
import { testKeyState } from '../../helpers/key-state.js';
import { type RedisServer, redisUnavailable, startRedisServer } from '../../helpers/redis-server.js';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { waitUntil } from '../../helpers/wait-until.js';

const unavailable = redisUnavailable();
if (unavailable !== undefined) console.warn(`Skipping the Redis store tests: ${unavailable}`);

type Library = 'ioredis' | 'node-redis';

/** A client of `library` connected to `server`, and how to close it. */
async function connect(library: Library, server: RedisServer): Promise<{ client: unknown; close(): Promise<void> }> {
  if (library === 'ioredis') {
    const client = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    return { client, close: async () => client.disconnect() };
  }
  const client = createNodeRedis({ url: server.url });
  client.on('error', () => {});
  await client.connect();
  return { client, close: async () => client.destroy() };
}


const served = (now: number) => classifyAttempt({ type: 'response', status: 200, headers: new Headers() }, now);
const throttled = (now: number, retryAfterS: number) =>
  classifyAttempt({ type: 'response', status: 429, headers: new Headers({ 'retry-after': String(retryAfterS) }) }, now);

/** A loopback server answering 200 to everything; closed by the test that made it. */
async function okServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => res.end('ok'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

describe.skipIf(unavailable !== undefined).each<Library>(['ioredis', 'node-redis'])('redisStore with %s', (library) => {
  let server: RedisServer;
  const closers: (() => Promise<void> | void)[] = [];
  let prefixNo = 0;

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  /** Two stores with one prefix: two processes of one fleet. */
  async function fleet(count = 2): Promise<RedisStore[]> {
    const prefix = `test${library}${++prefixNo}:`;
    const stores: RedisStore[] = [];
    for (let i = 0; i < count; i++) {
      const { client, close } = await connect(library, server);
      closers.push(close);
      stores.push(redisStore({ client, prefix, timeout: 1000, retryInterval: 100 }));
    }
    return stores;
  }

  function open(store: RedisStore, state: () => KeyState, changes: KeyChange[] = []): KeyHandle {
    const handle = store.open(state().key, state, (change) => changes.push(change));
    closers.push(() => handle.close());
    return handle;
  }

  it('joins Redis in the background once a key is opened', async () => {
    const [store] = await fleet(1);
    expect(store!.status).toBe('idle');
    open(store!, () => testKeyState('k'));
    await waitUntil(() => store!.status === 'joined', 'the store joined');
  });

  it('a pause one process sets reaches the other, which hears it as a change', async () => {
    const [a, b] = await fleet();
    const changes: KeyChange[] = [];
    const ha = open(a!, () => testKeyState('k'));
    const hb = open(b!, () => testKeyState('k'), changes);
    await waitUntil(() => a!.status === 'joined' && b!.status === 'joined', 'both joined');
    const now = Date.now();
    ha.pause(now + 2000, 429, now);
    await waitUntil(() => hb.state.pausedUntil > now, 'the pause reached the other process');
    expect(hb.state.pausedUntil - (now + 2000)).toBeGreaterThanOrEqual(0);
    expect(hb.state.pausedUntil - (now + 2000)).toBeLessThan(500);
    expect(changes).toContainEqual(expect.objectContaining({ type: 'pause', status: 429 }));
  });

  it('a key opened after the pause began picks it up from Redis', async () => {
    const [a, b] = await fleet();
    const ha = open(a!, () => testKeyState('k'));
    await waitUntil(() => a!.status === 'joined', 'joined');
    const now = Date.now();
    ha.pause(now + 5000, 429, now);
    // The pause is stored by the script the pause runs; give it its round trip.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const hb = open(b!, () => testKeyState('k'));
    await waitUntil(() => hb.state.pausedUntil > now + 4000, 'the late key read the pause');
  });

  it('a shared window counts the attempts of every process in flight, each process only its own in stats', async () => {
    const [a, b] = await fleet();
    const ha = open(a!, () => testKeyState('k', { window: createStaticWindow(4) }));
    const hb = open(b!, () => testKeyState('k', { window: createStaticWindow(4) }));
    await waitUntil(() => a!.status === 'joined' && b!.status === 'joined', 'both joined');
    await waitUntil(() => (ha as unknown as { shared: boolean }).shared, 'the key is shared');
    const now = Date.now();
    const admissions = [ha.admit(now, 0), ha.admit(now, 0), ha.admit(now, 0)];
    await waitUntil(() => !hb.admissible(now) || hb.state.inFlight === 0, 'settled');
    await waitUntil(() => (hb as unknown as { local: KeyHandle }).local.state.inFlight === 3, "the other process counts A's three");
    expect(hb.state.inFlight).toBe(0);
    expect(hb.admissible(now)).toBe(true);
    hb.admit(now, 0);
    await waitUntil(() => !ha.admissible(Date.now()), 'the window of four is full for A too');
    ha.end(admissions[0]!, served(Date.now()), Date.now());
    await waitUntil(() => hb.admissible(Date.now()), "A's end made room for B");
    expect(ha.state.counters.sent).toBe(3);
    expect(hb.state.counters.sent).toBe(1);
  });

  it("a process that closes its key no longer holds the other's window", async () => {
    const [a, b] = await fleet();
    const ha = a!.open('k', () => testKeyState('k', { window: createStaticWindow(2) }), () => {});
    const hb = open(b!, () => testKeyState('k', { window: createStaticWindow(2) }));
    await waitUntil(() => a!.status === 'joined' && b!.status === 'joined', 'both joined');
    await waitUntil(() => (ha as unknown as { shared: boolean }).shared, 'the key is shared');
    ha.admit(Date.now(), 0);
    ha.admit(Date.now(), 0);
    await waitUntil(() => !hb.admissible(Date.now()), "A's two fill the window");
    ha.close();
    await waitUntil(() => hb.admissible(Date.now()), 'the window is free again once A left');
  });

  it('the fleet learns from every process: a 429 another process saw teaches this one its pace', async () => {
    const [a, b] = await fleet();
    const start = Date.now();
    const adaptive = () => testKeyState('k', { window: createAimdWindow(), pace: createPace('adaptive', start) });
    const ha = open(a!, adaptive);
    const hb = open(b!, adaptive);
    await waitUntil(() => a!.status === 'joined' && b!.status === 'joined', 'both joined');
    await waitUntil(() => (ha as unknown as { shared: boolean }).shared && (hb as unknown as { shared: boolean }).shared, 'shared');
    const now = Date.now();
    const admission = ha.admit(now, 3);
    ha.end(admission, throttled(now + 5, 1), now + 5);
    await waitUntil(() => hb.state.counters.throttled === 0 && hb.state.pausedUntil > now, "B paused by A's 429");
    // What B counts is its own; what it learned is the fleet's.
    expect(hb.state.counters.sent).toBe(0);
    expect(ha.state.counters.throttled).toBe(1);
  });

  it('the retry budget is the fleet’s: retries another process took are spent here too', async () => {
    const [a, b] = await fleet();
    const budgetOptions = { ratio: 0, minPerSecond: 0.3, ttlMs: 10_000 };
    const withBudget = () => testKeyState('k', { budget: createBudget(budgetOptions, Date.now()) });
    const ha = open(a!, withBudget);
    const hb = open(b!, withBudget);
    await waitUntil(() => (ha as unknown as { shared: boolean }).shared && (hb as unknown as { shared: boolean }).shared, 'shared');
    // A floor of 0.3/s over 10 s: three retries for the whole fleet.
    const noHold = { windowHeld: false };
    expect(ha.tryRetry(noHold, Date.now())).toBe(true);
    expect(ha.tryRetry(noHold, Date.now())).toBe(true);
    await waitUntil(() => {
      const budget = (hb as unknown as { local: KeyHandle }).local.state.budget!;
      return budget.withdrawn === 2;
    }, "B counted A's two retries");
    expect(hb.tryRetry(noHold, Date.now())).toBe(true);
    expect(hb.tryRetry(noHold, Date.now())).toBe(false);
  });

  it('leases send times in turn: two processes asking at once get different times', async () => {
    const [a, b] = await fleet();
    const paced = () => testKeyState('k', { window: createStaticWindow(100), pace: createPace(10, Date.now()) });
    const changes: KeyChange[] = [];
    const ha = open(a!, paced, changes);
    const hb = open(b!, paced, changes);
    await waitUntil(() => (ha as unknown as { shared: boolean }).shared && (hb as unknown as { shared: boolean }).shared, 'shared');
    // Neither holds a lease yet: each asks Redis, and waits for the answer's wake.
    expect(ha.admissible(Date.now())).toBe(false);
    expect(hb.admissible(Date.now())).toBe(false);
    await waitUntil(() => ha.admissionIn(Date.now()) !== undefined && hb.admissionIn(Date.now()) !== undefined, 'both leases came');
    const waits = [ha.admissionIn(Date.now())!, hb.admissionIn(Date.now())!].sort((x, y) => x - y);
    // At 10/s with the bucket's depth of 3, a fresh cell gives its burst first: both may go now.
    expect(waits[0]).toBe(0);
    expect(changes.filter((c) => c.type === 'wake').length).toBeGreaterThanOrEqual(2);
  });

  it('a process that has not heard of a pause learns it from its next lease, and sends nothing meanwhile', async () => {
    const [a, b] = await fleet();
    const paced = () => testKeyState('k', { window: createStaticWindow(100), pace: createPace(10, Date.now()) });
    const changes: KeyChange[] = [];
    open(a!, paced);
    const hb = open(b!, paced, changes);
    await waitUntil(() => (hb as unknown as { shared: boolean }).shared, 'shared');
    // A pause recorded in Redis whose notice has not reached B (stored here without one).
    const raw = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    closers.push(() => raw.disconnect());
    await raw.set(`test${library}${prefixNo}:{k}:pause`, `${Date.now() + 3000} 429`, 'PX', 3000);
    expect(hb.state.pausedUntil).toBe(0);
    expect(hb.admissible(Date.now())).toBe(false);
    await waitUntil(() => hb.state.pausedUntil > Date.now() + 2000, 'the lease told B of the pause');
    expect(hb.admissible(Date.now())).toBe(false);
    expect(changes).toContainEqual(expect.objectContaining({ type: 'pause' }));
  });

  it('falls back to local state with one event when Redis dies, and rejoins when it is back', async () => {
    const [a, b] = await fleet();
    const events: StoreEvent[] = [];
    a!.on('store', (event) => events.push(event));
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }) => warning.code === 'SLUICE_STORE_FALLBACK' && warnings.push(warning.message);
    process.on('warning', onWarning);
    closers.push(() => void process.off('warning', onWarning));
    const ha = open(a!, () => testKeyState('k', { window: createStaticWindow(2) }));
    const hb = open(b!, () => testKeyState('k', { window: createStaticWindow(2) }));
    await waitUntil(() => (ha as unknown as { shared: boolean }).shared && (hb as unknown as { shared: boolean }).shared, 'shared');
    hb.admit(Date.now(), 0);
    hb.admit(Date.now(), 0);
    await waitUntil(() => !ha.admissible(Date.now()), "B's two fill the window");
    await server.kill();
    closers.push(async () => {
      if (server.pid === undefined) await server.restart();
    });
    await waitUntil(() => a!.status !== 'joined', 'the store noticed');
    // On its own, A's window is its own again: B's attempts no longer hold it.
    expect(ha.admissible(Date.now())).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(events.map((e) => e.type)).toEqual(['fallback']);
    // One warning per store (each stands for a process), not one per failed probe.
    await waitUntil(() => warnings.length === 2, 'one warning from each store');
    await server.restart();
    await waitUntil(() => a!.status === 'joined' && b!.status === 'joined', 'both rejoined', 10_000);
    expect(events.map((e) => e.type)).toEqual(['fallback', 'rejoin']);
    expect(warnings).toHaveLength(2);
    // Shared again: B's attempts count for A once more.
    await waitUntil(() => !ha.admissible(Date.now()), "B's two fill the window again");
  });

  it('a client with the store serves requests, and closing it ends the store’s subscription', async () => {
    const [store] = await fleet(1);
    const origin = await okServer();
    closers.push(() => origin.close());
    const client = createClient({ store: store! });
    const responses = await Promise.all(Array.from({ length: 20 }, () => client.fetch(`${origin.url}/x`)));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    for (const response of responses) await response.text();
    expect(store!.status).not.toBe('idle');
    await client.close();
    expect(store!.status).toBe('idle');
  });
});

describe('redisStore without Redis', () => {
  it('a client whose Redis cannot be reached still serves every request, on local state, with one fallback event', async () => {
    const client = new Redis(1, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    client.on('error', () => {});
    const store = redisStore({ client, timeout: 200, retryInterval: 60_000 });
    const events: StoreEvent[] = [];
    store.on('store', (event) => events.push(event));
    const origin = await okServer();
    const sluice = createClient({ store });
    try {
      const responses = await Promise.all(Array.from({ length: 5 }, () => sluice.fetch(`${origin.url}/x`)));
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      for (const response of responses) await response.text();
      await waitUntil(() => store.status === 'local', 'the store fell back');
      expect(events.map((e) => e.type)).toEqual(['fallback']);
    } finally {
      await sluice.close();
      await origin.close();
      client.disconnect();
    }
  });

  it('refuses a client of neither library, a prefix with a brace, and unknown options, naming them', () => {
    expect(() => redisStore({ client: {} })).toThrow(/Expected `client` to be an ioredis client or a node-redis client/);
    const client = new Redis({ lazyConnect: true });
    expect(() => redisStore({ client, prefix: 'a{b' })).toThrow(/Expected `prefix` to be a string without \{ or \}/);
    expect(() => redisStore({ client, timout: 5 } as never)).toThrow(/timout/);
    expect(() => createClient({ store: {} as never })).toThrow(/Expected `store` to be a StateStore/);
    client.disconnect();
  });
});
