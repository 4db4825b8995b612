// One client's run of one workload, in its own process so its peak RSS is its own and a peer's
// leftovers (sockets, timers, module state) cannot touch the next run. Started by run.ts with a
// JSON ClientConfig as argv[2]; reports a ClientResult over IPC (or stdout when run by hand).
// With `together`, it reports 'ready' once loaded and waits for 'go', so several start at once.

import { createBenchClient, kindOf, type BenchClient } from './clients.js';
import type { ClientCommand, ClientConfig, ClientMessage, ClientResult, Workload } from './protocol.js';
import { percentile, sortedCopy } from './stats.js';

const config = JSON.parse(process.argv[2] ?? '') as ClientConfig;
const epochNow = () => performance.timeOrigin + performance.now();

const reply = (message: ClientMessage) => {
  if (process.send) process.send(message, () => process.exit(0));
  else {
    console.log(JSON.stringify(message));
    process.exit(0);
  }
};

try {
  const client = await createBenchClient(config.client, config.limit);
  const baseRssMB = process.memoryUsage.rss() / 2 ** 20;
  if (config.together) await goSignal();
  const result = await run(client, config, baseRssMB);
  await client.close();
  reply({ type: 'result', result });
} catch (error) {
  reply({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}

async function goSignal(): Promise<void> {
  if (!process.send) return;
  const go = new Promise<void>((resolve) => {
    const onMessage = (command: ClientCommand) => {
      if (command.type !== 'go') return;
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
  });
  process.send({ type: 'ready' } satisfies ClientMessage);
  await go;
}

interface Tally {
  ok: number;
  failed: number;
  finalStatuses: Record<string, number>;
  errors: Record<string, number>;
  latencies: number[];
  /** Epoch ms of each success, when the config asks for a timeline. */
  successAt: number[] | undefined;
}

async function run(client: BenchClient, config: ClientConfig, baseRssMB: number): Promise<ClientResult> {
  const { workload, url } = config;
  const tally: Tally = { ok: 0, failed: 0, finalStatuses: {}, errors: {}, latencies: [], successAt: config.timeline ? [] : undefined };
  let wallMs: number;
  let startedAt: number;
  let cpu: NodeJS.CpuUsage;
  if (workload.kind === 'timed') {
    await loop(client, url, workload.workers, performance.now() + workload.warmupMs, undefined);
    cpu = process.cpuUsage();
    const started = performance.now();
    startedAt = epochNow();
    await loop(client, url, workload.workers, started + workload.durationMs, tally);
    wallMs = performance.now() - started;
  } else {
    cpu = process.cpuUsage();
    const started = performance.now();
    startedAt = epochNow();
    await fixed(client, url, workload, tally);
    wallMs = performance.now() - started;
  }
  cpu = process.cpuUsage(cpu);
  const sorted = sortedCopy(tally.latencies);
  const requests = tally.ok + tally.failed;
  return {
    client: config.client,
    wallMs,
    requests,
    ok: tally.ok,
    failed: tally.failed,
    finalStatuses: tally.finalStatuses,
    errors: tally.errors,
    latencyMs: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    },
    throughput: (requests / wallMs) * 1000,
    cpuUsPerRequest: (cpu.user + cpu.system) / requests,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    baseRssMB,
    ...(client.gate ? { gate: client.gate(url) } : {}),
    startedAt,
    ...(tally.successAt ? { successAt: tally.successAt } : {}),
  };
}

async function one(client: BenchClient, url: string, tally: Tally | undefined): Promise<void> {
  const started = performance.now();
  const outcome = await client.get(url).catch((error: unknown) => ({ ok: false as const, error: kindOf(error) }));
  if (!tally) return;
  tally.latencies.push(performance.now() - started);
  if (outcome.ok) {
    tally.ok++;
    tally.successAt?.push(epochNow());
    return;
  }
  tally.failed++;
  if ('status' in outcome) tally.finalStatuses[outcome.status] = (tally.finalStatuses[outcome.status] ?? 0) + 1;
  else tally.errors[outcome.error] = (tally.errors[outcome.error] ?? 0) + 1;
}

async function loop(client: BenchClient, url: string, workers: number, until: number, tally: Tally | undefined) {
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < until) await one(client, url, tally);
    }),
  );
}

async function fixed(client: BenchClient, url: string, workload: Exclude<Workload, { kind: 'timed' }>, tally: Tally) {
  if (workload.kind === 'burst') {
    await Promise.all(Array.from({ length: workload.n }, () => one(client, url, tally)));
    return;
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: workload.workers }, async () => {
      while (next < workload.n) {
        next++;
        await one(client, url, tally);
      }
    }),
  );
}
