// The messages the benchmark's processes exchange over IPC, and the JSON configurations that
// start them: one place, so the orchestrator and both kinds of child agree on the shapes.

import type { BrownoutOptions } from '../../mocks/brownout.js';
import type { ConcurrencyLimitedOptions } from '../../mocks/concurrency-limited.js';
import type { FlakyOptions } from '../../mocks/flaky.js';
import type { SequenceEntry } from '../../mocks/sequence.js';
import type { LoadSheddingOptions } from '../../mocks/load-shedding.js';
import type { TokenBucketOptions } from '../../mocks/token-bucket.js';
import type { ExpressRateLimitOptions } from './real-servers/express-rate-limit.js';
import type { FastifyRateLimitOptions } from './real-servers/fastify-rate-limit.js';
import type { NginxOptions } from './real-servers/nginx-config.js';
import type { ResetProbeMode } from './reset-probe-server.js';
import type { TrueLimit } from './true-limit.js';

/** Which server the server process runs; mock options are passed through as JSON. */
export type ServerConfig =
  /**
   * A bare `node:http` server answering 200 with a 2-byte body, no msw in the path: the healthy
   * baseline, where the client and not the server must be the bottleneck (msw's per-request cost
   * would hide a client's overhead).
   */
  | {
      kind: 'plain';
      /**
       * Request number (0-based) answered 429 with `Retry-After: retryAfterSeconds` instead —
       * one pause, for memory-queue.ts, whose drain would otherwise be bound by msw's speed.
       */
      throttleAt?: number;
      /** Every `throttleEvery`-th request (the 2nd, 4th, … for 2) is answered that 429 instead. */
      throttleEvery?: number;
      retryAfterSeconds?: number;
    }
  | { kind: 'tokenBucket'; options: Omit<TokenBucketOptions, 'now' | 'path'> }
  | { kind: 'concurrencyLimited'; options: Omit<ConcurrencyLimitedOptions, 'slots' | 'path'> & { slots: number } }
  | { kind: 'flaky'; options: Omit<FlakyOptions, 'random' | 'path'> }
  | { kind: 'brownout'; options: Omit<BrownoutOptions, 'now' | 'path'> }
  /** Scripted answers in order, the last repeating (the request log is off). */
  | { kind: 'sequence'; entries: SequenceEntry[] }
  | { kind: 'loadShedding'; options: Omit<LoadSheddingOptions, 'path'> }
  /** Real limiters, as deployed (real-servers/). */
  | { kind: 'expressRateLimit'; options: ExpressRateLimitOptions }
  | { kind: 'fastifyRateLimit'; options: FastifyRateLimitOptions }
  /** nginx in front of a node upstream; only where the `nginx` binary is installed. */
  | { kind: 'nginx'; options: NginxOptions }
  /** One 429 with only a reset header, then 200s; reports when the retry came (bench:reset). */
  | { kind: 'resetProbe'; mode: ResetProbeMode };

/** Server process → parent. */
export type ServerMessage =
  | { type: 'ready'; port: number; origin: string }
  | { type: 'counters'; counters: Record<string, number>; connections?: { total: number; open: number } };

/** Parent → server process. */
export type ServerCommand = { type: 'counters' } | { type: 'stop' };

/** The peers and sluice, by the name the table prints. */
export const clientNames = [
  'sluice',
  /** sluice with `sluice/prometheus` registered, scraped once a second (the cost of metrics). */
  'sluice+prometheus',
  /** sluice built from another git ref (`--baseline=REF`): the same code before a change. */
  'sluice@baseline',
  'sluice rate:false',
  'sluice/undici',
  'undici.request',
  'undici.fetch',
  'undici retry',
  'got',
  'ky',
  'p-retry+fetch',
  /** bottleneck told the server's true limit (ClientConfig.limit): the best a client can do. */
  'informed',
] as const;
export type ClientName = (typeof clientNames)[number];

/** How a client process drives its requests. */
export type Workload =
  /** All `n` requests are started at once (a CLI fanning out a list). */
  | { kind: 'burst'; n: number }
  /** `workers` loops, each awaiting its request before the next, until `n` are done. */
  | { kind: 'closed'; n: number; workers: number }
  /** `workers` loops for `warmupMs` (not measured), then for `durationMs` (measured). */
  | { kind: 'timed'; workers: number; warmupMs: number; durationMs: number };

export interface ClientConfig {
  client: ClientName;
  url: string;
  workload: Workload;
  /** The server's true limit: required by the informed client, ignored by the others. */
  limit?: TrueLimit;
  /** Report 'ready' once loaded and start the workload only on 'go' (several clients at once). */
  together?: boolean;
  /** Record when each success ended (ClientResult.successAt). */
  timeline?: boolean;
}

/** What one client run measured. Latencies are per logical request, from call to body read. */
export interface ClientResult {
  client: ClientName;
  /** From the first request started to the last settled (measured phase only). */
  wallMs: number;
  requests: number;
  /** Logical requests that ended in a 2xx with its body read. */
  ok: number;
  /** Logical requests that did not: a final non-2xx (by status) or an error (by kind). */
  failed: number;
  finalStatuses: Record<string, number>;
  errors: Record<string, number>;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Requests per second over the measured phase. */
  throughput: number;
  /** CPU time (user + system) the client process spent per request in the measured phase, µs. */
  cpuUsPerRequest: number;
  /** Peak resident set of the client process (maxRSS), and RSS once its modules were loaded. */
  peakRssMB: number;
  baseRssMB: number;
  /** sluice: the gate's own counters for the key at the end; informed: its retries. */
  gate?: Record<string, unknown>;
  /** Epoch ms when the measured phase started. */
  startedAt: number;
  /** With ClientConfig.timeline: epoch ms at which each success ended, in order. */
  successAt?: number[];
}

/** Client process → parent. */
export type ClientMessage = { type: 'ready' } | { type: 'result'; result: ClientResult } | { type: 'error'; message: string };

/** Parent → client process (ClientConfig.together only). */
export type ClientCommand = { type: 'go' };
