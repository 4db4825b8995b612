// sluice and the peers a user would pick instead, each set up the way its own documentation
// recommends (defaults, unless the docs' first example sets something), behind one call shape:
// `get(url)` settles once the logical request is over and its body, if any, is read.

import { Agent, fetch as undiciFetch, interceptors, request as undiciRequest, type Dispatcher } from 'undici';
import { loadSluice, loadSluiceBaseline, loadSluicePrometheus, loadSluiceUndici, type SluiceModule } from './build-sluice.js';
import { informedClient, informedConfiguration } from './informed-client.js';
import type { ClientName } from './protocol.js';
import type { TrueLimit } from './true-limit.js';

/** How one logical request ended. */
export type Outcome = { ok: true } | { ok: false; status: number } | { ok: false; error: string };

export interface BenchClient {
  get(url: string): Promise<Outcome>;
  /** sluice: the gate's counters for a key; the informed client: its retries. */
  gate?(url: string): Record<string, unknown> | undefined;
  close(): Promise<void>;
}

/**
 * Each peer's configuration, printed with the results. Where a peer has retries, they are its
 * documented defaults: the point is what a user gets by picking it, not a tuned rival.
 */
export const clientConfigurations: Record<ClientName, string> = {
  sluice:
    "createClient({ dispatcher: new Agent() }) — defaults: adaptive window (slow start from 10; on a 503 cut to what the origin held), adaptive pacing, 5 retries, full-jitter backoff 200 ms·2ⁿ ≤ 30 s, server time wins (≤ 60 s), retry budget 20 % + 10/s",
  'sluice+prometheus':
    "as sluice, with registerMetrics(client, { registry }) from sluice/prometheus on a fresh prom-client Registry, scraped (registry.metrics()) once a second",
  'sluice@baseline': 'as sluice, built from the git ref given by --baseline (the code before the change being measured)',
  'sluice rate:false': 'createClient({ dispatcher: new Agent(), rate: false }) — as sluice, pacing off (the yardstick of bench:serial)',
  'sluice/undici':
    "undici.request(url, { dispatcher: new Agent().compose(sluice()) }) — sluice's undici interceptor, default options (as sluice above); compared with undici.request",
  'undici.request':
    'undici.request(url, { dispatcher: new Agent() }) — undici’s recommended fast API, default Agent (unlimited connections per origin), no retry',
  'undici.fetch':
    'undici.fetch(url, { dispatcher: new Agent() }) — same transport sluice uses, default Agent, no retry (the like-for-like overhead baseline)',
  'undici retry':
    'undici.request(url, { dispatcher: new Agent().compose(interceptors.retry()) }) — documented defaults: 5 retries, 500 ms·2ⁿ ≤ 30 s, no jitter, Retry-After honoured (capped 30 s), statuses 429 500 502 503 504, throwOnError (a request that runs out of retries rejects with RequestRetryError)',
  got: 'got(url) — defaults: retry.limit 2, 1 s·2ⁿ + ≤ 100 ms noise, Retry-After honoured (no cap), statuses 408 413 429 500 502 503 504 521 522 524, errorCodes ECONNRESET ETIMEDOUT …; node:http global agent (keep-alive)',
  ky: 'ky(url).text() on the global fetch (Node’s bundled undici) — defaults: retry.limit 2, 300 ms·2ⁿ, Retry-After / RateLimit-Reset / X-RateLimit-Reset honoured for 413 429 503, no jitter, timeout 10 s per request',
  'p-retry+fetch':
    'pRetry(run, { retries: 5 }) around the global fetch, as p-retry’s README: run() throws on !response.ok (AbortError for 4xx other than 408/429); defaults factor 2, minTimeout 1 s, no randomize; Retry-After not read',
  informed: informedConfiguration,
};

/** `limit` is the server's true limit, which only the informed client is told (and needs). */
export async function createBenchClient(name: ClientName, limit?: TrueLimit): Promise<BenchClient> {
  switch (name) {
    case 'informed':
      if (!limit) throw new TypeError('Expected `limit` (the server’s true limit) for the informed client, got `undefined`');
      return informedClient(limit);
    case 'sluice':
      return sluiceClient();
    case 'sluice rate:false':
      return sluiceClient({ rate: false });
    case 'sluice+prometheus':
      return sluiceWithPrometheus();
    case 'sluice@baseline':
      return sluiceClient({}, await loadSluiceBaseline());
    case 'sluice/undici': {
      const { sluice } = await loadSluiceUndici();
      const interceptor = sluice();
      const agent = new Agent();
      const client = undiciRequestClient(agent.compose(interceptor));
      return {
        ...client,
        async close() {
          interceptor.close();
          await agent.close();
        },
      };
    }
    case 'undici.request':
      return undiciRequestClient(new Agent());
    case 'undici retry':
      return undiciRequestClient(new Agent().compose(interceptors.retry()));
    case 'undici.fetch':
      return undiciFetchClient();
    case 'got':
      return gotClient();
    case 'ky':
      return kyClient();
    case 'p-retry+fetch':
      return pRetryClient();
  }
}

