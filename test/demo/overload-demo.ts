// `npm run demo`: the same burst of requests sent at a simulated rate-limited server, once through
// plain fetch with a naive retry loop and once through sluice, then a side-by-side summary.

import { parseArgs } from 'node:util';
import { Agent, fetch as undiciFetch } from 'undici';
import { createClient } from '../../src/index.js';
import { RATE_LIMIT_HEADER_DIALECTS, type RateLimitHeaderDialect } from '../../mocks/index.js';
import { startServer } from '../bench/processes.js';

const usage = `Usage: npm run demo -- [--requests N] [--rate R] [--burst B] [--dialect D]

Fires N requests at once at a token-bucket server (R req/s, burst B) on 127.0.0.1, run in its
own process so client and server do not share an event loop, first with
plain fetch and a naive retry loop (3 retries, 1 s doubling backoff, Retry-After ignored), then
with sluice. Dialects: ${RATE_LIMIT_HEADER_DIALECTS.join(', ')}.`;

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '100' },
    burst: { type: 'string', default: '10' },
    dialect: { type: 'string', default: 'retry-after-only' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const n = positiveInteger('requests', values.requests);
const rate = positiveInteger('rate', values.rate);
const burst = positiveInteger('burst', values.burst);
const dialect = values.dialect as RateLimitHeaderDialect;
if (!RATE_LIMIT_HEADER_DIALECTS.includes(dialect)) fail(`--dialect must be one of ${RATE_LIMIT_HEADER_DIALECTS.join(', ')}, got "${dialect}"`);
const ideal = Math.max(0, n - burst) / rate;

interface Result {
  name: string;
  seconds: number;
  ok: number;
  failed: number;
  received: number;
  rejected: number;
}

/** Counts 429s as the client sees them, for the live line (the server's count is read at the end). */
let throttledSeen = 0;
const counted = (status: number) => {
  if (status === 429) throttledSeen++;
  return status;
};

async function run(name: string, send: (url: string) => Promise<number>, progress: () => string): Promise<Result> {
  const server = await startServer({ kind: 'tokenBucket', options: { rate, burst, dialect } });
  throttledSeen = 0;
  let ok = 0;
  let failed = 0;
  const started = performance.now();
  const ticker = process.stderr.isTTY
    ? setInterval(() => {
        const seconds = (performance.now() - started) / 1000;
        process.stderr.write(
          `\r\x1b[2K${name}: ${ok + failed}/${n} done · ${seconds.toFixed(1)} s · ${throttledSeen} × 429 · ${progress()}`,
        );
      }, 100)
    : undefined;
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const status = await send(`${server.origin}/item/${i}`).catch(() => 0);
      if (status === 200) ok++;
      else failed++;
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  clearInterval(ticker);
  if (ticker) process.stderr.write('\r\x1b[2K');
  const { counters } = await server.stop();
  const received = counters.received ?? 0;
  const rejected = counters.rejected ?? 0;
  console.log(`${name.padEnd(22)} done in ${seconds.toFixed(1)} s: ${ok} ok, ${failed} failed, ${rejected} × 429`);
  return { name, seconds, ok, failed, received, rejected };
}

console.log(`${n} requests at once → token bucket ${rate}/s, burst ${burst}, headers: ${dialect}. Ideal ${ideal.toFixed(1)} s.\n`);

const agent = new Agent();
const naive = await run(
  'fetch + naive retry',
  async (url) => {
    let response = await undiciFetch(url, { dispatcher: agent });
    for (let retry = 0; retry < 3 && counted(response.status) === 429; retry++) {
      await response.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** retry));
      response = await undiciFetch(url, { dispatcher: agent });
    }
    await response.body?.cancel();
    return response.status;
  },
  () => '',
);
await agent.close();

const client = createClient({ retry: { maxRetries: 10 } });
const sluiced = await run(
  'sluice',
  async (url) => {
    const response = await client.fetch(url);
    await response.body?.cancel();
    return response.status;
  },
  () => {
    const stats = client.stats()[0];
    if (!stats) return '';
    throttledSeen = stats.counters.throttled;
    const paused = stats.pausedUntil ? ` · paused ${Math.max(0, stats.pausedUntil - Date.now())} ms` : '';
    const pace = Number.isFinite(stats.rate) ? `${stats.rate.toFixed(0)}/s` : 'unpaced';
    return `in flight ${stats.inFlight} · queued ${stats.queued} · pace ${pace} (${stats.rateState})${paused}`;
  },
);
await client.close();

const rows = [naive, sluiced].map(
  (r) =>
    `| ${r.name} | ${r.seconds.toFixed(1)} s | ${ideal > 0 ? (r.seconds / ideal).toFixed(2) : '–'} × | ${r.rejected} (${((100 * r.rejected) / n).toFixed(1)} % of requests) | ${r.received} | ${r.failed} |`,
);
console.log(`\n| client | wall time | vs ideal (${ideal.toFixed(1)} s) | 429s received | requests sent | failed |
|---|---|---|---|---|---|
${rows.join('\n')}`);

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) fail(`--${name} must be a whole number from 1 up, got "${text}"`);
  return value;
}

function fail(message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}
