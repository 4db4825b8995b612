// `npm run bench:serial`: one caller, one request at a time (20 calls), against a server that
// answers 429 + `Retry-After: 1` to every other request — lock contention, a secondary limit:
// throttles that say nothing about rate. Default sluice beside `rate: false`, each in its own
// process against its own server process; issue 11's target: default ≤ 1.3 × `rate: false`.
//   npm run bench:serial [-- calls=20]

import { loadavg } from 'node:os';
import { useBuiltSluice } from './build-sluice.js';
import { fmtS } from './format.js';
import { runClient, startServer } from './processes.js';
import type { ClientName, ClientResult } from './protocol.js';

const calls = Number(process.argv[2] ?? 20);
const TARGET = 1.3;
/** Each client's bound: `rate: false` needs ~1 s a call; the default has been seen at 20–40 s a call. */
const limitMs = Math.max(60_000, calls * 6_000);

await useBuiltSluice();
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${calls} calls, one at a time; every other request answered 429 + Retry-After: 1`);

async function run(client: ClientName): Promise<{ result?: ClientResult; received: number; error?: string }> {
  const server = await startServer({ kind: 'plain', throttleEvery: 2, retryAfterSeconds: 1 });
  try {
    const result = await runClient({ client, url: `${server.origin}/item`, workload: { kind: 'closed', n: calls, workers: 1 } }, limitMs);
    return { result, received: (await server.counters()).counters.received ?? 0 };
  } catch (error) {
    return { error: error instanceof Error ? error.message.split('\n')[0] : String(error), received: (await server.counters()).counters.received ?? 0 };
  } finally {
    await server.stop();
  }
}

const results = new Map<ClientName, Awaited<ReturnType<typeof run>>>();
for (const client of ['sluice rate:false', 'sluice'] as const) {
  const outcome = await run(client);
  results.set(client, outcome);
  const r = outcome.result;
  console.log(
    r
      ? `${client.padEnd(18)} ${fmtS(r.wallMs)} s for ${r.requests} calls (${r.failed} failed); per call p50 ${fmtS(r.latencyMs.p50)} s, p90 ${fmtS(r.latencyMs.p90)} s, max ${fmtS(r.latencyMs.max)} s; server received ${outcome.received}`
      : `${client.padEnd(18)} did not finish within ${limitMs / 1000} s (${outcome.error}); server received ${outcome.received}, so ≈ ${Math.floor(outcome.received / 2)} calls done`,
  );
}
const base = results.get('sluice rate:false')?.result;
const measured = results.get('sluice')?.result;
if (!base || !measured) {
  // Every call but the first costs a 429 and a retry: calls done ≈ requests received / 2.
  const done = Math.floor((results.get('sluice')?.received ?? 0) / 2);
  const bound = base && !measured && done > 0 ? `; default sluice: ≈ ${done} of ${calls} calls in ${limitMs / 1000} s, ≥ ${(limitMs / done / (base.wallMs / calls)).toFixed(1)} × rate: false per call` : '';
  console.log(`FAIL  a client did not finish within ${limitMs / 1000} s${bound} (target ≤ ${TARGET})`);
} else {
  const ratio = measured.wallMs / base.wallMs;
  const ok = ratio <= TARGET && measured.failed === 0;
  console.log(`${ok ? 'PASS' : 'FAIL'}  default sluice ÷ rate: false = ${ratio.toFixed(2)}, ${measured.failed} failed (target ≤ ${TARGET}, 0 failed)`);
}
