// What the metrics adapters (Prometheus, OpenTelemetry) read: each live key's numbers from the
// public `stats()` of every client registered, summed per origin and bucket — the only labels.

import type { SluiceClient } from '../client.js';
import { InvalidOptionError } from '../errors.js';
import type { AttemptEnd, RefusalReason } from '../gate/gate-events.js';
import type { GateStats } from '../gate/gate.js';
import { type CountedStatus, countedStatuses } from '../gate/gate-tally.js';

/** A client, or an interceptor (`sluice()`): anything with `stats()` and `on()`. */
export type MetricsSource = Pick<SluiceClient, 'stats' | 'on'>;

/** The queue-wait histogram's upper bounds, in seconds: 1 ms to 60 s. */
export const queueWaitBuckets: readonly number[] = Object.freeze([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]);

export const refusalReasons: readonly RefusalReason[] = ['queue-full', 'drop-oldest', 'shed', 'queue-timeout', 'rate-limited', 'aborted'];
export const attemptEnds: readonly AttemptEnd[] = ['served', 'rate-refusal', 'capacity-refusal', 'transport-error', 'aborted'];
export { countedStatuses };

/**
 * Where a series belongs: the key (the origin unless a `key` option says otherwise) and the
 * rate-limit bucket ('' on the key's own gate). Never a path, a query or credentials, so the
 * number of series follows the origins in use.
 */
export interface KeyLabels {
  origin: string;
  bucket: string;
}

/** One key's numbers, summed over the registered clients that have a gate for it. */
export interface KeySample extends KeyLabels {
  queued: number;
  maxQueue: number;
  inFlight: number;
  limit: number;
  /** Requests per second; absent (`undefined`) while no client paces the key. */
  rate: number | undefined;
  pausedSeconds: number;
  retries: number;
  dropped: Record<RefusalReason, number>;
  attempts: Record<AttemptEnd, number>;
  responses: Record<CountedStatus, number>;
}

/** The labels of a gate, from its stats. */
export function labelsOf(stats: Pick<GateStats, 'baseKey' | 'bucket'>): KeyLabels {
  return { origin: stats.baseKey, bucket: stats.bucket ?? '' };
}

/** The labels of an event's gate: its key less the ` [bucket]` a bucket's gate key carries. */
export function labelsOfEvent({ key, bucket }: { key: string; bucket: string | undefined }): KeyLabels {
  if (bucket === undefined) return { origin: key, bucket: '' };
  const suffix = ` [${bucket}]`;
  return { origin: key.endsWith(suffix) ? key.slice(0, -suffix.length) : key, bucket };
}

/** One string per label set, for maps. */
export function labelId({ origin, bucket }: KeyLabels): string {
  return `${origin}\u0000${bucket}`;
}

/** Every live key of `sources`, by `labelId`. Keys whose gates were evicted are simply absent. */
export function sampleKeys(sources: Iterable<MetricsSource>): Map<string, KeySample> {
  const samples = new Map<string, KeySample>();
  for (const source of sources) {
    for (const stats of source.stats()) {
      const labels = labelsOf(stats);
      const id = labelId(labels);
      const sample = samples.get(id);
      if (sample === undefined) samples.set(id, fromStats(labels, stats));
      else addStats(sample, stats);
    }
  }
  return samples;
}

function fromStats(labels: KeyLabels, s: GateStats): KeySample {
  return {
    ...labels,
    queued: s.queued,
    maxQueue: s.maxQueue,
    inFlight: s.inFlight,
    limit: s.limit,
    rate: Number.isFinite(s.rate) ? s.rate : undefined,
    pausedSeconds: s.pausedMs / 1000,
    retries: s.counters.retried,
    dropped: { ...s.refused },
    attempts: { ...s.attempts },
    responses: { ...s.responses },
  };
}

function addStats(sample: KeySample, s: GateStats): void {
  sample.queued += s.queued;
  sample.maxQueue += s.maxQueue;
  sample.inFlight += s.inFlight;
  sample.limit += s.limit;
  if (Number.isFinite(s.rate)) sample.rate = (sample.rate ?? 0) + s.rate;
  sample.pausedSeconds += s.pausedMs / 1000;
  sample.retries += s.counters.retried;
  for (const reason of refusalReasons) sample.dropped[reason] += s.refused[reason];
  for (const end of attemptEnds) sample.attempts[end] += s.attempts[end];
  for (const status of countedStatuses) sample.responses[status] += s.responses[status];
}

/** Stops the metrics of one registration (a registry's or meter's last one removes them all). */
export type UnregisterMetrics = () => void;

/** The one set of sluice metrics on a registry or meter, which clients join. */
export interface MetricsSet {
  add(source: MetricsSource): UnregisterMetrics;
}

/** Adds `source` to `target`'s set in `sets`, making the set on first use. */
export function joinMetrics<T extends object>(sets: WeakMap<T, MetricsSet>, target: T, create: () => MetricsSet, source: MetricsSource): UnregisterMetrics {
  let metrics = sets.get(target);
  if (metrics === undefined) sets.set(target, (metrics = create()));
  return metrics.add(source);
}

/** Checks what `registerMetrics` was given as its first argument. */
export function expectMetricsSource(value: unknown): MetricsSource {
  const source = value as Partial<MetricsSource> | null;
  if (typeof source?.stats !== 'function' || typeof source.on !== 'function') {
    throw new InvalidOptionError('client', 'a sluice client or interceptor (with `stats()` and `on()`)', value);
  }
  return source as MetricsSource;
}
