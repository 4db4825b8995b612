// The one line `sluice run` prints on stderr when it ends: how many requests, how fast, how many
// failed and where, and — after an interruption — how to resume.

import { count, duration, perSecond } from './format.js';
import type { RunTally } from './tally.js';

export interface SummaryContext {
  interrupted: boolean;
  /** Requests cut short by the stop (sent again on resume). */
  unfinished: number;
  statePath: string | undefined;
  total: number | undefined;
}

export function summaryLine(tally: RunTally, context: SummaryContext): string {
  const elapsed = tally.now() - tally.startedAt;
  const rate = elapsed > 0 ? (tally.done * 1000) / elapsed : 0;
  const parts = [`${count(tally.done)} request${tally.done === 1 ? '' : 's'} in ${duration(elapsed)} (${perSecond(rate)})`];
  const outcome = [`${count(tally.ok)} ok`];
  if (tally.failed > 0) {
    const kinds = [
      ...(tally.httpFailed > 0 ? [`${count(tally.httpFailed)} with status >= 400`] : []),
      ...(tally.errors > 0 ? [`${count(tally.errors)} without a response`] : []),
    ];
    outcome.push(`${count(tally.failed)} failed (${kinds.join(', ')})`);
  }
  parts.push(outcome.join(', '));
  if (tally.throttled > 0 || tally.retries > 0) parts.push(`${count(tally.throttled)} × 429, ${count(tally.retries)} retries`);
  if (tally.resumed > 0) parts.push(`${count(tally.resumed)} finished in earlier runs`);
  let line = `sluice: ${parts.join('; ')}`;
  if (context.interrupted || context.unfinished > 0) {
    const left = context.total === undefined ? '' : ` (${count(context.total - tally.resumed - tally.done)} of ${count(context.total)} left)`;
    line += context.statePath
      ? `\nsluice: stopped early${left}; run the same command again to resume from ${context.statePath}`
      : `\nsluice: stopped early${left}; without --state a new run starts over`;
  }
  return line;
}
