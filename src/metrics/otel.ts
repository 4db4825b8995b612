// `sluice/otel`: the same per-origin numbers as `sluice/prometheus`, as OpenTelemetry instruments
// on a Meter: observed from `stats()` at each collection, the queue wait recorded per attempt.

import type { Attributes, BatchObservableResult, Histogram, Meter, Observable } from '@opentelemetry/api';
import { InvalidOptionError } from '../errors.js';
import {
  attemptEnds,
  countedStatuses,
  expectMetricsSource,
  joinMetrics,
  type MetricsSet,
  type UnregisterMetrics,
  type KeyLabels,
  labelsOfEvent,
  type MetricsSource,
  queueWaitBuckets,
  refusalReasons,
  sampleKeys,
} from './key-samples.js';

export type { MetricsSource, UnregisterMetrics } from './key-samples.js';

export interface OtelMetricsOptions {
  /** The Meter the instruments are created on (e.g. `metrics.getMeter('sluice')`). */
  meter: Meter;
}

/**
 * Registers sluice's instruments for `client` (a `createClient()` client or a `sluice()`
 * interceptor) on `meter`. Attributes follow OpenTelemetry's HTTP client conventions:
 * `server.address` and `server.port` of the key's origin (a key that is not an origin is given as
 * `sluice.key`), and `sluice.bucket` on a rate-limit bucket's gate — never a path, query or
 * credentials. Several clients on one meter add up per origin.
 *
 * | instrument | kind | unit | attributes |
 * |---|---|---|---|
 * | `sluice.queue.size` | observable up-down counter | `{request}` | |
 * | `sluice.queue.capacity` | observable up-down counter | `{request}` | |
 * | `sluice.queue.dropped` | observable counter | `{request}` | `sluice.drop.reason` |
 * | `sluice.queue.wait.duration` | histogram (1 ms – 60 s) | `s` | |
 * | `sluice.requests` | observable counter (attempts ended) | `{request}` | `sluice.outcome` |
 * | `sluice.requests.in_flight` | observable up-down counter | `{request}` | |
 * | `sluice.concurrency.limit` | observable gauge | `{request}` | |
 * | `sluice.rate` | observable gauge (absent while unpaced) | `{request}/s` | |
 * | `sluice.pause.duration` | observable counter | `s` | |
 * | `sluice.retries` | observable counter | `{request}` | |
 * | `sluice.responses` | observable counter | `{response}` | `http.response.status_code` (429, 503, 529) |
 *
 * A key's observations stop with its gate once idle for `idleTimeout`; whether its series then
 * leave the export is the SDK's call (they do with delta temporality).
 */
export function registerMetrics(client: MetricsSource, options: OtelMetricsOptions): UnregisterMetrics {
  const source = expectMetricsSource(client);
  const meter = expectMeter(options);
  return joinMetrics(byMeter, meter, () => new MeterMetrics(meter), source);
}

const byMeter = new WeakMap<Meter, MetricsSet>();

class MeterMetrics {
  readonly #sources = new Map<MetricsSource, UnregisterMetrics>();
  readonly #wait: Histogram;
  readonly #observables: Observable[];
  readonly #callback = (result: BatchObservableResult) => this.#observe(result);
  /** Attributes per gate key, kept for the keys still live at the last collection. */
  #attributes = new Map<string, Attributes>();
  readonly #instruments;

