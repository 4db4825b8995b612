// One client's run of one scenario as the benchmark's tables print it, and the words for how
// its failures ended and what sluice's gate counted (or how often the informed client retried).

import { fmtRate } from './format.js';
import type { ClientName, ClientResult } from './protocol.js';

export interface Row {
  group: number;
  scenario: string;
  client: ClientName;
  n: number;
  wallMs: number | undefined;
  idealMs: number | undefined;
  serverReceived: number | undefined;
  /** 429 / 503 answers, or connection resets for the flaky server. */
  serverRejected: number | undefined;
  failed: number | undefined;
  p50: number | undefined;
  p99: number | undefined;
  peakRssMB: number | undefined;
  /** How the failed requests ended (or why the run did not finish). */
  failures: string;
  /** sluice's gate counters; the informed client's retries. */
  gate: string;
  result?: ClientResult;
}

export function describeFailures(result: ClientResult): string {
  const parts: string[] = [];
  for (const [status, count] of Object.entries(result.finalStatuses)) parts.push(`${count}× final ${status}`);
  for (const [kind, count] of Object.entries(result.errors)) parts.push(`${count}× ${kind}`);
  return parts.join('; ');
}

export function describeGate(result: ClientResult): string {
  const g = result.gate as Record<string, unknown> | undefined;
  if (!g) return '';
  if (result.client === 'informed') return `retried ${g.retried}`;
  return `sent ${g.sent}, retried ${g.retried}, rejected ${g.rejected}, window ${g.limit}, rate ${fmtRate(g.rate)} (${g.rateState})`;
}
