// The OpenAI SDK pointed at a loopback server that overloads as OpenAI does, with sluice as its
// fetch: pause, pacing, one request per attempt, and OpenAI's own error classes.

import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startLoopbackServer } from '../../mocks/loopback.js';
import { tokenBucket } from '../../mocks/token-bucket.js';
import { createClient, type SluiceClient } from '../../src/client.js';
import type { ClientOptions } from '../../src/client-options.js';
import { isRateLimitedError } from '../../src/errors.js';
import { retryDefaults } from '../../src/retry/policy.js';
import { monotonicClock } from '../helpers/arrivals.js';
import { scriptedOrigin } from './scripted-origin.js';
import { openai as vendor } from './vendor-responses.js';

// The SDK's own retries are off (maxRetries: 0): sluice retries, so a logical call costs the
// server one request per sluice attempt and never attempts × SDK retries.
const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const resource of open.splice(0).reverse()) await resource.close();
});

function sdk(origin: string, options: ClientOptions = {}): { client: SluiceClient; openai: OpenAI } {
  const client = createClient({ now: monotonicClock, ...options });
  open.push(client);
  const openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${origin}/v1`, fetch: client.fetch, maxRetries: 0 });
  return { client, openai };
}

const tagged = (call: string) => ({ headers: { 'x-call': call } });

describe('OpenAI SDK over sluice', () => {
  it('a 429 pauses the origin for every concurrent call, and each call costs one request per attempt', async () => {
    const origin = await scriptedOrigin([vendor.rateLimited(200), vendor.ok(vendor.models)]);
    open.push(origin);
    const { client, openai } = sdk(origin.server.origin);
    // The other calls start the moment the pause does, so they are concurrent with it however
    // slow the machine; the assertions are on where their requests arrived, not on durations.
    const list = (call: string) => openai.models.list(tagged(call));
    const paused = new Promise<{ until: number; issuedAt: number; others: ReturnType<typeof list>[] }>((resolve) => {
      client.on('pause', ({ until }) => {
        const issuedAt = monotonicClock();
        queueMicrotask(() => resolve({ until, issuedAt, others: ['b', 'c'].map(list) }));
      });
    });

    const first = list('a');
    const { until, issuedAt, others } = await paused;
    for (const page of await Promise.all([first, ...others])) expect(page.data[0]?.id).toBe('gpt-test');
    expect(issuedAt).toBeLessThan(until);
    expect(origin.requestsPerCall()).toEqual({ a: 2, b: 1, c: 1 });
    for (const arrival of origin.arrivals.slice(1)) expect(arrival.at).toBeGreaterThanOrEqual(until);
    expect(client.stats(origin.server.origin)?.counters).toMatchObject({ throttled: 1, retried: 1 });
  });

  it('sends a chat completion (POST, no Idempotency-Key) once: its 429 is OpenAI’s RateLimitError and pauses the origin', async () => {
    const origin = await scriptedOrigin([vendor.rateLimited(30_000), vendor.ok(vendor.completion)]);
    open.push(origin);
    const { client, openai } = sdk(origin.server.origin);
    const error = await openai.chat.completions
      .create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }, tagged('a'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).status).toBe(429);
    expect(origin.requestsPerCall()).toEqual({ a: 1 });
    expect(client.stats(origin.server.origin)?.pausedUntil).toBeGreaterThan(monotonicClock() + 20_000);
  });

  it('retries a chat completion’s 429 on server time when POST may be retried, and the call succeeds', async () => {
    const origin = await scriptedOrigin([vendor.rateLimited(60), vendor.rateLimited(60), vendor.ok(vendor.completion)]);
    open.push(origin);
    const { openai } = sdk(origin.server.origin, { retry: { methods: [...retryDefaults.methods, 'POST'] } });
    const completion = await openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }, tagged('a'));
    expect(completion.choices[0]?.message.content).toBe('hi');
    expect(origin.requestsPerCall()).toEqual({ a: 3 });
    const [first, second, third] = origin.arrivals;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(60);
    expect(third!.at - second!.at).toBeGreaterThanOrEqual(60);
  });

  it('fails a call fast with APIConnectionError caused by sluice’s RateLimitedError while paused past maxRetryAfter', async () => {
    const origin = await scriptedOrigin([vendor.rateLimited(120_000)]);
    open.push(origin);
    const { openai } = sdk(origin.server.origin);
    await expect(openai.models.list(tagged('a'))).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    const error = await openai.models.list(tagged('b')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(isRateLimitedError((error as Error).cause)).toBe(true);
    expect(origin.requestsPerCall()).toEqual({ a: 1 });
  });

  it('paces calls from OpenAI’s rate-limit headers; each 429 costs exactly one re-send', async () => {
    const bucket = tokenBucket({ rate: 20, burst: 4, dialect: 'openai', retryAfter: 'ms' });
    const server = await startLoopbackServer(bucket.handlers);
    open.push(server);
    const { client, openai } = sdk(server.origin);
    const pages = await Promise.all(Array.from({ length: 12 }, () => openai.models.list()));
    expect(pages).toHaveLength(12);
    expect(bucket.counters.received).toBe(12 + bucket.counters.rejected);
    const stats = client.stats(server.origin)!;
    // Paced: from the headers, or (when the 429s came first, as on a loaded machine) from the throttles.
    expect(['header', 'estimated', 'held']).toContain(stats.rateState);
    expect(stats.rate).toBeLessThan(Infinity);
    expect(stats.counters.throttled).toBe(bucket.counters.rejected);
  });
});
