import { once } from 'node:events';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../src/client.js';
import { usesEnvProxy } from '../src/own-agent.js';
import { startLoopbackServer } from '../mocks/loopback.js';
import { sequence } from '../mocks/sequence.js';

describe('usesEnvProxy', () => {
  it.each([
    [{}, [], false],
    [{ NODE_USE_ENV_PROXY: '1' }, [], true],
    [{ NODE_USE_ENV_PROXY: '0' }, [], false],
    [{ NODE_USE_ENV_PROXY: 'true' }, [], false],
    [{}, ['--use-env-proxy'], true],
    [{ NODE_USE_ENV_PROXY: '1' }, ['--no-use-env-proxy'], false],
    [{ NODE_OPTIONS: '--max-old-space-size=100 --use-env-proxy' }, [], true],
    [{ NODE_OPTIONS: '--use-env-proxy' }, ['--no-use-env-proxy'], false],
  ] as const)('env %j with flags %j: %s', (env, flags, expected) => {
    expect(usesEnvProxy(env as NodeJS.ProcessEnv, flags)).toBe(expected);
  });
});

/** A forward proxy on loopback that tunnels CONNECT and forwards absolute-URI requests, logging both. */
async function startProxy(): Promise<{ origin: string; log: string[]; close(): Promise<void> }> {
  const log: string[] = [];
  const server: Server = createServer((req, res) => {
    log.push(`${req.method} ${req.url}`);
    const upstream = httpRequest(req.url!, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  server.on('connect', (req, socket, head) => {
    log.push(`CONNECT ${req.url}`);
    const [host, port] = req.url!.split(':');
    const upstream = connect(Number(port), host!, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

const saved = { ...process.env };
afterEach(() => {
  for (const name of ['NODE_USE_ENV_PROXY', 'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy']) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

describe('the Agent a client creates', () => {
  it('proxies from the environment when NODE_USE_ENV_PROXY=1, and honours NO_PROXY', async () => {
    const script = sequence([{ status: 200, body: 'through' }]);
    const target = await startLoopbackServer(script.handlers);
    const proxy = await startProxy();
    try {
      process.env.NODE_USE_ENV_PROXY = '1';
      process.env.HTTP_PROXY = proxy.origin;
      const proxied = createClient();
      expect(await (await proxied.fetch(`${target.origin}/via-proxy`)).text()).toBe('through');
      await proxied.close();
      expect(proxy.log).toHaveLength(1);
      expect(proxy.log[0]).toMatch(new RegExp(`^(CONNECT 127\\.0\\.0\\.1:${target.port}|GET ${target.origin}/via-proxy)$`));

      process.env.NO_PROXY = '127.0.0.1';
      const direct = createClient();
      await (await direct.fetch(`${target.origin}/direct`)).text();
      await direct.close();
      expect(proxy.log).toHaveLength(1);
      expect(script.counters.received).toBe(2);
    } finally {
      await proxy.close();
      await target.close();
    }
  });

  it('ignores HTTP_PROXY unless the process opted in, as Node 24 does', async () => {
    const script = sequence([{ status: 200 }]);
    const target = await startLoopbackServer(script.handlers);
    const proxy = await startProxy();
    try {
      delete process.env.NODE_USE_ENV_PROXY;
      process.env.HTTP_PROXY = proxy.origin;
      const client = createClient();
      await (await client.fetch(`${target.origin}/direct`)).text();
      await client.close();
      expect(proxy.log).toEqual([]);
      expect(script.counters.received).toBe(1);
    } finally {
      await proxy.close();
      await target.close();
    }
  });
});