async function sluiceWithPrometheus(): Promise<BenchClient> {
  const [{ Registry }, { registerMetrics }] = await Promise.all([import('prom-client'), loadSluicePrometheus()]);
  const registry = new Registry();
  let register: ((client: Parameters<typeof registerMetrics>[0]) => void) | undefined = (client) => registerMetrics(client, { registry });
  const client = await sluiceClient({}, undefined, (c) => register?.(c));
  register = undefined;
  // A scrape a second: far more often than Prometheus's usual 15 s, so its cost shows if it has one.
  const scraper = setInterval(() => void registry.metrics(), 1000);
  return {
    ...client,
    async close() {
      clearInterval(scraper);
      await client.close();
    },
  };
}

async function sluiceClient(
  options: { rate?: false } = {},
  module?: SluiceModule,
  onCreate?: (client: ReturnType<SluiceModule['createClient']>) => void,
): Promise<BenchClient> {
  const { createClient } = module ?? (await loadSluice());
  const agent = new Agent();
  const client = createClient({ dispatcher: agent, ...options });
  onCreate?.(client);
  return {
    async get(url) {
      try {
        const response = await client.fetch(url);
        await response.arrayBuffer();
        return response.ok ? { ok: true } : { ok: false, status: response.status };
      } catch (error) {
        return { ok: false, error: kindOf(error) };
      }
    },
    gate(url) {
      const stats = client.stats(url);
      // JSON has no Infinity: an unpaced key's rate is sent as the string 'unbounded'.
      return stats && { ...stats.counters, limit: stats.limit, rate: Number.isFinite(stats.rate) ? stats.rate : 'unbounded', rateState: stats.rateState };
    },
    async close() {
      await client.close();
      await agent.close();
    },
  };
}

function undiciRequestClient(dispatcher: Dispatcher): BenchClient {
  return {
    async get(url) {
      try {
        const { statusCode, body } = await undiciRequest(url, { dispatcher });
        await body.arrayBuffer();
        return statusCode >= 200 && statusCode < 300 ? { ok: true } : { ok: false, status: statusCode };
      } catch (error) {
        const status = (error as { statusCode?: unknown }).statusCode;
        return typeof status === 'number' && status > 0 ? { ok: false, status } : { ok: false, error: kindOf(error) };
      }
    },
    close: () => dispatcher.close(),
  };
}

function undiciFetchClient(): BenchClient {
  const agent = new Agent();
  return {
    async get(url) {
      try {
        const response = await undiciFetch(url, { dispatcher: agent });
        await response.arrayBuffer();
        return response.ok ? { ok: true } : { ok: false, status: response.status };
      } catch (error) {
        return { ok: false, error: kindOf(error) };
      }
    },
    close: () => agent.close(),
  };
}

async function gotClient(): Promise<BenchClient> {
  const { default: got } = await import('got');
  return {
    async get(url) {
      try {
        await got(url);
        return { ok: true };
      } catch (error) {
        const status = (error as { response?: { statusCode?: number } }).response?.statusCode;
        return status ? { ok: false, status } : { ok: false, error: kindOf(error) };
      }
    },
    async close() {},
  };
}

async function kyClient(): Promise<BenchClient> {
  const { default: ky } = await import('ky');
  return {
    async get(url) {
      try {
        await ky(url).text();
        return { ok: true };
      } catch (error) {
        const status = (error as { response?: { status?: number } }).response?.status;
        return status ? { ok: false, status } : { ok: false, error: kindOf(error) };
      }
    },
    async close() {},
  };
}

class StatusError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

async function pRetryClient(): Promise<BenchClient> {
  const { default: pRetry, AbortError } = await import('p-retry');
  return {
    async get(url) {
      const run = async () => {
        const response = await fetch(url);
        await response.arrayBuffer();
        if (response.ok) return;
        const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
        if (!retryable) throw new AbortError(new StatusError(response.status));
        throw new StatusError(response.status);
      };
      try {
        await pRetry(run, { retries: 5 });
        return { ok: true };
      } catch (error) {
        return error instanceof StatusError ? { ok: false, status: error.status } : { ok: false, error: kindOf(error) };
      }
    },
    async close() {},
  };
}

/** A short, countable name for an error: its class and the deepest code found in its causes. */
export function kindOf(error: unknown): string {
  const name = error instanceof Error ? error.constructor.name || error.name : typeof error;
  let code: string | undefined;
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    const candidate = (current as { code?: unknown }).code;
    if (typeof candidate === 'string') code = candidate;
    current = (current as { cause?: unknown }).cause;
  }
  return code ? `${name}(${code})` : name;
}
