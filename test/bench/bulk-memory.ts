// Measures the client's memory while `client.map` pushes a million generated inputs through a
// fast loopback server: peak RSS up to 100k inputs and up to 1M should be about the same.
//
//   node --expose-gc --import tsx test/bench/bulk-memory.ts [count=1000000] [concurrency=adaptive] [map|fetch|undici] [src|dist] [map's concurrency]
//
// `dist` loads the built package (resolved from the working directory) instead of the sources;
// compiled to JavaScript first, this file then runs on plain Node with nothing else loaded — not
// tsx's loader, nor Node's own type stripping (a WebAssembly compiler, ~17 MB of RSS):
//
//   npm run build && npx esbuild test/bench/bulk-memory.ts --format=esm --outfile=node_modules/.cache/bulk-memory.mjs
//   node --expose-gc node_modules/.cache/bulk-memory.mjs 100000 adaptive map dist
//
// Baselines, side by side with `client.map` (concurrency must be a number): `undici` runs the
// same inputs through plain `undici.fetch` workers, `fetch` through `client.fetch` workers.
// The server runs in a child process so its memory (and its CPU) are not counted as the client's.
// Besides the RSS peak it prints what made it up at that moment (V8's new and old space, memory
// outside the heap: sockets' buffers, ArrayBuffers), the heap after a full GC (what is really
// retained: flat means no leak), and the highest window, in-flight count and open sockets seen.
//
// What the peak is made of (Nov 2026, Node 24, 100k inputs, map's default of 128 in flight):
// ~72 MB before the run (Node ~42 MB, importing undici ~28 MB), V8's young generation at its
// 128 MB maximum (reached under any sustained allocation rate, whatever `--max-old-space-size`
// says), old space grown to a few times the live heap before each full GC, and freed pages V8
// keeps pooled. `--max-semi-space-size=8` takes ~100 MB off (that is what `sluice run` starts
// itself with); V8 flags cannot be set from inside a running process (`v8.setFlagsFromString`
// after start does not resize the young generation). `npm run bench:bulk` measures `sluice run`
// the same way, each side in a process of its own; `bulk-map-compare.ts` runs this file against
// an older commit's build.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import { Agent, fetch as undiciFetch } from 'undici';
import type { createClient as CreateClient } from '../../src/client.js';

const count = Number(process.argv[2] ?? 1_000_000);
const concurrency = process.argv[3] === undefined || process.argv[3] === 'adaptive' ? 'adaptive' : Number(process.argv[3]);
const mode = process.argv[4] === 'undici' || process.argv[4] === 'fetch' ? process.argv[4] : 'map';
const from = process.argv[5] === 'dist' ? 'dist' : 'src';
// Unset: map's own default (what a user gets); `Infinity` lets the key's window alone decide.
const mapConcurrency = process.argv[6] === undefined ? undefined : Number(process.argv[6]);
const checkpoints = [100_000, count].filter((n, i, all) => n <= count && all.indexOf(n) === i);
const { createClient } = (await import(
  from === 'dist' ? pathToFileURL(`${process.cwd()}/dist/index.js`).href : '../../src/client.js'
)) as {
  createClient: typeof CreateClient;
};

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

// One Agent for every mode, so its sockets can be counted (the client would make the same one).
const agent = new Agent();
const client = createClient({ limits: { concurrency }, dispatcher: agent });

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const gc = (globalThis as { gc?: () => void }).gc;
const space = (name: string) => getHeapSpaceStatistics().find((s) => s.space_name === name)?.space_size ?? 0;
let peakRss = 0;
let atPeak = '';
const most = { window: 0, inFlight: 0, sockets: 0 };
let inFlightNow = () => 0;
const sample = () => {
  const sockets = Object.values(agent.stats).reduce((sum, stats) => sum + Number(stats.connected), 0);
  most.sockets = Math.max(most.sockets, sockets);
  most.window = Math.max(most.window, client.stats(origin)?.limit ?? 0);
  most.inFlight = Math.max(most.inFlight, inFlightNow());
  const rss = process.memoryUsage.rss();
  if (rss <= peakRss) return;
  peakRss = rss;
  const { heapTotal, external, arrayBuffers } = process.memoryUsage();
  atPeak =
    `new space ${mb(space('new_space'))}, old ${mb(space('old_space'))}, heap total ${mb(heapTotal)}, ` +
    `external ${mb(external)} (ArrayBuffers ${mb(arrayBuffers)}), ${sockets} sockets`;
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
  inFlightNow = () => running;
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

function mapResults() {
  const run = client.map(inputs(), (i) => `${origin}/item/${i}`, mapConcurrency === undefined ? {} : { concurrency: mapConcurrency });
  inFlightNow = () => run.progress.inFlight;
  return run;
}

const baseline = process.memoryUsage.rss();
const started = performance.now();
const cpuStarted = process.cpuUsage();
let done = 0;
let failed = 0;
const results =
  mode === 'undici'
    ? baselineResults((url) => undiciFetch(url, { dispatcher: agent }) as unknown as Promise<Response>)
    : mode === 'fetch'
      ? baselineResults((url) => client.fetch(url))
      : mapResults();
let reached = 0;
for await (const result of results) {
  done++;
  if (!result.ok) failed++;
  if (done === checkpoints[reached]) {
    reached++;
    sample();
    gc?.();
    const heap = process.memoryUsage().heapUsed;
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStarted);
    console.log(
      `${String(done).padStart(9)} inputs  peak RSS ${mb(peakRss).padStart(9)}  heap after GC ${mb(heap).padStart(8)}  ` +
        `${seconds.toFixed(1)} s  ${Math.round(done / seconds)}/s  ${Math.round((cpu.user + cpu.system) / done)} µs CPU/request`,
    );
    console.log(`          at the peak: ${atPeak}`);
    console.log(`          most seen: window ${most.window}, in flight ${most.inFlight}, sockets ${most.sockets}`);
  }
}
clearInterval(sampler);
console.log(
  `${mode} (${from}): baseline RSS ${mb(baseline)}; ${done} results, ${failed} failed; concurrency ${concurrency}` +
    (mode === 'map' ? `, map's ${mapConcurrency ?? 'default'}` : ''),
);
await client.close();
await agent.close();
child.kill();
