// `npm run bench:observe -- [--baseline=REF] [--rounds=N] [--requests=N]`: sluice's own CPU per
// request, without sockets, for the cost of observability: no listener, Prometheus registered,
// and (with --baseline) the code before a change — interleaved rounds in one process.
//
// The loopback benchmark (`npm run bench -- --only=1`) measures the whole request, of which sluice
// is a small part, on a machine others share: its per-round ratios spread by ±30 %. Here every
// request is answered at once by a dispatcher that sends nothing, so what differs is sluice.

import { execFile } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Dispatcher } from 'undici';
import { buildBaseline, loadSluice, loadSluiceBaseline, loadSluicePrometheus, useBuiltSluice } from './build-sluice.js';
import { median } from './stats.js';

const args = new Map(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string]));
const rounds = Number(args.get('rounds') ?? 10);
const requests = Number(args.get('requests') ?? 20_000);
const workers = 64;
const origin = 'http://sluice.bench';
const variantNames = ['sluice', 'sluice+prometheus', 'sluice@baseline'] as const;
type VariantName = (typeof variantNames)[number];

/** Answers every request with `200 ok` on the next turn of the loop, as a server would, with no socket. */
class InstantDispatcher extends Dispatcher {
  static readonly #body = Buffer.from('ok');

  override dispatch(_options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const controller = { aborted: false, paused: false, reason: null, abort() {}, pause() {}, resume() {} };
    setImmediate(() => {
      handler.onRequestStart?.(controller as never, {});
      handler.onResponseStart?.(controller as never, 200, { 'content-length': '2' }, 'OK');
      handler.onResponseData?.(controller as never, InstantDispatcher.#body);
      handler.onResponseEnd?.(controller as never, {});
    });
    return true;
  }

  override close(): Promise<void> {
    return Promise.resolve();
  }

  override destroy(): Promise<void> {
    return Promise.resolve();
  }
}

const child = args.get('child') as VariantName | undefined;
if (child !== undefined) {
  // One measurement in a fresh process, so variants share no JIT state or heap: print µs/req.
  console.log(String(await measureIn(child)));
  process.exit(0);
}

const source = await useBuiltSluice();
const baseline = args.has('baseline') ? await buildBaseline(args.get('baseline')!) : undefined;
const variants = variantNames.filter((name) => name !== 'sluice@baseline' || baseline !== undefined);
const loadAtStart = loadavg();
const perRound: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]));
const self = fileURLToPath(import.meta.url);
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? variants : [...variants].reverse();
  for (const name of order) {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', self, `--child=${name}`, `--requests=${requests}`], { env: process.env });
    perRound[name]!.push(Number(stdout.trim().split('\n').at(-1)));
  }
  console.error(`round ${round + 1}: ${order.map((name) => `${name} ${perRound[name]!.at(-1)!.toFixed(2)} µs`).join(', ')}`);
}
const base = perRound.sluice!;
console.log(
  `\nCPU per request, µs (${rounds} interleaved rounds, each variant in a fresh process: ${requests / 2} requests of warm-up, then ${requests} measured, ${workers} at a time, answered in-process; ${cpus().length} CPUs; load ${loadAtStart.map((l) => l.toFixed(2)).join(' ')} → ${loadavg().map((l) => l.toFixed(2)).join(' ')}; sluice from ${source}${baseline ? `, baseline ${baseline}` : ''})\n`,
);
console.log('| variant | median µs/req | min–max | ÷ sluice (median of per-round ratios) | per-round ratios min–max |');
console.log('|---|---:|---:|---:|---:|');
for (const name of variants) {
  const values = perRound[name]!;
  const ratios = values.map((value, i) => value / base[i]!);
  console.log(
    `| ${name} | ${median(values).toFixed(2)} | ${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)} | ${median(ratios).toFixed(3)} | ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)} |`,
  );
}

/** CPU µs per request of `variant`, measured after a warm-up. */
async function measureIn(variant: VariantName): Promise<number> {
  const module = variant === 'sluice@baseline' ? await loadSluiceBaseline() : await loadSluice();
  const agent = new InstantDispatcher();
  // Pacing and the window start careful on a new origin; this measures the healthy path, grown.
  const client = module.createClient({ dispatcher: agent, rate: false, limits: { concurrency: 1000 } });
  let scrape: (() => Promise<unknown>) | undefined;
  if (variant === 'sluice+prometheus') {
    const [{ Registry }, { registerMetrics }] = await Promise.all([import('prom-client'), loadSluicePrometheus()]);
    const registry = new Registry();
    registerMetrics(client, { registry });
    scrape = () => registry.metrics();
  }
  const run = async (n: number): Promise<number> => {
    let next = 0;
    const started = process.cpuUsage();
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (next < n) {
          next++;
          const response = await client.fetch(`${origin}/item`);
          await response.arrayBuffer();
        }
      }),
    );
    // One scrape per run, as Prometheus would every 15 s: its cost is counted.
    await scrape?.();
    const used = process.cpuUsage(started);
    return (used.user + used.system) / n;
  };
  await run(requests / 2);
  return run(requests);
}

