import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { EnvHttpProxyAgent } from 'undici';
import { describe, expect, it } from 'vitest';
import { envProxyWanted, proxyFromEnv } from '../../src/cli/proxy-from-env.js';
import { runCliProcess } from '../helpers/run-cli.js';

describe('proxies from the environment', () => {
  it('are used only when opted in as Node 24 does (NODE_USE_ENV_PROXY=1 or --use-env-proxy)', async () => {
    expect(envProxyWanted({}, [])).toBe(false);
    expect(envProxyWanted({ NODE_USE_ENV_PROXY: '1' }, [])).toBe(true);
    expect(envProxyWanted({}, ['--use-env-proxy'])).toBe(true);
    expect(envProxyWanted({ NODE_OPTIONS: '--use-env-proxy' }, [])).toBe(true);
    expect(proxyFromEnv({ HTTP_PROXY: 'http://127.0.0.1:9' }, [])).toBeUndefined();
    expect(proxyFromEnv({ NODE_USE_ENV_PROXY: '1' }, [])).toBeUndefined();
    const agent = proxyFromEnv({ NODE_USE_ENV_PROXY: '1', HTTPS_PROXY: 'http://127.0.0.1:9' }, []);
    expect(agent).toBeInstanceOf(EnvHttpProxyAgent);
    await agent!.close();
  });

  it('sluice get and run send through HTTP_PROXY when opted in', async () => {
    // A forward proxy for plain http: it receives the absolute URL and answers itself.
    const seen: string[] = [];
    const proxy = createServer((req, res) => {
      seen.push(req.url!);
      res.end('via proxy');
    });
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    const { port } = proxy.address() as AddressInfo;
    const env = { NODE_USE_ENV_PROXY: '1', HTTP_PROXY: `http://127.0.0.1:${port}`, NO_PROXY: '' };
    try {
      const get = await runCliProcess(['get', 'http://upstream.invalid/one'], { env });
      expect(get).toMatchObject({ code: 0, stdout: 'via proxy' });
      const run = await runCliProcess(['run', '-'], { env, stdin: 'http://upstream.invalid/two\n' });
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ status: 200, body: 'via proxy' });
      expect(seen).toEqual(['http://upstream.invalid/one', 'http://upstream.invalid/two']);
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  });
});
