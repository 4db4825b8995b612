// The benchmark's scenarios: which server, which workload, which clients, and the ideal a
// client that knew the server's limits exactly would reach — so every wall time is a ratio.
// Groups 7 (real rate limiters) and 8 (load shedding) — their limits and why — are in
// real-server-scenarios.ts.

import type { ClientName, ServerConfig, Workload } from './protocol.js';
import { realServerScenarios } from './real-server-scenarios.js';
import { concurrencyIdealMs, tokenBucketIdealMs, type TrueLimit } from './true-limit.js';

/** A fixed amount of work against one server, run once per client. */
export interface Scenario {
  /**
   * Scenario number in the issues: 2 token bucket, 3 concurrency-limited, 4 flaky, 5 brownout
   * (#5); 7 real rate limiters, 8 load shedding (#11).
   */
  group: 2 | 3 | 4 | 5 | 7 | 8;
  name: string;
  server: ServerConfig;
  workload: Exclude<Workload, { kind: 'timed' }>;
  clients: readonly ClientName[];
  /** ms; `'healthy-baseline'`: undici.request's time for the same workload on the same mock without faults. */
  ideal: number | 'healthy-baseline';
  /** How the ideal is derived, printed under the table. */
  idealNote: string;
  /** A client run past this is killed and reported as such. */
  limitMs: number;
  /** Printed under the table. */
  note?: string;
  /** The server's true limit: what the informed client is told, and what the ideal is derived from. */
  limit?: TrueLimit;
  /** A program the scenario needs; without it the scenario is skipped with a message. */
  requires?: 'nginx';
}

export interface Plan {
  /** Scenario 1: interleaved rounds on a healthy server. */
  overhead: { rounds: number; workers: number; warmupMs: number; durationMs: number; peers: readonly ClientName[] };
  scenarios: Scenario[];
  /** Group 6: memory-queue.ts (waiters behind a paused key, then drained). */
  memory: { waiters: number; pauseSeconds: number; limitMs: number };
}

const peers = ['undici.request', 'undici retry', 'got', 'ky', 'p-retry+fetch'] as const satisfies readonly ClientName[];
const all = ['sluice', ...peers] as const;

/** The acceptance case of RATE-DISCOVERY.md and issue #5. */
const bucket = { rate: 100, burst: 10 };
const modes = [
  ['ietf', 'IETF RateLimit-Policy + RateLimit'],
  ['x-ratelimit-epoch', 'X-RateLimit-* (epoch reset)'],
  ['retry-after-only', 'Retry-After only'],
] as const;

/**
 * The brownout's capacity over time, integrated: `slots / latency` completions per ms until
 * `degradeAtMs`, `degradedSlots / latency` until `recoverAtMs`, then `slots / latency` again.
 */
export function brownoutIdealMs(n: number, o: { slots: number; degradedSlots: number; latencyMs: number; degradeAtMs: number; recoverAtMs: number }): number {
  const phases: [number, number][] = [
    [o.degradeAtMs, o.slots],
    [o.recoverAtMs - o.degradeAtMs, o.degradedSlots],
    [Infinity, o.slots],
  ];
  let left = n;
  let t = 0;
  for (const [length, slots] of phases) {
    const perMs = slots / o.latencyMs;
    const served = length * perMs;
    if (served >= left) return t + left / perMs;
    left -= served;
    t += length;
  }
  return t;
}

/** Why the peers run once per N in scenario 2 rather than once per header mode. */
const peersOnceNote =
  'Every 429 of the mock carries Retry-After in all three modes, and the peers read nothing else (ky reads RateLimit-Reset / X-RateLimit-Reset only when Retry-After is absent), so they behave the same in every mode: they run once per N, in the Retry-After-only group, and compare with sluice in each mode. ' +
  'At N = 2000 only the peers that finish within seconds run (p-retry’s fixed waves of 1, 2, 4, 8, 16 s cost 30 s+ a run).';

/**
 * The full plan: about 9–10 minutes on 2 shared cores for groups 1–6, plus ~15 for groups 7 and 8.
 * N = 2000 in scenario 2 is the acceptance case (ideal 19.9 s).
 */
