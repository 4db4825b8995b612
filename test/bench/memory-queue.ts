// What a queued request costs, and proof that the queue gives it all back: 100,000 requests wait
// behind a key paused by one 429 (Retry-After), then drain; the heap must return to where it
// was. Prints the cost per waiter in bytes. Runs under the benchmark, not `npm test`:
//   npx tsx test/bench/memory-queue.ts [waiters=100000] [pauseSeconds=8]

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Agent } from 'undici';
import { loadSluice, useBuiltSluice } from './build-sluice.js';
import { startServer } from './processes.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export interface MemoryQueueResult {
  waiters: number;
  /**
   * Heap (+ external) in MB: warmed up; with every waiter queued; right after the drain; and
   * once the keep-alive sockets the drain opened went idle and closed (the window grew, and each
   * pooled socket holds its buffers until then).
   */
  baselineMB: number;
  queuedMB: number;
  drainedMB: number;
  idleMB: number;
  bytesPerWaiter: number;
  /** idle − baseline, in bytes: what was not given back. */
  retainedBytes: number;
  /** ms to enqueue every waiter, and from the end of the pause to the last response. */
  enqueueMs: number;
  drainMs: number;
  peakRssMB: number;
  queuedSeen: number;
}

const waiters = Number(process.argv[2] ?? 100_000);
const pauseSeconds = Number(process.argv[3] ?? 8);
const warmup = 2_000;

const result = await measure(waiters, pauseSeconds);
const table = [
  '| waiters | baseline MB | queued MB | bytes / waiter | drained MB | idle MB | retained (idle − baseline) | enqueue ms | drain ms | peak RSS MB |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  `| ${result.waiters} | ${result.baselineMB.toFixed(1)} | ${result.queuedMB.toFixed(1)} | ${Math.round(result.bytesPerWaiter)} | ${result.drainedMB.toFixed(1)} | ${result.idleMB.toFixed(1)} | ${(result.retainedBytes / 1024).toFixed(0)} KiB | ${Math.round(result.enqueueMs)} | ${Math.round(result.drainMs)} | ${result.peakRssMB.toFixed(0)} |`,
].join('\n');
console.log(table);
// Started by run.ts: report, then let go of the IPC channel so the process can end.
if (process.send) process.send({ type: 'memory', result, table }, () => process.disconnect());
// Heap back within 1 MB + 1 % of what the queue took, or the queue leaks.
const ok = result.queuedSeen === waiters && result.retainedBytes < 1024 ** 2 + 0.01 * (result.queuedMB - result.baselineMB) * 1024 ** 2;
if (!ok) {
  console.error(`memory-queue: FAILED (queued ${result.queuedSeen}/${waiters}, retained ${result.retainedBytes} bytes)`);
  process.exitCode = 1;
}

async function measure(waiters: number, pauseSeconds: number): Promise<MemoryQueueResult> {
  const source = await useBuiltSluice();
  console.error(`memory-queue: sluice from ${source}`);
  const { createClient } = await loadSluice();
  // `warmup` healthy answers, one 429 that pauses the key, then healthy for good. A bare
  // node:http server: behind msw the drain of 100,000 would take minutes (~800/s here).
  const server = await startServer({ kind: 'plain', throttleAt: warmup, retryAfterSeconds: pauseSeconds });
  const agent = new Agent();
  // Pacing off: this measures the queue, not the pacer. (With adaptive pacing, the one 429 makes
  // the key paced near the rate seen before it — ~600/s here — and the drain takes minutes.)
  const client = createClient({ dispatcher: agent, rate: false, limits: { maxQueue: waiters + 1_000 } });
  const url = `${server.origin}/item`;
  try {
    // Warm up: modules, JIT, the key's gate and its window, the Agent's sockets.
    let left = warmup;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (left-- > 0) await (await client.fetch(url)).text();
      }),
    );
    const baseline = heap();

    // The 429: the key pauses for `pauseSeconds`; this request waits it out in its retry.
    const paused = client.fetch(url).then((r) => r.text());
    while (client.stats(url)?.pausedUntil === undefined) await new Promise((resolve) => setTimeout(resolve, 5));

    let done = 0;
    let failed = 0;
    let allDone!: () => void;
    const finished = new Promise<void>((resolve) => (allDone = resolve));
    const settle = () => {
      if (++done === waiters) allDone();
    };
    const enqueueStarted = performance.now();
    for (let i = 0; i < waiters; i++) {
      client.fetch(url).then(
        (r) => r.text().then(settle, () => (failed++, settle())),
        () => (failed++, settle()),
      );
    }
    const enqueueMs = performance.now() - enqueueStarted;
    const queuedSeen = client.stats(url)?.queued ?? 0;
    const queued = heap();
    const pausedUntil = client.stats(url)?.pausedUntil ?? Date.now();
    if (Date.now() > pausedUntil) throw new Error(`enqueueing took ${Math.round(enqueueMs)} ms, longer than the pause; raise pauseSeconds`);

    await finished;
    await paused;
    const drainMs = Date.now() - pausedUntil;
    if (failed > 0) throw new Error(`${failed} queued requests failed`);
    const drained = heap();
    // The server closes idle keep-alive connections after 5 s (Node's default).
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const idle = heap();
    return {
      waiters,
      baselineMB: baseline / 2 ** 20,
      queuedMB: queued / 2 ** 20,
      drainedMB: drained / 2 ** 20,
      idleMB: idle / 2 ** 20,
      bytesPerWaiter: (queued - baseline) / waiters,
      retainedBytes: idle - baseline,
      enqueueMs,
      drainMs,
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      queuedSeen,
    };
  } finally {
    await client.close();
    await agent.close();
    await server.stop();
  }
}

/** Heap in use plus external memory, after full collections (twice: weak callbacks run in the first). */
function heap(): number {
  gc();
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}
