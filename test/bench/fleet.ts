// `npm run bench:fleet`: four sluice processes against one origin, each scenario run without and
// then with the Redis store (a real redis-server on a free loopback port), side by side — issue
// 14's "Done when" figures. Bounded: every run is killed by pid past 3 × its ideal + 30 s.
//   npm run bench:fleet [-- --only=bucket,ietf,window,pause,slots,kill,overhead] [--client=ioredis|node-redis] [--n=500] [--processes=4]

import { loadavg } from 'node:os';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import type { FleetWorkerConfig, FleetWorkerResult } from './fleet-protocol.js';
import { buildFleetBundle, runFleet } from './fleet-run.js';
import { startPauseOnce, startSlots } from './fleet-servers.js';
import { fmtS } from './format.js';
import { startServer } from './processes.js';
import type { ServerConfig } from './protocol.js';
import { fixedWindowIdealMs, tokenBucketIdealMs } from './true-limit.js';

const args = new Map(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string]));
const only = args.get('only')?.split(',');
const library = (args.get('client') ?? 'ioredis') as 'ioredis' | 'node-redis';
const n = Number(args.get('n') ?? 500);
/** `--store-only`: skip the runs without the store (when working on the store itself). */
const sides = args.has('store-only') ? [true] : [false, true];
/** `--processes=1` runs the same workload from one process (the store without a fleet to share with). */
const PROCESSES = Number(args.get('processes') ?? 4);
const TARGETS = { refused: 0.02, ideal: 1.15, idealHeaders: 1.05, share: 0.15, cpu: 1.15, commandsPerRequest: 0.1 };

const bundle = await buildFleetBundle();
let redis: RedisServer;
try {
  redis = await startRedisServer();
} catch (error) {
  console.error(`bench:fleet needs a local redis-server: ${(error as Error).message}`);
  process.exit(1);
}
const verdicts: string[] = [];
const verdict = (ok: boolean, line: string) => {
  verdicts.push(`${ok ? 'PASS' : 'FAIL'}  ${line}`);
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${line}`);
};
let runNo = 0;
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

console.log(`bench:fleet — ${PROCESSES} processes, store client ${library}, redis-server pid ${redis.pid} on port ${redis.port}; load average ${load()}`);
try {
  if (want('bucket')) await burstScenario('bucket', 'token bucket 100/s burst 10, Retry-After only', { kind: 'tokenBucket', options: { rate: 100, burst: 10, dialect: 'retry-after-only' } }, tokenBucketIdealMs(PROCESSES * n, 100, 10), TARGETS.ideal);
  if (want('ietf')) await burstScenario('ietf', 'token bucket 100/s burst 10, IETF RateLimit headers', { kind: 'tokenBucket', options: { rate: 100, burst: 10, dialect: 'ietf' } }, tokenBucketIdealMs(PROCESSES * n, 100, 10), TARGETS.idealHeaders);
  if (want('window')) await burstScenario('window', 'express-rate-limit 100 per 1 s fixed window, draft-8 headers', { kind: 'expressRateLimit', options: { limit: 100, windowMs: 1000, headers: 'draft-8' } }, fixedWindowIdealMs(PROCESSES * n, 100, 1000), TARGETS.ideal);
  if (want('pause')) await pauseScenario();
  if (want('slots')) await slotsScenario();
  if (want('kill')) await killScenario();
  if (want('overhead')) await overheadScenario();
} finally {
  await redis.stop();
}
console.log(`\n## Summary (load average ${load()})\n${verdicts.join('\n')}`);

function mergeCounts(counts: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const count of counts) for (const [key, value] of Object.entries(count)) out[key] = (out[key] ?? 0) + value;
  return out;
}

function want(name: string): boolean {
  return only === undefined || only.includes(name);
}

function workers(url: string, store: boolean, extra: Partial<FleetWorkerConfig> = {}): FleetWorkerConfig[] {
  const prefix = `bench${++runNo}:`;
  return Array.from({ length: PROCESSES }, () => ({ url, n, store: store ? library : 'none', redisPort: redis.port, prefix, bundle, ...extra }));
}

function finished(outcomes: (FleetWorkerResult | Error)[]): FleetWorkerResult[] | undefined {
  const errors = outcomes.filter((o): o is Error => o instanceof Error);
  for (const error of errors) console.log(`a process did not finish: ${error.message.split('\n')[0]}`);
  return errors.length === 0 ? (outcomes as FleetWorkerResult[]) : undefined;
}

