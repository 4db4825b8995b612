import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { MAX_DELAY_MS } from '../../src/duration.js';
import { ClientClosedError, InvalidOptionError } from '../../src/errors.js';
import type { RetryPolicy } from '../../src/retry/policy.js';
import { sluice } from '../../src/undici/index.js';
import { activeResources, leftoverResources } from '../helpers/active-resources.js';
import { behaviours, response, startRawServer } from '../helpers/raw-http-server.js';
import { finishAll, rig, settle } from '../helpers/reliability-harness.js';
import { waitUntil } from '../helpers/wait-until.js';

// A caller can hand sluice a broken policy, an absurd duration or a hook that never returns.
// Each must end in a clear typed error or a close() that finishes — never a TypeError from
// sluice's insides, a 24-day sleep, or a socket left open.

afterEach(finishAll);

const refusing = (socket: import('node:net').Socket) => void socket.write(response(503, { 'Retry-After': 0 }, 'busy'));

describe('a custom retry policy that answers nonsense', () => {
  it.each([
    ['undefined', () => undefined],
    ['a decision without `retry`', () => ({ delay: 10 })],
    ['delay: Infinity', () => ({ retry: true, delay: Infinity, source: 'backoff' })],
    ['delay: 1e12', () => ({ retry: true, delay: 1e12, source: 'server' })],
  ])('(%s) fails the request with InvalidOptionError and releases the response', async (_what, decide) => {
    const { client, url, server, finish } = await rig(refusing, { retry: { decide } as unknown as RetryPolicy });
    const outcome = await settle(client.fetch(url));
    const error = (outcome as { error: unknown }).error;
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toMatch(/^Expected `retry\.decide\(\) result(\.delay)?` to be /);
    expect(server.counters.requests).toBe(1);
    expect(await finish()).toEqual([]);
  });

  it('fails an intercepted request the same way', async () => {
    const baseline = activeResources();
    const server = await startRawServer(refusing);
    const interceptor = sluice({ retry: { decide: () => ({ retry: true, delay: Infinity, source: 'backoff' }) } });
    const agent = new Agent().compose(interceptor);
    await expect(request(`${server.origin}/x`, { dispatcher: agent })).rejects.toBeInstanceOf(InvalidOptionError);
    await interceptor.close();
    await agent.close();
    await server.close();
    expect(await leftoverResources(baseline)).toEqual([]);
  });

  it('that throws fails the request with what it threw, and releases the response', async () => {
    const failure = new Error('policy bug');
    const { client, url, finish } = await rig(refusing, {
      retry: {
        decide: () => {
          throw failure;
        },
      },
    });
    expect(await settle(client.fetch(url))).toEqual({ error: failure });
    expect(await finish()).toEqual([]);
  });
});

describe('close() while a request waits on the caller’s own code', () => {
  it('ends a 20-day delay a custom policy chose', async () => {
    const { client, url, finish } = await rig(refusing, { retry: { decide: () => ({ retry: true, delay: 20 * 24 * 3600 * 1000, source: 'backoff' }) } });
    const retried = new Promise((resolve) => client.on('retry', resolve));
    const pending = settle(client.fetch(url));
    await retried;
    await client.close();
    expect((await pending as { error: unknown }).error).toBeInstanceOf(ClientClosedError);
    expect(await finish()).toEqual([]);
  });

  it('ends the wait for an asynchronous decision that never comes', async () => {
    let asked = false;
    const { client, url, finish } = await rig(refusing, {
      retry: {
        decide: () => {
          asked = true;
          return new Promise(() => {});
        },
      },
    });
    const pending = settle(client.fetch(url));
    await waitUntil(() => asked, 'the policy was asked');
    await client.close();
    expect((await pending as { error: unknown }).error).toBeInstanceOf(ClientClosedError);
    expect(await finish()).toEqual([]);
  });

  it('ends the wait for a beforeRetry hook that never returns', async () => {
    let called = false;
    const { client, url, finish } = await rig(refusing, {
      beforeRetry: () => {
        called = true;
        return new Promise(() => {});
      },
    });
    const pending = settle(client.fetch(url));
    await waitUntil(() => called, 'the hook was called');
    await client.close();
    expect((await pending as { error: unknown }).error).toBeInstanceOf(ClientClosedError);
    expect(await finish()).toEqual([]);
  });
});

describe('a retry that an attempt in flight needs once close() began', () => {
  it('fails with ClientClosedError instead of being sent', async () => {
    let answer: (() => void) | undefined;
    const { client, url, server, finish } = await rig((socket) => {
      answer = () => void socket.write(response(503, { 'retry-after-ms': 1 }));
    });
    const pending = settle(client.fetch(url));
    await waitUntil(() => answer !== undefined, 'the request reached the server');
    const closing = client.close();
    answer!();
    expect((await pending as { error: unknown }).error).toBeInstanceOf(ClientClosedError);
    await closing;
    expect(server.counters.requests).toBe(1);
    expect(await finish()).toEqual([]);
  });
});

describe('the longest queueTimeout a timer holds', () => {
  it('lets a queued request wait (a longer one would have been a 1 ms timer)', async () => {
    const { client, url, finish } = await rig((socket, req) => {
      setTimeout(() => socket.destroyed || behaviours.ok(socket, req), 30);
    }, { limits: { concurrency: 1, queueTimeout: MAX_DELAY_MS } });
    const answers = await Promise.all([client.fetch(url), client.fetch(url), client.fetch(url)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    await Promise.all(answers.map((a) => a.text()));
    expect(await finish()).toEqual([]);
  });
});
