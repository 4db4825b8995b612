// close() as a program meets it: a child process leaves a request in every state, closes its
// client, and must see close() resolve by the end of the grace period and then exit by itself.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { behaviours, drip, response, startRawServer, type RawServer } from './helpers/raw-http-server.js';

const script = fileURLToPath(new URL('./scripts/close-in-every-state.mjs', import.meta.url));
const source = fileURLToPath(new URL('../src/index.ts', import.meta.url));

const servers: RawServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

interface Run {
  closeMs: number;
  outcomes: Record<string, string>;
  /** ms from close() resolving to Node's 'exit' event: nothing of sluice's kept the loop alive. */
  exitLagMs: number;
  exitCode: number | null;
}

function runChild(args: string[], limitMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, SLUICE_ENTRY: source },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // A child that does not exit by itself fails the test; it is killed by its own pid.
    const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('error', reject);
    child.on('exit', (exitCode) => {
      clearTimeout(killer);
      try {
        const [line, exitLine] = output.trim().split('\n').slice(-2);
        const result = JSON.parse(line ?? '') as Omit<Run, 'exitLagMs' | 'exitCode'> & { closedAt: number };
        const { exitEventAt } = JSON.parse(exitLine ?? '') as { exitEventAt: number };
        resolve({ closeMs: result.closeMs, outcomes: result.outcomes, exitLagMs: exitEventAt - result.closedAt, exitCode });
      } catch {
        reject(new Error(`child printed no result (exit ${exitCode}): ${output}`));
      }
    });
  });
}

describe('a process that closes its client with requests in every state', () => {
  it('sees close() resolve by the end of the grace period, every request settle, and exits by itself', async () => {
    const silent = await startRawServer(behaviours.silent);
    const refusing = await startRawServer((socket) => void socket.write(response(429, { 'Retry-After': 60 })));
    const dripping = await startRawServer((socket) => void drip(socket, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 10));
    const uploading = await startRawServer(behaviours.silent);
    servers.push(silent, refusing, dripping, uploading);

    const grace = 500;
    const run = await runChild([silent.origin, refusing.origin, dripping.origin, `${uploading.origin}/upload`, String(grace)], 20_000);

    expect(run.outcomes).toEqual({
      inFlight: 'ClientClosedError',
      queued: 'ClientClosedError',
      backingOff: 'ClientClosedError',
      upload: 'ClientClosedError',
      // The body's connection was the client's own Agent's: destroyed when the grace period ended.
      streaming: 'body: TypeError',
    });
    // Bounds, not timings: close() waited for the grace period and not for the 60 s Retry-After.
    expect(run.closeMs).toBeGreaterThanOrEqual(grace - 5);
    expect(run.closeMs).toBeLessThan(grace + 2000);
    expect(run.exitCode).toBe(0);
    // Nothing was left to keep the event loop alive: Node began to exit right after.
    expect(run.exitLagMs).toBeLessThan(1000);
    expect(refusing.counters.requests).toBe(1);
  });
});
