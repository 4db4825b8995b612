// One process of a fleet benchmark: a sluice client (with or without the Redis store) sending its
// share of a workload at one origin. Started by fleet-run.ts with a JSON FleetWorkerConfig as
// argv[2]; reports 'ready', waits for 'go', and reports a FleetWorkerResult over IPC.

import { type FleetWorkerConfig, type FleetWorkerResult, SENDER_HEADER } from './fleet-protocol.js';

const config = JSON.parse(process.argv[2] ?? '') as FleetWorkerConfig;
const epochNow = () => performance.timeOrigin + performance.now();

const sluice = (await import(config.bundle.main)) as typeof import('../../src/index.js');
const storeEvents: FleetWorkerResult['storeEvents'] = [];
let redisClient: { close(): Promise<void> } | undefined;
let store: import('../../src/redis.js').RedisStore | undefined;
if (config.store !== 'none') {
  const { redisStore } = (await import(config.bundle.redis)) as typeof import('../../src/redis.js');
  if (config.store === 'ioredis') {
    const { Redis } = await import('ioredis');
    const client = new Redis(config.redisPort!, '127.0.0.1', { lazyConnect: false });
    // The benchmark kills redis-server on purpose: the client's reconnect errors are expected.
    client.on('error', () => {});
    redisClient = { close: async () => client.disconnect() };
    store = redisStore({ client, prefix: config.prefix });
  } else {
    const { createClient } = await import('redis');
    const client = createClient({ url: `redis://127.0.0.1:${config.redisPort}` });
    client.on('error', () => {});
    await client.connect();
    redisClient = { close: async () => client.destroy() };
    store = redisStore({ client, prefix: config.prefix });
  }
  store.on('store', (event) => storeEvents.push({ at: epochNow(), type: event.type }));
}
// Warnings are expected when Redis is killed; the events above record them.
process.removeAllListeners('warning');

const client = sluice.createClient(store === undefined ? {} : { store });
const throttledAt: number[] = [];
const pausedAt: number[] = [];
client.on('pause', () => pausedAt.push(epochNow()));
client.on('retry', (event) => {
  if (event.status === 429) throttledAt.push(epochNow());
});

process.send!({ type: 'ready' });
await new Promise<void>((resolve) => process.once('message', () => resolve()));

const successAt: number[] = [];
const statuses: Record<string, number> = {};
const errors: Record<string, number> = {};
let failed = 0;
// The store links to Redis when a key is first opened: open this one (ready() does, without a
// request) and wait for the link, so the clock starts with it up, as in a long-lived worker.
if (store !== undefined) {
  await client.ready(config.url);
  const ready = performance.now();
  while (store.status !== 'joined' && performance.now() - ready < 2000) await new Promise((resolve) => setTimeout(resolve, 5));
}

const samples: string[] = [];
const sampler = process.env.FLEET_TRACE
  ? setInterval(() => {
      const st = client.stats(new URL(config.url).origin);
      if (st) samples.push(`${((epochNow() - startedAt) / 1000).toFixed(1)}s lim=${st.limit} rate=${st.rate.toFixed(1)} ${st.rateState} in=${st.inFlight} q=${st.queued} ok=${successAt.length} store=${store?.status}`);
    }, 1000)
  : undefined;
const cpu = process.cpuUsage();
const commandsBefore = store?.commands ?? 0;
const startedAt = epochNow();
const started = performance.now();

async function one(): Promise<void> {
  try {
    // The sender's pid lets the benchmark's own servers tell whose requests arrived when.
    const response = await client.fetch(config.url, { headers: { [SENDER_HEADER]: String(process.pid) } });
    await response.arrayBuffer();
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    if (response.ok) successAt.push(epochNow());
    else failed++;
  } catch (error) {
    failed++;
    const name = (error as { code?: string; name?: string }).code ?? (error as Error).name ?? 'error';
    errors[name] = (errors[name] ?? 0) + 1;
  }
}

if (config.workers === undefined) {
  await Promise.all(Array.from({ length: config.n }, one));
} else {
  let next = 0;
  await Promise.all(
    Array.from({ length: config.workers }, async () => {
      while (next++ < config.n) await one();
    }),
  );
}

const wallMs = performance.now() - started;
clearInterval(sampler);
if (samples.length > 0) console.error(`[pid ${process.pid}] ${samples.join('\n[pid ' + process.pid + '] ')}`);
const used = process.cpuUsage(cpu);
const stats = client.stats(new URL(config.url).origin);
const result: FleetWorkerResult = {
  pid: process.pid,
  startedAt,
  wallMs,
  ok: successAt.length,
  failed,
  statuses,
  errors,
  successAt,
  throttledAt,
  pausedAt,
  storeEvents,
  cpuMs: (used.user + used.system) / 1000,
  commands: (store?.commands ?? 0) - commandsBefore,
  attempts: stats?.counters.sent ?? 0,
};
await client.close();
await redisClient?.close();
process.send!({ type: 'result', result }, () => process.exit(0));
