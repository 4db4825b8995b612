// Groups 7 and 8 of `npm run bench` (issue 11): rate limiters people deploy, and load-shedding
// servers — each run by sluice, the retrying peers and the informed client, side by side.

import type { ClientName } from './protocol.js';
import type { ExpressHeaderMode } from './real-servers/express-rate-limit.js';
import type { Scenario } from './scenarios.js';
import { idealDerivation, idealMs, type TrueLimit } from './true-limit.js';

/**
 * The peers of these groups are the clients that retry (a client without retries fails by
 * design here); `informed` is bottleneck told the true limit. The quick plan leaves out
 * p-retry, whose fixed waves of 1, 2, 4, 8 and 16 s cost half a minute a scenario.
 */
const fullClients = ['sluice', 'undici retry', 'got', 'ky', 'p-retry+fetch', 'informed'] as const satisfies readonly ClientName[];
const quickClients = ['sluice', 'undici retry', 'got', 'ky', 'informed'] as const satisfies readonly ClientName[];

/**
 * The limits, and why:
 * - express-rate-limit and @fastify/rate-limit: 100 per 1 s window, the issue's case. A 1 s
 *   window is where rounding bites: every reset and Retry-After reads 1 whatever the time left,
 *   so only `remaining` jumping back to the limit shows when a window opened. One scenario per
 *   express header mode (draft-6, draft-7, draft-8, legacy X-RateLimit with an epoch reset);
 *   fastify at its default headers (X-RateLimit-*, reset in seconds to go).
 * - nginx `limit_req` 50 r/s burst 10 `nodelay` (the form API gateways use: refusals are
 *   immediate, accepted requests are not delayed), once with `limit_req_status 429` and once at
 *   nginx's default 503 with no Retry-After. nginx admits burst + 1 at once (the first request
 *   sets no excess), so its true limit is a token bucket R = 50/s, B = 11. 400 at once: 7.8 s.
 * - nginx `limit_conn` 16 (503, no Retry-After) in front of a node upstream holding each
 *   request 50 ms: 16 slots × 50 ms, the same shape as the mock of group 3 but answered by nginx.
 * - load shedding: 20 slots × 400 ms, a queue of 10, shedding above 90 % of slots + queue busy
 *   (so at most 27 held or queued) with 503 + Retry-After: 2 — once 300 at once, once 300 with
 *   64 at a time; and 16 slots × 50 ms, no queue, 503 beyond, with Retry-After: 1 and without,
 *   800 at once: the shape of a saturated backend, where pausing the whole origin idles it.
 */
export function realServerScenarios(plan: 'full' | 'quick'): Scenario[] {
  const full = plan === 'full';
  const clients = full ? fullClients : quickClients;
  const scenarios: Scenario[] = [];
  const add = (group: 7 | 8, name: string, rest: Omit<Scenario, 'group' | 'name' | 'clients' | 'ideal' | 'idealNote' | 'limitMs'> & { limit: TrueLimit }) => {
    const n = rest.workload.n;
    scenarios.push({
      group,
      name: `${name}; N=${n}${rest.workload.kind === 'closed' ? `, ${rest.workload.workers} at a time` : ' at once'}`,
      clients,
      ideal: idealMs(rest.limit, n),
      idealNote: idealDerivation(rest.limit),
      limitMs: 120_000,
      ...rest,
    });
  };

  const window: TrueLimit = { kind: 'fixed-window', limit: 100, windowMs: 1000 };
  const windowN = full ? 600 : 250;
  const modes: [ExpressHeaderMode, string][] = [
    ['draft-6', "standardHeaders: 'draft-6' (RateLimit-Policy + RateLimit-Limit/-Remaining/-Reset)"],
    ['draft-7', "standardHeaders: 'draft-7' (RateLimit: limit, remaining, reset)"],
    ['draft-8', "standardHeaders: 'draft-8' (RateLimit: r, t + RateLimit-Policy: q, w)"],
    ['legacy', 'legacyHeaders (X-RateLimit-*, epoch reset)'],
  ];
  for (const [headers, label] of modes) {
    add(7, `express-rate-limit 100 per 1 s, ${label}`, {
      server: { kind: 'expressRateLimit', options: { limit: 100, windowMs: 1000, headers } },
      workload: { kind: 'burst', n: windowN },
      limit: window,
    });
  }
  add(7, "@fastify/rate-limit 100 per '1 second', default headers (X-RateLimit-*, reset in seconds)", {
    server: { kind: 'fastifyRateLimit', options: { max: 100, timeWindow: '1 second' } },
    workload: { kind: 'burst', n: windowN },
    limit: window,
  });

  const limitReq = { rate: 50, burst: 10 };
  const limitReqN = full ? 400 : 150;
  const asBucket: TrueLimit = { kind: 'token-bucket', rate: limitReq.rate, burst: limitReq.burst + 1 };
  add(7, 'nginx limit_req 50 r/s burst 10 nodelay, limit_req_status 429 (no Retry-After)', {
    server: { kind: 'nginx', options: { limitReq: { ...limitReq, status: 429 }, upstreamLatencyMs: 0 } },
    workload: { kind: 'burst', n: limitReqN },
    limit: asBucket,
    requires: 'nginx',
  });
  add(7, 'nginx limit_req 50 r/s burst 10 nodelay, default 503 (no Retry-After)', {
    server: { kind: 'nginx', options: { limitReq, upstreamLatencyMs: 0 } },
    workload: { kind: 'burst', n: limitReqN },
    limit: asBucket,
    requires: 'nginx',
  });
  add(7, 'nginx limit_conn 16 (503, no Retry-After) before a 50 ms upstream', {
    server: { kind: 'nginx', options: { limitConn: { conns: 16 }, upstreamLatencyMs: 50 } },
    workload: { kind: 'burst', n: full ? 600 : 200 },
    limit: { kind: 'slots', slots: 16, latencyMs: 50 },
    requires: 'nginx',
  });

  const shedding = { slots: 20, latencyMs: 400, queue: 10, shedAbove: 0.9, retryAfter: 2 };
  const sheddingLimit: TrueLimit = { kind: 'slots', slots: shedding.slots, latencyMs: shedding.latencyMs };
  const sheddingN = full ? 300 : 100;
  const sheddingName = '20 slots × 400 ms, queue 10, sheds above 90 % busy with 503 + Retry-After: 2';
  add(8, sheddingName, { server: { kind: 'loadShedding', options: shedding }, workload: { kind: 'burst', n: sheddingN }, limit: sheddingLimit });
  add(8, sheddingName, {
    server: { kind: 'loadShedding', options: shedding },
    workload: { kind: 'closed', n: sheddingN, workers: 64 },
    limit: sheddingLimit,
  });
  const sixteen = { slots: 16, latencyMs: 50 };
  const sixteenN = full ? 800 : 300;
  const sixteenLimit: TrueLimit = { kind: 'slots', ...sixteen };
  add(8, '16 slots × 50 ms, 503 + Retry-After: 1 beyond', {
    server: { kind: 'concurrencyLimited', options: { ...sixteen, retryAfter: 1 } },
    workload: { kind: 'burst', n: sixteenN },
    limit: sixteenLimit,
  });
  add(8, '16 slots × 50 ms, 503 without Retry-After beyond', {
    server: { kind: 'concurrencyLimited', options: sixteen },
    workload: { kind: 'burst', n: sixteenN },
    limit: sixteenLimit,
  });
  return scenarios;
}
