// `createClient()`: the fetch facade over the engine. It only translates fetch's arguments into
// an engine request and a transport; every decision lives in the engine and its gates.

import type { Dispatcher } from 'undici';
import type { ClientOptions, RequestOptions } from './client-options.js';
import { createEngine, type Engine, type ReadyOptions } from './engine/engine.js';
import { createOwnAgent } from './own-agent.js';
import { alwaysReplayable, FixedBody } from './engine/request-body.js';
import { toFetchRequest, type FetchRequest } from './fetch/fetch-request.js';
import { fetchTransport } from './fetch/fetch-transport.js';
import { fetchRetryPreparation } from './fetch/fetch-retry.js';
import { beforeRetryHooks } from './retry/before-retry.js';
import type { GateStats } from './gate/gate.js';
import type { SluiceEventName, SluiceListener } from './gate/gate-events.js';
import { mapMethod, type MapMethod } from './bulk/map-requests.js';

/**
 * fetch's `init`, plus sluice's per-request options in one member of their own, `sluice`, so they
 * never collide with fetch's (its `priority: 'high' | 'low' | 'auto'` passes through as it is).
 */
export type SluiceRequestInit = RequestInit & {
  /**
   * fetch's own priority hint (the DOM's `RequestInit` has it; `@types/node`'s does not list it).
   * sluice also orders its queue by it: 'high' before the default, 'low' after (and shed first).
   */
  priority?: 'high' | 'low' | 'auto' | undefined;
  /** sluice's options for this request: `retry`, `timeout`, `priority`, `key`. */
  sluice?: RequestOptions | undefined;
};

export interface SluiceClient {
  /** Same contract as the global `fetch`, with backpressure and retries. */
  fetch(input: string | URL | Request, init?: SluiceRequestInit): Promise<Response>;
  /**
   * Resolves when a request to `key` (a URL, an origin or a gate key) would be admitted without
   * queueing — await it before producing more work. Without a key: when every key would.
   * Rejects with `RateLimitedError` when the key is paused longer than `maxRetryAfter`, with
   * `ClientClosedError` after `close()`, and with `options.signal`'s reason when it aborts.
   */
  ready(key?: string | URL, options?: ReadyOptions): Promise<void>;
  /** A snapshot of one key's gate, or undefined if the key has no gate (yet, or any more). */
  stats(key: string | URL): GateStats | undefined;
  /** Snapshots of every live key. */
  stats(): GateStats[];
  /** Subscribes to gate events; returns the unsubscribe function. */
  on<E extends SluiceEventName>(event: E, listener: SluiceListener<E>): () => void;
  /**
   * Sends `toRequest(item)` for every item of `source`, pulling items only when there is
   * capacity, and yields one result per item (see `mapRequests`).
   */
  readonly map: MapMethod;
  /** Rejects queued requests, refuses new ones, and closes the Agent the client created. */
  close(): Promise<void>;
}

export function createClient(options: ClientOptions = {}): SluiceClient {
  const engine: Engine = createEngine(options);
  const ownAgent = engine.config.dispatcher ? undefined : createOwnAgent();
  const dispatcher: Dispatcher = engine.config.dispatcher ?? ownAgent!;
  let closing: Promise<void> | undefined;

  function sluiceFetch(input: string | URL | Request, init?: SluiceRequestInit): Promise<Response> {
    let request: FetchRequest;
    try {
      request = toFetchRequest(input, init as Record<string, unknown> | undefined, engine.config.maxReplayBytes);
      request.signal?.throwIfAborted();
    } catch (error) {
      return Promise.reject(error);
    }
    // A Request input's body is read ahead first (see `requestInputBody`); the rest start at once.
    if (request.pendingBody === undefined) return send(request);
    return request.pendingBody.then((body) => {
      request.body = body;
      return send(request);
    });
  }

  function send(request: FetchRequest): Promise<Response> {
    const body = request.body;
    const hooks = beforeRetryHooks(engine.config.beforeRetry, request.options?.beforeRetry);
    const response = engine.run(
      {
        url: request.url,
        // The policy and the gate compare methods upper-case; the wire gets `request.method`.
        method: request.method.toUpperCase(),
        idempotencyKey: request.headers?.has('idempotency-key') ?? false,
        replayable: body instanceof FixedBody ? alwaysReplayable : () => body.replayable,
        signal: request.signal,
        options: request.options,
        optionsName: 'init.sluice',
        beforeRetry: hooks && fetchRetryPreparation(request, hooks),
      },
      fetchTransport(request, (request.rest as { dispatcher?: Dispatcher }).dispatcher ?? dispatcher),
    );
    // Only a stream body holds anything to release (the caller's stream); others skip the chain.
    if (!body.streaming) return response;
    return response.then(
      (value) => {
        body.dispose();
        return value;
      },
      (error: unknown) => {
        body.dispose(error);
        throw error;
      },
    );
  }

  const client: SluiceClient = {
    fetch: sluiceFetch,
    ready: (key, options) => engine.ready(key, options),
    stats: engine.stats,
    on: (event, listener) => engine.on(event, listener),
    map: mapMethod(() => client, dispatcher, engine.config.limits.concurrency !== 'adaptive', engine),
    close() {
      engine.close();
      closing ??= ownAgent ? ownAgent.close() : Promise.resolve();
      return closing;
    },
  };
  return client;
}

let defaultClient: SluiceClient | undefined;

/** Drop-in `fetch` with sluice's default policy, on a shared client created on first use. */
export function fetch(input: string | URL | Request, init?: SluiceRequestInit): Promise<Response> {
  defaultClient ??= createClient();
  return defaultClient.fetch(input, init);
}
