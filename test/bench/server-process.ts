// The overloaded server of a benchmark run, in its own process so that client and server do not
// share an event loop (or a CPU's worth of timer lateness). Usage, also by hand:
//   npx tsx test/bench/server-process.ts '{"kind":"tokenBucket","options":{"rate":100,"burst":10,"dialect":"ietf"}}'
// It listens on 127.0.0.1, reports { type: 'ready', port } and, when asked, its counters — over
// IPC when started with an IPC channel, else as JSON lines on stdout (counters at exit/SIGTERM).

import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { brownout } from '../../mocks/brownout.js';
import { concurrencyLimited } from '../../mocks/concurrency-limited.js';
import { flaky } from '../../mocks/flaky.js';
import { startLoopbackServer } from '../../mocks/loopback.js';
import { sequence } from '../../mocks/sequence.js';
import { tokenBucket } from '../../mocks/token-bucket.js';
import type { ServerCommand, ServerConfig, ServerMessage } from './protocol.js';
import { trackConnections } from '../../mocks/internal.js';

interface Running {
  port: number;
  counters(): Record<string, number>;
  connections(): { total: number; open: number };
  close(): Promise<void>;
}

const config = JSON.parse(process.argv[2] ?? '{"kind":"plain"}') as ServerConfig;
const running = await start(config);

const send = (message: ServerMessage) => {
  if (process.send) process.send(message);
  else console.log(JSON.stringify(message));
};
const snapshot = (): ServerMessage => ({ type: 'counters', counters: running.counters(), connections: running.connections() });

send({ type: 'ready', port: running.port, origin: `http://127.0.0.1:${running.port}` });

async function stop(): Promise<void> {
  send(snapshot());
  // Give IPC a moment to flush, then close; the process ends when nothing is left.
  await running.close();
  process.disconnect?.();
  process.exit(0);
}

process.on('message', (command: ServerCommand) => {
  if (command.type === 'counters') send(snapshot());
  else if (command.type === 'stop') void stop();
});
// The parent went away without asking: do not linger as an orphan.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => void stop());

async function start(config: ServerConfig): Promise<Running> {
  if (config.kind === 'plain') return startPlain(config.throttleAt, config.retryAfterSeconds ?? 1);
  const mock = (() => {
    switch (config.kind) {
      case 'tokenBucket':
        return tokenBucket({ ...config.options, logLimit: 0 });
      case 'concurrencyLimited':
        return concurrencyLimited(config.options);
      case 'flaky':
        return flaky(config.options);
      case 'brownout':
        return brownout(config.options);
      case 'sequence':
        return sequence(config.entries, { logLimit: 0 });
    }
  })();
  const server = await startLoopbackServer(mock.handlers);
  return {
    port: server.port,
    counters: () => ({ ...(mock.counters as unknown as Record<string, number>) }),
    connections: () => ({ ...server.connections }),
    close: () => server.close(),
  };
}

async function startPlain(throttleAt: number | undefined, retryAfterSeconds: number): Promise<Running> {
  const counters = { received: 0, rejected: 0 };
  const body = Buffer.from('ok');
  const server: Server = createServer((_req, res) => {
    if (counters.received++ === throttleAt) {
      counters.rejected++;
      res.writeHead(429, { 'retry-after': String(retryAfterSeconds), 'content-length': 0 });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  });
  const { counts: connections } = trackConnections(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    counters: () => ({ ...counters }),
    connections: () => ({ ...connections }),
    async close() {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
