// `npm run demo`: the same burst of requests sent at a simulated rate-limited server, once through
// plain fetch with a naive retry loop and once through sluice; a summary and an SVG timeline.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { RATE_LIMIT_HEADER_DIALECTS, type RateLimitHeaderDialect } from '../../mocks/index.js';
import { startServer } from '../bench/processes.js';
import { demoSvg, runDemo } from './overload-run.js';

const usage = `Usage: npm run demo -- [--requests N] [--rate R] [--burst B] [--dialect D] [--svg FILE]

Fires N requests at once at a token-bucket server (R req/s, burst B) on 127.0.0.1, run in its
own process so client and server do not share an event loop, first with
plain fetch and a naive retry loop (3 retries, 1 s doubling backoff, Retry-After ignored), then
with sluice. Writes both runs' timelines (sent, 2xx, 429 per 100 ms) side by side to the SVG
(default docs/demo-timeline.svg). Dialects: ${RATE_LIMIT_HEADER_DIALECTS.join(', ')}.`;

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '100' },
    burst: { type: 'string', default: '10' },
    dialect: { type: 'string', default: 'retry-after-only' },
    svg: { type: 'string', default: 'docs/demo-timeline.svg' },
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

console.log(`${n} requests at once → token bucket ${rate}/s, burst ${burst}, headers: ${dialect}. Ideal ${ideal.toFixed(1)} s.\n`);

const live = process.stderr.isTTY ? (line: string) => process.stderr.write(`\r\x1b[2K${line}`) : undefined;
const results = await runDemo({
  n,
  progress: live,
  startServer: async () => {
    const server = await startServer({ kind: 'tokenBucket', options: { rate, burst, dialect } });
    return {
      origin: server.origin,
      async stop() {
        live?.('');
        const { counters } = await server.stop();
        return { received: counters.received ?? 0, rejected: counters.rejected ?? 0 };
      },
    };
  },
});
if (live) process.stderr.write('\r\x1b[2K');

for (const r of results) console.log(`${r.name.padEnd(22)} done in ${r.seconds.toFixed(1)} s: ${r.ok} ok, ${r.failed} failed, ${r.rejected} × 429`);
const rows = results.map(
  (r) =>
    `| ${r.name} | ${r.seconds.toFixed(1)} s | ${ideal > 0 ? (r.seconds / ideal).toFixed(2) : '–'} × | ${r.rejected} (${((100 * r.rejected) / n).toFixed(1)} % of requests) | ${r.received} | ${r.failed} |`,
);
console.log(`\n| client | wall time | vs ideal (${ideal.toFixed(1)} s) | 429s received | requests sent | failed |
|---|---|---|---|---|---|
${rows.join('\n')}`);

const heading = `${n} requests at once → token bucket ${rate}/s, burst ${burst} (${dialect}); ideal ${ideal.toFixed(1)} s`;
await mkdir(dirname(values.svg), { recursive: true });
await writeFile(values.svg, demoSvg(results, heading));
console.log(`\nTimeline: ${values.svg}`);

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) fail(`--${name} must be a whole number from 1 up, got "${text}"`);
  return value;
}

function fail(message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}
