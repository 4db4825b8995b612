// `sluice/prometheus`: sluice's per-origin queue, pause, pace and refusal numbers as prom-client
// metrics. Gauges and counters are read from `stats()` at scrape time; only the wait is observed.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { InvalidOptionError } from '../errors.js';
import {
  attemptEnds,
  countedStatuses,
  expectMetricsSource,
  joinMetrics,
  type MetricsSet,
  type UnregisterMetrics,
  type KeySample,
  labelId,
  labelsOfEvent,
  type MetricsSource,
  queueWaitBuckets,
  refusalReasons,
  sampleKeys,
} from './key-samples.js';

export type { MetricsSource, UnregisterMetrics } from './key-samples.js';

export interface PrometheusMetricsOptions {
  /** The prom-client registry the metrics are registered on (e.g. prom-client's default `register`). */
  registry: Registry;
}

/**
 * Registers sluice's metrics for `client` (a `createClient()` client or a `sluice()` interceptor)
 * on `registry`. Every series is labelled by `origin` (the gate key: the origin unless the `key`
 * option says otherwise) and `bucket` (a rate-limit bucket the server named, else '') — never a
 * path, query or credentials. A key's series disappear with its gate once it has been idle for
 * `idleTimeout`. Several clients may share a registry: their numbers add up per origin.
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `sluice_queue_size` | gauge | requests waiting for admission |
 * | `sluice_queue_capacity` | gauge | `limits.maxQueue` |
 * | `sluice_dropped_total` | counter | `reason`: queue-full, drop-oldest, shed, queue-timeout, rate-limited, aborted |
 * | `sluice_queue_wait_seconds` | histogram | time from asking to admission, per attempt (1 ms – 60 s) |
 * | `sluice_requests_total` | counter | attempts ended, `outcome`: served, rate-refusal, capacity-refusal, transport-error, aborted |
 * | `sluice_in_flight` | gauge | attempts admitted and not ended |
 * | `sluice_concurrency_limit` | gauge | the concurrency window |
 * | `sluice_rate_per_second` | gauge | the pacing rate (absent while unpaced) |
 * | `sluice_paused_seconds_total` | counter | time the key spent paused |
 * | `sluice_retries_total` | counter | retries taken |
 * | `sluice_responses_total` | counter | `status`: 429, 503, 529 |
 *
 * @example
 * import { register } from 'prom-client';
 * import { registerMetrics } from 'sluice/prometheus';
 * registerMetrics(client, { registry: register });
 */
export function registerMetrics(client: MetricsSource, options: PrometheusMetricsOptions): UnregisterMetrics {
  const source = expectMetricsSource(client);
  const registry = expectRegistry(options);
  return joinMetrics(byRegistry, registry, () => new RegistryMetrics(registry), source);
}

const byRegistry = new WeakMap<Registry, MetricsSet>();

type Label = 'origin' | 'bucket';

/** The one set of sluice metrics on a registry, and the clients it reads. */
class RegistryMetrics {
  readonly #sources = new Map<MetricsSource, UnregisterMetrics>();
  readonly #names: string[] = [];
  readonly #wait: Histogram<Label>;
  /** The labels of each gate key the histogram has observed, to remove those whose gates are gone. */
  readonly #observed = new Map<string, { labels: Record<Label, string>; id: string }>();
  /** One reading of `stats()` per scrape: every metric's collect runs in the same tick. */
  #samples: Map<string, KeySample> | undefined;

