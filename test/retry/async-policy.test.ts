import { afterEach, describe, expect, it } from 'vitest';
import { request, Agent } from 'undici';
import { createClient, type SluiceClient } from '../../src/client.js';
import { createRetryPolicy, type RetryContext, type RetryDecision, type RetryPolicy } from '../../src/retry/policy.js';
import { sluice } from '../../src/undici/index.js';
import { startLoopbackServer, type LoopbackServer } from '../../mocks/loopback.js';
import { sequence } from '../../mocks/sequence.js';
import { waitUntil } from '../helpers/wait-until.js';

const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const resource of open.splice(0).reverse()) await resource.close();
});

async function serve(statuses: number[]) {
  const script = sequence(statuses.map((status) => ({ status, headers: { 'retry-after-ms': '1' } })));
  const server: LoopbackServer = await startLoopbackServer(script.handlers);
  open.push(server);
  return { script, server, url: `${server.origin}/thing` };
}

/** The default policy, asked asynchronously (as a policy consulting a quota service would be). */
function deferred(onAsk?: (context: RetryContext) => Promise<void>): RetryPolicy & { asked: number } {
  const base = createRetryPolicy({ backoff: { base: 1 } });
  const policy = {
    asked: 0,
    async decide(context: RetryContext): Promise<RetryDecision> {
      policy.asked++;
      await onAsk?.(context);
      return base.decide(context);
    },
  };
  return policy;
}

describe('a retry policy that decides asynchronously', () => {
  it('is awaited by the fetch facade: retried as it decides', async () => {
    const { script, url } = await serve([503, 200]);
    const policy = deferred(() => new Promise((resolve) => setTimeout(resolve, 5)));
    const client: SluiceClient = createClient({ retry: policy });
    open.push(client);
    expect((await client.fetch(url)).status).toBe(200);
    expect([script.counters.received, policy.asked]).toEqual([2, 2]);
  });

  it('is awaited by the interceptor', async () => {
    const { script, url } = await serve([429, 503, 200]);
    const policy = deferred();
    const agent = new Agent().compose(sluice({ retry: policy }));
    open.push(agent);
    const { statusCode, body } = await request(url, { dispatcher: agent });
    await body.dump();
    expect(statusCode).toBe(200);
    expect(script.counters.received).toBe(3);
  });

  it('holds no slot of the gate while it decides', async () => {
    const { server, url } = await serve([503, 200]);
    let resume!: () => void;
    let deciding = false;
    const policy = deferred(async () => {
      if (policy.asked > 1) return;
      deciding = true;
      await new Promise<void>((resolve) => (resume = resolve));
    });
    const client = createClient({ retry: policy, limits: { concurrency: 1 } });
    open.push(client);
    const pending = client.fetch(url);
    await waitUntil(() => deciding, 'the policy to be asked');
    expect(client.stats(server.origin)).toMatchObject({ inFlight: 0 });
    resume();
    expect((await pending).status).toBe(200);
  });

  it('fails the request with the reason it rejects with', async () => {
    const { url, script } = await serve([503, 200]);
    const failure = new Error('quota service unreachable');
    const client = createClient({ retry: { decide: () => Promise.reject(failure) } });
    open.push(client);
    await expect(client.fetch(url)).rejects.toBe(failure);
    expect(script.counters.received).toBe(1);
  });
});
