// nginx in the foreground as a child of the benchmark's server process, in front of a node
// upstream: config and logs in a temp dir, counters read from its access log, stopped by pid.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveOnLoopback, tallyStatus, type RunningServer } from '../running-server.js';
import { nginxConfig, type NginxOptions } from './nginx-config.js';

/** The nginx binary, or undefined when it is not installed (it lives in /usr/sbin on Debian). */
export function findNginx(): string | undefined {
  for (const candidate of ['nginx', '/usr/sbin/nginx']) {
    try {
      execFileSync(candidate, ['-v'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

export async function startNginx(options: NginxOptions): Promise<RunningServer> {
  const binary = findNginx();
  if (!binary) throw new Error('nginx is not installed (apt-get install -y --no-install-recommends nginx)');
  const upstream = await serveOnLoopback(
    createServer((_req, res) => {
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'), options.upstreamLatencyMs);
    }),
  );
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-nginx-'));
  const port = await freePort();
  await writeFile(join(dir, 'nginx.conf'), nginxConfig(options, dir, port, upstream.port));
  // Its own process group, so a last-resort kill reaches the worker as well as the master.
  const nginx = spawn(binary, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], {
    stdio: 'ignore',
    detached: true,
  });
  // If the server process ends without stopping it, nginx must not outlive it.
  const orphanGuard = () => nginx.kill('SIGTERM');
  process.once('exit', orphanGuard);
  try {
    await waitUntilListening(port, nginx, dir);
  } catch (error) {
    await stop(nginx);
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    counters: () => countAccessLog(join(dir, 'access.log')),
    async close() {
      await stop(nginx);
      process.off('exit', orphanGuard);
      await upstream.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The access log holds one status a line (it is written per request, unbuffered). */
function countAccessLog(path: string): Record<string, number> {
  const counters: Record<string, number> = { received: 0, rejected: 0 };
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return counters;
  }
  for (const line of text.split('\n')) {
    if (!line) continue;
    counters.received!++;
    tallyStatus(counters, Number(line));
  }
  return counters;
}

/** SIGTERM (nginx's fast shutdown) by pid; the group is killed if it has not gone in 5 s. */
async function stop(nginx: ChildProcess): Promise<void> {
  if (nginx.exitCode !== null || nginx.signalCode !== null) return;
  const exited = once(nginx, 'exit');
  nginx.kill('SIGTERM');
  const killer = setTimeout(() => process.kill(-nginx.pid!, 'SIGKILL'), 5_000);
  await exited;
  clearTimeout(killer);
}

async function freePort(): Promise<number> {
  const probe = createNetServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, 'close');
  return port;
}

async function waitUntilListening(port: number, nginx: ChildProcess, dir: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    if (nginx.exitCode !== null) break;
    const connected = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (connected) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  let log = '';
  try {
    log = readFileSync(join(dir, 'error.log'), 'utf8').trim();
  } catch {
    // no log written
  }
  throw new Error(`nginx did not start listening on 127.0.0.1:${port} (exit ${nginx.exitCode}): ${log || 'no error log'}`);
}