  constructor(readonly registry: Registry) {
    const gauge = (name: string, help: string, value: (s: KeySample) => number | undefined) => {
      const read = () => this.#read();
      this.#names.push(name);
      return new Gauge<Label>({
        name,
        help,
        labelNames: ['origin', 'bucket'],
        registers: [registry],
        collect() {
          this.reset();
          for (const sample of read().values()) {
            const v = value(sample);
            if (v !== undefined) this.set(labels(sample), v);
          }
        },
      });
    };
    const counter = <L extends string>(name: string, help: string, by: L | undefined, values: (s: KeySample) => [string, number][]) => {
      const read = () => this.#read();
      this.#names.push(name);
      return new Counter<string>({
        name,
        help,
        labelNames: by === undefined ? ['origin', 'bucket'] : ['origin', 'bucket', by],
        registers: [registry],
        // Counters read from stats(): reset and set each scrape, so a key whose gate was
        // evicted disappears (a later gate for it starts from 0, which Prometheus reads as a reset).
        collect() {
          this.reset();
          for (const sample of read().values()) {
            for (const [label, v] of values(sample)) this.inc(by === undefined ? labels(sample) : { ...labels(sample), [by]: label }, v);
          }
        },
      });
    };
    gauge('sluice_queue_size', 'Requests waiting in the queue for admission to the origin.', (s) => s.queued);
    gauge('sluice_queue_capacity', 'Most requests the queue holds (limits.maxQueue).', (s) => s.maxQueue);
    gauge('sluice_in_flight', 'Attempts admitted and not yet ended.', (s) => s.inFlight);
    gauge('sluice_concurrency_limit', 'The concurrency window: most attempts in flight at once.', (s) => s.limit);
    gauge('sluice_rate_per_second', 'The pacing rate in requests per second (absent while unpaced).', (s) => s.rate);
    counter('sluice_dropped_total', 'Requests the gate refused or dropped, by reason.', 'reason', (s) => refusalReasons.map((r) => [r, s.dropped[r]]));
    counter('sluice_requests_total', 'Attempts that ended, by outcome (served, rate-refusal, capacity-refusal, transport-error, aborted).', 'outcome', (s) =>
      attemptEnds.map((e) => [e, s.attempts[e]]),
    );
    counter('sluice_responses_total', 'Refusal responses (429, 503, 529) by status.', 'status', (s) => countedStatuses.map((c) => [String(c), s.responses[c]]));
    counter('sluice_paused_seconds_total', 'Seconds the origin was paused (every request to it waited).', undefined, (s) => [['', s.pausedSeconds]]);
    counter('sluice_retries_total', 'Retries taken.', undefined, (s) => [['', s.retries]]);
    const read = () => this.#read();
    const observed = this.#observed;
    this.#names.push('sluice_queue_wait_seconds');
    this.#wait = new Histogram<Label>({
      name: 'sluice_queue_wait_seconds',
      help: 'Time from asking to admission, per attempt (0 when admitted at once).',
      labelNames: ['origin', 'bucket'],
      buckets: [...queueWaitBuckets],
      registers: [registry],
      collect() {
        const live = read();
        for (const [key, { labels, id }] of observed) {
          if (live.has(id)) continue;
          this.remove(labels);
          observed.delete(key);
        }
      },
    });
  }

  add(source: MetricsSource): UnregisterMetrics {
    const known = this.#sources.get(source);
    if (known !== undefined) return known;
    const off = source.on('admitted', (event) => {
      let seen = this.#observed.get(event.key);
      if (seen === undefined) {
        const keyLabels = labelsOfEvent(event);
        this.#observed.set(event.key, (seen = { labels: { ...keyLabels }, id: labelId(keyLabels) }));
      }
      this.#wait.observe(seen.labels, event.wait / 1000);
    });
    const unregister = () => {
      if (this.#sources.get(source) !== unregister) return;
      off();
      this.#sources.delete(source);
      if (this.#sources.size > 0) return;
      for (const name of this.#names) this.registry.removeSingleMetric(name);
      byRegistry.delete(this.registry);
    };
    this.#sources.set(source, unregister);
    return unregister;
  }

  #read(): Map<string, KeySample> {
    if (this.#samples === undefined) {
      this.#samples = sampleKeys(this.#sources.keys());
      queueMicrotask(() => (this.#samples = undefined));
    }
    return this.#samples;
  }
}

function labels(sample: KeySample): Record<Label, string> {
  return { origin: sample.origin, bucket: sample.bucket };
}

function expectRegistry(options: PrometheusMetricsOptions): Registry {
  const registry = (options as Partial<PrometheusMetricsOptions> | null)?.registry;
  if (typeof registry?.registerMetric !== 'function' || typeof registry.metrics !== 'function') {
    throw new InvalidOptionError('registry', "a prom-client Registry (e.g. prom-client's `register`)", registry);
  }
  return registry;
}