/** Wall from the common start to the last process done; shares until the first one finished. */
function summarise(results: FleetWorkerResult[]) {
  const start = Math.min(...results.map((r) => r.startedAt));
  const ends = results.map((r) => r.startedAt + r.wallMs);
  const firstDone = Math.min(...ends);
  const during = results.map((r) => r.successAt.filter((t) => t <= firstDone).length);
  const fair = during.reduce((a, b) => a + b, 0) / results.length;
  return {
    start,
    wall: Math.max(...ends) - start,
    shares: during.map((d) => (fair === 0 ? 0 : d / fair)),
    failed: results.reduce((a, r) => a + r.failed, 0),
    throttled: results.reduce((a, r) => a + r.throttledAt.length, 0),
    attempts: results.reduce((a, r) => a + r.attempts, 0),
  };
}

async function burstScenario(name: string, title: string, server: ServerConfig, ideal: number, idealTarget: number): Promise<void> {
  const total = PROCESSES * n;
  console.log(`\n## ${name}: ${PROCESSES} processes × ${n} at once, ${title}; ideal ${fmtS(ideal)} s; load average ${load()}`);
  console.log('| store | wall s | × ideal | refused by the server (% of requests) | failed | shares (successes until the first process finished ÷ fair) | Redis commands per request |');
  console.log('|---|---:|---:|---:|---:|---|---:|');
  for (const store of sides) {
    const running = await startServer(server);
    const outcomes = await runFleet(workers(`${running.origin}/item`, store), 3 * ideal + 30_000);
    const { counters } = await running.stop();
    const results = finished(outcomes);
    if (results === undefined) {
      console.log(`| ${store ? library : 'none'} | did not finish | | ${counters.rejected} | | | |`);
      if (store) verdict(false, `${name}: a process did not finish`);
      continue;
    }
    const s = summarise(results);
    const refused = counters.rejected ?? 0;
    const commands = results.reduce((a, r) => a + r.commands, 0);
    const errors = mergeCounts(results.map((r) => r.errors));
    if (Object.keys(errors).length > 0) console.log(`(${store ? library : 'none'}: failures by error ${JSON.stringify(errors)})`);
    console.log(
      `| ${store ? library : 'none'} | ${fmtS(s.wall)} | ${(s.wall / ideal).toFixed(2)} | ${refused} (${((refused / total) * 100).toFixed(1)} %) | ${s.failed} | ${s.shares.map((x) => x.toFixed(2)).join(' / ')} | ${(commands / total).toFixed(3)} |`,
    );
    if (!store) continue;
    verdict(refused <= TARGETS.refused * total, `${name}: combined refusals ${refused} of ${total} (target ≤ ${TARGETS.refused * 100} %)`);
    verdict(s.wall <= idealTarget * ideal, `${name}: combined wall ${fmtS(s.wall)} s = ${(s.wall / ideal).toFixed(2)} × ideal (target ≤ ${idealTarget} ×)`);
    verdict(s.shares.every((x) => Math.abs(x - 1) <= TARGETS.share), `${name}: shares ${s.shares.map((x) => x.toFixed(2)).join(', ')} (target 1 ± ${TARGETS.share})`);
    verdict(s.failed === 0, `${name}: ${s.failed} failed`);
  }
}

