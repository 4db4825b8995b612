// `npm run bench:fairness`: 2, then 4, separate sluice processes (nothing shared between them)
// each fire 1,000 requests at once at one token bucket (100/s, burst 10, Retry-After only). Do
// they converge to fair shares without coordination? Prints shares over time, the combined 429s
// and wall time, with PASS/FAIL against issue 11's targets. Bounded: 3 × ideal + 30 s a run.
//   npm run bench:fairness [-- n=1000] [processes=2,4]

import { loadavg } from 'node:os';
import { useBuiltSluice } from './build-sluice.js';
import { fmtRate, fmtS } from './format.js';
import { runClientsTogether, startServer } from './processes.js';
import type { ClientResult } from './protocol.js';
import { tokenBucketIdealMs } from './true-limit.js';

const n = Number(process.argv[2] ?? 1000);
const counts = (process.argv[3] ?? '2,4').split(',').map(Number);
const bucket = { rate: 100, burst: 10 };
const TARGETS = { share: 0.25, refused: 0.05, ideal: 1.35 };
/** Successes are counted per window of at least 5 s, and at most about ten windows a run. */
const windowMsFor = (wallMs: number) => Math.max(5000, Math.ceil(wallMs / 10 / 5000) * 5000);

await useBuiltSluice();
console.log(
  `Share of a process: its successes from the common start until the first process finished (the period in which all were still working), ` +
    `÷ the fair share (all processes' successes in that period ÷ their number). Target: every share within 1 ± ${TARGETS.share}. ` +
    `Combined: 429s ≤ ${TARGETS.refused * 100} % of all requests; wall from the common start to the last process done ≤ ${TARGETS.ideal} × (total N − B) / R.`,
);

let failures = 0;
for (const k of counts) {
  const total = k * n;
  const ideal = tokenBucketIdealMs(total, bucket.rate, bucket.burst);
  console.log(`\n## ${k} processes × ${n} at once, token bucket ${bucket.rate}/s burst ${bucket.burst}, Retry-After only; ideal ${fmtS(ideal)} s; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const server = await startServer({ kind: 'tokenBucket', options: { ...bucket, dialect: 'retry-after-only' } });
  const config = { client: 'sluice' as const, url: `${server.origin}/item`, workload: { kind: 'burst' as const, n }, timeline: true };
  const outcomes = await runClientsTogether(Array.from({ length: k }, () => config), 3 * ideal + 30_000);
  const { counters } = await server.stop();
  const results = outcomes.filter((o): o is ClientResult => !(o instanceof Error));
  for (const error of outcomes.filter((o) => o instanceof Error)) console.log(`a process did not finish: ${error.message.split('\n')[0]}`);
  if (results.length < k) {
    failures++;
    console.log(`FAIL  ${k - results.length} of ${k} processes did not finish; server received ${counters.received}, refused ${counters.rejected}`);
    continue;
  }
  const start = Math.min(...results.map((r) => r.startedAt));
  const ends = results.map((r) => r.startedAt + r.wallMs);
  const allWorking = Math.min(...ends);
  const wall = Math.max(...ends) - start;
  const during = results.map((r) => r.successAt!.filter((t) => t <= allWorking).length);
  const fair = during.reduce((a, b) => a + b, 0) / k;

  const windowMs = windowMsFor(wall);
  const windows = Math.ceil(wall / windowMs);
  console.log(`\n| process | done at s | failed | ${Array.from({ length: windows }, (_, w) => `${(w * windowMs) / 1000}–${((w + 1) * windowMs) / 1000} s`).join(' | ')} | successes while all worked | share | pace and window at the end |`);
  console.log(`|---|---:|---:|${'---:|'.repeat(windows)}---:|---:|---|`);
  const shares = results.map((r, i) => {
    const perWindow = Array.from({ length: windows }, (_, w) => r.successAt!.filter((t) => t - start >= w * windowMs && t - start < (w + 1) * windowMs).length);
    const share = during[i]! / fair;
    const gate = r.gate as { rate?: unknown; rateState?: unknown; limit?: unknown } | undefined;
    console.log(`| ${i + 1} | ${fmtS(ends[i]! - start)} | ${r.failed} | ${perWindow.join(' | ')} | ${during[i]} | ${share.toFixed(2)} | ${fmtRate(gate?.rate)} (${String(gate?.rateState)}), window ${String(gate?.limit)} |`);
    return share;
  });
  const refused = counters.rejected ?? 0;
  const failed = results.reduce((sum, r) => sum + r.failed, 0);
  const checks: [boolean, string][] = [
    [shares.every((s) => Math.abs(s - 1) <= TARGETS.share), `shares ${shares.map((s) => s.toFixed(2)).join(', ')} within 1 ± ${TARGETS.share} (until ${fmtS(allWorking - start)} s, when the first process finished)`],
    [refused <= TARGETS.refused * total, `combined 429s ${refused} of ${total} = ${((100 * refused) / total).toFixed(1)} % (target ≤ ${TARGETS.refused * 100} %)`],
    [wall <= TARGETS.ideal * ideal, `combined wall ${fmtS(wall)} s = ${(wall / ideal).toFixed(2)} × ideal ${fmtS(ideal)} s (target ≤ ${TARGETS.ideal} ×)`],
    [failed === 0, `${failed} failed of ${total}`],
  ];
  console.log('');
  for (const [ok, line] of checks) {
    if (!ok) failures++;
    console.log(`${ok ? 'PASS' : 'FAIL'}  ${k} processes: ${line}`);
  }
}
console.log(`\n${failures === 0 ? 'PASS' : 'FAIL'}  fairness: ${failures} check(s) failed`);
