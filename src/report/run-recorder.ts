// Records a run for its report: per origin, a timeline of attempts sent and how they ended (from
// a client's events, or told directly), and each request's final status and latency.

import type { SluiceClient } from '../client.js';
import { LatencyHistogram } from './latency-histogram.js';
import { seriesOfStatus, Timeline, type TimelineCounts, type TimelineData, type TimelineSeries } from './timeline.js';

export interface RunRecorderOptions {
  /** Clock in epoch ms. @default Date.now */
  now?: () => number;
  /** The timelines' bin width at first, in ms. @default 100 */
  binMs?: number;
  /** Origins recorded one by one; later ones are summed as `(other origins)`. @default 50 */
  maxOrigins?: number;
}

/** How one logical request ended, as the caller saw it. */
export type RequestEnd = { status: number; latencyMs: number } | { error: string; latencyMs: number };

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface OriginReport {
  origin: string;
  /** Attempts per bin: sent, and how they ended (retries included). */
  timeline: TimelineData;
  attempts: TimelineCounts;
  /** Final outcomes of requests: a status (`"200"`), or an error's name. */
  outcomes: Record<string, number>;
  /** Requests' latency, from the call to the final response (queueing and retries included). */
  latency: LatencySummary;
}

export interface RunReport {
  /** Epoch ms the recording started. */
  startedAt: number;
  durationMs: number;
  requests: number;
  origins: OriginReport[];
}

/** Where origins beyond `maxOrigins` are counted. */
export const OTHER_ORIGINS = '(other origins)';

interface OriginRecord {
  timeline: Timeline;
  outcomes: Map<string, number>;
  latency: LatencyHistogram;
}

export class RunRecorder {
  readonly startedAt: number;
  readonly #now: () => number;
  readonly #binMs: number;
  readonly #maxOrigins: number;
  readonly #origins = new Map<string, OriginRecord>();
  #endedAt: number | undefined;

  constructor(options: RunRecorderOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#binMs = options.binMs ?? 100;
    this.#maxOrigins = options.maxOrigins ?? 50;
    this.startedAt = this.#now();
  }

  /**
   * Records the attempts of a client (or interceptor) from its events until the returned
   * function is called: each admission as `sent`, each end by its status.
   */
  attach(source: Pick<SluiceClient, 'on'>): () => void {
    const offAdmitted = source.on('admitted', ({ origin, key }) => this.attempt(origin ?? key, 'sent'));
    const offEnd = source.on('end', ({ origin, key, status }) => this.attempt(origin ?? key, seriesOfStatus(status)));
    return () => {
      offAdmitted();
      offEnd();
    };
  }

  /** Counts one attempt event to `origin` (for clients that are not sluice's, like a naive loop). */
  attempt(origin: string, series: TimelineSeries, at = this.#now()): void {
    this.#origin(origin).timeline.add(series, at);
  }

  /** Records how a logical request to `origin` ended. */
  request(origin: string, end: RequestEnd): void {
    const record = this.#origin(origin);
    const outcome = 'status' in end ? String(end.status) : end.error;
    record.outcomes.set(outcome, (record.outcomes.get(outcome) ?? 0) + 1);
    record.latency.record(end.latencyMs);
  }

  /** Stops the clock of the run (the report's duration); later events are still counted. */
  end(): void {
    this.#endedAt ??= this.#now();
  }

  report(): RunReport {
    const durationMs = (this.#endedAt ?? this.#now()) - this.startedAt;
    const origins = [...this.#origins].map(([origin, record]): OriginReport => {
      const { latency } = record;
      return {
        origin,
        timeline: record.timeline.toJSON(),
        attempts: record.timeline.totals(),
        outcomes: Object.fromEntries([...record.outcomes].sort(([a], [b]) => a.localeCompare(b))),
        latency: { count: latency.count, p50: latency.percentile(50), p90: latency.percentile(90), p99: latency.percentile(99), max: latency.max, mean: latency.mean },
      };
    });
    return { startedAt: this.startedAt, durationMs, requests: origins.reduce((sum, o) => sum + o.latency.count, 0), origins };
  }

  #origin(origin: string): OriginRecord {
    let record = this.#origins.get(origin);
    if (record !== undefined) return record;
    if (this.#origins.size >= this.#maxOrigins && origin !== OTHER_ORIGINS) return this.#origin(OTHER_ORIGINS);
    record = { timeline: new Timeline(this.startedAt, { binMs: this.#binMs }), outcomes: new Map(), latency: new LatencyHistogram() };
    this.#origins.set(origin, record);
    return record;
  }
}
