// Measures how soon a script exits after its retried request resolves: one GET against a
// loopback server answering 429 + Retry-After: 1, then 200. Prints the figures of 5 runs of the
// built package (run `npm run build` first; `npm run bench:exit` does both).

import { sequence } from '../../mocks/sequence.js';
import { startLoopbackServer } from '../../mocks/loopback.js';
import { runGetOnce } from '../helpers/run-get-once.js';

const runs = 5;
console.log('| run | status | waited (ms) | exit after resolve (ms) |\n|---|---|---|---|');
for (let i = 1; i <= runs; i++) {
  const script = sequence([{ status: 429, headers: { 'Retry-After': '1' } }, { status: 200, body: 'done' }]);
  const server = await startLoopbackServer(script.handlers);
  const run = await runGetOnce(`${server.origin}/once`, 'built');
  console.log(`| ${i} | ${run.status} | ${run.waitedMs} | ${run.exitLagMs} |`);
  await server.close();
}