async function pauseScenario(): Promise<void> {
  const retryAfterS = 2;
  console.log(`\n## pause: ${PROCESSES} processes × 4 workers; request 400 answered 429 + Retry-After: ${retryAfterS}; load average ${load()}`);
  console.log(`| store | each request takes | requests the server received during the ${retryAfterS} s after its 429 | of those, arrived after their process had paused | received in all | failed | ms from the 429 until each process paused (the refused one first) | each request of the ${retryAfterS} s: its process, and ms from its arrival to its process's pause |`);
  console.log('|---|---:|---:|---:|---:|---:|---|---|');
  // 50 ms is an API call; 5 ms (≈ 3,000 requests a second from the fleet) shows what the ~1 ms
  // the pause takes to reach the other processes lets through at that rate.
  for (const latencyMs of [50, 5]) {
    for (const store of sides) {
      const server = await startPauseOnce(400, retryAfterS, latencyMs);
      const outcomes = await runFleet(workers(`${server.origin}/item`, store, { n: latencyMs === 50 ? 200 : 600, workers: 4 }), 60_000);
      await server.close();
      const results = finished(outcomes) ?? [];
      const refusedAt = server.refusedAt!;
      // The refused process first: the one that retried the 429.
      const ordered = [...results].sort((a, b) => b.throttledAt.length - a.throttledAt.length);
      const pausedAt = new Map(ordered.map((r) => [r.pid, r.pausedAt.find((t) => t >= refusedAt)]));
      const name = new Map(ordered.map((r, i) => [r.pid, `p${i + 1}`]));
      const delays = ordered.map((r) => pausedAt.get(r.pid)).map((t) => (t === undefined ? '—' : (t - refusedAt).toFixed(1))).join(' / ');
      const arrivals = server.arrivalsDuringPause.map(({ at, sender }) => ({ at, sender, lead: (pausedAt.get(sender) ?? Infinity) - at }));
      // Arrived after its own process had paused: sent knowing of the pause, or held on the way
      // (the server notes arrivals in its handler, late by its own event loop's lag).
      const late = arrivals.filter((a) => a.lead < 0).length;
      const each = arrivals.length > 20 ? `(${arrivals.length})` : arrivals.map((a) => `${name.get(a.sender) ?? '?'} ${a.lead >= 0 ? '−' : '+'}${Math.abs(a.lead).toFixed(1)}`).join(', ');
      const failed = outcomes.length === results.length ? results.reduce((a, r) => a + r.failed, 0) : 'n/a';
      console.log(`| ${store ? library : 'none'} | ${latencyMs} ms | ${server.duringPause} | ${late} | ${server.received} | ${failed} | ${delays} | ${each} |`);
      if (!store || latencyMs !== 50) continue;
      verdict(server.duringPause <= 1 && results.length === PROCESSES, `pause: the server received ${server.duringPause} requests during the ${retryAfterS} s pause (target ≤ 1)`);
      verdict(late === 0, `pause: ${late} of them arrived after their process had paused`);
    }
  }
}

async function slotsScenario(): Promise<void> {
  const slots = 16;
  const latencyMs = 50;
  const ideal = Math.ceil((PROCESSES * n) / slots) * latencyMs;
  console.log(`\n## slots: ${PROCESSES} processes × ${n} at once, ${slots} slots × ${latencyMs} ms, 503 + Retry-After: 1 beyond; ideal ${fmtS(ideal)} s; load average ${load()}`);
  console.log('| store | wall s | × ideal | refused | failed | most requests open at once, per second | p99 / max open after the first 2 s |');
  console.log('|---|---:|---:|---:|---:|---|---:|');
  for (const store of sides) {
    const server = await startSlots(slots, latencyMs, 1);
    const outcomes = await runFleet(workers(`${server.origin}/item`, store), 3 * ideal + 30_000);
    await server.close();
    const results = finished(outcomes);
    if (results === undefined) continue;
    const s = summarise(results);
    const after = server.openAtArrivals(s.start + 2000).sort((a, b) => a - b);
    const p99 = after[Math.floor(after.length * 0.99)] ?? 0;
    const max = after.at(-1) ?? 0;
    console.log(`| ${store ? library : 'none'} | ${fmtS(s.wall)} | ${(s.wall / ideal).toFixed(2)} | ${server.refused} | ${s.failed} | ${server.peakPerSecond(s.start).join(' ')} | ${p99} / ${max} |`);
    if (store) verdict(max <= slots + 1 && s.failed === 0, `slots: at most ${max} open at once after the first 2 s, p99 ${p99} (target ≤ ${slots} ± 1)`);
  }
}

