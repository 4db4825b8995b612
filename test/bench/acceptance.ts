// Issue 11's acceptance targets, checked against sluice's rows of groups 7 and 8 in one run:
// 0 failed, ≤ 5 % refused, ≤ 1.25 × ideal, ≤ 1.10 × informed, never slower than the fastest peer.

import { referencesOf } from './comparison-table.js';
import { fmtRatio } from './format.js';
import type { Row } from './rows.js';
import type { Scenario } from './scenarios.js';

/** One target checked against one scenario's sluice row. */
export interface Check {
  target: string;
  verdict: 'PASS' | 'FAIL' | 'n/a';
  measured: string;
}

export interface ScenarioVerdict {
  scenario: string;
  checks: Check[];
}

const MAX_REFUSED = 0.05;
const MAX_IDEAL = 1.25;
const MAX_INFORMED = 1.1;

export function acceptanceChecks(scenarios: readonly Scenario[], rows: readonly Row[]): ScenarioVerdict[] {
  return scenarios.map((scenario) => {
    const checks: Check[] = [];
    const check = (target: string, ok: boolean | undefined, measured: string) =>
      checks.push({ target, verdict: ok === undefined ? 'n/a' : ok ? 'PASS' : 'FAIL', measured });
    const row = rows.find((r) => r.scenario === scenario.name && r.client === 'sluice');
    if (!row || row.wallMs === undefined || row.failed === undefined) {
      check('finished', row ? false : undefined, row ? row.failures : 'sluice not run');
      return { scenario: scenario.name, checks };
    }
    const wall = row.wallMs;
    const refs = referencesOf(scenario.name, rows);
    const refused = row.serverRejected ?? 0;
    check('0 failed', row.failed === 0, `${row.failed} failed`);
    check(`≤ ${MAX_REFUSED * 100} % refused`, refused <= MAX_REFUSED * row.n, `${((100 * refused) / row.n).toFixed(1)} % refused`);
    // A run that gave up early has no finishing time to compare: its wall checks fail.
    const finished = row.failed === 0;
    const within = (reference: number | undefined, most: number) => (reference ? finished && wall <= most * reference : undefined);
    check(`≤ ${MAX_IDEAL} × ideal`, within(refs.idealMs, MAX_IDEAL), `${fmtRatio(wall, refs.idealMs)} × ideal`);
    check(`≤ ${MAX_INFORMED} × informed`, within(refs.informedMs, MAX_INFORMED), refs.informedMs ? `${fmtRatio(wall, refs.informedMs)} × informed` : 'informed not run');
    const peer = refs.fastestPeer;
    check('≤ fastest 0-failed peer', within(peer?.wallMs, 1), peer ? `${fmtRatio(wall, peer.wallMs)} × ${peer.client}` : 'no peer with 0 failed');
    if (!finished) for (const c of checks.slice(2)) if (c.verdict !== 'n/a') c.measured += ' (gave up early)';
    return { scenario: scenario.name, checks };
  });
}

/** One PASS/FAIL line per scenario (FAIL if any target fails), each target marked, then a tally. */
export function renderAcceptance(verdicts: readonly ScenarioVerdict[], skipped: ReadonlyMap<string, string> = new Map()): string[] {
  const out = [
    '',
    '## Acceptance (issue 11): sluice in every real-server and load-shedding scenario',
    '',
    `Targets: 0 failed; ≤ ${MAX_REFUSED * 100} % of N refused by the server; wall ≤ ${MAX_IDEAL} × ideal, ≤ ${MAX_INFORMED} × the informed client's and ≤ the fastest peer's that finished with 0 failed, all in this run. n/a: the reference client did not run or no peer finished with 0 failed.`,
    '',
  ];
  if (!verdicts.length && !skipped.size) return [...out, 'No scenario of groups 7 or 8 ran.'];
  out.push('```');
  const scenarioVerdicts = verdicts.map(({ scenario, checks }) => {
    const verdict = checks.some((c) => c.verdict === 'FAIL') ? 'FAIL' : checks.every((c) => c.verdict === 'n/a') ? 'n/a' : 'PASS';
    out.push(`${verdict.padEnd(4)}  ${scenario}`, `      ${checks.map((c) => `${c.verdict} ${c.measured}`).join(' · ')}`);
    return verdict;
  });
  for (const [scenario, reason] of skipped) out.push(`SKIP  ${scenario}`, `      ${reason}`);
  out.push('```');
  const all = verdicts.flatMap((v) => v.checks);
  const count = (verdict: Check['verdict']) => all.filter((c) => c.verdict === verdict).length;
  const tally = (verdict: string) => scenarioVerdicts.filter((v) => v === verdict).length;
  out.push(
    '',
    `Scenarios: ${tally('PASS')} PASS, ${tally('FAIL')} FAIL, ${tally('n/a')} n/a, ${skipped.size} skipped; targets: ${count('PASS')} PASS, ${count('FAIL')} FAIL, ${count('n/a')} n/a.`,
  );
  return out;
}
