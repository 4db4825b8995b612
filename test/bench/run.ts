// `npm run bench`: sluice against the peers a user would pick instead, over real loopback sockets,
// with every overloaded server in its own process. Prints markdown tables and writes JSON to
// .bench-results/. Flags: --quick (small N), --only=1,2,… (scenario groups; 6 is memory, 7 real
// rate limiters, 8 load shedding, then an acceptance summary), --clients=sluice,got,… (a subset),
// --baseline=REF (group 1 also runs sluice as built from git REF, side by side: a change's cost),
// --rounds=N (group 1's interleaved rounds; more of them steady the medians on a busy machine).
// Timing on a shared machine is noisy: read ratios measured side by side, not absolute numbers.

import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { acceptanceChecks, renderAcceptance } from './acceptance.js';
import { clientConfigurations } from './clients.js';
import { buildBaseline, useBuiltSluice } from './build-sluice.js';
import { renderComparison } from './comparison-table.js';
import { fmt, fmtS } from './format.js';
import { cpuPinning, runClient, runMemoryQueue, startServer } from './processes.js';
import { clientNames, type ClientName, type ClientResult } from './protocol.js';
import { findNginx } from './real-servers/nginx.js';
import { describeFailures, describeGate, type Row } from './rows.js';
import { fullPlan, quickPlan, type Plan, type Scenario } from './scenarios.js';
import { median } from './stats.js';

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [key, value] = arg.replace(/^--/, '').split('=');
    return [key!, value ?? 'true'] as const;
  }),
);
const quick = args.has('quick');
const only = args.get('only')?.split(',').map(Number);
const onlyClients = args.get('clients')?.split(',') as ClientName[] | undefined;
for (const name of onlyClients ?? []) {
  if (!clientNames.includes(name)) throw new Error(`Unknown client ${name}; expected one of ${clientNames.join(', ')}`);
}
const wants = (group: number) => !only || only.includes(group);
const keep = (names: readonly ClientName[]) => names.filter((name) => !onlyClients || onlyClients.includes(name));

const plan: Plan = quick ? quickPlan() : fullPlan();
if (args.has('rounds')) plan.overhead.rounds = Number(args.get('rounds'));
const sluiceSource = await useBuiltSluice();
const baseline = args.has('baseline') ? await buildBaseline(args.get('baseline')!) : undefined;
const startedAt = new Date();
const loadAtStart = loadavg();
const t0 = performance.now();
const log = (line: string) => console.error(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);

interface OverheadRound {
  round: number;
  results: ClientResult[];
}

const overhead = wants(1) ? await runOverhead(plan.overhead) : undefined;
const rows: Row[] = [];
const baselines = new Map<string, number>();
/** Scenarios not run, by name, with the reason printed in their table. */
const skipped = new Map<string, string>();
const hasNginx = findNginx() !== undefined;
for (const scenario of plan.scenarios) {
  if (!wants(scenario.group)) continue;
  if (scenario.requires === 'nginx' && !hasNginx) {
    skipped.set(scenario.name, 'nginx not installed (apt-get install -y --no-install-recommends nginx)');
    log(`scenario ${scenario.group} ${scenario.name}: skipped: nginx not installed`);
    continue;
  }
  for (const client of keep(scenario.clients)) rows.push(await runScenario(scenario, client));
}

let memory: { result: unknown; table: string } | { error: string } | undefined;
if (wants(6)) {
  log(`memory-queue: ${plan.memory.waiters} waiters`);
  memory = await runMemoryQueue(plan.memory.waiters, plan.memory.pauseSeconds, plan.memory.limitMs).catch((error: unknown) => ({
    error: error instanceof Error ? error.message : String(error),
  }));
}

