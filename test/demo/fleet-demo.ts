// `npm run demo:fleet`: four worker processes share one API quota. A local redis-server starts on
// a free loopback port; the workers hit one embedded rate-limited server, first each on its own,
// then sharing the Redis store; a side-by-side summary follows (per-process share, 429s, wall).

import { parseArgs } from 'node:util';
import { RATE_LIMIT_HEADER_DIALECTS, type RateLimitHeaderDialect } from '../../mocks/index.js';
import { buildFleetBundle, runFleet } from '../bench/fleet-run.js';
import type { FleetWorkerResult } from '../bench/fleet-protocol.js';
import { startServer } from '../bench/processes.js';
import { redisServerPath, startRedisServer } from '../helpers/redis-server.js';

const usage = `Usage: npm run demo:fleet -- [--workers W] [--requests N] [--rate R] [--burst B] [--dialect D] [--client ioredis|node-redis]

W worker processes (default 4) each fire N requests (default 500) at once at one token-bucket
server (R req/s, burst B; default 100/s, 10) on 127.0.0.1: first with nothing shared, then with
createClient({ store: redisStore({ client }) }) against a local redis-server. Dialects:
${RATE_LIMIT_HEADER_DIALECTS.join(', ')} (default retry-after-only).`;

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '4' },
    requests: { type: 'string', default: '500' },
    rate: { type: 'string', default: '100' },
    burst: { type: 'string', default: '10' },
    dialect: { type: 'string', default: 'retry-after-only' },
    client: { type: 'string', default: 'ioredis' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const workers = positiveInteger('workers', values.workers);
const n = positiveInteger('requests', values.requests);
const rate = positiveInteger('rate', values.rate);
const burst = positiveInteger('burst', values.burst);
const dialect = values.dialect as RateLimitHeaderDialect;
if (!RATE_LIMIT_HEADER_DIALECTS.includes(dialect)) fail(`--dialect must be one of ${RATE_LIMIT_HEADER_DIALECTS.join(', ')}, got "${dialect}"`);
const library = values.client as 'ioredis' | 'node-redis';
if (library !== 'ioredis' && library !== 'node-redis') fail(`--client must be ioredis or node-redis, got "${values.client}"`);
if (redisServerPath() === undefined) {
  fail('redis-server is not installed. On Debian or Ubuntu: apt-get install -y --no-install-recommends redis-server');
}

const total = workers * n;
const ideal = (Math.max(0, total - burst) / rate) * 1000;
console.log(`${workers} processes × ${n} requests at once → one token bucket, ${rate}/s burst ${burst} (${dialect}); ideal ${(ideal / 1000).toFixed(1)} s for all ${total}\n`);

const bundle = await buildFleetBundle();
const redis = await startRedisServer();
console.log(`redis-server (pid ${redis.pid}) on 127.0.0.1:${redis.port}`);

interface Row {
  label: string;
  wall: number;
  refused: number;
  failed: number;
  shares: number[];
}
const rows: Row[] = [];
try {
  for (const store of [false, true]) {
    const label = store ? `sharing a redisStore (${library})` : 'each on its own';
    process.stdout.write(`running: ${label} … `);
    const server = await startServer({ kind: 'tokenBucket', options: { rate, burst, dialect } });
    const configs = Array.from({ length: workers }, () => ({
      url: `${server.origin}/item`,
      n,
      store: store ? library : ('none' as const),
      redisPort: redis.port,
      prefix: 'demo:',
      bundle,
    }));
    const outcomes = await runFleet(configs, 3 * ideal + 60_000);
    const { counters } = await server.stop();
    const results = outcomes.filter((o): o is FleetWorkerResult => !(o instanceof Error));
    if (results.length < workers) {
      console.log(`${workers - results.length} process(es) did not finish`);
      continue;
    }
    const start = Math.min(...results.map((r) => r.startedAt));
    const ends = results.map((r) => r.startedAt + r.wallMs);
    const firstDone = Math.min(...ends);
    const during = results.map((r) => r.successAt.filter((t) => t <= firstDone).length);
    const fair = during.reduce((a, b) => a + b, 0) / workers;
    const row = {
      label,
      wall: Math.max(...ends) - start,
      refused: counters.rejected ?? 0,
      failed: results.reduce((a, r) => a + r.failed, 0),
      shares: during.map((d) => d / fair),
    };
    rows.push(row);
    console.log(`${(row.wall / 1000).toFixed(1)} s`);
  }
} finally {
  await redis.stop();
}

console.log(`\n| | ${rows.map((r) => r.label).join(' | ')} |`);
console.log(`|---|${rows.map(() => '---:').join('|')}|`);
console.log(`| wall, all ${total} done | ${rows.map((r) => `${(r.wall / 1000).toFixed(1)} s (${(r.wall / ideal).toFixed(2)} × ideal)`).join(' | ')} |`);
console.log(`| 429s the server sent | ${rows.map((r) => `${r.refused} (${((r.refused / total) * 100).toFixed(1)} %)`).join(' | ')} |`);
console.log(`| requests failed | ${rows.map((r) => r.failed).join(' | ')} |`);
console.log(`| each process's share ¹ | ${rows.map((r) => r.shares.map((s) => s.toFixed(2)).join(' / ')).join(' | ')} |`);
console.log(`\n¹ its successes until the first process finished ÷ an equal split of everyone's (1.00 = fair).`);

function positiveInteger(name: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) fail(`--${name} must be a whole number from 1 up, got "${text}"`);
  return value;
}

function fail(message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(1);
}
