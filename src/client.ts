// `createClient()`: the fetch facade over the attempt loop. It only translates fetch's
// arguments into an attempt plan and a transport; every decision lives in the engine.

import { Agent, type Dispatcher } from 'undici';
import { ClientClosedError } from './errors.js';
import { runAttempts } from './engine/attempt-loop.js';
import { toFetchRequest } from './fetch/fetch-request.js';
import { fetchTransport } from './fetch/fetch-transport.js';
import {
  type ClientOptions,
  normalizeClientOptions,
  type RequestOptions,
  resolveRequestOptions,
} from './client-options.js';

/** fetch's `init`, plus sluice's per-request overrides. */
export type SluiceRequestInit = RequestInit & RequestOptions;

export interface SluiceClient {
  /** Same contract as the global `fetch`, with backpressure and retries. */
  fetch(input: string | URL | Request, init?: SluiceRequestInit): Promise<Response>;
  /** Closes the Agent the client created (a `dispatcher` you passed stays yours). */
  close(): Promise<void>;
}

export function createClient(options: ClientOptions = {}): SluiceClient {
  const config = normalizeClientOptions(options);
  const ownAgent = config.dispatcher ? undefined : new Agent();
  const dispatcher: Dispatcher = config.dispatcher ?? ownAgent!;
  let closed: Promise<void> | undefined;

  async function sluiceFetch(input: string | URL | Request, init: SluiceRequestInit = {}): Promise<Response> {
    const { retry, timeout, ...fetchInit } = init;
    const request = toFetchRequest(input, fetchInit as Record<string, unknown>, config.maxReplayBytes);
    const facts = { method: request.method, origin: request.url.origin };
    if (closed) throw new ClientClosedError(facts);
    request.signal?.throwIfAborted();
    const { policy, timeout: timeouts } = resolveRequestOptions(config, { retry, timeout });
    try {
      return await runAttempts(
        {
          ...facts,
          idempotencyKey: request.headers.has('idempotency-key'),
          replayable: () => request.body.replayable,
          policy,
          attemptTimeout: timeouts.attempt,
          totalTimeout: timeouts.total,
          signal: request.signal,
          now: config.now,
        },
        fetchTransport(request, (fetchInit as { dispatcher?: Dispatcher }).dispatcher ?? dispatcher),
      );
    } finally {
      request.body.dispose();
    }
  }

  return {
    fetch: sluiceFetch,
    close() {
      closed ??= ownAgent ? ownAgent.close() : Promise.resolve();
      return closed;
    },
  };
}

let defaultClient: SluiceClient | undefined;

/** Drop-in `fetch` with sluice's default policy, on a shared client created on first use. */
export function fetch(input: string | URL | Request, init?: SluiceRequestInit): Promise<Response> {
  defaultClient ??= createClient();
  return defaultClient.fetch(input, init);
}