async function killScenario(): Promise<void> {
  const ideal = tokenBucketIdealMs(PROCESSES * n, 100, 10);
  console.log(`\n## kill: ${PROCESSES} processes × ${n} at once, token bucket 100/s burst 10 with IETF headers, with the store; redis-server killed by pid 4 s after the start and restarted 3 s later; load average ${load()}`);
  const running = await startServer({ kind: 'tokenBucket', options: { rate: 100, burst: 10, dialect: 'ietf' } });
  const timers: NodeJS.Timeout[] = [];
  let killedAt = 0;
  let restartedAt = 0;
  const outcomes = await runFleet(workers(`${running.origin}/item`, true), 3 * ideal + 30_000, () => {
    timers.push(
      setTimeout(() => {
        killedAt = Date.now();
        void redis.kill().then(() =>
          timers.push(
            setTimeout(() => {
              restartedAt = Date.now();
              void redis.restart();
            }, 3000),
          ),
        );
      }, 4000),
    );
  });
  for (const timer of timers) clearTimeout(timer);
  const { counters } = await running.stop();
  const results = finished(outcomes);
  if (results === undefined) {
    verdict(false, 'kill: a process did not finish');
    return;
  }
  const s = summarise(results);
  const seconds = Math.ceil(s.wall / 1000);
  const per = (times: number[], second: number) => times.filter((t) => t >= s.start + second * 1000 && t < s.start + (second + 1) * 1000).length;
  console.log(`killed at ${fmtS(killedAt - s.start)} s, restarted at ${fmtS(restartedAt - s.start)} s (from the common start)`);
  for (const [i, r] of results.entries()) {
    console.log(`process ${i + 1}: store events ${r.storeEvents.map((e) => `${e.type} at ${fmtS(e.at - s.start)} s`).join(', ') || 'none'}; failed ${r.failed}; errors ${JSON.stringify(r.errors)}; statuses ${JSON.stringify(r.statuses)}`);
  }
  console.log(`\n| second | ${results.map((_, i) => `p${i + 1} successes`).join(' | ')} | 429s retried (all) |`);
  console.log(`|---:|${'---:|'.repeat(results.length)}---:|`);
  for (let second = 0; second < seconds; second++) {
    const cells = results.map((r) => per(r.successAt, second));
    console.log(`| ${second}–${second + 1} | ${cells.join(' | ')} | ${results.reduce((a, r) => a + per(r.throttledAt, second), 0)} |`);
  }
  console.log(`wall ${fmtS(s.wall)} s = ${(s.wall / ideal).toFixed(2)} × ideal; server refused ${counters.rejected}; failed ${s.failed}`);
  const rejoined = results.every((r) => r.storeEvents.some((e) => e.type === 'rejoin'));
  const lateThrottles = results.reduce((a, r) => a + r.throttledAt.filter((t) => t > restartedAt + 2000).length, 0);
  verdict(s.failed === 0, `kill: every request completed (${s.failed} failed)`);
  verdict(rejoined, `kill: every process fell back and rejoined (${results.map((r) => r.storeEvents.map((e) => e.type).join('→')).join('; ')})`);
  verdict(lateThrottles <= 0.02 * PROCESSES * n, `kill: ${lateThrottles} retried 429s from 2 s after the restart on (sharing again)`);
}

async function overheadScenario(): Promise<void> {
  const perProcess = 20_000;
  console.log(`\n## overhead: ${PROCESSES} processes × ${perProcess} requests, 16 at a time each, healthy origin (bare node:http); load average ${load()}`);
  console.log('| store | wall s | CPU ms per 1,000 requests (mean of processes) | Redis commands per request |');
  console.log('|---|---:|---:|---:|');
  const cpu: number[] = [];
  // Alternated twice, so neither side always runs on the warmer machine.
  for (const store of [false, true, false, true]) {
    const running = await startServer({ kind: 'plain' });
    const outcomes = await runFleet(workers(`${running.origin}/item`, store, { n: perProcess, workers: 16 }), 120_000);
    await running.stop();
    const results = finished(outcomes);
    if (results === undefined) continue;
    const s = summarise(results);
    const cpuPerK = results.reduce((a, r) => a + (r.cpuMs / (r.ok + r.failed)) * 1000, 0) / results.length;
    const commands = results.reduce((a, r) => a + r.commands, 0) / (PROCESSES * perProcess);
    cpu.push(cpuPerK);
    console.log(`| ${store ? library : 'none'} | ${fmtS(s.wall)} | ${cpuPerK.toFixed(1)} | ${commands.toFixed(4)} |`);
    if (store) verdict(commands <= TARGETS.commandsPerRequest, `overhead: ${commands.toFixed(4)} Redis commands per request (target ≤ ${TARGETS.commandsPerRequest})`);
  }
  if (cpu.length === 4) {
    const ratio = (cpu[1]! + cpu[3]!) / (cpu[0]! + cpu[2]!);
    verdict(ratio <= TARGETS.cpu, `overhead: CPU per request with the store ${ratio.toFixed(3)} × without (target ≤ ${TARGETS.cpu} ×)`);
  }
}
