// Bench: after one 429 that came while demand was light, does the pace reopen once demand grows?
// The server has no limit at all except one scripted 429 (Retry-After: 1) on request #301;
// demand grows from 4 workers thinking 20 ms to 64 that never think. Prints the pace each second,
// then the figure: how long after demand grew the pace passed twice what the 429 left it at.
// Before the fix it crept to its old level (~125/s) and stayed there.
//   npx tsx test/bench/repro-rate-cap.ts

import { Agent } from 'undici';
import { createClient } from '../../src/index.js';
import { startServer } from './processes.js';

const server = await startServer({ kind: 'plain', throttleAt: 300, retryAfterSeconds: 1 });
const agent = new Agent();
const client = createClient({ dispatcher: agent });
const url = `${server.origin}/item`;
let done = 0;
const started = performance.now();
let grownAt: number | undefined;
/** The pace right after the 429 (the first estimated one), and when it was first doubled. */
let afterThrottle: number | undefined;
let doubledAt: number | undefined;
let peak = 0;

async function phase(workers: number, ms: number, thinkMs: number): Promise<void> {
  const until = performance.now() + ms;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < until) {
        await (await client.fetch(url)).text();
        done++;
        if (thinkMs > 0) await new Promise((resolve) => setTimeout(resolve, thinkMs));
      }
    }),
  );
}

// The pace is sampled often (the figure needs it), printed once a second.
const sampler = setInterval(() => {
  const s = client.stats(url);
  if (s === undefined) return;
  if (afterThrottle === undefined && s.counters.throttled > 0 && s.rateState === 'estimated') afterThrottle = s.rate;
  if (grownAt !== undefined && afterThrottle !== undefined && doubledAt === undefined && s.rate >= 2 * afterThrottle) {
    doubledAt = performance.now();
  }
}, 20);
const report = setInterval(() => {
  const s = client.stats(url)!;
  const rate = Number.isFinite(s.rate) ? s.rate.toFixed(0) : '∞';
  peak = Math.max(peak, done);
  console.log(`${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s  ${String(done).padStart(5)} req/s  pace ${rate}/s (${s.rateState})  window ${s.limit}  429s ${s.counters.throttled}`);
  done = 0;
}, 1000);
await phase(4, 3000, 20); // light demand; the 429 lands here
grownAt = performance.now();
await phase(64, 12_000, 0); // demand grows; the server could serve thousands per second
clearInterval(report);
clearInterval(sampler);
const throttled = client.stats(url)!.counters.throttled;
await client.close();
await agent.close();
await server.stop();
const doubled = doubledAt === undefined ? 'never' : `${((doubledAt - grownAt) / 1000).toFixed(1)} s`;
console.log(
  `\npace after the 429: ${afterThrottle?.toFixed(0) ?? '?'}/s; passed twice that ${doubled} after demand grew; ` +
    `peak ${peak} req/s; ${throttled} × 429 (1 scripted)`,
);
