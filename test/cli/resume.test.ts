import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startHeldServer } from '../helpers/held-server.js';
import { runCliProcess, startCli } from '../helpers/run-cli.js';

// Resuming `sluice run --state --output` after Ctrl-C and after kill -9, against a server that
// logs every request: no finished line is sent twice, none is lost, and the output file holds
// every result exactly once.

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

async function setUp() {
  const server = await startHeldServer();
  cleanup.push(() => server.close());
  const dir = await mkdtemp(join(tmpdir(), 'sluice-resume-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const input = join(dir, 'requests.ndjson');
  // Lines 1-4 (POSTs) are answered at once; lines 5-10 are held until the test releases them.
  const lines = [
    ...[1, 2, 3, 4].map((n) => JSON.stringify({ url: `${server.origin}/now/${n}`, method: 'POST', body: `order ${n}` })),
    ...[5, 6, 7, 8, 9, 10].map((n) => `${server.origin}/item/${n}`),
  ];
  writeFileSync(input, `${lines.join('\n')}\n`);
  const output = join(dir, 'results.ndjson');
  const state = join(dir, 'run.state');
  const args = ['run', '--concurrency', '2', '--state', state, '--output', output, input];
  return { server, output, state, args };
}

/** The `line` of every result in the output file, in file order. */
function outputLines(output: string): number[] {
  if (!existsSync(output)) return [];
  return readFileSync(output, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { line: number }).line);
}

function sentPerPath(log: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const path of log) counts[path] = (counts[path] ?? 0) + 1;
  return counts;
}

describe('resuming sluice run --state --output (spawned)', () => {
  it.each(['SIGINT', 'SIGKILL'] as const)('after %s: every result once in the file, no finished POST sent again', async (signal) => {
    const { server, output, args } = await setUp();
    const first = startCli(args);
    await vi.waitFor(() => expect(outputLines(output)).toHaveLength(4), { timeout: 20_000, interval: 20 });
    await server.until(() => server.held === 2);
    first.child.kill(signal);
    const ended = await first.exited;
    if (signal === 'SIGINT') {
      expect(ended.code).toBe(130);
      expect(ended.stderr).toContain('run the same command again to resume');
    } else {
      expect(ended.signal).toBe('SIGKILL');
    }
    expect(outputLines(output).sort((a, b) => a - b)).toEqual([1, 2, 3, 4]);

    server.releaseAll();
    const second = await runCliProcess(args);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe('');
    // Every line's result exactly once, the earlier run's kept.
    expect(outputLines(output).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const sent = sentPerPath(server.log);
    expect([1, 2, 3, 4].map((n) => sent[`/now/${n}`])).toEqual([1, 1, 1, 1]);
    // The two held when the first run stopped were cut short, so sent again; the rest once.
    expect([7, 8, 9, 10].map((n) => sent[`/item/${n}`])).toEqual([1, 1, 1, 1]);
    expect(sent['/item/5']! + sent['/item/6']!).toBe(4);
  });

  it('right after a resume, counts the earlier lines as done but not into the rate', async () => {
    const { server, args } = await setUp();
    server.releaseAll();
    const first = await runCliProcess(args);
    expect(first.code).toBe(0);
    // The summary of a resumed run names what earlier runs finished, apart from this run's rate.
    const again = await runCliProcess(args);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^sluice: 0 requests in [\d.]+s \(-?[\d.]+\/s\); 0 ok; 10 finished in earlier runs\n$/);
  });
});
