import { afterEach, describe, expect, it } from 'vitest';
import { sequence } from '../mocks/sequence.js';
import { startLoopbackServer, type LoopbackServer } from '../mocks/loopback.js';
import { runGetOnce } from './helpers/run-get-once.js';

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
});

describe('a script using sluice', () => {
  it('waits the Retry-After, resolves with the 200 and then exits on its own', async () => {
    const script = sequence([{ status: 429, headers: { 'Retry-After': '1' } }, { status: 200, body: 'done' }]);
    server = await startLoopbackServer(script.handlers);
    const run = await runGetOnce(`${server.origin}/once`, 'source', 15_000);
    expect(run).toMatchObject({ status: 200, body: 'done', exitCode: 0 });
    expect(script.counters.received).toBe(2);
    // Never earlier than the server asked (a lower bound, not a timing assertion).
    expect(run.waitedMs).toBeGreaterThanOrEqual(1000);
    // The process ends by itself; the tight exit figure is measured by `npm run bench:exit`.
    expect(run.exitLagMs).toBeLessThan(5000);
  });
});
