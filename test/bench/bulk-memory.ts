// Measures the client's memory while `client.map` pushes a million generated inputs through a
// fast loopback server: peak RSS up to 100k inputs and up to 1M should be about the same.
//
//   node --expose-gc --import tsx test/bench/bulk-memory.ts [count=1000000] [concurrency=adaptive] [map|fetch|undici]
//
// Baselines, side by side with `client.map` (concurrency must be a number): `undici` runs the
// same inputs through plain `undici.fetch` workers, `fetch` through `client.fetch` workers.
// The server runs in a child process so its memory (and its CPU) are not counted as the client's.
// Besides RSS it prints the heap after a full GC (what is really retained: flat means no leak) and
// V8's new space at the RSS peak: on a large-memory machine V8 sizes the young generation up to
// 3 × 64 MB when allocation is fast, which dominates RSS without being retained memory
// (`--max-semi-space-size=16` caps it).

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { getHeapSpaceStatistics } from 'node:v8';
import { Agent, fetch as undiciFetch } from 'undici';
import { createClient } from '../../src/client.js';

const count = Number(process.argv[2] ?? 1_000_000);
const concurrency = process.argv[3] === undefined || process.argv[3] === 'adaptive' ? 'adaptive' : Number(process.argv[3]);
const mode = process.argv[4] === 'undici' || process.argv[4] === 'fetch' ? process.argv[4] : 'map';
const checkpoints = [100_000, count].filter((n, i, all) => n <= count && all.indexOf(n) === i);

// The smallest honest server: keep-alive, a fixed 2-byte body, no parsing beyond node:http's.
const serverCode = `
  const server = require('node:http').createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  });
  server.keepAliveTimeout = 60000;
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;
const child = spawn(process.execPath, ['-e', serverCode], { stdio: ['ignore', 'pipe', 'inherit'] });
// However this process ends (an EPIPE from `| head`, Ctrl-C), the server must not outlive it.
process.on('exit', () => child.kill());
const [portLine] = (await once(child.stdout, 'data')) as [Buffer];
const origin = `http://127.0.0.1:${portLine.toString().trim()}`;

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const gc = (globalThis as { gc?: () => void }).gc;
let peakRss = process.memoryUsage.rss();
let newSpaceAtPeak = 0;
const sample = () => {
  const rss = process.memoryUsage.rss();
  if (rss <= peakRss) return;
  peakRss = rss;
  newSpaceAtPeak = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
};
const sampler = setInterval(sample, 50);

function* inputs(): Generator<number> {
  for (let i = 0; i < count; i++) yield i;
}

/** The same inputs through `send` (a fetch), `concurrency` workers, bodies read as text. */
async function* baselineResults(send: (url: string) => Promise<Response>): AsyncGenerator<{ ok: boolean }> {
  const finished: { ok: boolean }[] = [];
  let wake: (() => void) | undefined;
  let next = 0;
  let running = 0;
  const worker = async () => {
    running++;
    while (next < count) {
      const response = await send(`${origin}/item/${next++}`);
      await response.text();
      finished.push({ ok: response.ok });
      wake?.();
    }
    running--;
    wake?.();
  };
  for (let i = 0; i < (concurrency as number); i++) void worker();
  while (running > 0 || finished.length > 0) {
    if (finished.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    yield* finished.splice(0);
  }
}

const client = createClient({ limits: { concurrency } });
const agent = new Agent();
const started = performance.now();
const rows: string[] = [];
let done = 0;
let failed = 0;
const baseline = process.memoryUsage.rss();
const results =
  mode === 'undici'
    ? baselineResults((url) => undiciFetch(url, { dispatcher: agent }) as unknown as Promise<Response>)
    : mode === 'fetch'
      ? baselineResults((url) => client.fetch(url))
      : client.map(inputs(), (i) => `${origin}/item/${i}`);
for await (const result of results) {
  done++;
  if (!result.ok) failed++;
  if (done === checkpoints[rows.length]) {
    sample();
    gc?.();
    const heap = process.memoryUsage().heapUsed;
    const seconds = (performance.now() - started) / 1000;
    rows.push(
      `${String(done).padStart(9)} inputs  peak RSS ${mb(peakRss).padStart(9)} (new space ${mb(newSpaceAtPeak)})  heap after GC ${mb(heap).padStart(8)}  ` +
        `${seconds.toFixed(1)} s  ${Math.round(done / seconds)}/s  window ${client.stats(origin)?.limit ?? concurrency}`,
    );
    console.log(rows.at(-1));
  }
}
clearInterval(sampler);
console.log(`${mode}: baseline RSS ${mb(baseline)}; ${done} results, ${failed} failed; concurrency ${concurrency}`);
await client.close();
await agent.close();
child.kill();