export function fullPlan(): Plan {
  const scenarios: Scenario[] = [];
  for (const n of [600, 2000]) {
    for (const [dialect, label] of modes) {
      const peersHere = dialect === 'retry-after-only' ? (n === 600 ? peers : (['undici retry', 'ky'] as const)) : [];
      scenarios.push({
        group: 2,
        name: `token bucket R=${bucket.rate}/s B=${bucket.burst}, ${label}, N=${n} at once`,
        server: { kind: 'tokenBucket', options: { ...bucket, dialect } },
        workload: { kind: 'burst', n },
        clients: ['sluice', ...peersHere],
        ideal: tokenBucketIdealMs(n, bucket.rate, bucket.burst),
        idealNote: '(N − B) / R',
        limitMs: n === 600 ? 60_000 : 90_000,
        note: peersOnceNote,
      });
    }
  }
  scenarios.push(concurrencyScenario(1000));
  scenarios.push(flakyScenario(2000));
  scenarios.push(brownoutScenario(2000));
  scenarios.push(...realServerScenarios('full'));
  return {
    overhead: { rounds: 4, workers: 64, warmupMs: 1500, durationMs: 2000, peers: ['undici retry'] },
    scenarios,
    memory: { waiters: 100_000, pauseSeconds: 15, limitMs: 300_000 },
  };
}

/** Small N for development: every scenario, in about seven minutes (groups 7 and 8 without p-retry). */
export function quickPlan(): Plan {
  return {
    overhead: { rounds: 2, workers: 64, warmupMs: 500, durationMs: 1000, peers: [] },
    scenarios: [
      ...modes.map(([dialect, label]) => ({
        group: 2 as const,
        name: `token bucket R=${bucket.rate}/s B=${bucket.burst}, ${label}, N=200 at once`,
        server: { kind: 'tokenBucket' as const, options: { ...bucket, dialect } },
        workload: { kind: 'burst' as const, n: 200 },
        clients: all,
        ideal: tokenBucketIdealMs(200, bucket.rate, bucket.burst),
        idealNote: '(N − B) / R',
        limitMs: 60_000,
      })),
      concurrencyScenario(300),
      flakyScenario(500),
      brownoutScenario(1000, 0.4),
      ...realServerScenarios('quick'),
    ],
    memory: { waiters: 10_000, pauseSeconds: 3, limitMs: 120_000 },
  };
}

function concurrencyScenario(n: number): Scenario {
  const options = { slots: 16, latencyMs: 50 };
  return {
    group: 3,
    name: `concurrency-limited: 16 slots, 50 ms, 503 (no Retry-After) beyond; N=${n} at once`,
    server: { kind: 'concurrencyLimited', options },
    workload: { kind: 'burst', n },
    clients: all,
    ideal: concurrencyIdealMs(n, options.slots, options.latencyMs),
    idealNote: '⌈N / 16⌉ × 50 ms (goodput 320/s)',
    limitMs: 60_000,
  };
}

function flakyScenario(n: number): Scenario {
  return {
    group: 4,
    name: `flaky: 10 % of requests get a connection reset; N=${n}, 64 concurrent`,
    server: { kind: 'flaky', options: { failureRate: 0.1 } },
    workload: { kind: 'closed', n, workers: 64 },
    clients: all,
    ideal: 'healthy-baseline',
    idealNote: 'undici.request on the same mock with failureRate 0, same workload (measured in this run)',
    limitMs: 60_000,
  };
}

/** `scale` shortens the schedule for the quick plan. */
function brownoutScenario(n: number, scale = 1): Scenario {
  const options = {
    slots: 32,
    degradedSlots: 8,
    latencyMs: 50,
    degradeAtMs: 2000 * scale,
    recoverAtMs: 5000 * scale,
    retryAfter: 1,
  };
  return {
    group: 5,
    name: `brownout: 32 slots, 8 from ${options.degradeAtMs / 1000} s to ${options.recoverAtMs / 1000} s, 50 ms, 503 + Retry-After: 1; N=${n} at once`,
    server: { kind: 'brownout', options },
    workload: { kind: 'burst', n },
    clients: all,
    ideal: brownoutIdealMs(n, options),
    idealNote: 'capacity integrated over the schedule (slots / latency per phase); no honoured pause counted',
    limitMs: 60_000,
  };
}
