// Runs test/scripts/get-once.ts in a child process against a URL and reports when the child
// resolved its request and when it exited, for the exit test and the exit benchmark.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../scripts/get-once.mjs', import.meta.url));
const source = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

export interface GetOnceRun {
  status: number;
  body: string;
  waitedMs: number;
  /** ms from the request resolving to the process exiting (as its parent sees it). */
  exitLagMs: number;
  /** ms from the request resolving to Node's 'exit' event: nothing left to keep it alive. */
  loopDrainedMs: number;
  exitCode: number | null;
}

/**
 * Spawns the child with the same Node; kills it (by its pid) if it outlives `limitMs`. `from`
 * picks what it imports: the TypeScript source (through tsx) or the built package.
 */
export function runGetOnce(url: string, from: 'source' | 'built' | 'baseline', limitMs = 10_000): Promise<GetOnceRun> {
  return new Promise((resolve, reject) => {
    const args = from === 'source' ? ['--import', 'tsx', script, url] : [script, url];
    const entry = { source, built: undefined, baseline: 'baseline' }[from];
    const env = entry === undefined ? process.env : { ...process.env, SLUICE_ENTRY: entry };
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('error', reject);
    child.on('exit', (exitCode) => {
      const exitedAt = Date.now();
      clearTimeout(killer);
      try {
        const [line, exitLine] = output.trim().split('\n').slice(-2);
        const result = JSON.parse(line ?? '') as Omit<GetOnceRun, 'exitLagMs' | 'loopDrainedMs'> & {
          resolvedAt: number;
        };
        const { exitEventAt } = JSON.parse(exitLine ?? '') as { exitEventAt: number };
        resolve({
          ...result,
          exitLagMs: exitedAt - result.resolvedAt,
          loopDrainedMs: exitEventAt - result.resolvedAt,
          exitCode,
        });
      } catch {
        reject(new Error(`child printed no result (exit ${exitCode}): ${output}`));
      }
    });
  });
}
