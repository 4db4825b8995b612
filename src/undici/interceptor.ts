// `sluice()`: the engine as an undici interceptor, for `dispatcher.compose(sluice())`. Like the
// fetch facade it only describes each dispatch to the engine and sends attempts; it decides nothing.

import type { Dispatcher } from 'undici';
import type { SluiceClient } from '../client.js';
import type { ClientOptions } from '../client-options.js';
import { createEngine, type Engine } from '../engine/engine.js';
import { InvalidOptionError } from '../errors.js';
import { createRequestBody } from '../engine/request-body.js';
import type { SluiceEventName, SluiceListener } from '../gate/gate-events.js';
import { readRequestOptions } from './dispatch-options.js';
import { dispatchTransport } from './dispatch-transport.js';
import { RequestController } from './request-controller.js';
import { requestHeader } from './undici-headers.js';

/** `createClient()`'s options, less `dispatcher`: an interceptor sends through what it is composed over. */
export type SluiceOptions = Omit<ClientOptions, 'dispatcher'>;

/**
 * An undici interceptor carrying one sluice engine: compose it over any Dispatcher. Every
 * dispatcher it is composed into shares its gates, so one origin has one pause and one pace.
 */
export interface SluiceInterceptor extends Pick<SluiceClient, 'ready' | 'stats' | 'on'> {
  (dispatch: Dispatcher.Dispatch): Dispatcher.Dispatch;
  /** Rejects queued requests and refuses new ones with `ClientClosedError`; the dispatchers stay open. */
  close(): void;
}

/**
 * Creates an undici interceptor that gives every request it sees sluice's backpressure: the
 * per-origin pause, pacing and window, and the retry policy.
 *
 * Per-request options go in `opts.sluice` (`{ retry, timeout, priority, key }`) and override
 * the ones given here. Upgrade and CONNECT requests pass through untouched.
 *
 * Keep undici's `redirect` interceptor outside it — `compose(sluice(), interceptors.redirect())`,
 * the last being outermost — so each hop is gated under its own origin; and do not compose it
 * with undici's `retry` interceptor (both would retry). A response reaches the caller's handler
 * only once final: a retried 429 is drained (≤ 64 KiB / 1 s) or its connection destroyed,
 * never buffered.
 *
 * @example
 * const agent = new Agent().compose(sluice({ limits: { concurrency: 8 } }));
 * await request('https://api.example.com/items', { dispatcher: agent });
 */
export function sluice(options: SluiceOptions = {}): SluiceInterceptor {
  if ((options as ClientOptions | null)?.dispatcher !== undefined) {
    throw new InvalidOptionError(
      'dispatcher',
      'absent (the interceptor sends through the dispatcher it is composed over)',
      'a Dispatcher',
    );
  }
  const engine = createEngine(options);
  const interceptor = (dispatch: Dispatcher.Dispatch): Dispatcher.Dispatch =>
    // Exactly two parameters: `compose` checks the arity of what an interceptor returns.
    (opts, handler) => dispatchThroughEngine(engine, dispatch, opts, handler);
  return Object.assign(interceptor, {
    ready: (key?: string | URL) => engine.ready(key),
    stats: engine.stats,
    on: <E extends SluiceEventName>(event: E, listener: SluiceListener<E>) => engine.on(event, listener),
    close: () => engine.close(),
  }) as SluiceInterceptor;
}

/** One dispatch as one engine request; always returns true, since sluice queues instead of refusing. */
function dispatchThroughEngine(
  engine: Engine,
  dispatch: Dispatcher.Dispatch,
  opts: Dispatcher.DispatchOptions,
  handler: Dispatcher.DispatchHandler,
): boolean {
  const { sluice: perRequest, ...inner } = opts;
  const url = gatedUrl(inner);
  // A tunnel or upgrade is not a request/response to gate; an unusable origin is the dispatcher's to reject.
  if (url === undefined) return dispatch(inner, handler);

  let overrides;
  try {
    overrides = readRequestOptions(perRequest);
  } catch (error) {
    // What DispatcherBase does with options it refuses: the handler hears it, nothing is sent.
    handler.onResponseError?.(null as never, error as Error);
    return true;
  }

  const controller = new RequestController();
  const body = createRequestBody(inner.body ?? null, engine.config.maxReplayBytes);
  const transport = dispatchTransport(dispatch, inner, body, handler, controller);
  const fail = (error: unknown) => {
    transport.abandon();
    handler.onResponseError?.(controller, error as Error);
  };

  try {
    handler.onRequestStart?.(controller, null);
    engine
      .run(
        {
          url,
          method: inner.method.toUpperCase(),
          idempotencyKey: requestHeader(inner.headers, 'idempotency-key') !== null,
          replayable: () => body.replayable,
          signal: controller.signal,
          options: overrides,
          optionsName: 'opts.sluice',
        },
        transport.send,
      )
      .then((attempt) => {
        if (!attempt.forward()) fail(controller.reason ?? new Error('sluice: attempt ended before it was forwarded'));
      }, fail)
      .finally(() => body.dispose())
      // A caller's handler that throws from onResponseError: surface it as undici's own
      // RequestHandler does, as an uncaught exception rather than an unhandled rejection.
      .catch((error: unknown) =>
        queueMicrotask(() => {
          throw error;
        }),
      );
  } catch (error) {
    // The handler threw in onRequestStart, or the engine refused the options synchronously.
    body.dispose();
    fail(error);
  }
  return true;
}

function gatedUrl(opts: Dispatcher.DispatchOptions): URL | undefined {
  if (opts.upgrade || opts.method === 'CONNECT' || typeof opts.path !== 'string') return undefined;
  try {
    return new URL(opts.path, opts.origin);
  } catch {
    return undefined;
  }
}
