// The end-of-run summary as text, like hey's and oha's: per origin, latency percentiles and the
// count of each final status or error. The CLI prints these lines to stderr.

import type { LatencySummary, RunReport } from './run-recorder.js';

/** Lines of the summary of `report`, without trailing newlines: a first line of totals, then each origin's. */
export function formatRunSummary(report: RunReport, maxOrigins = Infinity): string[] {
  return [`${report.requests} requests in ${seconds(report.durationMs)}`, ...formatOriginSummary(report, maxOrigins)];
}

/**
 * Each origin's lines — latency percentiles, results, attempts — the busiest `maxOrigins` first;
 * a last line counts the origins left out.
 */
export function formatOriginSummary(report: RunReport, maxOrigins = Infinity): string[] {
  const origins = [...report.origins].sort((a, b) => b.latency.count - a.latency.count);
  const lines: string[] = [];
  for (const origin of origins.slice(0, maxOrigins)) {
    lines.push(`${origin.origin}:`);
    lines.push(`  latency  ${formatLatency(origin.latency)}`);
    const outcomes = Object.entries(origin.outcomes).map(([outcome, count]) => `${outcome} × ${count}`);
    lines.push(`  results  ${outcomes.length > 0 ? outcomes.join(', ') : 'none'}`);
    const { sent, '429': throttled, '503': unavailable } = origin.attempts;
    if (sent > 0) lines.push(`  attempts ${sent} sent, ${throttled} × 429, ${unavailable} × 503`);
  }
  const left = origins.length - maxOrigins;
  if (left > 0) lines.push(`… and ${left} more origin${left === 1 ? '' : 's'}`);
  return lines;
}

/** `p50 12 ms · p90 40 ms · p99 180 ms · max 210 ms`. */
export function formatLatency(latency: LatencySummary): string {
  if (latency.count === 0) return 'no requests';
  return `p50 ${ms(latency.p50)} · p90 ${ms(latency.p90)} · p99 ${ms(latency.p99)} · max ${ms(latency.max)}`;
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
}

function seconds(valueMs: number): string {
  return `${(valueMs / 1000).toFixed(1)} s`;
}
