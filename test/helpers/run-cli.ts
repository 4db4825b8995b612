// Spawns the `sluice` CLI from source (process.execPath --import tsx src/cli/main.ts) and
// collects its output and exit code, for the CLI tests that need a real process (signals, exit).

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  /** Output so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves once `predicate` holds for the output so far. */
  until(predicate: (out: { stdout: string; stderr: string }) => boolean): Promise<void>;
  /** Resolves when the process exits. */
  exited: Promise<CliRun>;
}

/** Starts the CLI; the test must await `exited` (it is killed after `limitMs` as a safety net). */
export function startCli(
  args: string[],
  options: { stdin?: string; cwd?: string; limitMs?: number; env?: NodeJS.ProcessEnv } = {},
): RunningCli {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
    cwd: options.cwd ?? root,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...options.env },
  });
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  const changed = () => watchers.forEach((watch) => watch());
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    changed();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    changed();
  });
  if (options.stdin !== undefined) child.stdin!.end(options.stdin);
  else child.stdin!.end();
  const killer = setTimeout(() => child.kill('SIGKILL'), options.limitMs ?? 60_000);
  const exited = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      changed();
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    until(predicate) {
      const out = () => ({ stdout, stderr });
      if (predicate(out())) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const watch = () => {
          if (predicate(out())) {
            watchers.delete(watch);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            watchers.delete(watch);
            reject(new Error(`CLI exited before the expected output.\nstdout: ${stdout}\nstderr: ${stderr}`));
          }
        };
        watchers.add(watch);
      });
    },
    exited,
  };
}

/** Runs the CLI to the end. */
export function runCliProcess(args: string[], options: { stdin?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  return startCli(args, options).exited;
}

/** The NDJSON lines of stdout, parsed. */
export function records(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** `records`, in input-line order (results come out in completion order). */
export function recordsByLine(stdout: string): Record<string, unknown>[] {
  return records(stdout).sort((a, b) => (a.line as number) - (b.line as number));
}
