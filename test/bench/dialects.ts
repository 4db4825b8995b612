// `npm run bench:dialects -- [N=300] [R=50] [B=5] [dialect,…]`: N requests fired at once through
// sluice at a token-bucket server (rate R, burst B) in each header dialect the mock speaks, one
// after another — the check that pacing holds for rates, bursts and dialects other than the
// acceptance case. `npm run bench:dialects -- --sweep [N=1000]`: Retry-After only over rates
// 20–500/s × bursts 1–50, PASS/FAIL against issue 11's ≤ 1.35 × ideal. Server and client each in
// their own process; each run is bounded at 3 × its ideal + 30 s.

import { loadavg } from 'node:os';
import { RATE_LIMIT_HEADER_DIALECTS, type RateLimitHeaderDialect } from '../../mocks/index.js';
import { useBuiltSluice } from './build-sluice.js';
import { fmtRate } from './format.js';
import { runClient, startServer } from './processes.js';
import { tokenBucketIdealMs } from './true-limit.js';

const SWEEP = { rates: [20, 50, 100, 200, 500], bursts: [1, 10, 50], target: 1.35 };

const sweep = process.argv.includes('--sweep');
const args = process.argv.slice(2).filter((a) => a !== '--sweep');
await useBuiltSluice();
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

/** One run: wall ÷ ideal (infinite when requests failed or the run did not finish), a grid cell and a line. */
async function measure(n: number, rate: number, burst: number, dialect: RateLimitHeaderDialect): Promise<{ ratio: number; cell: string; line: string }> {
  const ideal = tokenBucketIdealMs(n, rate, burst);
  const server = await startServer({ kind: 'tokenBucket', options: { rate, burst, dialect } });
  try {
    const result = await runClient({ client: 'sluice', url: `${server.origin}/item`, workload: { kind: 'burst', n } }, 3 * ideal + 30_000);
    const rejected = (await server.counters()).counters.rejected ?? 0;
    const ratio = result.failed === 0 ? result.wallMs / ideal : Number.POSITIVE_INFINITY;
    const gate = result.gate as { rate?: unknown; rateState?: unknown } | undefined;
    return {
      ratio,
      cell: result.failed === 0 ? ratio.toFixed(2) : `${result.failed} failed`,
      line: `${(result.wallMs / 1000).toFixed(1)} s = ${(result.wallMs / ideal).toFixed(2)} × ideal ${(ideal / 1000).toFixed(1)} s, 429s ${rejected} (${((100 * rejected) / n).toFixed(1)} %), failed ${result.failed}, pace ${fmtRate(gate?.rate)} (${String(gate?.rateState)})`,
    };
  } catch (error) {
    return { ratio: Number.POSITIVE_INFINITY, cell: 'unfinished', line: `did not finish: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  } finally {
    await server.stop();
  }
}

if (sweep) {
  const n = Math.max(1000, Number(args[0] ?? 1000));
  console.log(`Retry-After only, N=${n} at once; target ≤ ${SWEEP.target} × (N − B) / R and 0 failed`);
  let failures = 0;
  const grid: string[][] = [];
  for (const rate of SWEEP.rates) {
    const row = [`${rate}/s`];
    for (const burst of SWEEP.bursts) {
      const { ratio, cell, line } = await measure(n, rate, burst, 'retry-after-only');
      const ok = ratio <= SWEEP.target;
      if (!ok) failures++;
      console.log(`${ok ? 'PASS' : 'FAIL'}  R=${rate}/s B=${burst}: ${line}`);
      row.push(ok ? cell : `${cell} ✗`);
    }
    grid.push(row);
  }
  console.log(`\n| rate \\ burst | ${SWEEP.bursts.join(' | ')} |\n|---|${'---:|'.repeat(SWEEP.bursts.length)}`);
  for (const row of grid) console.log(`| ${row.join(' | ')} |`);
  console.log(`\n${failures === 0 ? 'PASS' : 'FAIL'}  ${SWEEP.rates.length * SWEEP.bursts.length - failures} of ${SWEEP.rates.length * SWEEP.bursts.length} cells ≤ ${SWEEP.target} × ideal`);
} else {
  const [n = 300, rate = 50, burst = 5] = args.slice(0, 3).map(Number);
  const only = args[3]?.split(',');
  for (const dialect of RATE_LIMIT_HEADER_DIALECTS.filter((d) => !only || only.includes(d))) {
    console.log(`${dialect.padEnd(18)} ${(await measure(n, rate, burst, dialect)).line}`);
  }
}
