// Issue 11's acceptance targets, checked against sluice's rows of groups 7 and 8 in one run:
// 0 failed, ≤ 5 % refused, ≤ 1.25 × ideal, ≤ 1.10 × informed, never slower than the fastest peer.

import { referencesOf } from './comparison-table.js';
import { fmtS } from './format.js';
import type { Row } from './rows.js';
import type { Scenario } from './scenarios.js';

export interface Check {
  scenario: string;
  target: string;
  verdict: 'PASS' | 'FAIL' | 'n/a';
  measured: string;
}

const MAX_REFUSED = 0.05;
const MAX_IDEAL = 1.25;
const MAX_INFORMED = 1.1;

export function acceptanceChecks(scenarios: readonly Scenario[], rows: readonly Row[]): Check[] {
  const checks: Check[] = [];
  for (const scenario of scenarios) {
    const row = rows.find((r) => r.scenario === scenario.name && r.client === 'sluice');
    const check = (target: string, ok: boolean | undefined, measured: string) =>
      checks.push({ scenario: scenario.name, target, verdict: ok === undefined ? 'n/a' : ok ? 'PASS' : 'FAIL', measured });
    if (!row || row.wallMs === undefined) {
      check('sluice finished', row ? false : undefined, row ? row.failures : 'sluice not run');
      continue;
    }
    const wall = row.wallMs;
    const refs = referencesOf(scenario.name, rows);
    const refused = row.serverRejected ?? 0;
    check('0 failed', row.failed === 0, `${row.failed} failed${row.failures ? ` (${row.failures})` : ''}`);
    check(`≤ ${MAX_REFUSED * 100} % refused`, refused <= MAX_REFUSED * row.n, `${refused} of ${row.n} (${((100 * refused) / row.n).toFixed(1)} %)`);
    const ratio = (reference: number | undefined) => (reference ? wall / reference : undefined);
    const vsIdeal = ratio(refs.idealMs);
    check(`wall ≤ ${MAX_IDEAL} × ideal`, vsIdeal === undefined ? undefined : vsIdeal <= MAX_IDEAL, `${fmtS(wall)} s = ${vsIdeal?.toFixed(2) ?? '—'} × ${fmtS(refs.idealMs)} s`);
    const vsInformed = ratio(refs.informedMs);
    check(`wall ≤ ${MAX_INFORMED} × informed`, vsInformed === undefined ? undefined : vsInformed <= MAX_INFORMED, refs.informedMs ? `${vsInformed!.toFixed(2)} × ${fmtS(refs.informedMs)} s` : 'informed not run');
    const peer = refs.fastestPeer;
    check('not slower than the fastest 0-failed peer', peer ? wall <= peer.wallMs : undefined, peer ? `${(wall / peer.wallMs).toFixed(2)} × ${peer.client} ${fmtS(peer.wallMs)} s` : 'no peer finished with 0 failed');
  }
  return checks;
}

export function renderAcceptance(checks: readonly Check[]): string[] {
  const out = ['', '## Acceptance (issue 11): sluice in every real-server and load-shedding scenario', ''];
  if (!checks.length) return [...out, 'No scenario of groups 7 or 8 ran.'];
  out.push('```');
  for (const c of checks) out.push(`${c.verdict.padEnd(4)}  ${c.scenario} — ${c.target}: ${c.measured}`);
  out.push('```');
  const count = (verdict: Check['verdict']) => checks.filter((c) => c.verdict === verdict).length;
  out.push('', `${count('PASS')} PASS, ${count('FAIL')} FAIL, ${count('n/a')} n/a (a reference client not run).`);
  return out;
}
