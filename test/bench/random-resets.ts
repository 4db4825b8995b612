// Random resets against resets from overload (issue 16, item 8): 48 callers send N GETs to a
// loopback server answering in 30 ms, which resets either a share of requests at random or
// every request beyond 16 in flight. Prints throughput, resets and the window as it went.
//   npx tsx test/bench/random-resets.ts random 0.05 3000 | overload 0 3000
import { createServer } from 'node:http';
import { once } from 'node:events';
import { createClient } from '../../src/client.js';
const mode = process.argv[2] ?? 'random'; // random | overload
const p = Number(process.argv[3] ?? 0.1);
const n = Number(process.argv[4] ?? 3000);
let inFlight = 0, resets = 0, served = 0, seq = 0;
const server = createServer((req, res) => {
  req.resume();
  const i = seq++;
  const rnd = ((i * 2654435761) >>> 0) / 2 ** 32;
  if (mode === 'random' ? rnd < p : inFlight >= 16) { resets++; req.socket.resetAndDestroy(); return; }
  inFlight++;
  setTimeout(() => { inFlight--; served++; res.end('ok'); }, 30);
});
server.listen(0, '127.0.0.1'); await once(server, 'listening');
const origin = `http://127.0.0.1:${(server.address() as any).port}`;
const client = createClient({ retry: { backoff: { base: 10, max: 200 } } });
const t0 = performance.now(); let next = 0, failed = 0;
const limits: number[] = [];
const sampler = setInterval(() => { const s = client.stats()[0]; if (s) limits.push(s.limit); }, 100);
await Promise.all(Array.from({ length: 48 }, async () => {
  while (next < n) { next++; try { const r = await client.fetch(origin + '/x'); await r.text(); } catch { failed++; } }
}));
clearInterval(sampler);
const sec = (performance.now() - t0) / 1000;
const sorted = [...limits].sort((a, b) => a - b);
console.log(`${mode} p=${p} n=${n}: ${sec.toFixed(1)} s, ${(n / sec).toFixed(0)}/s, failed ${failed}, resets ${resets} (${(100 * resets / (resets + served)).toFixed(1)} % of attempts), window p10/p50/p90 ${sorted[limits.length * 0.1 | 0]}/${sorted[limits.length >> 1]}/${sorted[limits.length * 0.9 | 0]}`);
await client.close(); server.closeAllConnections(); server.close();
