// `createClient()`: the fetch facade over the engine. It only translates fetch's arguments into
// an engine request and a transport; every decision lives in the engine and its gates.

import { Agent, type Dispatcher } from 'undici';
import type { ClientOptions, RequestOptions } from './client-options.js';
import { createEngine, type Engine, type ReadyOptions } from './engine/engine.js';
import { alwaysReplayable, FixedBody } from './engine/request-body.js';
import { toFetchRequest } from './fetch/fetch-request.js';
import { fetchTransport } from './fetch/fetch-transport.js';
import type { GateStats } from './gate/gate.js';
import type { SluiceEventName, SluiceListener } from './gate/gate-events.js';
import { mapMethod, type MapMethod } from './bulk/map-requests.js';

/** fetch's `init`, plus sluice's per-request options. */
export type SluiceRequestInit = RequestInit & RequestOptions;

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
  const ownAgent = engine.config.dispatcher ? undefined : new Agent();
  const dispatcher: Dispatcher = engine.config.dispatcher ?? ownAgent!;
  let closing: Promise<void> | undefined;

  function sluiceFetch(input: string | URL | Request, init?: SluiceRequestInit): Promise<Response> {
    let request;
    try {
      request = toFetchRequest(input, init as Record<string, unknown> | undefined, engine.config.maxReplayBytes);
      request.signal?.throwIfAborted();
    } catch (error) {
      return Promise.reject(error);
    }
    const body = request.body;
    const response = engine.run(
      {
        url: request.url,
        method: request.method,
        idempotencyKey: request.headers?.has('idempotency-key') ?? false,
        replayable: body instanceof FixedBody ? alwaysReplayable : () => body.replayable,
        signal: request.signal,
        options: request.options,
      },
      fetchTransport(request, (request.rest as { dispatcher?: Dispatcher }).dispatcher ?? dispatcher),
    );
    // Only a stream body holds anything to release (a source never read); others skip the chain.
    return body.streaming ? response.finally(() => body.dispose()) : response;
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
