// The two servers of the fleet benchmark that must see time and concurrency as they happen (so
// they run in the orchestrator itself, on 127.0.0.1): one 429 at a chosen request, and 16 slots.

import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SENDER_HEADER } from './fleet-protocol.js';

export interface BenchServer {
  origin: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closeServer(server: Server): Promise<void> {
  const closed = once(server, 'close');
  server.close();
  server.closeAllConnections();
  await closed;
}

export interface PauseOnceServer extends BenchServer {
  /** Epoch ms at which the 429 was sent (undefined before). */
  readonly refusedAt: number | undefined;
  /** Requests that arrived within `retryAfterS` after the 429 was sent. */
  readonly duringPause: number;
  /** Those requests: when each arrived (epoch ms) and the pid its sender named. */
  readonly arrivalsDuringPause: readonly { at: number; sender: number }[];
  readonly received: number;
}

/**
 * Answers 200 after `latencyMs`, except request number `refuseAt`, answered at once with 429
 * and `Retry-After: retryAfterS`. Counts the requests that arrive while that pause lasts.
 */
export async function startPauseOnce(refuseAt: number, retryAfterS: number, latencyMs: number): Promise<PauseOnceServer> {
  let received = 0;
  let refusedAt: number | undefined;
  const arrivalsDuringPause: { at: number; sender: number }[] = [];
  const now = () => performance.timeOrigin + performance.now();
  const server = createServer((req, res) => {
    const n = received++;
    const at = now();
    if (refusedAt !== undefined && at - refusedAt < retryAfterS * 1000) arrivalsDuringPause.push({ at, sender: Number(req.headers[SENDER_HEADER]) });
    if (n === refuseAt) {
      refusedAt = at;
      res.writeHead(429, { 'retry-after': String(retryAfterS), 'content-length': 0 });
      res.end();
      return;
    }
    setTimeout(() => {
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
    }, latencyMs);
  });
  const origin = await listen(server);
  return {
    origin,
    get refusedAt() {
      return refusedAt;
    },
    get duringPause() {
      return arrivalsDuringPause.length;
    },
    arrivalsDuringPause,
    get received() {
      return received;
    },
    close: () => closeServer(server),
  };
}

export interface SlotsServer extends BenchServer {
  readonly received: number;
  readonly refused: number;
  /** The most requests open at once (arrived, not yet answered), per whole second since `startedAt`. */
  peakPerSecond(startedAt: number): number[];
  /** Requests open at each arrival, from `from` on (epoch ms). */
  openAtArrivals(from: number): number[];
}

/**
 * `slots` requests are held `latencyMs` each and answered 200; an arrival that finds them all
 * held is answered 503 with `Retry-After: retryAfterS` at once (the load-shedding server of the
 * benchmark's group 8). Records how many requests were open at each arrival.
 */
export async function startSlots(slots: number, latencyMs: number, retryAfterS: number): Promise<SlotsServer> {
  let held = 0;
  let open = 0;
  let received = 0;
  let refused = 0;
  const arrivals: { at: number; open: number }[] = [];
  const now = () => performance.timeOrigin + performance.now();
  const server = createServer((_req, res) => {
    received++;
    open++;
    arrivals.push({ at: now(), open });
    res.once('close', () => open--);
    if (held >= slots) {
      refused++;
      res.writeHead(503, { 'retry-after': String(retryAfterS), 'content-length': 0 });
      res.end();
      return;
    }
    held++;
    setTimeout(() => {
      held--;
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
    }, latencyMs);
  });
  const origin = await listen(server);
  return {
    origin,
    get received() {
      return received;
    },
    get refused() {
      return refused;
    },
    peakPerSecond(startedAt) {
      const peaks: number[] = [];
      for (const { at, open } of arrivals) {
        const second = Math.max(0, Math.floor((at - startedAt) / 1000));
        peaks[second] = Math.max(peaks[second] ?? 0, open);
      }
      return Array.from(peaks, (peak) => peak ?? 0);
    },
    openAtArrivals: (from) => arrivals.filter((a) => a.at >= from).map((a) => a.open),
    close: () => closeServer(server),
  };
}
