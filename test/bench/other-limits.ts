// `npm run bench:limits`: sluice and the informed client (bottleneck told the true limit) against
// limits other than the ones `npm run bench` uses — small quotas, long and short windows, other
// nginx rates and bursts, another load-shedding shape, other buckets — as a new user's servers
// would be. One table: wall × ideal, × the informed client's wall in the same run, refusals and
// failures. Each server and client in its own process on 127.0.0.1; each run bounded to 120 s.
//   npm run bench:limits [-- 0,3,5]   (a subset, by row number)

import { loadavg } from 'node:os';
import { useBuiltSluice } from './build-sluice.js';
import { fmtS } from './format.js';
import { runClient, startServer } from './processes.js';
import type { ClientResult, ServerConfig } from './protocol.js';
import { findNginx } from './real-servers/nginx.js';
import { idealMs, type TrueLimit } from './true-limit.js';

interface Case {
  name: string;
  server: ServerConfig;
  n: number;
  limit: TrueLimit;
}

const window = (limit: number, windowMs: number): TrueLimit => ({ kind: 'fixed-window', limit, windowMs });
/** nginx admits burst + 1 at once: a token bucket of R and B + 1. */
const limitReq = (rate: number, burst: number, status?: number): Pick<Case, 'server' | 'limit'> => ({
  server: { kind: 'nginx', options: { limitReq: { rate, burst, ...(status ? { status } : {}) }, upstreamLatencyMs: 0 } },
  limit: { kind: 'token-bucket', rate, burst: burst + 1 },
});

const cases: Case[] = [
  { name: "express-rate-limit 30 per 2 s, 'draft-7'", server: { kind: 'expressRateLimit', options: { limit: 30, windowMs: 2000, headers: 'draft-7' } }, n: 150, limit: window(30, 2000) },
  { name: 'express-rate-limit 200 per 1 s, legacy X-RateLimit-*', server: { kind: 'expressRateLimit', options: { limit: 200, windowMs: 1000, headers: 'legacy' } }, n: 1000, limit: window(200, 1000) },
  { name: "express-rate-limit 10 per 1 s, 'draft-6' (stated policy)", server: { kind: 'expressRateLimit', options: { limit: 10, windowMs: 1000, headers: 'draft-6' } }, n: 80, limit: window(10, 1000) },
  { name: "express-rate-limit 50 per 3 s, 'draft-8'", server: { kind: 'expressRateLimit', options: { limit: 50, windowMs: 3000, headers: 'draft-8' } }, n: 200, limit: window(50, 3000) },
  { name: '@fastify/rate-limit 40 per 500 ms', server: { kind: 'fastifyRateLimit', options: { max: 40, timeWindow: 500 } }, n: 400, limit: window(40, 500) },
  { name: "@fastify/rate-limit 20 per '2 seconds'", server: { kind: 'fastifyRateLimit', options: { max: 20, timeWindow: '2 seconds' } }, n: 100, limit: window(20, 2000) },
  { name: "@fastify/rate-limit 100 per '1 second'", server: { kind: 'fastifyRateLimit', options: { max: 100, timeWindow: '1 second' } }, n: 600, limit: window(100, 1000) },
  { name: 'nginx limit_req 20 r/s burst 1, default 503', ...limitReq(20, 1), n: 100 },
  { name: 'nginx limit_req 200 r/s burst 40, 429', ...limitReq(200, 40, 429), n: 1000 },
  { name: 'nginx limit_req 10 r/s burst 5, default 503', ...limitReq(10, 5), n: 100 },
  {
    name: 'load shedding: 8 slots × 100 ms, queue 4, shed above 90 % with 503 + Retry-After: 1',
    server: { kind: 'loadShedding', options: { slots: 8, latencyMs: 100, queue: 4, shedAbove: 0.9, retryAfter: 1 } },
    n: 300,
    limit: { kind: 'slots', slots: 8, latencyMs: 100 },
  },
  {
    name: 'load shedding: 4 slots × 200 ms, no queue, 503 + Retry-After: 3',
    server: { kind: 'loadShedding', options: { slots: 4, latencyMs: 200, retryAfter: 3 } },
    n: 100,
    limit: { kind: 'slots', slots: 4, latencyMs: 200 },
  },
  {
    name: '3 slots × 100 ms, 503 + Retry-After: 1 beyond',
    server: { kind: 'concurrencyLimited', options: { slots: 3, latencyMs: 100, retryAfter: 1 } },
    n: 90,
    limit: { kind: 'slots', slots: 3, latencyMs: 100 },
  },
  { name: 'token bucket 30/s, B = 3, Retry-After only', server: { kind: 'tokenBucket', options: { rate: 30, burst: 3, dialect: 'retry-after-only' } }, n: 300, limit: { kind: 'token-bucket', rate: 30, burst: 3 } },
  { name: 'token bucket 50/s, B = 3, X-RateLimit-* (epoch reset)', server: { kind: 'tokenBucket', options: { rate: 50, burst: 3, dialect: 'x-ratelimit-epoch' } }, n: 1000, limit: { kind: 'token-bucket', rate: 50, burst: 3 } },
  { name: 'token bucket 250/s, B = 25, IETF headers (policy 250;w=1)', server: { kind: 'tokenBucket', options: { rate: 250, burst: 25, dialect: 'ietf' } }, n: 1500, limit: { kind: 'token-bucket', rate: 250, burst: 25 } },
];

const only = process.argv[2]?.split(',').map(Number);
await useBuiltSluice();
const hasNginx = findNginx() !== undefined;
console.log(`# Other limits — ${new Date().toISOString()}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
console.log('| # | server (N at once) | sluice: wall × ideal | × informed | refused (% of N) | failed | informed × ideal |');
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const [i, c] of cases.entries()) {
  if (only && !only.includes(i)) continue;
  if (c.server.kind === 'nginx' && !hasNginx) {
    console.log(`| ${i} | ${c.name} (${c.n}) | skipped: nginx not installed | | | | |`);
    continue;
  }
  const ideal = idealMs(c.limit, c.n);
  const sluice = await run(c, 'sluice');
  const informed = await run(c, 'informed');
  if (sluice instanceof Error || informed instanceof Error) {
    console.log(`| ${i} | ${c.name} (${c.n}) | did not finish: ${[sluice, informed].filter((r) => r instanceof Error).map((e) => e.message.split('\n')[0]).join('; ')} | | | | |`);
    continue;
  }
  const refused = (100 * sluice.refused) / c.n;
  console.log(
    `| ${i} | ${c.name} (${c.n}) | ${(sluice.result.wallMs / ideal).toFixed(2)} (${fmtS(sluice.result.wallMs)} s) | ${(sluice.result.wallMs / informed.result.wallMs).toFixed(2)} | ${refused.toFixed(1)} | ${sluice.result.failed} | ${(informed.result.wallMs / ideal).toFixed(2)} |`,
  );
}

/** One client against a fresh server; what the server refused, counted by the server. */
async function run(c: Case, client: 'sluice' | 'informed'): Promise<{ result: ClientResult; refused: number } | Error> {
  const server = await startServer(c.server);
  try {
    const result = await runClient({ client, url: `${server.origin}/item`, workload: { kind: 'burst', n: c.n }, limit: c.limit }, 120_000);
    const { counters } = await server.stop();
    return { result, refused: counters.rejected ?? counters.failed ?? 0 };
  } catch (error) {
    await server.stop().catch(() => undefined);
    return error instanceof Error ? error : new Error(String(error));
  }
}
