// Repro (not a benchmark): after one 429, the adaptive pacer holds a key near the throughput it
// had before the 429, and never learns that the server can take more. The server here has no
// limit at all except one scripted 429 (Retry-After: 1) on request #301; demand then grows from
// 4 paced workers to 64 unpaced ones. Expected: the rate climbs back past its old level within
// seconds. Seen: it creeps to the old level (~125/s here) and stays there.
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

const report = setInterval(() => {
  const s = client.stats(url)!;
  const rate = Number.isFinite(s.rate) ? s.rate.toFixed(0) : '∞';
  console.log(`${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s  ${String(done).padStart(5)} req/s  pace ${rate}/s (${s.rateState})  window ${s.limit}  429s ${s.counters.throttled}`);
  done = 0;
}, 1000);
await phase(4, 3000, 20); // light demand; the 429 lands here
await phase(64, 12_000, 0); // demand grows; the server could serve thousands per second
clearInterval(report);
await client.close();
await agent.close();
await server.stop();
