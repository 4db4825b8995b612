// The Stripe SDK against a loopback server that rate-limits as Stripe does (429 with
// Stripe-Should-Retry, no Retry-After), via sluice's fetch: one Idempotency-Key, StripeRateLimitError.

import { afterEach, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { createClient, type SluiceClient } from '../../src/client.js';
import type { ClientOptions } from '../../src/client-options.js';
import { scriptedOrigin } from './scripted-origin.js';
import { stripe as vendor } from './vendor-responses.js';

// Stripe's SDK keys every POST with an Idempotency-Key (even with retries off), so sluice may
// re-send a create after a 429; Stripe gives no Retry-After, so sluice backs off and slows its pace.
// The SDK's own retries are off (maxNetworkRetries: 0): the counts below are sluice's alone.
const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const resource of open.splice(0).reverse()) await resource.close();
});

function sdk(origin: string, options: ClientOptions = {}): { client: SluiceClient; stripe: Stripe } {
  const client = createClient({ retry: { backoff: { base: 20 } }, ...options });
  open.push(client);
  const { hostname, port } = new URL(origin);
  const stripe = new Stripe('sk_test_123', {
    host: hostname,
    port: Number(port),
    protocol: 'http',
    httpClient: Stripe.createFetchHttpClient(client.fetch as typeof fetch),
    maxNetworkRetries: 0,
  });
  return { client, stripe };
}

const tagged = { headers: { 'x-call': 'a' } } as Stripe.RequestOptions;

describe('Stripe SDK over sluice', () => {
  it('re-sends a create after 429s with the same Idempotency-Key, backing off, and the call succeeds', async () => {
    const origin = await scriptedOrigin([vendor.rateLimited(), vendor.rateLimited(), vendor.ok(vendor.customer)]);
    open.push(origin);
    const { client, stripe } = sdk(origin.server.origin);
    const customer = await stripe.customers.create({ email: 'a@example.com' }, tagged);
    expect(customer.id).toBe('cus_1');
    expect(origin.requestsPerCall()).toEqual({ a: 3 });
    const keys = new Set(origin.script.log.map((entry) => entry.headers['idempotency-key']));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^stripe-node-retry-/);
    const stats = client.stats(origin.server.origin)!;
    expect(stats.counters).toMatchObject({ throttled: 2, retried: 2 });
    // No server time to pause on: the throttles slowed the key's pace instead.
    expect(stats.rate).toBeLessThan(Infinity);
  });

  it('surfaces a final 429 as StripeRateLimitError', async () => {
    const origin = await scriptedOrigin([vendor.rateLimited()]);
    open.push(origin);
    const { stripe } = sdk(origin.server.origin, { retry: { maxRetries: 1, backoff: { base: 20 } } });
    const error = await stripe.customers.create({ email: 'a@example.com' }, tagged).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(error).toMatchObject({ statusCode: 429, code: 'rate_limit' });
    expect(origin.requestsPerCall()).toEqual({ a: 2 });
  });
});
