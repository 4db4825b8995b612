// The tables of groups 7 and 8: each client's wall time against the ideal, the informed client
// and the fastest peer that finished with nothing failed — all measured in the same run.

import { fmt, fmtRatio, fmtS, fmtShare } from './format.js';
import type { ClientName } from './protocol.js';
import type { Row } from './rows.js';
import type { Scenario } from './scenarios.js';

/** The clients a user would pick instead of sluice; sluice's own adapters and the informed client are not peers. */
export const isPeer = (client: ClientName) => !client.startsWith('sluice') && client !== 'informed';

/** What a scenario's walls are compared with, from the rows of the same run. */
export interface References {
  idealMs: number | undefined;
  informedMs: number | undefined;
  fastestPeer: { client: ClientName; wallMs: number } | undefined;
}

export function referencesOf(scenario: string, rows: readonly Row[]): References {
  const here = rows.filter((r) => r.scenario === scenario);
  const informed = here.find((r) => r.client === 'informed' && r.failed === 0);
  let fastestPeer: References['fastestPeer'];
  for (const row of here) {
    if (!isPeer(row.client) || row.failed !== 0 || row.wallMs === undefined) continue;
    if (!fastestPeer || row.wallMs < fastestPeer.wallMs) fastestPeer = { client: row.client, wallMs: row.wallMs };
  }
  return { idealMs: here[0]?.idealMs, informedMs: informed?.wallMs, fastestPeer };
}

/** Markdown lines for one group: per scenario, a table of every client's run and, under it, the ideal's derivation. */
export function renderComparison(title: string, scenarios: readonly Scenario[], rows: readonly Row[], skipped: ReadonlyMap<string, string>): string[] {
  const out = ['', `## ${title}`];
  for (const scenario of scenarios) {
    out.push('', `### ${scenario.name}`, '');
    const reason = skipped.get(scenario.name);
    if (reason) {
      out.push(`**skipped: ${reason}**`);
      continue;
    }
    const refs = referencesOf(scenario.name, rows);
    const fastest = refs.fastestPeer ? `${refs.fastestPeer.client}, ${fmtS(refs.fastestPeer.wallMs)} s` : 'none finished with 0 failed';
    out.push(
      '| client | wall s | × ideal | × informed | × fastest 0-failed peer | server received | refused (% of N) | failed | how failures ended | gate (sluice) / retries (informed) |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---|---|',
    );
    for (const row of rows.filter((r) => r.scenario === scenario.name)) {
      out.push(
        `| ${row.client} | ${fmtS(row.wallMs)} | ${fmtRatio(row.wallMs, row.idealMs)} | ${fmtRatio(row.wallMs, refs.informedMs)} | ${fmtRatio(row.wallMs, refs.fastestPeer?.wallMs)} | ${row.serverReceived ?? '—'} | ${fmtShare(row.serverRejected, row.n)} | ${fmt(row.failed, 0)} | ${row.failures || '—'} | ${row.gate || '—'} |`,
      );
    }
    out.push('', `Ideal ${fmtS(refs.idealMs)} s — ${scenario.idealNote}. Fastest peer with 0 failed: ${fastest}.`);
  }
  return out;
}
