// `npm run bench:dialects -- [N=300] [R=50] [B=5] [dialect,…]`: N requests fired at once through
// sluice at a token-bucket server (rate R, burst B) in each header dialect the mock speaks, one
// after another — the check that pacing holds for rates, bursts and dialects other than the
// acceptance case. Prints wall time against the ideal (N − B) / R, the 429s and the final pace.

import { Agent } from 'undici';
import { createClient } from '../../src/index.js';
import { RATE_LIMIT_HEADER_DIALECTS, startLoopbackServer, tokenBucket } from '../../mocks/index.js';

const [n = 300, rate = 50, burst = 5] = process.argv.slice(2, 5).map(Number);
const only = process.argv[5]?.split(',');

for (const dialect of RATE_LIMIT_HEADER_DIALECTS.filter((d) => !only || only.includes(d))) {
  // In-process server: fine for counting 429s; for timing against a busy client, see `npm run bench`.
  const bucket = tokenBucket({ rate, burst, dialect });
  const server = await startLoopbackServer(bucket.handlers);
  const agent = new Agent();
  const client = createClient({ dispatcher: agent });
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const response = await client.fetch(`${server.origin}/item/${i}`).catch(() => undefined);
      await response?.arrayBuffer();
      if (response?.status !== 200) failed++;
    }),
  );
  const ms = performance.now() - started;
  const ideal = ((n - burst) / rate) * 1000;
  const { rate: pace, rateState } = client.stats(server.origin)!;
  const rejected = bucket.counters.rejected;
  console.log(
    `${dialect.padEnd(18)} ${(ms / 1000).toFixed(1)} s = ${(ms / ideal).toFixed(2)} × ideal, ` +
      `429s ${rejected} (${((100 * rejected) / n).toFixed(1)} %), failed ${failed}, pace ${pace.toFixed(1)}/s (${rateState})`,
  );
  await client.close();
  await agent.close();
  await server.close();
}
