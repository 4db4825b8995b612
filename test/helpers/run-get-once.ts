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
  /** ms from the request resolving to the process exiting. */
  exitLagMs: number;
  exitCode: number | null;
}

/**
 * Spawns the child with the same Node; kills it (by its pid) if it outlives `limitMs`. `from`
 * picks what it imports: the TypeScript source (through tsx) or the built package.
 */
export function runGetOnce(url: string, from: 'source' | 'built', limitMs = 10_000): Promise<GetOnceRun> {
  return new Promise((resolve, reject) => {
    const args = from === 'source' ? ['--import', 'tsx', script, url] : [script, url];
    const env = from === 'source' ? { ...process.env, SLUICE_ENTRY: source } : process.env;
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('error', reject);
    child.on('exit', (exitCode) => {
      const exitedAt = Date.now();
      clearTimeout(killer);
      try {
        const result = JSON.parse(output.trim().split('\n').at(-1) ?? '') as Omit<GetOnceRun, 'exitLagMs'> & {
          resolvedAt: number;
        };
        resolve({ ...result, exitLagMs: exitedAt - result.resolvedAt, exitCode });
      } catch {
        reject(new Error(`child printed no result (exit ${exitCode}): ${output}`));
      }
    });
  });
}
