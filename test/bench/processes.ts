// Starts the benchmark's child processes (server and client) on this same Node with tsx, talks to
// them over IPC, and makes sure none outlives its run: each is killed by its own pid on timeout.

import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ClientCommand, ClientConfig, ClientMessage, ClientResult, ServerConfig, ServerMessage } from './protocol.js';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/**
 * SLUICE_BENCH_PIN=1 runs the server on CPU 0 and the client on CPU 1 (`taskset`), so the two
 * never take turns on one core. Off by default: on a machine shared with other work, a pinned
 * process cannot move to whichever core is idle, and the spread between rounds was no smaller.
 */
const pinning = process.env.SLUICE_BENCH_PIN === '1' && availableParallelism() >= 2 && hasTaskset();

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function start(file: string, arg: unknown, cpu: number | undefined, execArgv: string[] = []): ChildProcess {
  const child = fork(here(file), [JSON.stringify(arg)], {
    execArgv: ['--import', 'tsx', ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  if (pinning && cpu !== undefined && child.pid !== undefined) {
    // -a: every thread (libuv's pool, V8's workers) of the child.
    execFileSync('taskset', ['-a', '-cp', String(cpu), String(child.pid)], { stdio: 'ignore' });
  }
  return child;
}

export const cpuPinning = pinning;

function next<M>(child: ChildProcess, accept: (message: M) => boolean, limitMs: number, what: string): Promise<M> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`${what}: no answer within ${limitMs} ms`)), limitMs);
    const onMessage = (message: M) => {
      if (accept(message)) finish(undefined, message);
    };
    const onExit = (code: number | null) => finish(new Error(`${what}: process exited (${code}) before answering`));
    function finish(error: Error | undefined, message?: M) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message as M);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export interface ServerHandle {
  origin: string;
  counters(): Promise<Extract<ServerMessage, { type: 'counters' }>>;
  /** Asks for the final counters, then stops the process (killing it if it does not stop). */
  stop(): Promise<Extract<ServerMessage, { type: 'counters' }>>;
}

export async function startServer(config: ServerConfig): Promise<ServerHandle> {
  const child = start('./server-process.ts', config, 0);
  const ready = await next<ServerMessage>(child, (m) => m.type === 'ready', 20_000, 'server').catch((error) => {
    child.kill('SIGKILL');
    throw error;
  });
  const counters = () => {
    const answer = next<ServerMessage>(child, (m) => m.type === 'counters', 10_000, 'server counters');
    child.send({ type: 'counters' });
    return answer as Promise<Extract<ServerMessage, { type: 'counters' }>>;
  };
  return {
    origin: (ready as Extract<ServerMessage, { type: 'ready' }>).origin,
    counters,
    async stop() {
      const final = next<ServerMessage>(child, (m) => m.type === 'counters', 10_000, 'server stop');
      const exited = once(child, 'exit');
      child.send({ type: 'stop' });
      try {
        return (await final) as Extract<ServerMessage, { type: 'counters' }>;
      } finally {
        const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(killer);
      }
    },
  };
}

/** Runs one client process; a run past `limitMs` is killed (by its pid) and rejects. */
export async function runClient(config: ClientConfig, limitMs: number): Promise<ClientResult> {
  const [result] = await runClientsTogether([config], limitMs);
  if (result instanceof Error) throw result;
  return result!;
}

/**
 * Runs several client processes that start their workloads at the same moment: each loads its
 * modules and reports ready, and all are told to go at once. Each run past `limitMs` (counted
 * from the go) is killed by its pid. Resolves with each one's result, or the error it ended with.
 */
export async function runClientsTogether(configs: readonly ClientConfig[], limitMs: number): Promise<(ClientResult | Error)[]> {
  const together = configs.length > 1;
  const children = configs.map((config) => start('./client-process.ts', { ...config, together }, 1));
  const exits = children.map((child) => once(child, 'exit'));
  const overran = new Set<ChildProcess>();
  try {
    if (together) {
      const ready = children.map((child, i) => next<ClientMessage>(child, (m) => m.type === 'ready', 60_000, `${configs[i]!.client} ready`));
      await Promise.all(ready);
      for (const child of children) child.send({ type: 'go' } satisfies ClientCommand);
    }
    return await Promise.all(
      children.map(async (child, i) => {
        const name = configs[i]!.client;
        try {
          const message = await next<ClientMessage>(child, (m) => m.type !== 'ready', limitMs, name);
          if (message.type === 'error') return new Error(`${name} failed: ${message.message}`);
          return (message as Extract<ClientMessage, { type: 'result' }>).result;
        } catch (error) {
          overran.add(child);
          return error instanceof Error ? error : new Error(String(error));
        }
      }),
    );
  } finally {
    await Promise.all(
      children.map(async (child, i) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        if (overran.has(child)) child.kill('SIGKILL');
        const killer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        await exits[i];
        clearTimeout(killer);
      }),
    );
  }
}

/** Runs test/bench/memory-queue.ts in its own process (so its heap is its own) and returns its report. */
export async function runMemoryQueue(
  waiters: number,
  pauseSeconds: number,
  limitMs: number,
): Promise<{ result: unknown; table: string }> {
  const child = fork(here('./memory-queue.ts'), [String(waiters), String(pauseSeconds)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  try {
    return await next<{ type: string; result: unknown; table: string }>(child, (m) => m.type === 'memory', limitMs, 'memory-queue');
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    }
  }
}