const report = render();
console.log(report);
await mkdir('.bench-results', { recursive: true });
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
const json = JSON.stringify(
  { startedAt, quick, machine: machine(), configurations: clientConfigurations, plan, overhead, rows, memory, totalMs: performance.now() - t0 },
  null,
  2,
);
await writeFile(`.bench-results/bench-${stamp}.json`, json);
await writeFile(`.bench-results/bench-${stamp}.md`, report);
await writeFile('.bench-results/latest.json', json);
log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s; results in .bench-results/bench-${stamp}.{json,md}`);

async function runOverhead(o: Plan['overhead']): Promise<{ rounds: OverheadRound[]; peers: ClientResult[] }> {
  const server = await startServer({ kind: 'plain' });
  const url = `${server.origin}/ok`;
  const workload = { kind: 'timed' as const, workers: o.workers, warmupMs: o.warmupMs, durationMs: o.durationMs };
  const rounds: OverheadRound[] = [];
  // Interleaved, alternating the order each round, so a slow stretch of the machine hits both.
  // sluice+prometheus is the cost of metrics; sluice@baseline (with --baseline=REF), the code before a change.
  const base = keep(['undici.fetch', 'sluice', 'sluice+prometheus', ...(baseline ? (['sluice@baseline'] as const) : []), 'undici.request', 'sluice/undici']);
  try {
    for (let round = 1; round <= o.rounds; round++) {
      const order = round % 2 === 1 ? base : [...base].reverse();
      const results: ClientResult[] = [];
      for (const client of order) {
        try {
          results.push(await runClient({ client, url, workload }, 60_000));
          log(`scenario 1 round ${round}: ${client} ${Math.round(results.at(-1)!.throughput)} req/s`);
        } catch (error) {
          log(`scenario 1 round ${round}: ${client} failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      rounds.push({ round, results });
    }
    const peerResults: ClientResult[] = [];
    for (const client of keep(o.peers)) {
      try {
        peerResults.push(await runClient({ client, url, workload }, 60_000));
        log(`scenario 1: ${client} ${Math.round(peerResults.at(-1)!.throughput)} req/s`);
      } catch (error) {
        log(`scenario 1: ${client} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return { rounds, peers: peerResults };
  } finally {
    await server.stop();
  }
}

async function runScenario(scenario: Scenario, client: ClientName): Promise<Row> {
  const server = await startServer(scenario.server);
  const n = scenario.workload.n;
  const row: Row = {
    group: scenario.group,
    scenario: scenario.name,
    client,
    n,
    wallMs: undefined,
    idealMs: typeof scenario.ideal === 'number' ? scenario.ideal : undefined,
    serverReceived: undefined,
    serverRejected: undefined,
    failed: undefined,
    p50: undefined,
    p99: undefined,
    peakRssMB: undefined,
    failures: '',
    gate: '',
  };
  try {
    if (scenario.ideal === 'healthy-baseline') row.idealMs = await healthyBaseline(scenario);
    const config = { client, url: `${server.origin}/item`, workload: scenario.workload, ...(scenario.limit ? { limit: scenario.limit } : {}) };
    const result = await runClient(config, scenario.limitMs);
    Object.assign(row, {
      wallMs: result.wallMs,
      failed: result.failed,
      p50: result.latencyMs.p50,
      p99: result.latencyMs.p99,
      peakRssMB: result.peakRssMB,
      failures: describeFailures(result),
      gate: describeGate(result),
      result,
    });
  } catch (error) {
    row.failures = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  } finally {
    const { counters } = await server.stop();
    row.serverReceived = counters.received;
    row.serverRejected = counters.rejected ?? counters.failed ?? 0;
  }
  const ratio = row.wallMs !== undefined && row.idealMs ? (row.wallMs / row.idealMs).toFixed(2) : '—';
  log(`scenario ${scenario.group} ${client} N=${n}: ${fmtS(row.wallMs)} s (${ratio} × ideal), server ${row.serverReceived} received, ${row.serverRejected} rejected, ${row.failed ?? '?'} failed`);
  return row;
}

/** The flaky scenario's ideal: the same workload on the same mock with no resets, by undici.request. */
async function healthyBaseline(scenario: Scenario): Promise<number> {
  const known = baselines.get(scenario.name);
  if (known !== undefined) return known;
  if (scenario.server.kind !== 'flaky') throw new Error('healthy baseline is defined for the flaky server only');
  const server = await startServer({ kind: 'flaky', options: { ...scenario.server.options, failureRate: 0 } });
  try {
    const url = `${server.origin}/item`;
    // Once to warm the machine's caches, then measured.
    await runClient({ client: 'undici.request', url, workload: scenario.workload }, scenario.limitMs);
    const result = await runClient({ client: 'undici.request', url, workload: scenario.workload }, scenario.limitMs);
    baselines.set(scenario.name, result.wallMs);
    return result.wallMs;
  } finally {
    await server.stop();
  }
}

function render(): string {
  const out: string[] = [];
  const m = machine();
  out.push(`# sluice benchmark${quick ? ' (quick)' : ''} — ${startedAt.toISOString()}`);
  out.push('');
  out.push(
    `Node ${process.version}, ${m.cpus}× ${m.cpuModel}, load average (1, 5, 15 min) at start ${m.loadAtStart.map((l) => l.toFixed(2)).join(' ')}, at end ${m.loadAvg.map((l) => l.toFixed(2)).join(' ')}; ` +
      `server and client in separate processes${cpuPinning ? ' pinned to CPU 0 and 1' : ''}, loopback; sluice from ${sluiceSource}${baseline ? `; sluice@baseline from ${baseline}` : ''}. A shared, noisy machine: compare ratios measured side by side.`,
  );
  if (overhead) {
    out.push('', '## 1. Healthy server, 64 concurrent, small responses (overhead)', '');
    const names = [...new Set(overhead.rounds.flatMap((r) => r.results.map((x) => x.client)))];
    const byClient = (name: ClientName) => overhead.rounds.map((r) => r.results.find((x) => x.client === name)!).filter(Boolean);
    const ratio = (name: ClientName, base: ClientName, pick: (r: ClientResult) => number) =>
      median(overhead.rounds.map((r) => {
        const a = r.results.find((x) => x.client === name);
        const b = r.results.find((x) => x.client === base);
        return a && b ? pick(a) / pick(b) : Number.NaN;
      }).filter((x) => !Number.isNaN(x)));
    out.push(
      `${overhead.rounds.length} interleaved rounds (order alternating), each ${plan.overhead.warmupMs} ms warm-up + ${plan.overhead.durationMs} ms measured in a fresh process; medians. ` +
        'Ratios are medians of the per-round ratios (same round, adjacent runs). sluice (a fetch) is compared with undici.fetch, its transport; sluice/undici (the interceptor) with undici.request.',
      '',
      '| client | req/s | p50 ms | p99 ms | CPU µs/req | CPU/req ÷ sluice | throughput ÷ undici.fetch | p99 ÷ undici.fetch | throughput ÷ undici.request | p99 ÷ undici.request | peak RSS MB |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const name of names) {
      const rs = byClient(name);
      out.push(
        `| ${name} | ${fmt(median(rs.map((r) => r.throughput)), 0)} | ${fmt(median(rs.map((r) => r.latencyMs.p50)), 2)} | ${fmt(median(rs.map((r) => r.latencyMs.p99)), 2)} | ${fmt(median(rs.map((r) => r.cpuUsPerRequest)), 0)} | ${fmt(ratio(name, 'sluice', (r) => r.cpuUsPerRequest), 3)} | ${fmt(ratio(name, 'undici.fetch', (r) => r.throughput), 3)} | ${fmt(ratio(name, 'undici.fetch', (r) => r.latencyMs.p99), 2)} | ${fmt(ratio(name, 'undici.request', (r) => r.throughput), 3)} | ${fmt(ratio(name, 'undici.request', (r) => r.latencyMs.p99), 2)} | ${fmt(median(rs.map((r) => r.peakRssMB)), 0)} |`,
      );
    }
    for (const r of overhead.peers) {
      out.push(`| ${r.client} (1 run) | ${fmt(r.throughput, 0)} | ${fmt(r.latencyMs.p50, 2)} | ${fmt(r.latencyMs.p99, 2)} | ${fmt(r.cpuUsPerRequest, 0)} | | | | | | ${fmt(r.peakRssMB, 0)} |`);
    }
    out.push('', 'Per round (req/s): ' + overhead.rounds.map((r) => `#${r.round} ` + r.results.map((x) => `${x.client} ${Math.round(x.throughput)}`).join(', ')).join(' · '));
  }
  const groups = [...new Set(rows.map((r) => r.group))];
  const titles: Record<number, string> = {
    2: '2. Token-bucket rate limit, all requests at once',
    3: '3. Concurrency-limited server',
    4: '4. Flaky server (connection resets)',
    5: '5. Brownout and recovery',
    7: '7. Real rate limiters (express-rate-limit, @fastify/rate-limit, nginx)',
    8: '8. Load-shedding servers',
  };
  const comparedGroups = [7, 8].filter(wants);
  for (const group of groups.filter((g) => !comparedGroups.includes(g))) {
    out.push('', `## ${titles[group]}`, '');
    out.push(
      '| scenario | client | wall s | ideal s | × ideal | server received | 429/503/resets | failed | p50 ms | p99 ms | peak RSS MB | how failures ended |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    );
    for (const row of rows.filter((r) => r.group === group)) {
      const ratio = row.wallMs !== undefined && row.idealMs ? (row.wallMs / row.idealMs).toFixed(2) : '—';
      out.push(
        `| ${row.scenario} | ${row.client} | ${fmtS(row.wallMs)} | ${fmtS(row.idealMs)} | ${ratio} | ${row.serverReceived ?? '—'} | ${row.serverRejected ?? '—'} | ${row.failed ?? '—'} | ${fmt(row.p50, 0)} | ${fmt(row.p99, 0)} | ${fmt(row.peakRssMB, 0)} | ${[row.failures, row.gate && `gate: ${row.gate}`].filter(Boolean).join('; ') || '—'} |`,
      );
    }
    const inGroup = plan.scenarios.filter((s) => s.group === group);
    out.push('', `Ideal: ${[...new Set(inGroup.map((s) => s.idealNote))].join('; ')}.`);
    for (const note of new Set(inGroup.flatMap((s) => (s.note ? [s.note] : [])))) out.push('', note);
  }
  if (memory) {
    out.push('', '## 6. Memory: waiters queued behind a paused key, then drained', '');
    out.push(
      'memory-queue.ts: one 429 (Retry-After) pauses the key, N `client.fetch` calls queue behind it, then drain when the pause ends. Heap = heapUsed + external after full GCs; "idle" is after the drain’s keep-alive sockets closed. Bytes per waiter include the caller’s own `.then` callbacks (≈ 150 B). Pacing off (`rate: false`): the queue is measured, not the pacer.',
      '',
    );
    out.push('table' in memory ? memory.table : `failed: ${memory.error}`);
  }
  const compared = plan.scenarios.filter((s) => comparedGroups.includes(s.group));
  for (const group of comparedGroups) {
    const inGroup = compared.filter((s) => s.group === group);
    const skippedHere = new Map([...skipped].filter(([name]) => inGroup.some((s) => s.name === name)));
    out.push(...renderComparison(titles[group]!, inGroup, rows, skippedHere));
  }
  if (compared.length) {
    const skippedHere = new Map([...skipped].filter(([name]) => compared.some((s) => s.name === name)));
    out.push(...renderAcceptance(acceptanceChecks(compared.filter((s) => !skipped.has(s.name)), rows), skippedHere));
  }
  out.push('', '## Client configurations', '');
  for (const name of clientNames) out.push(`- **${name}**: ${clientConfigurations[name]}`);
  out.push(
    '',
    'Latency is per logical request, from the call to its body read, queueing and retries included. "failed" counts logical requests that did not end in a 2xx (a final 429/503 response, or an error). Peak RSS is the client process\'s maxRSS (Node + tsx + the client\'s modules ≈ 80–100 MB before any request).',
  );
  return out.join('\n');
}

function machine() {
  return { node: process.version, cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? '?', loadAtStart, loadAvg: loadavg(), pinned: cpuPinning, sluice: sluiceSource };
}
