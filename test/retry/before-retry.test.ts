import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { createClient, type SluiceClient } from '../../src/client.js';
import type { ClientOptions } from '../../src/client-options.js';
import { InvalidOptionError } from '../../src/errors.js';
import type { BeforeRetryContext } from '../../src/retry/before-retry.js';
import { sluice } from '../../src/undici/index.js';
import { startLoopbackServer, type LoopbackServer } from '../../mocks/loopback.js';
import { sequence, type SequenceEntry } from '../../mocks/sequence.js';
import { refusedFirst } from '../helpers/refused-once.js';
import { waitUntil } from '../helpers/wait-until.js';

const fast = { 'retry-after-ms': '5' };
const expired: SequenceEntry = { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } };
const open: { close(): Promise<unknown> }[] = [];

afterEach(async () => {
  for (const resource of open.splice(0).reverse()) await resource.close();
});

async function serve(entries: SequenceEntry[], options: ClientOptions = {}) {
  const script = sequence(entries);
  const server: LoopbackServer = await startLoopbackServer(script.handlers);
  open.push(server);
  const client: SluiceClient = createClient({ retry: { statusCodes: [401, 503], backoff: { base: 1 } }, ...options });
  open.push(client);
  return { script, client, origin: server.origin, url: `${server.origin}/resource` };
}

