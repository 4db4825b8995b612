// The demo's two runs — a naive retry loop and sluice, each firing the same burst at a fresh
// rate-limited server — recorded as timelines for the picture. Used by `npm run demo` and its test.

import { Agent, fetch as undiciFetch } from 'undici';
import { createClient } from '../../src/index.js';
import { RunRecorder, type RunReport } from '../../src/report/run-recorder.js';
import { seriesOfStatus } from '../../src/report/timeline.js';
import { renderTimelineSvg } from '../../src/report/timeline-svg.js';

/** A fresh server for one run, and what it counted once stopped. */
export interface DemoServer {
  origin: string;
  stop(): Promise<{ received: number; rejected: number }>;
}

export interface DemoOptions {
  n: number;
  /** Starts the server of one run. */
  startServer: () => Promise<DemoServer>;
  /** Called every 100 ms during a run with a line of progress. */
  progress?: (line: string) => void;
  /** The naive loop's retries and its first backoff in ms (doubling). @default 3, 1000 */
  naiveRetries?: number;
  naiveBackoffMs?: number;
}

export interface DemoResult {
  name: string;
  seconds: number;
  ok: number;
  failed: number;
  /** What the server counted: requests received and refused with 429. */
  received: number;
  rejected: number;
  report: RunReport;
}

/** Runs the naive loop, then sluice, each against its own fresh server. */
export async function runDemo(options: DemoOptions): Promise<[DemoResult, DemoResult]> {
  const retries = options.naiveRetries ?? 3;
  const backoffMs = options.naiveBackoffMs ?? 1000;
  const agent = new Agent();
  const naive = await run('fetch + naive retry', options, async (url, recorder, origin) => {
    // Sent and answered are recorded here: this client has no events to listen to.
    const send = async () => {
      recorder.attempt(origin, 'sent');
      const response = await undiciFetch(url, { dispatcher: agent }).catch(() => undefined);
      recorder.attempt(origin, seriesOfStatus(response?.status));
      return response;
    };
    let response = await send();
    for (let retry = 0; retry < retries && response?.status === 429; retry++) {
      await response.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** retry));
      response = await send();
    }
    await response?.body?.cancel();
    return response?.status ?? 0;
  });
  await agent.close();

  const client = createClient({ retry: { maxRetries: 10 } });
  const sluiced = await run(
    'sluice',
    options,
    async (url) => {
      const response = await client.fetch(url);
      await response.body?.cancel();
      return response.status;
    },
    (recorder) => recorder.attach(client),
    () => {
      const stats = client.stats()[0];
      if (!stats) return '';
      const paused = stats.pausedUntil ? ` · paused ${Math.max(0, stats.pausedUntil - Date.now())} ms` : '';
      const pace = Number.isFinite(stats.rate) ? `${stats.rate.toFixed(0)}/s` : 'unpaced';
      return `in flight ${stats.inFlight} · queued ${stats.queued} · pace ${pace} (${stats.rateState})${paused}`;
    },
  );
  await client.close();
  return [naive, sluiced];
}

async function run(
  name: string,
  options: DemoOptions,
  send: (url: string, recorder: RunRecorder, origin: string) => Promise<number>,
  attach?: (recorder: RunRecorder) => () => void,
  describe: () => string = () => '',
): Promise<DemoResult> {
  const server = await options.startServer();
  const recorder = new RunRecorder();
  const detach = attach?.(recorder);
  let ok = 0;
  let failed = 0;
  const started = performance.now();
  const ticker =
    options.progress &&
    setInterval(() => {
      const { '429': throttled } = recorder.report().origins[0]?.attempts ?? { '429': 0 };
      const seconds = (performance.now() - started) / 1000;
      options.progress!(`${name}: ${ok + failed}/${options.n} done · ${seconds.toFixed(1)} s · ${throttled} × 429 · ${describe()}`);
    }, 100);
  await Promise.all(
    Array.from({ length: options.n }, async (_, i) => {
      const asked = performance.now();
      const status = await send(`${server.origin}/item/${i}`, recorder, server.origin).catch(() => 0);
      recorder.request(server.origin, status === 0 ? { error: 'error', latencyMs: performance.now() - asked } : { status, latencyMs: performance.now() - asked });
      if (status === 200) ok++;
      else failed++;
    }),
  );
  recorder.end();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(ticker);
  detach?.();
  const { received, rejected } = await server.stop();
  return { name, seconds, ok, failed, received, rejected, report: recorder.report() };
}

/** The picture: both runs side by side on the same axes, each with its numbers. */
export function demoSvg(results: readonly DemoResult[], heading: string): string {
  return renderTimelineSvg(
    results.map((result) => ({
      title: result.name,
      timeline: result.report.origins[0]!.timeline,
      durationMs: result.report.durationMs,
      notes: [
        `${result.seconds.toFixed(1)} s · ${result.ok} ok · ${result.failed} failed`,
        `server: ${result.received} received, ${result.rejected} × 429`,
      ],
    })),
    { title: heading },
  );
}
