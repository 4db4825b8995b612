// Runs the processes of a fleet benchmark: builds sluice as it ships, starts one worker process
// per config, lets them all go at once, and kills any that overruns its time by its own pid.

import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { FleetWorkerConfig, FleetWorkerResult } from './fleet-protocol.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Bundles `sluice` and `sluice/redis` (sharing their engine chunk, as the package does). */
export async function buildFleetBundle(): Promise<FleetWorkerConfig['bundle']> {
  const outdir = `${root}.bench-results/fleet-build`;
  await build({
    entryPoints: { sluice: `${root}src/index.ts`, 'sluice-redis': `${root}src/redis.ts` },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    packages: 'external',
    logLevel: 'warning',
  });
  return { main: `${outdir}/sluice.js`, redis: `${outdir}/sluice-redis.js` };
}

type Message = { type: 'ready' } | { type: 'result'; result: FleetWorkerResult };

/**
 * Starts every worker, waits until all are loaded, sends 'go' to all, and resolves with each
 * result (or the error it ended with). `onGo` runs right after the go (to schedule faults).
 */
export async function runFleet(configs: readonly FleetWorkerConfig[], limitMs: number, onGo?: () => void): Promise<(FleetWorkerResult | Error)[]> {
  const children = configs.map((config) =>
    fork(fileURLToPath(new URL('./fleet-worker.ts', import.meta.url)), [JSON.stringify(config)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const exits = children.map((child) => once(child, 'exit'));
  try {
    await Promise.all(children.map((child) => next(child, 'ready', 60_000)));
    for (const child of children) child.send({ type: 'go' });
    onGo?.();
    return await Promise.all(
      children.map((child) =>
        next(child, 'result', limitMs).then(
          (message) => (message as Extract<Message, { type: 'result' }>).result,
          (error: Error) => error,
        ),
      ),
    );
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(exits);
  }
}

function next(child: ChildProcess, type: Message['type'], limitMs: number): Promise<Message> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`worker ${child.pid}: no ${type} within ${limitMs} ms`)), limitMs);
    const onMessage = (message: Message) => message.type === type && done(undefined, message);
    const onExit = (code: number | null) => done(new Error(`worker ${child.pid} exited (${code}) before its ${type}`));
    function done(error: Error | undefined, message?: Message) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message!);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}
