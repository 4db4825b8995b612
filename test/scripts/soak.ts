// `npm run soak`: the chaos run of test/reliability/chaos.test.ts made long — at least 30,000
// requests over at least 2 minutes on loopback — printing the figures issue 16 asks for.

import { runChaos, type ChaosReport } from '../helpers/chaos-run.js';

const REQUESTS = Number(process.env.SOAK_REQUESTS ?? 30_000);
const MIN_DURATION_MS = Number(process.env.SOAK_MIN_MS ?? 120_000);
const ORIGINS = 16;
/** Whatever happens, the soak stops by itself (a run takes 2–4 minutes on 2 busy cores). */
const HARD_STOP_MS = 15 * 60_000;

setTimeout(() => {
  console.error(`soak: still running after ${HARD_STOP_MS / 60_000} min, stopped`);
  process.exit(2);
}, HARD_STOP_MS).unref();

const report = await runChaos({
  requests: REQUESTS,
  minDurationMs: MIN_DURATION_MS,
  origins: ORIGINS,
  seed: `soak-${Date.now()}`,
  // Requests still out a minute after sending stopped count as lost, and the run ends.
  settleWithinMs: 60_000,
  progressEveryMs: 15_000,
  onProgress: ({ sent, settled, elapsedMs }) => console.error(`… ${(elapsedMs / 1000).toFixed(0)} s: ${sent} sent, ${settled} settled`),
});

console.log(format(report));
const failed = verdicts(report).filter(([, ok]) => !ok);
for (const [what] of failed) console.log(`FAILED: ${what}`);
process.exitCode = failed.length === 0 ? 0 : 1;

function verdicts(r: ChaosReport): [string, boolean][] {
  return [
    [`≥ ${REQUESTS} requests`, r.requests >= REQUESTS],
    ['≥ 15 % of attempts faulted', r.faultShare >= 0.15],
    [`≥ ${MIN_DURATION_MS / 1000} s`, r.elapsedMs >= MIN_DURATION_MS],
    ['0 lost', r.lost === 0],
    ['0 errors of an undocumented type', r.unexpected.length === 0],
    ['0 duplicate non-idempotent requests', r.duplicateNonIdempotent === 0],
    ['0 corrupted bodies', r.corruptedBodies === 0 && r.corruptedUploads === 0 && r.unexplainedBodyFailures === 0],
    ['0 early retries', r.earlyRetries === 0],
    ['heap after GC within 10 % of baseline', r.heap.ratio <= 1.1],
    ['no active resource left after close()', r.leftover.length === 0],
  ];
}

function format(r: ChaosReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const faults = Object.entries(r.faults)
    .filter(([kind]) => kind !== 'ok')
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  const outcomes = Object.entries(r.outcomes)
    .sort(([, a], [, b]) => b - a)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  return [
    `requests            ${r.requests} over ${ORIGINS} loopback origins (client.fetch ${r.byAdapter.fetch}, install() ${r.byAdapter.install}, client.map ${r.byAdapter.map}), ${r.attempts} attempts`,
    `duration            ${(r.elapsedMs / 1000).toFixed(1)} s`,
    `faulted attempts    ${r.attempts - (r.faults.ok ?? 0)} = ${pct(r.faultShare)} (${faults})`,
    `outcomes            ${outcomes}`,
    `lost                ${r.lost}`,
    `undocumented errors ${r.unexpected.length}${r.unexpected.length ? `: ${r.unexpected.join('; ')}` : ''}`,
    `duplicate POSTs     ${r.duplicateNonIdempotent} (without Idempotency-Key, received more than once)`,
    `corrupted bodies    ${r.corruptedBodies} responses, ${r.corruptedUploads} uploads, ${r.unexplainedBodyFailures} unexplained body failures`,
    `early retries       ${r.earlyRetries}${r.earlySamples.length ? `: ${r.earlySamples.join('; ')}` : ''} (least margin ${r.minRetryMarginMs.toFixed(1)} ms; ${r.retriesAfterStall} after a stall past the timeout, longest stall ${r.longestStallMs.toFixed(0)} ms)`,
    `heap after GC       ${r.heap.afterMB.toFixed(1)} MB vs ${r.heap.baselineMB.toFixed(1)} MB baseline = ${r.heap.ratio.toFixed(3)} ×`,
    `active resources    ${r.leftover.length === 0 ? 'none left after close()' : r.leftover.join(', ')}`,
    ...Object.entries(r.finalStats).map(([adapter, gates]) => `gates at the end    ${adapter}: ${spread(gates.map((g) => g.limit))} in flight, ${spread(gates.map((g) => g.rate))}/s`),
  ].join('\n');
}

/** Least, median and most of `values`, for one line per adapter. */
function spread(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  return `${at(0)}/${at(0.5)}/${at(1)}`;
}
