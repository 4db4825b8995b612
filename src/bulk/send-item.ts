// Sends one item of a bulk run through `client.fetch` — the path for what only fetch sends as
// fetch would (a Request, a stream body, …) and for bodies the consumer reads as a Response.

import type { Dispatcher } from 'undici';
import { isSluiceError } from '../errors.js';
import { countAttempts } from './attempt-counter.js';
import { readBody } from './body-mode.js';
import type { MapClient } from './map-requests.js';
import type { NormalizedMapOptions } from './map-options.js';
import type { MapResult } from './map-result.js';
import type { PreparedRequest } from './request-spec.js';
import type { RunStop } from './run-stop.js';

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

/** Resolves with the item's result; never rejects. The run's stop, or the item's own signal, aborts it. */
export async function sendItem<T, B>(
  context: ItemContext,
  item: T,
  index: number,
  prepared: PreparedRequest,
  stop: RunStop,
): Promise<MapResult<T, B>> {
  const started = performance.now();
  const controller = new AbortController();
  const slot = stop.track(controller);
  // The item's own signal (in init, else on its Request) aborts that item only; the run's
  // stop aborts every item. Ours replaces it in `fetch`, so it is forwarded here.
  const own = prepared.init.signal ?? (prepared.input as Partial<Request>).signal ?? undefined;
  const onOwnAbort = () => controller.abort(own?.reason);
  if (own?.aborted) onOwnAbort();
  own?.addEventListener('abort', onOwnAbort, { once: true });

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
      signal: controller.signal,
      ...(counter ? { dispatcher: counter.dispatcher as never } : {}),
    });
    const { body: mode, maxBodyBytes } = context.options;
    const body = (await readBody(response, mode, maxBodyBytes, { input: item, index, signal: controller.signal })) as B | undefined;
    return { ...facts(response), ok: response.status < 400, response, ...(body === undefined ? {} : { body }) };
  } catch (error) {
    // A body left half-read would keep its connection busy until garbage collection.
    if (response?.body && !response.bodyUsed) void response.body.cancel().catch(() => {});
    if (isSluiceError(error) && error.code === 'SLUICE_CLIENT_CLOSED') context.onClientClosed(error);
    // Failing once the run has stopped means the stop cut it short, whatever the error says.
    const cancelled = context.stopped() ? { cancelled: true as const } : {};
    return { ...facts(response), ok: false, ...(response ? { response } : {}), error, ...cancelled };
  } finally {
    own?.removeEventListener('abort', onOwnAbort);
    stop.release(slot, controller);
  }
}
