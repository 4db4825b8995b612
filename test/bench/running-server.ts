// What the benchmark's server process runs, whatever the server (a mock, express, fastify,
// nginx): its port, counters and a stop; and the plumbing the node:http-based ones share.

import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trackConnections } from '../../mocks/internal.js';

export interface RunningServer {
  port: number;
  /** At least `received` and `rejected` (every non-2xx answer); more per server. */
  counters(): Record<string, number>;
  /** TCP connections, where the server can count them. */
  connections?(): { total: number; open: number };
  close(): Promise<void>;
}

/**
 * Counts what a server answers, as seen on the wire: `received`, `rejected` (any non-2xx) and
 * one `status N` entry per status — the same counters for every real server, whatever it is.
 */
export function countResponses(server: Server): Record<string, number> {
  const counters: Record<string, number> = { received: 0, rejected: 0 };
  server.on('request', (_req, res) => {
    counters.received!++;
    res.once('finish', () => tallyStatus(counters, res.statusCode));
  });
  return counters;
}

/** Adds one answer of `status` to counters shaped as {@link countResponses} makes them. */
export function tallyStatus(counters: Record<string, number>, status: number): void {
  if (status < 200 || status > 299) counters.rejected = (counters.rejected ?? 0) + 1;
  counters[`status ${status}`] = (counters[`status ${status}`] ?? 0) + 1;
}

/**
 * Listens on 127.0.0.1 on a free port and returns the server as a {@link RunningServer};
 * `counters` defaults to {@link countResponses}.
 */
export async function serveOnLoopback(server: Server, counters: () => Record<string, number> = snapshot(countResponses(server))): Promise<RunningServer> {
  const { counts: connections } = trackConnections(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    counters,
    connections: () => ({ ...connections }),
    async close() {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

const snapshot = (counters: Record<string, number>) => () => ({ ...counters });
