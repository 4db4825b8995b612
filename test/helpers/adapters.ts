// The adapter table the shared adapter suite runs over: each way of using sluice (fetch facade,
// interceptor under undici.request, install() under the global fetch) behind one small interface.

import { Agent, getGlobalDispatcher, request, setGlobalDispatcher, type Dispatcher } from 'undici';
import type { ClientOptions } from '../../src/client-options.js';
import { createClient } from '../../src/client.js';
import type { GateStats } from '../../src/gate/gate.js';
import type { SluiceEventName, SluiceListener } from '../../src/gate/gate-events.js';
import { install, sluice, uninstall } from '../../src/undici/index.js';

export interface SendInit {
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** A whole response, read to the end so no connection is left half-consumed. */
export interface AdapterResponse {
  status: number;
  body: string;
}

/** One running adapter; `close()` releases everything it created. */
export interface Adapter {
  send(url: string, init?: SendInit): Promise<AdapterResponse>;
  stats(key: string): GateStats | undefined;
  on<E extends SluiceEventName>(event: E, listener: SluiceListener<E>): () => void;
  close(): Promise<void>;
}

export interface AdapterKind {
  name: string;
  create(options: Omit<ClientOptions, 'dispatcher'>): Adapter;
  /** Whether `error` is what this adapter's users get for a connection reset. */
  isNetworkError(error: unknown): boolean;
}

const isFetchNetworkError = (error: unknown) => error instanceof TypeError && error.cause !== undefined;
const whole = async (response: Response): Promise<AdapterResponse> => ({ status: response.status, body: await response.text() });

export const adapters: readonly AdapterKind[] = [
  {
    name: 'fetch facade',
    create(options) {
      const client = createClient(options);
      return {
        send: async (url, init) => whole(await client.fetch(url, init)),
        stats: (key) => client.stats(key),
        on: (event, listener) => client.on(event, listener),
        close: () => client.close(),
      };
    },
    isNetworkError: isFetchNetworkError,
  },
  {
    name: 'interceptor under undici.request',
    create(options) {
      const interceptor = sluice(options);
      const agent = new Agent().compose(interceptor);
      return {
        async send(url, init = {}) {
          const { statusCode, body } = await request(url, {
            dispatcher: agent,
            method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
            body: init.body,
            headers: init.headers,
            signal: init.signal,
          });
          return { status: statusCode, body: await body.text() };
        },
        stats: (key) => interceptor.stats(key),
        on: (event, listener) => interceptor.on(event, listener),
        async close() {
          await interceptor.close();
          await agent.close();
        },
      };
    },
    isNetworkError: (error) => (error as { code?: unknown } | undefined)?.code === 'UND_ERR_SOCKET',
  },
  {
    name: 'install() under the global fetch',
    create(options) {
      // The program's own dispatcher, which install() must compose over rather than replace.
      const before = getGlobalDispatcher();
      const programAgent = new Agent();
      setGlobalDispatcher(programAgent);
      const interceptor = install(options);
      return {
        send: async (url, init) => whole(await globalThis.fetch(url, init)),
        stats: (key) => interceptor.stats(key),
        on: (event, listener) => interceptor.on(event, listener),
        async close() {
          await uninstall();
          setGlobalDispatcher(before);
          await programAgent.close();
        },
      };
    },
    isNetworkError: isFetchNetworkError,
  },
];