  constructor(readonly meter: Meter) {
    const requests = { unit: '{request}' };
    this.#instruments = {
      queueSize: meter.createObservableUpDownCounter('sluice.queue.size', { ...requests, description: 'Requests waiting in the queue for admission to the origin.' }),
      queueCapacity: meter.createObservableUpDownCounter('sluice.queue.capacity', { ...requests, description: 'Most requests the queue holds (limits.maxQueue).' }),
      dropped: meter.createObservableCounter('sluice.queue.dropped', { ...requests, description: 'Requests the gate refused or dropped, by reason.' }),
      requests: meter.createObservableCounter('sluice.requests', { ...requests, description: 'Attempts that ended, by outcome.' }),
      inFlight: meter.createObservableUpDownCounter('sluice.requests.in_flight', { ...requests, description: 'Attempts admitted and not yet ended.' }),
      limit: meter.createObservableGauge('sluice.concurrency.limit', { ...requests, description: 'The concurrency window: most attempts in flight at once.' }),
      rate: meter.createObservableGauge('sluice.rate', { unit: '{request}/s', description: 'The pacing rate (absent while unpaced).' }),
      paused: meter.createObservableCounter('sluice.pause.duration', { unit: 's', description: 'Time the origin was paused (every request to it waited).' }),
      retries: meter.createObservableCounter('sluice.retries', { ...requests, description: 'Retries taken.' }),
      responses: meter.createObservableCounter('sluice.responses', { unit: '{response}', description: 'Refusal responses (429, 503, 529) by status.' }),
    };
    this.#observables = Object.values(this.#instruments);
    this.#wait = meter.createHistogram('sluice.queue.wait.duration', {
      unit: 's',
      description: 'Time from asking to admission, per attempt (0 when admitted at once).',
      advice: { explicitBucketBoundaries: [...queueWaitBuckets] },
    });
  }

  add(source: MetricsSource): UnregisterMetrics {
    const known = this.#sources.get(source);
    if (known !== undefined) return known;
    if (this.#sources.size === 0) this.meter.addBatchObservableCallback(this.#callback, this.#observables);
    const off = source.on('admitted', (event) => {
      let attributes = this.#attributes.get(event.key);
      if (attributes === undefined) this.#attributes.set(event.key, (attributes = attributesOf(labelsOfEvent(event))));
      this.#wait.record(event.wait / 1000, attributes);
    });
    const unregister = () => {
      if (this.#sources.get(source) !== unregister) return;
      off();
      this.#sources.delete(source);
      if (this.#sources.size > 0) return;
      this.meter.removeBatchObservableCallback(this.#callback, this.#observables);
      byMeter.delete(this.meter);
    };
    this.#sources.set(source, unregister);
    return unregister;
  }

  #observe(result: BatchObservableResult): void {
    const i = this.#instruments;
    const live = new Map<string, Attributes>();
    for (const sample of sampleKeys(this.#sources.keys()).values()) {
      const attributes = attributesOf(sample);
      live.set(sample.bucket === '' ? sample.origin : `${sample.origin} [${sample.bucket}]`, attributes);
      result.observe(i.queueSize, sample.queued, attributes);
      result.observe(i.queueCapacity, sample.maxQueue, attributes);
      result.observe(i.inFlight, sample.inFlight, attributes);
      result.observe(i.limit, sample.limit, attributes);
      if (sample.rate !== undefined) result.observe(i.rate, sample.rate, attributes);
      result.observe(i.paused, sample.pausedSeconds, attributes);
      result.observe(i.retries, sample.retries, attributes);
      for (const reason of refusalReasons) result.observe(i.dropped, sample.dropped[reason], { ...attributes, 'sluice.drop.reason': reason });
      for (const end of attemptEnds) result.observe(i.requests, sample.attempts[end], { ...attributes, 'sluice.outcome': end });
      for (const status of countedStatuses) result.observe(i.responses, sample.responses[status], { ...attributes, 'http.response.status_code': status });
    }
    // Keys whose gates are gone stop costing memory here too.
    this.#attributes = live;
  }
}

/** `server.address` / `server.port` when the key is an origin (the default), else `sluice.key`. */
function attributesOf({ origin, bucket }: KeyLabels): Attributes {
  const attributes: Attributes = {};
  const url = originUrl(origin);
  if (url === undefined) attributes['sluice.key'] = origin;
  else {
    attributes['server.address'] = url.hostname.replace(/^\[(.*)\]$/, '$1');
    attributes['server.port'] = Number(url.port || defaultPorts[url.protocol] || 0);
  }
  if (bucket !== '') attributes['sluice.bucket'] = bucket;
  return attributes;
}

const defaultPorts: Record<string, number> = { 'http:': 80, 'https:': 443 };

function originUrl(key: string): URL | undefined {
  if (!/^https?:\/\//i.test(key)) return undefined;
  try {
    const url = new URL(key);
    return url.origin === key ? url : undefined;
  } catch {
    return undefined;
  }
}

function expectMeter(options: OtelMetricsOptions): Meter {
  const meter = (options as Partial<OtelMetricsOptions> | null)?.meter;
  if (typeof meter?.createHistogram !== 'function' || typeof meter.addBatchObservableCallback !== 'function') {
    throw new InvalidOptionError('meter', "an OpenTelemetry Meter (e.g. `metrics.getMeter('sluice')`)", meter);
  }
  return meter;
}
