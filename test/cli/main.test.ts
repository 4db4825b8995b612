import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sequence } from '../../mocks/sequence.js';
import { startLoopbackServer } from '../../mocks/loopback.js';
import { startHeldServer } from '../helpers/held-server.js';
import { records, runCliProcess, startCli } from '../helpers/run-cli.js';

// These tests spawn the real CLI (Node + tsx), so they are few; run-command.test.ts covers the
// details in-process.
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
async function closedPort(): Promise<number> {
  const server = await startLoopbackServer([]);
  await server.close();
  return server.port;
}

describe('sluice run (spawned)', () => {
  it('reads URLs and NDJSON lines and prints one NDJSON result per request', async () => {
    const script = sequence([{ status: 200, body: { ok: true } }]);
    const server = await startLoopbackServer(script.handlers);
    cleanup.push(() => server.close());
    const dir = await tempDir();
    const input = join(dir, 'requests.txt');
    writeFileSync(
      input,
      [
        `${server.origin}/a`,
        '',
        '# a comment',
        JSON.stringify({ url: `${server.origin}/b`, method: 'POST', body: { name: 'Ada' }, id: 'b-1' }),
        `${server.origin}/c`,
      ].join('\n'),
    );
    const run = await runCliProcess(['run', input, '--include-header', 'content-type']);
    expect(run.code).toBe(0);
    const results = records(run.stdout).sort((x, y) => (x.line as number) - (y.line as number));
    expect(results).toMatchObject([
      { line: 1, url: `${server.origin}/a`, method: 'GET', status: 200, ok: true, attempts: 1, body: { ok: true } },
      { line: 4, id: 'b-1', method: 'POST', status: 200, headers: { 'content-type': 'application/json' } },
      { line: 5, url: `${server.origin}/c`, status: 200 },
    ]);
    expect(script.log.find((entry) => entry.method === 'POST')?.body).toBe('{"name":"Ada"}');
    // Not a terminal: no progress line, just the summary (totals, then the origin's latency and results).
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^sluice: 3 requests in .*; 3 ok$/),
      `  ${server.origin}:`,
      expect.stringMatching(/^ {4}latency {2}p50 [\d.]+ m?s · p90 [\d.]+ m?s · p99 [\d.]+ m?s · max [\d.]+ m?s$/),
      '    results  200 × 3',
    ]);
  });

  it('rejects malformed lines by line and field, exits 3 and sends nothing', async () => {
    const script = sequence([{ status: 200 }]);
    const server = await startLoopbackServer(script.handlers);
    cleanup.push(() => server.close());
    const dir = await tempDir();
    const input = join(dir, 'bad.ndjson');
    writeFileSync(
      input,
      [`${server.origin}/ok`, '{"url": 5}', `${server.origin}/ok`, `{"url":"${server.origin}/x","method":7}`, 'not a url'].join('\n'),
    );
    const run = await runCliProcess(['run', input]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('line 2: "url" must be a string');
    expect(run.stderr).toContain('line 4: "method" must be a string');
    expect(run.stderr).toContain('line 5: expected a URL or a JSON object, got "not a url"');
    expect(run.stderr).toContain('3 invalid line(s)');
    expect(run.stdout).toBe('');
    expect(script.counters.received).toBe(0);
  });

  it('answers an unknown flag with a clear message and exit 2', async () => {
    const run = await runCliProcess(['run', '--frobnicate', 'x.txt']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('sluice run: unknown option --frobnicate');
    expect(run.stderr).toContain("Run 'sluice run --help' for usage.");
  });

  it('reports an unreachable host in a sentence, not a stack trace', async () => {
    const port = await closedPort();
    const get = await runCliProcess(['get', '--max-retries', '0', `http://127.0.0.1:${port}/x`]);
    expect(get.code).toBe(1);
    expect(get.stderr.trim()).toBe(
      `sluice: GET http://127.0.0.1:${port}/x failed: connection refused by 127.0.0.1:${port} (is the server running?)`,
    );

    const run = await runCliProcess(['run', '--max-retries', '0', '-'], { stdin: `http://127.0.0.1:${port}/y\n` });
    expect(run.code).toBe(1);
    expect(records(run.stdout)).toMatchObject([{ line: 1, ok: false, errorCode: 'ECONNREFUSED', error: expect.stringContaining('connection refused') }]);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('resuming with --state (spawned)', () => {
  async function setUp() {
    const server = await startHeldServer();
    cleanup.push(() => server.close());
    const dir = await tempDir();
    const input = join(dir, 'requests.txt');
    // Lines 1-4 are answered at once; lines 5-10 are held until the test releases them.
    const paths = [1, 2, 3, 4].map((n) => `/now/${n}`).concat([5, 6, 7, 8, 9, 10].map((n) => `/item/${n}`));
    writeFileSync(input, paths.map((path) => `${server.origin}${path}`).join('\n'));
    const state = join(dir, 'run.state');
    const args = ['run', '--concurrency', '2', '--state', state, input];
    return { server, state, args };
  }

  function sentPerPath(log: readonly string[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const path of log) counts[path] = (counts[path] ?? 0) + 1;
    return counts;
  }

  it('after Ctrl-C, a rerun sends only the requests that had not finished', async () => {
    const { server, state, args } = await setUp();
    const first = startCli(args);
    await first.until(({ stdout }) => records(stdout).length === 4);
    await server.until(() => server.held === 2);
    first.child.kill('SIGINT');
    const interrupted = await first.exited;
    expect(interrupted.code).toBe(130);
    expect(records(interrupted.stdout).map((r) => r.line).sort()).toEqual([1, 2, 3, 4]);
    expect(interrupted.stderr).toContain('run the same command again to resume');

    server.releaseAll();
    const second = await runCliProcess(args);
    expect(second.code).toBe(0);
    expect(records(second.stdout).map((r) => r.line).sort((a, b) => (a as number) - (b as number))).toEqual([5, 6, 7, 8, 9, 10]);
    const sent = sentPerPath(server.log);
    // Finished before the interruption: sent exactly once over both runs.
    expect([1, 2, 3, 4].map((n) => sent[`/now/${n}`])).toEqual([1, 1, 1, 1]);
    // The two cut short were sent again; the rest once.
    expect(sent['/item/5']! + sent['/item/6']!).toBe(4);
    expect([7, 8, 9, 10].map((n) => sent[`/item/${n}`])).toEqual([1, 1, 1, 1]);
    expect(readFileSync(state, 'utf8').replace(/\0+$/, '')).toMatch(/^sluice-state 2 sha256:[0-9a-f]{64}\nlow 10\n$/);
  });

  it('after a crash (SIGKILL), a rerun does not send finished requests again', async () => {
    const { server, state, args } = await setUp();
    const first = startCli(args);
    await first.until(({ stdout }) => records(stdout).length === 4);
    // Each finished line is written to the state file right after its result is printed.
    await vi.waitFor(() => expect(readFileSync(state, 'utf8').replace(/\0+$/, '').trim().split('\n').length).toBeGreaterThanOrEqual(6));
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    server.releaseAll();
    const second = await runCliProcess(args);
    expect(second.code).toBe(0);
    expect(records(second.stdout)).toHaveLength(6);
    const sent = sentPerPath(server.log);
    expect([1, 2, 3, 4].map((n) => sent[`/now/${n}`])).toEqual([1, 1, 1, 1]);
  });
});
