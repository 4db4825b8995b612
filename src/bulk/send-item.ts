// Sends one item of a bulk run: its request through the client, its body read as the run asks,
// and every outcome — response, failure, cut short by the run's stop — turned into a result.

import type { Dispatcher } from 'undici';
import { isSluiceError } from '../errors.js';
import { countAttempts } from './attempt-counter.js';
import { readBody } from './body-mode.js';
import type { MapClient } from './map-requests.js';
import type { NormalizedMapOptions } from './map-options.js';
import type { MapResult } from './map-result.js';
import type { PreparedRequest } from './request-spec.js';

export interface ItemContext {
  client: MapClient;
  options: NormalizedMapOptions;
  /** The dispatcher requests go through by default, wrapped to count attempts; none: not counted. */
  dispatcher: Dispatcher | undefined;
  /** Whether the run has stopped (a failure then is the stop's doing). */
  stopped(): boolean;
  /** The client was closed: the run must stop rather than fail every remaining item. */
  onClientClosed(error: unknown): void;
}

/** Resolves with the item's result; never rejects. `signal` aborts the item (run stop or its own). */
export async function sendItem<T, B>(
  context: ItemContext,
  item: T,
  index: number,
  prepared: PreparedRequest,
  signal: AbortSignal,
): Promise<MapResult<T, B>> {
  const started = performance.now();
  // A per-request dispatcher (fetch's `init.dispatcher`) wins, as it does in `client.fetch`.
  const base = (prepared.init as { dispatcher?: Dispatcher }).dispatcher ?? context.dispatcher;
  const counter = base ? countAttempts(base, prepared.url) : undefined;
  const facts = (response?: Response) => {
    const attempts = counter ? Math.max(counter.attempts, response ? 1 : 0) : undefined;
    return { input: item, index, ms: Math.round(performance.now() - started), ...(attempts === undefined ? {} : { attempts }) };
  };

  let response: Response | undefined;
  try {
    response = await context.client.fetch(prepared.input, {
      ...prepared.init,
      signal,
      ...(counter ? { dispatcher: counter.dispatcher as never } : {}),
    });
    const { body: mode, maxBodyBytes } = context.options;
    const body = (await readBody(response, mode, maxBodyBytes, { input: item, index, signal })) as B | undefined;
    return { ...facts(response), ok: response.status < 400, response, ...(body === undefined ? {} : { body }) };
  } catch (error) {
    // A body left half-read would keep its connection busy until garbage collection.
    if (response?.body && !response.bodyUsed) void response.body.cancel().catch(() => {});
    if (isSluiceError(error) && error.code === 'SLUICE_CLIENT_CLOSED') context.onClientClosed(error);
    // Failing once the run has stopped means the stop cut it short, whatever the error says.
    const cancelled = context.stopped() ? { cancelled: true as const } : {};
    return { ...facts(response), ok: false, ...(response ? { response } : {}), error, ...cancelled };
  }
}
