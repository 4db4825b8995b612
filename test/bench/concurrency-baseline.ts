// `npm run bench:slots`: sluice against a concurrency-limited server (503 beyond `slots`), side by
// side with the best any client can do there — exactly `slots` undici.fetch workers, each sending
// its next request when its response is read, which never gets a 503. The ideal,
// ⌈N / slots⌉ × latency, assumes a request costs the server exactly `latency`; on real sockets
// the server's timers and the loopback add to it, so the workers' figure is the fair yardstick.
// Each round first times lone requests (the server's real cost per request, printed), and the two
// clients take turns going first, since the first run in a process also pays for warming up.
//
//   npx tsx test/bench/concurrency-baseline.ts [N=1000] [slots=16] [latencyMs=50] [rounds=2]

import { Agent, fetch as undiciFetch } from 'undici';
import { createClient } from '../../src/index.js';
import { startServer } from './processes.js';

const [n = 1000, slots = 16, latencyMs = 50, rounds = 2] = process.argv.slice(2).map(Number);
const ideal = Math.ceil(n / slots) * latencyMs;

async function sluice(origin: string): Promise<string> {
  const agent = new Agent();
  const client = createClient({ dispatcher: agent });
  let failed = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const response = await client.fetch(`${origin}/item/${i}`).catch(() => undefined);
      await response?.arrayBuffer();
      if (response?.status !== 200) failed++;
    }),
  );
  const ms = performance.now() - t;
  const { counters, limit } = client.stats(origin)!;
  await client.close();
  await agent.close();
  return `${(ms / 1000).toFixed(2)} s, 503s ${counters.unavailable} (${((100 * counters.unavailable) / n).toFixed(1)} %), failed ${failed}, window ${limit}`;
}

async function workers(origin: string): Promise<string> {
  const agent = new Agent();
  let next = 0;
  let refused = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: slots }, async () => {
      while (next < n) {
        const response = await undiciFetch(`${origin}/item/${next++}`, { dispatcher: agent });
        await response.arrayBuffer();
        if (response.status !== 200) refused++;
      }
    }),
  );
  const ms = performance.now() - t;
  await agent.close();
  return `${(ms / 1000).toFixed(2)} s, 503s ${refused}`;
}

/** Median time of 20 lone requests: what one request really costs this server, end to end. */
async function loneRequestMs(origin: string): Promise<number> {
  const agent = new Agent();
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await (await undiciFetch(`${origin}/lone/${i}`, { dispatcher: agent })).arrayBuffer();
    times.push(performance.now() - t);
  }
  await agent.close();
  return times.sort((a, b) => a - b)[10]!;
}

console.log(`N=${n} at once, ${slots} slots × ${latencyMs} ms; ideal ⌈N/slots⌉ × latency = ${(ideal / 1000).toFixed(2)} s`);
const clients = [
  ['sluice (defaults)', sluice],
  [`${slots} undici.fetch workers`, workers],
] as const;
for (let round = 1; round <= rounds; round++) {
  const probe = await startServer({ kind: 'concurrencyLimited', options: { slots, latencyMs } });
  const lone = await loneRequestMs(probe.origin);
  await probe.stop();
  console.log(`round ${round}  a lone request takes ${lone.toFixed(1)} ms: at most ${((100 * latencyMs) / lone).toFixed(0)} % goodput for any client`);
  for (const [name, run] of round % 2 === 1 ? clients : [...clients].reverse()) {
    const server = await startServer({ kind: 'concurrencyLimited', options: { slots, latencyMs } });
    const line = await run(server.origin);
    await server.stop();
    const seconds = Number(line.split(' ')[0]);
    // The same goodput against what a request really costs this server (the lone request's time).
    const measured = (100 * Math.ceil(n / slots) * lone) / (seconds * 1000);
    console.log(
      `round ${round}  ${name.padEnd(24)} ${line}  → ${((seconds * 1000) / ideal).toFixed(3)} × ideal, goodput ${((100 * ideal) / (seconds * 1000)).toFixed(0)} % (${measured.toFixed(0)} % of ${slots} / the measured request time)`,
    );
  }
}
