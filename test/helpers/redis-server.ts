// A real redis-server for tests and benchmarks: on a free 127.0.0.1 port, ready once it answers
// PONG, stopped (or killed mid-run) by its own pid. Debian's `redis-server` package provides it.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number | undefined;
  /** Kills the server by its pid (SIGKILL: no goodbye to its clients), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after `kill`). */
  restart(): Promise<void>;
  /** Stops it for good. */
  stop(): Promise<void>;
}

/** The redis-server binary's path, or `undefined` when it is not installed. */
export function redisServerPath(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why Redis tests cannot run here, or `undefined` when they can. In CI (`CI` set, as CI services do) a missing
 * redis-server is an error, not a skip: CI installs it, so its absence means CI is broken.
 */
export function redisUnavailable(): string | undefined {
  if (redisServerPath() !== undefined) return undefined;
  const reason = 'redis-server is not installed (apt-get install -y --no-install-recommends redis-server)';
  const ci = process.env.CI;
  if (ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0') throw new Error(`${reason}: CI must install it (.ci/run does)`);
  return reason;
}

export async function startRedisServer(): Promise<RedisServer> {
  const binary = redisServerPath();
  if (binary === undefined) throw new Error('redis-server is not installed (apt-get install -y --no-install-recommends redis-server)');
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn(binary, ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await untilPong(port, child);
  };
  const end = async (signal: NodeJS.Signals) => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill(signal);
    await exited;
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    kill: () => end('SIGKILL'),
    restart: launch,
    stop: () => end('SIGTERM'),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once the server on `port` answers PING; fails if it exits or takes over 10 s. */
async function untilPong(port: number, child: ChildProcess): Promise<void> {
  const started = performance.now();
  while (performance.now() - started < 10_000) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} before answering on port ${port}`);
    if (await pong(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer PING on port ${port} within 10 s`);
}

function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}