describe('beforeRetry with fetch', () => {
  it('refreshes a token between attempts: the retry carries the new header', async () => {
    const seen: Omit<BeforeRetryContext, 'url' | 'headers' | 'signal' | 'response'>[] = [];
    const { client, url, script } = await serve([expired, { status: 200, body: 'ok' }], {
      async beforeRetry({ attempt, delay, source, response, error, method, headers }) {
        seen.push({ attempt, delay, source, error, method });
        expect(response?.status).toBe(401);
        expect(response?.headers.get('www-authenticate')).toContain('invalid_token');
        headers.set('authorization', `Bearer ${await Promise.resolve('fresh')}`);
      },
    });
    const response = await client.fetch(url, { headers: { Authorization: 'Bearer stale' } });
    expect([response.status, await response.text()]).toEqual([200, 'ok']);
    expect(script.log.map((entry) => entry.headers.authorization)).toEqual(['Bearer stale', 'Bearer fresh']);
    expect(seen).toEqual([{ attempt: 2, delay: expect.any(Number), source: 'backoff', error: undefined, method: 'GET' }]);
  });

  it('waits for an async hook before the next attempt', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { client, url, script } = await serve([{ status: 503, headers: fast }, { status: 200 }], {
      beforeRetry: () => gate,
    });
    const pending = client.fetch(url);
    await waitUntil(() => script.counters.received === 1, 'the first attempt');
    // The hook holds the retry: nothing more reaches the server until it settles.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(script.counters.received).toBe(1);
    release();
    expect((await pending).status).toBe(200);
    expect(script.counters.received).toBe(2);
  });

  it('sends the next attempt to the URL the hook left, keeping the query it set', async () => {
    const { client, url, script } = await serve([{ status: 503, headers: fast }, { status: 200 }], {
      beforeRetry: (context) => {
        context.url = new URL('/mirror?region=eu', context.url);
      },
    });
    await client.fetch(`${url}?a=1`);
    expect(script.log.map((entry) => new URL(entry.url).pathname + new URL(entry.url).search)).toEqual(['/resource?a=1', '/mirror?region=eu']);
  });

  it('sees the transport error when the attempt got no response', async () => {
    const refusing = await refusedFirst();
    open.push(refusing.agent);
    const contexts: BeforeRetryContext[] = [];
    const { client, url } = await serve([{ status: 200 }], { dispatcher: refusing.agent, beforeRetry: (context) => void contexts.push(context) });
    expect((await client.fetch(url, { method: 'POST', body: 'x' })).status).toBe(200);
    expect(contexts).toHaveLength(1);
    expect(contexts[0]!.response).toBeUndefined();
    expect(contexts[0]!.error).toBeInstanceOf(TypeError);
    expect((contexts[0]!.error as TypeError).cause).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it("runs the request's own hook after the client's", async () => {
    const order: string[] = [];
    const { client, url } = await serve([{ status: 503, headers: fast }, { status: 200 }], { beforeRetry: () => void order.push('client') });
    await client.fetch(url, { sluice: { beforeRetry: () => void order.push('request') } });
    expect(order).toEqual(['client', 'request']);
  });

  it('fails the request with what the hook threw, and sends nothing more', async () => {
    const failure = new Error('could not refresh the token');
    const { client, url, script } = await serve([expired, { status: 200 }], {
      beforeRetry: async () => {
        throw failure;
      },
    });
    await expect(client.fetch(url)).rejects.toBe(failure);
    expect(script.counters.received).toBe(1);
  });

  it("stops waiting for a slow hook as soon as the caller aborts, and aborts the hook's signal", async () => {
    let hookSignal: AbortSignal | undefined;
    const { client, url, script } = await serve([{ status: 503, headers: fast }, { status: 200 }], {
      beforeRetry: ({ signal }) => {
        hookSignal = signal;
        return new Promise(() => {});
      },
    });
    const controller = new AbortController();
    const pending = client.fetch(url, { signal: controller.signal });
    await waitUntil(() => hookSignal !== undefined, 'the hook to run');
    controller.abort(new Error('user gave up'));
    await expect(pending).rejects.toThrow('user gave up');
    expect(hookSignal!.aborted).toBe(true);
    expect(script.counters.received).toBe(1);
  });

  it('is checked like every option', () => {
    expect(() => createClient({ beforeRetry: 'refresh' as never })).toThrow(InvalidOptionError);
    expect(() => createClient({ beforeRetry: 'refresh' as never })).toThrow('Expected `beforeRetry` to be a function');
  });

  it('names init.sluice.beforeRetry when it is not a function', async () => {
    const { client, url } = await serve([{ status: 200 }]);
    await expect(client.fetch(url, { sluice: { beforeRetry: 1 as never } })).rejects.toThrow('Expected `init.sluice.beforeRetry` to be a function');
  });
});

describe('beforeRetry with the interceptor', () => {
  it('changes the headers and URL of the next dispatch, and sees the response as a Response', async () => {
    const script = sequence([expired, { status: 200, body: 'ok' }]);
    const server = await startLoopbackServer(script.handlers);
    open.push(server);
    const statuses: number[] = [];
    const agent = new Agent().compose(
      sluice({
        retry: { statusCodes: [401], backoff: { base: 1 } },
        beforeRetry({ response, headers, url }) {
          statuses.push(response!.status);
          headers.set('authorization', 'Bearer fresh');
          url.pathname = '/v2/resource';
        },
      }),
    );
    open.push(agent);
    const { statusCode, body } = await request(`${server.origin}/resource`, { dispatcher: agent, headers: { authorization: 'Bearer stale', 'x-kept': 'yes' } });
    expect([statusCode, await body.text()]).toEqual([200, 'ok']);
    expect(statuses).toEqual([401]);
    expect(script.log.map((entry) => [new URL(entry.url).pathname, entry.headers.authorization, entry.headers['x-kept']])).toEqual([
      ['/resource', 'Bearer stale', 'yes'],
      ['/v2/resource', 'Bearer fresh', 'yes'],
    ]);
  });

  it("runs opts.sluice.beforeRetry after the interceptor's own", async () => {
    const script = sequence([{ status: 503, headers: fast }, { status: 200 }]);
    const server = await startLoopbackServer(script.handlers);
    open.push(server);
    const order: string[] = [];
    const agent = new Agent().compose(sluice({ retry: { backoff: { base: 1 } }, beforeRetry: () => void order.push('interceptor') }));
    open.push(agent);
    await (await request(`${server.origin}/x`, { dispatcher: agent, sluice: { beforeRetry: () => void order.push('request') } })).body.dump();
    expect(order).toEqual(['interceptor', 'request']);
  });
});
