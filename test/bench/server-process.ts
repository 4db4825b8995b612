// The overloaded server of a benchmark run, in its own process so that client and server do not
// share an event loop (or a CPU's worth of timer lateness). Usage, also by hand:
//   npx tsx test/bench/server-process.ts '{"kind":"tokenBucket","options":{"rate":100,"burst":10,"dialect":"ietf"}}'
// It listens on 127.0.0.1, reports { type: 'ready', port } and, when asked, its counters — over
// IPC when started with an IPC channel, else as JSON lines on stdout (counters at exit/SIGTERM).

import { createServer } from 'node:http';
import { brownout } from '../../mocks/brownout.js';
import { concurrencyLimited } from '../../mocks/concurrency-limited.js';
import { flaky } from '../../mocks/flaky.js';
import { loadShedding } from '../../mocks/load-shedding.js';
import { startLoopbackServer } from '../../mocks/loopback.js';
import { sequence } from '../../mocks/sequence.js';
import { tokenBucket } from '../../mocks/token-bucket.js';
import type { ServerCommand, ServerConfig, ServerMessage } from './protocol.js';
import { serveOnLoopback, type RunningServer } from './running-server.js';

const config = JSON.parse(process.argv[2] ?? '{"kind":"plain"}') as ServerConfig;
const running = await start(config);

const send = (message: ServerMessage) => {
  if (process.send) process.send(message);
  else console.log(JSON.stringify(message));
};
const snapshot = (): ServerMessage => ({
  type: 'counters',
  counters: running.counters(),
  ...(running.connections ? { connections: running.connections() } : {}),
});

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

async function start(config: ServerConfig): Promise<RunningServer> {
  switch (config.kind) {
    case 'plain':
      return startPlain(config);
    // Loaded on demand: a mock's process need not load express or fastify.
    case 'expressRateLimit':
      return (await import('./real-servers/express-rate-limit.js')).startExpressRateLimit(config.options);
    case 'fastifyRateLimit':
      return (await import('./real-servers/fastify-rate-limit.js')).startFastifyRateLimit(config.options);
    case 'nginx':
      return (await import('./real-servers/nginx.js')).startNginx(config.options);
    case 'resetProbe':
      return (await import('./reset-probe-server.js')).startResetProbe(config.mode);
  }
  const mock = (() => {
    switch (config.kind) {
      case 'tokenBucket':
        return tokenBucket({ ...config.options, logLimit: 0 });
      case 'concurrencyLimited':
        return concurrencyLimited(config.options);
      case 'loadShedding':
        return loadShedding(config.options);
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

/** A bare node:http server (no msw in the path), answering 429 at the scripted request numbers. */
function startPlain(config: Extract<ServerConfig, { kind: 'plain' }>): Promise<RunningServer> {
  const { throttleAt, throttleEvery, retryAfterSeconds = 1 } = config;
  const body = Buffer.from('ok');
  let received = 0;
  return serveOnLoopback(
    createServer((_req, res) => {
      const n = received++;
      if (n === throttleAt || (throttleEvery !== undefined && n % throttleEvery === throttleEvery - 1)) {
        res.writeHead(429, { 'retry-after': String(retryAfterSeconds), 'content-length': 0 });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
      res.end(body);
    }),
  );
}
