// Measures how soon a script exits after its retried request resolves: one GET against a
// loopback server answering 429 + Retry-After: 1, then 200. Prints 5 runs of the built package
// (run `npm run build` first) beside the same two requests made with Node's own fetch.

import { sequence } from '../../mocks/sequence.js';
import { startLoopbackServer } from '../../mocks/loopback.js';
import { runGetOnce } from '../helpers/run-get-once.js';

const runs = 5;
console.log(
  '| run | client | status | waited (ms) | event loop empty after resolve (ms) | process gone after resolve (ms) |\n|---|---|---|---|---|---|',
);
for (let i = 1; i <= runs; i++) {
  for (const client of ['built', 'baseline'] as const) {
    const script = sequence([{ status: 429, headers: { 'Retry-After': '1' } }, { status: 200, body: 'done' }]);
    const server = await startLoopbackServer(script.handlers);
    const run = await runGetOnce(`${server.origin}/once`, client);
    const name = client === 'built' ? 'sluice fetch' : 'Node fetch + manual wait';
    console.log(`| ${i} | ${name} | ${run.status} | ${run.waitedMs} | ${run.loopDrainedMs} | ${run.exitLagMs} |`);
    await server.close();
  }
}
