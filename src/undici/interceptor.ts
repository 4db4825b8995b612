// `sluice()`: the engine as an undici interceptor, for `dispatcher.compose(sluice())`. Like the
// fetch facade it only describes each dispatch to the engine and sends attempts; it decides nothing.

import type { Dispatcher } from 'undici';
import type { SluiceClient } from '../client.js';
import type { ClientOptions } from '../client-options.js';
import { createEngine, type Engine, type EngineRequest } from '../engine/engine.js';
import { InvalidOptionError } from '../errors.js';
import { alwaysReplayable, createDispatchBody, FixedBody } from '../engine/request-body.js';
import type { SluiceEventName, SluiceListener } from '../gate/gate-events.js';
import { readDispatchOptions, type SluiceDispatchOptions } from './dispatch-options.js';
import type { AttemptHandler } from './attempt-handler.js';
import { DispatchTransport } from './dispatch-transport.js';
import { dispatchRetryPreparation } from './dispatch-retry.js';
import { beforeRetryHooks } from '../retry/before-retry.js';
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
    ready: ((key, options) => engine.ready(key, options)) as SluiceInterceptor['ready'],
    stats: engine.stats,
    on: <E extends SluiceEventName>(event: E, listener: SluiceListener<E>) => engine.on(event, listener),
    close: () => engine.close(),
  }) as SluiceInterceptor;
}

/**
 * One dispatch as one engine request; always returns true, since sluice queues instead of refusing.
 * Exported for the bulk runner, which sends through a client's own engine the same way.
 */
export function dispatchThroughEngine(
  engine: Engine,
  dispatch: Dispatcher.Dispatch,
  opts: Dispatcher.DispatchOptions,
  handler: Dispatcher.DispatchHandler,
): boolean {
  // Only a request that carries `opts.sluice` needs a copy without it.
  let inner = opts;
  let perRequest: unknown;
  if ('sluice' in opts) ({ sluice: perRequest, ...inner } = opts);
  const origin = gatedOrigin(inner);
  // A tunnel or upgrade is not a request/response to gate; an unusable origin is the dispatcher's to reject.
  if (origin === undefined) return dispatch(inner, handler);

  let overrides;
  try {
    overrides = readDispatchOptions(perRequest);
  } catch (error) {
    // What DispatcherBase does with options it refuses: the handler hears it, nothing is sent.
    handler.onResponseError?.(null as never, error as Error);
    return true;
  }

  const hooks = beforeRetryHooks(engine.config.beforeRetry, overrides?.beforeRetry);
  const controller = new RequestController();
  const body = createDispatchBody(inner.body ?? null, engine.config.maxReplayBytes);
  const transport = new DispatchTransport(dispatch, inner, body, handler, controller);

  try {
    handler.onRequestStart?.(controller, null);
    engine
      .run(
        new DispatchRequest(
          inner,
          origin,
          requestHeader(inner.headers, 'idempotency-key') !== null,
          body instanceof FixedBody ? alwaysReplayable : () => body.replayable,
          controller.signal,
          overrides,
          hooks && dispatchRetryPreparation(transport, hooks),
        ),
        transport.send,
      )
      .then(
        (attempt) => finish(transport, attempt, undefined),
        (error: unknown) => finish(transport, undefined, error),
      );
  } catch (error) {
    // The handler threw in onRequestStart, or the engine refused the options synchronously.
    body.dispose(error);
    fail(transport, error);
  }
  return true;
}

/** An intercepted dispatch as the engine sees it. A class, so its URL is built only if asked for. */
class DispatchRequest implements EngineRequest<AttemptHandler> {
  readonly method: string;
  readonly optionsName = 'opts.sluice';

  constructor(
    private readonly opts: Dispatcher.DispatchOptions,
    readonly origin: string,
    readonly idempotencyKey: boolean,
    readonly replayable: () => boolean,
    readonly signal: AbortSignal,
    readonly options: SluiceDispatchOptions | undefined,
    readonly beforeRetry: EngineRequest<AttemptHandler>['beforeRetry'],
  ) {
    this.method = opts.method.toUpperCase();
  }

  /** Only a custom `key` function needs it: the default key is `origin`. */
  get url(): URL {
    return new URL(this.opts.path, this.opts.origin);
  }
}

/** The engine is done with a request: the caller gets the final attempt's response, or the error. */
function finish(transport: DispatchTransport, attempt: AttemptHandler | undefined, error: unknown): void {
  try {
    try {
      if (attempt === undefined) fail(transport, error);
      else if (!attempt.forward()) {
        fail(transport, transport.callerController.reason ?? new Error('sluice: attempt ended before it was forwarded'));
      }
    } finally {
      // After a failure the caller's stream body is cancelled and unlocked rather than left locked.
      transport.body.dispose(attempt === undefined ? (error ?? new Error('sluice: request failed')) : undefined);
    }
  } catch (thrown) {
    // A caller's handler that throws from onResponseError: surface it as undici's own
    // RequestHandler does, as an uncaught exception rather than an unhandled rejection.
    queueMicrotask(() => {
      throw thrown;
    });
  }
}

function fail(transport: DispatchTransport, error: unknown): void {
  transport.abandon();
  transport.caller.onResponseError?.(transport.callerController, error as Error);
}

/**
 * The origin `opts` sends to, or undefined when the request is not gated (upgrade, CONNECT, a URL
 * that does not parse). As `new URL(opts.path, opts.origin).origin`, but a path that begins with
 * one '/' cannot change the origin (the second character rules out '//host' and its '\\', tab and
 * newline spellings), so for those the origin string's own origin is looked up: the common
 * request parses no URL at all.
 */
function gatedOrigin(opts: Dispatcher.DispatchOptions): string | undefined {
  if (opts.upgrade || opts.method === 'CONNECT' || typeof opts.path !== 'string') return undefined;
  const { path, origin } = opts;
  if (typeof origin === 'string' && path.charCodeAt(0) === SLASH && !authorityStart.has(path.charCodeAt(1))) {
    let known = originOf.get(origin);
    if (known === undefined) {
      known = parsedOrigin('/', origin) ?? '';
      if (originOf.size >= 256) originOf.clear();
      originOf.set(origin, known);
    }
    return known === '' ? undefined : known;
  }
  return parsedOrigin(path, origin);
}

const SLASH = 0x2f;
/** Second characters that would make '/…' an authority ('//host'): '/', '\\' and, as the URL parser drops them, tab, LF, CR. */
const authorityStart = new Set([0x2f, 0x5c, 0x09, 0x0a, 0x0d]);
/** Origin strings seen, with their origin ('' when they do not parse as a base); bounded. */
const originOf = new Map<string, string>();

function parsedOrigin(path: string, origin: Dispatcher.DispatchOptions['origin']): string | undefined {
  try {
    return new URL(path, origin).origin;
  } catch {
    return undefined;
  }
}
