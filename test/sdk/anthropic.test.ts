// The Anthropic SDK pointed at a loopback server that overloads as Anthropic does (529, 429 with
// retry-after and anthropic-ratelimit-*), with sluice's fetch and Anthropic's own error classes.

import { afterEach, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { createClient, type SluiceClient } from '../../src/client.js';
import type { ClientOptions } from '../../src/client-options.js';
import { retryDefaults } from '../../src/retry/policy.js';
import { monotonicClock } from '../helpers/arrivals.js';
import { scriptedOrigin } from './scripted-origin.js';
import { anthropic as vendor } from './vendor-responses.js';

// messages.create is a POST without an Idempotency-Key and overload is 529, neither of which
// sluice retries by default; the test that lets sluice retry opts in to both, as the SDK itself
// would have. The SDK's own retries are off (maxRetries: 0): the counts below are sluice's alone.
const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const resource of open.splice(0).reverse()) await resource.close();
});

const likeTheSdk: ClientOptions = {
  retry: {
    statusCodes: [...retryDefaults.statusCodes, 529],
    methods: [...retryDefaults.methods, 'POST'],
    backoff: { base: 20 },
  },
};

function sdk(origin: string, options: ClientOptions = {}): { client: SluiceClient; anthropic: Anthropic } {
  const client = createClient({ now: monotonicClock, ...options });
  open.push(client);
  const anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: origin, fetch: client.fetch, maxRetries: 0 });
  return { client, anthropic };
}

const ask = (anthropic: Anthropic) =>
  anthropic.messages.create(
    { model: 'claude-test', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
    { headers: { 'x-call': 'a' } },
  );

describe('Anthropic SDK over sluice', () => {
  it('waits out a 529 and a 429’s retry-after, then the call succeeds, one request per attempt', async () => {
    const origin = await scriptedOrigin([vendor.overloaded(), vendor.rateLimited(1, monotonicClock()), vendor.ok(vendor.message)]);
    open.push(origin);
    const { client, anthropic } = sdk(origin.server.origin, likeTheSdk);
    const pauses: number[] = [];
    client.on('pause', ({ until }) => pauses.push(until));

    const message = await ask(anthropic);
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'hi' });
    expect(origin.requestsPerCall()).toEqual({ a: 3 });
    const [, throttled, retried] = origin.arrivals;
    expect(retried!.at - throttled!.at).toBeGreaterThanOrEqual(1000);
    expect(pauses).toHaveLength(1);
    expect(retried!.at).toBeGreaterThanOrEqual(pauses[0]!);
  });

  it('surfaces a final 429 as Anthropic’s RateLimitError, sent once with sluice’s defaults', async () => {
    const origin = await scriptedOrigin([vendor.rateLimited(30, monotonicClock())]);
    open.push(origin);
    const { client, anthropic } = sdk(origin.server.origin);
    const error = await ask(anthropic).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(origin.requestsPerCall()).toEqual({ a: 1 });
    expect(client.stats(origin.server.origin)?.pausedUntil).toBeGreaterThan(monotonicClock() + 20_000);
  });

  it('surfaces a final 529 as Anthropic’s OverloadedError', async () => {
    const origin = await scriptedOrigin([vendor.overloaded()]);
    open.push(origin);
    const { anthropic } = sdk(origin.server.origin, { retry: { ...likeTheSdk.retry, maxRetries: 1 } as ClientOptions['retry'] });
    const error = await ask(anthropic).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.OverloadedError);
    expect(origin.requestsPerCall()).toEqual({ a: 2 });
  });
});
