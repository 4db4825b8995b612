import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { subscribeDebugLog } from '../../src/observe/debug-log.js';
import { sequence } from '../../mocks/sequence.js';
import { startLoopbackServer } from '../../mocks/loopback.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

describe('debug log', () => {
  it('writes one line per pause, window move, retry and refusal, with the key and the numbers', async () => {
    const script = sequence([{ status: 429, headers: { 'retry-after-ms': '20' } }, { status: 200, body: 'ok' }]);
    const server = await startLoopbackServer(script.handlers);
    const client = createClient({ limits: { concurrency: 1, maxQueue: 1 }, rate: false });
    cleanup.push(() => server.close(), () => client.close());
    const lines: string[] = [];
    cleanup.push(subscribeDebugLog((line) => lines.push(line)));

    // The first holds the window of 1, the second waits, the third finds the queue full.
    const first = client.fetch(`${server.origin}/a`);
    const waiting = client.fetch(`${server.origin}/b`);
    const refused = await client.fetch(`${server.origin}/c`, { method: 'PUT' }).catch((e: unknown) => e);
    await (await first).body?.cancel();
    await (await waiting).body?.cancel();
    expect(refused).toBeInstanceOf(Error);
    const mine = lines.filter((line) => line.startsWith(server.origin));
    expect(mine).toContainEqual(expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+ paused (1?\d|20) ms, until \d{4}-\d\d-\d\dT[\d:.]+Z, by a 429$/));
    expect(mine).toContainEqual(expect.stringMatching(/ attempt 1 failed \(429\), retry in \d+ ms \(the server's time\)$/));
    expect(mine).toContainEqual(expect.stringMatching(/ refused PUT: queue-full \(Queue full \(1 waiting, limits\.maxQueue 1\).*\)$/));
    expect(lines.join('\n')).not.toMatch(/\/a|\/b|\/c/);
  });

  it('is on in a process started with NODE_DEBUG=sluice, and off without it', async () => {
    const server = await startLoopbackServer(sequence([{ status: 429, headers: { 'retry-after-ms': '5' } }, { status: 200 }]).handlers);
    cleanup.push(() => server.close());
    const child = fileURLToPath(new URL('./debug-log-child.ts', import.meta.url));
    const run = (env: NodeJS.ProcessEnv) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', child, server.origin], { env: { ...process.env, ...env }, timeout: 20_000 });
    const on = await run({ NODE_DEBUG: 'sluice' });
    expect(on.stderr).toMatch(new RegExp(`^SLUICE \\d+: ${server.origin} paused \\d+ ms`, 'm'));
    expect(on.stderr).toMatch(/^SLUICE \d+: .* attempt 1 failed \(429\), retry in \d+ ms/m);
    const off = await run({ NODE_DEBUG: '' });
    expect(off.stderr).not.toContain('SLUICE');
  });
});
