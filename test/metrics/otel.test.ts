import { AggregationTemporality, DataPointType, InMemoryMetricExporter, MeterProvider, type MetricData, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type SluiceClient } from '../../src/client.js';
import { registerMetrics } from '../../src/metrics/otel.js';
import { sequence } from '../../mocks/sequence.js';
import { startLoopbackServer } from '../../mocks/loopback.js';
import { waitUntil } from '../helpers/wait-until.js';

const cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

async function setup(temporality = AggregationTemporality.CUMULATIVE) {
  const script = sequence([{ status: 429, headers: { 'retry-after-ms': '300' } }, { status: 200, body: 'ok' }]);
  const server = await startLoopbackServer(script.handlers);
  const client: SluiceClient = createClient({ limits: { concurrency: 1 }, rate: false, idleTimeout: 50 });
  const exporter = new InMemoryMetricExporter(temporality);
  // A long interval: the test collects by forceFlush, never on the timer.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  cleanup.push(() => server.close(), () => client.close(), () => provider.shutdown());
  const stop = registerMetrics(client, { meter: provider.getMeter('sluice-test') });
  const collect = async (): Promise<Map<string, MetricData>> => {
    exporter.reset();
    await reader.forceFlush();
    const metrics = exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
    return new Map(metrics.map((m) => [m.descriptor.name, m]));
  };
  const url = new URL('/item', server.origin);
  return { server, client, collect, stop, url };
}

/** The value of the one data point of `metric` whose attributes include `attributes`. */
function pointValue(metrics: Map<string, MetricData>, name: string, attributes: Record<string, unknown> = {}): unknown {
  const metric = metrics.get(name);
  const points = (metric?.dataPoints ?? []).filter((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v));
  if (points.length > 1) throw new Error(`${points.length} points of ${name} match ${JSON.stringify(attributes)}`);
  return points[0]?.value;
}

describe('registerMetrics (OpenTelemetry)', () => {
  it('reports the same instruments, with server.address and server.port', async () => {
    const { client, collect, url } = await setup();
    const first = await client.fetch(url, { sluice: { retry: false } });
    expect(first.status).toBe(429);
    await first.body?.cancel();
    const queued = [client.fetch(url), client.fetch(url)];
    const server = { 'server.address': '127.0.0.1', 'server.port': Number(url.port) };

    const during = await collect();
    expect(pointValue(during, 'sluice.queue.size', server)).toBe(2);
    expect(pointValue(during, 'sluice.queue.capacity', server)).toBe(10_000);
    expect(pointValue(during, 'sluice.concurrency.limit', server)).toBe(1);
    expect(pointValue(during, 'sluice.requests.in_flight', server)).toBe(0);
    expect(pointValue(during, 'sluice.responses', { ...server, 'http.response.status_code': 429 })).toBe(1);
    expect(pointValue(during, 'sluice.requests', { ...server, 'sluice.outcome': 'rate-refusal' })).toBe(1);
    expect(pointValue(during, 'sluice.queue.dropped', { ...server, 'sluice.drop.reason': 'queue-full' })).toBe(0);
    expect(during.has('sluice.rate')).toBe(false);

    for (const response of await Promise.all(queued)) await response.body?.cancel();
    const after = await collect();
    const wait = after.get('sluice.queue.wait.duration')!;
    expect(wait.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(wait.descriptor.unit).toBe('s');
    const histogram = pointValue(after, 'sluice.queue.wait.duration', server) as { count: number; buckets: { boundaries: number[] } };
    expect(histogram.count).toBe(client.stats(url)!.counters.sent);
    expect(histogram.buckets.boundaries).toEqual([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]);
    expect(pointValue(after, 'sluice.requests', { ...server, 'sluice.outcome': 'served' })).toBe(2);
    expect(pointValue(after, 'sluice.pause.duration', server)).toBe(0.3);
    expect(pointValue(after, 'sluice.queue.size', server)).toBe(0);
    // Nothing but the origin and the names sluice gives its own dimensions.
    const keys = new Set([...after.values()].flatMap((m) => m.dataPoints.flatMap((p) => Object.keys(p.attributes))));
    expect([...keys].sort()).toEqual(['http.response.status_code', 'server.address', 'server.port', 'sluice.drop.reason', 'sluice.outcome']);
  });

  it('stops observing an evicted origin (gone from a delta export) and after unregistering', async () => {
    const { client, collect, url, stop } = await setup(AggregationTemporality.DELTA);
    await (await client.fetch(url, { sluice: { retry: false } })).body?.cancel();
    expect((await collect()).has('sluice.queue.size')).toBe(true);
    // Idle once its 300 ms pause is over, and evicted 50 ms later.
    await waitUntil(() => client.stats().length === 0, 'the idle gate is evicted');
    expect((await collect()).has('sluice.queue.size')).toBe(false);
    stop();
    await (await client.fetch(url, { sluice: { retry: false } })).body?.cancel();
    const metrics = await collect();
    expect(metrics.has('sluice.queue.size')).toBe(false);
    expect(metrics.has('sluice.queue.wait.duration')).toBe(false);
  });

  it('names a key that is not an origin sluice.key', async () => {
    const { client, collect, url } = await setup();
    await (await client.fetch(url, { sluice: { key: 'tenant-a', retry: false } })).body?.cancel();
    expect(pointValue(await collect(), 'sluice.queue.size', { 'sluice.key': 'tenant-a' })).toBe(0);
  });

  it('names what is wrong with its arguments', () => {
    expect(() => registerMetrics(createClient(), { meter: {} as never })).toThrow(/Expected `meter` to be an OpenTelemetry Meter/);
  });
});
