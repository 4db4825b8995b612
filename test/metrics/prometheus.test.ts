import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type SluiceClient } from '../../src/client.js';
import { isQueueFullError, isRateLimitedError } from '../../src/errors.js';
import { registerMetrics } from '../../src/metrics/prometheus.js';
import { sequence } from '../../mocks/sequence.js';
import { startLoopbackServer, type LoopbackServer } from '../../mocks/loopback.js';
import { type Family, parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';
import { waitUntil } from '../helpers/wait-until.js';

const open: { server: LoopbackServer; client: SluiceClient }[] = [];

afterEach(async () => {
  for (const { server, client } of open.splice(0)) {
    await client.close();
    await server.close();
  }
});

/** One 429 that pauses the key for `pauseMs`, then 200s. */
async function pausingServer(pauseMs: number, options: Parameters<typeof createClient>[0]) {
  const script = sequence([{ status: 429, headers: { 'retry-after-ms': String(pauseMs) } }, { status: 200, body: 'ok' }]);
  const server = await startLoopbackServer(script.handlers);
  const client = createClient(options);
  open.push({ server, client });
  return { server, client, url: `${server.origin}/item` };
}

async function scrape(registry: Registry): Promise<Map<string, Family>> {
  return parsePrometheusText(await registry.metrics());
}

/** The value of `name`'s one sample with `labels`; a histogram's count. */
function value(families: Map<string, Family>, name: string, labels: Record<string, string>): number | undefined {
  const histogram = families.get(name)?.type === 'histogram';
  return sampleValue(families, name, labels, histogram ? `${name}_count` : name);
}

describe('registerMetrics (Prometheus)', () => {
  it('shows the queue filling during a pause, drops by reason, and a wait count equal to the admitted', async () => {
    const { server, client, url } = await pausingServer(400, { limits: { concurrency: 1, maxQueue: 3 }, rate: false });
    const registry = new Registry();
    registerMetrics(client, { registry });
    const origin = { origin: server.origin, bucket: '' };

    // The first response is a 429 returned as it is: the key is now paused for 400 ms.
    const first = await client.fetch(url, { sluice: { retry: false } });
    expect(first.status).toBe(429);
    await first.body?.cancel();
    const queued = [1, 2, 3].map(() => client.fetch(url));
    const full = await Promise.all([client.fetch(url), client.fetch(url)].map((p) => p.catch((e: unknown) => e)));
    const impatient = await client.fetch(url, { sluice: { timeout: { total: 50 } } }).catch((e: unknown) => e);
    expect(full.every(isQueueFullError)).toBe(true);
    expect(isRateLimitedError(impatient)).toBe(true);

    const during = await scrape(registry);
    expect(value(during, 'sluice_queue_size', origin)).toBe(3);
    expect(value(during, 'sluice_queue_capacity', origin)).toBe(3);
    expect(value(during, 'sluice_in_flight', origin)).toBe(0);
    expect(value(during, 'sluice_concurrency_limit', origin)).toBe(1);
    expect(value(during, 'sluice_rate_per_second', origin)).toBeUndefined(); // rate: false
    expect(value(during, 'sluice_dropped_total', { ...origin, reason: 'queue-full' })).toBe(2);
    expect(value(during, 'sluice_dropped_total', { ...origin, reason: 'rate-limited' })).toBe(1);
    expect(value(during, 'sluice_dropped_total', { ...origin, reason: 'shed' })).toBe(0);
    expect(value(during, 'sluice_responses_total', { ...origin, status: '429' })).toBe(1);
    expect(value(during, 'sluice_requests_total', { ...origin, outcome: 'rate-refusal' })).toBe(1);
    expect(value(during, 'sluice_queue_wait_seconds', origin)).toBe(1);

    for (const response of await Promise.all(queued)) {
      expect(response.status).toBe(200);
      await response.body?.cancel();
    }
    const after = await scrape(registry);
    const admitted = client.stats(url)!.counters.sent;
    expect(admitted).toBe(4);
    expect(value(after, 'sluice_queue_size', origin)).toBe(0);
    expect(value(after, 'sluice_queue_wait_seconds', origin)).toBe(admitted);
    expect(value(after, 'sluice_requests_total', { ...origin, outcome: 'served' })).toBe(3);
    expect(value(after, 'sluice_retries_total', origin)).toBe(0);
    // The pause's length is the server's 400 ms, from the clock reading of the 429 to its end.
    expect(value(after, 'sluice_paused_seconds_total', origin)).toBe(0.4);
    // Three of the four waited out the pause; the first was admitted at once.
    expect(sampleValue(after, 'sluice_queue_wait_seconds', { ...origin, le: '0.001' }, 'sluice_queue_wait_seconds_bucket')).toBe(1);
    expect(sampleValue(after, 'sluice_queue_wait_seconds', { ...origin, le: '60' }, 'sluice_queue_wait_seconds_bucket')).toBe(4);
    expect(after.get('sluice_queue_wait_seconds')!.type).toBe('histogram');
  });

  it('never labels a series with a path, a query or credentials', async () => {
    const { server, client } = await pausingServer(1, { retry: false });
    const registry = new Registry();
    registerMetrics(client, { registry });
    const response = await client.fetch(`${server.origin}/users/42/token?api_key=s3cret`, { headers: { authorization: 'Bearer hunter2' } });
    await response.body?.cancel();
    const text = await registry.metrics();
    expect(text).not.toMatch(/users|api_key|s3cret|hunter2/);
    const labelNames = new Set([...parsePrometheusText(text).values()].flatMap((f) => f.samples.flatMap((s) => Object.keys(s.labels))));
    expect([...labelNames].sort()).toEqual(['bucket', 'le', 'origin', 'outcome', 'reason', 'status']);
    for (const family of parsePrometheusText(text).values()) {
      for (const sample of family.samples) expect(sample.labels.origin).toBe(server.origin);
    }
  });

  it("drops an origin's series once its gate is evicted as idle", async () => {
    const { server, client, url } = await pausingServer(1, { idleTimeout: 20, retry: false });
    const registry = new Registry();
    registerMetrics(client, { registry });
    const response = await client.fetch(url);
    await response.body?.cancel();
    expect(value(await scrape(registry), 'sluice_queue_wait_seconds', { origin: server.origin })).toBe(1);
    await waitUntil(() => client.stats().length === 0, 'the idle gate is evicted');
    const text = await registry.metrics();
    expect(text).not.toContain(server.origin);
  });

  it('adds up the clients sharing a registry, and the last unregister removes the metrics', async () => {
    const a = await pausingServer(1, { retry: false, limits: { maxQueue: 7 } });
    const b = createClient({ retry: false, limits: { maxQueue: 5 } });
    open.push({ server: a.server, client: b });
    const registry = new Registry();
    const stopA = registerMetrics(a.client, { registry });
    const stopB = registerMetrics(b, { registry });
    expect(registerMetrics(b, { registry })).toBe(stopB);
    for (const client of [a.client, b]) await (await client.fetch(a.url)).body?.cancel();
    const families = await scrape(registry);
    expect(value(families, 'sluice_queue_capacity', { origin: a.server.origin })).toBe(12);
    expect(value(families, 'sluice_queue_wait_seconds', { origin: a.server.origin })).toBe(2);
    stopA();
    expect(registry.getSingleMetric('sluice_queue_size')).toBeDefined();
    stopB();
    expect((await registry.metrics()).trim()).toBe('');
  });

  it('names what is wrong with its arguments', () => {
    const registry = new Registry();
    expect(() => registerMetrics({} as never, { registry })).toThrow(/Expected `client` to be a sluice client or interceptor/);
    expect(() => registerMetrics(createClient(), { registry: {} as never })).toThrow(/Expected `registry` to be a prom-client Registry/);
  });
});
