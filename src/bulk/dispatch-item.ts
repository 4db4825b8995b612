// Sends one bulk item on the dispatcher path: a plain undici dispatch through the client's engine,
// its body handed to a sink as it arrives — no fetch Request, Response or web stream per item.

import type { IncomingHttpHeaders } from 'node:http';
import { RedirectHandler, type Dispatcher } from 'undici';
import type { RequestOptions } from '../client-options.js';
import { isSluiceError } from '../errors.js';
import { maxRedirections, trackerKey, type AttemptTracker } from './bulk-dispatcher.js';
import type { BodySink, SinkFactory } from './body-sink.js';
import type { RunStop } from './run-stop.js';

/** One request as undici dispatches it; built from a fetch-style spec or an input line. */
export interface DispatchSpec {
  /** `scheme://host[:port]`, as `URL.origin` gives it. */
  origin: string;
  /** Path and query. */
  path: string;
  method: string;
  /** Flat `name, value, name, value…`, as undici takes them. */
  headers: string[];
  body: string | Uint8Array | null;
  /** Per-request sluice options (`retry`, `timeout`, `priority`, `key`), when any. */
  options?: RequestOptions | undefined;
  /** Aborts this item only (the run's stop aborts every item). */
  signal?: AbortSignal | undefined;
}

/** One settled item on the dispatcher path: the response's facts, not a fetch Response. */
export interface RawResult<T, B> {
  input: T;
  index: number;
  /** A response below 400 arrived and its body went through the sink. */
  ok: boolean;
  status?: number;
  statusText?: string;
  headers?: IncomingHttpHeaders;
  /** The URL of the final response (after redirects). */
  url?: string;
  body?: B;
  error?: unknown;
  /** `error` is undici's: the connection, the protocol or the dispatcher failed (fetch's "network error"). */
  transportError?: true;
  cancelled?: true;
  /** Attempts sent to the item's own URL (1 + retries). */
  attempts: number;
  ms: number;
}

export interface DispatchContext<T, B> {
  dispatcher: Dispatcher;
  sink: SinkFactory<T, B>;
  /** Whether the run has stopped (a failure then is the stop's doing). */
  stopped(): boolean;
  /** The client was closed: the run must stop rather than fail every remaining item. */
  onClientClosed(error: unknown): void;
}

/** Resolves with the item's result; never rejects. The run's stop aborts it. */
export function dispatchItem<T, B>(
  context: DispatchContext<T, B>,
  input: T,
  index: number,
  spec: DispatchSpec,
  stop: RunStop,
): Promise<RawResult<T, B>> {
  return new Promise((resolve) => new ItemExchange(context, input, index, spec, stop, resolve).start());
}

/** Statuses fetch follows when they carry a Location. */
const redirectStatuses = new Set([301, 302, 303, 307, 308]);

/**
 * The item's handler for its whole exchange — every attempt and redirect hop hands the final
 * response to it — and its abort switch and attempt tracker too, so an item costs one object
 * and the dispatch options.
 *
 * Redirects are followed as fetch follows them, by undici's RedirectHandler — but only once a
 * redirect arrives: wrapping every request in one (as the redirect interceptor does) cost about
 * 4.5 µs per request, 5 % of a bulk run's CPU, for the few that are redirected. The first 3xx
 * is handed to a RedirectHandler made then, which sends the next hops and passes the final
 * response back here.
 */
class ItemExchange<T, B> implements Dispatcher.DispatchHandler, AttemptTracker {
  readonly #started = performance.now();
  #attempts = 0;
  #lastOrigin: string;
  #lastPath: string;
  #controller: Dispatcher.DispatchController | null = null;
  #aborted: { reason: unknown } | undefined;
  #status: number | undefined;
  #statusText = '';
  #headers: IncomingHttpHeaders | undefined;
  #sink: BodySink<B> | undefined;
  /** What failed the item on our side (the sink), over the error undici then reports. */
  #failure: { error: unknown; transport?: boolean } | undefined;
  #settled = false;
  /** Takes the first hop's redirect response; later hops come back through it. */
  #redirect: (Dispatcher.DispatchHandler & { location: string | null }) | undefined;
  /** The first hop's 3xx is being handed to `#redirect` (its data and end go there). */
  #handingOver = false;
  #opts: Dispatcher.DispatchOptions | undefined;
  /** Where the run's stop holds this item. */
  #stopSlot = -1;

  constructor(
    readonly context: DispatchContext<T, B>,
    readonly input: T,
    readonly index: number,
    readonly spec: DispatchSpec,
    readonly stop: RunStop,
    readonly resolve: (result: RawResult<T, B>) => void,
  ) {
    this.#lastOrigin = spec.origin;
    this.#lastPath = spec.path;
  }

  start(): void {
    const { spec } = this;
    this.#stopSlot = this.stop.track(this);
    if (spec.signal) {
      if (spec.signal.aborted) this.abort(spec.signal.reason);
      else spec.signal.addEventListener('abort', this, { once: true });
    }
    const opts: Dispatcher.DispatchOptions = {
      origin: spec.origin,
      path: spec.path,
      method: spec.method as Dispatcher.HttpMethod,
      headers: spec.headers,
      body: spec.body,
      [trackerKey]: this,
    };
    if (spec.options !== undefined) opts.sluice = spec.options;
    this.#opts = opts;
    try {
      this.context.dispatcher.dispatch(opts, this);
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Aborts the exchange wherever it is: queued, waiting out a retry, or on the wire. */
  abort(reason?: unknown): void {
    if (this.#settled || this.#aborted) return;
    this.#aborted = { reason: reason ?? new DOMException('This operation was aborted', 'AbortError') };
    this.#controller?.abort(this.#aborted.reason as Error);
  }

  /** The item's own signal aborted. (The EventListener interface; not for callers.) */
  handleEvent(): void {
    this.abort(this.spec.signal?.reason);
  }

  dispatched(origin: string, path: string): void {
    this.#lastOrigin = origin;
    this.#lastPath = path;
    if (origin === this.spec.origin && path === this.spec.path) this.#attempts++;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Each redirect hop has its own controller; the latest is the one that can stop it.
    this.#controller = controller;
    if (this.#aborted) controller.abort(this.#aborted.reason as Error);
  }

  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders, statusText?: string): void {
    // An informational response (100, 103) is not the answer.
    if (status < 200 || this.#settled) return;
    if (this.#redirect === undefined && redirectStatuses.has(status) && headers.location !== undefined) {
      this.#followRedirect(controller, status, headers, statusText);
      return;
    }
    this.#status = status;
    this.#statusText = statusText ?? '';
    this.#headers = headers;
    try {
      this.#sink = this.context.sink({ status, headers }, this.input, this.index);
    } catch (error) {
      this.#abortWith(controller, error);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#handingOver) {
      this.#redirect!.onResponseData?.(controller, chunk);
      return;
    }
    if (this.#failure || this.#settled) return;
    try {
      this.#sink?.data(chunk, controller);
    } catch (error) {
      this.#abortWith(controller, error);
    }
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    if (this.#handingOver) {
      // From here on every call comes through the RedirectHandler, starting with the next hop,
      // which it dispatches from within this very call.
      this.#handingOver = false;
      try {
        this.#redirect!.onResponseEnd?.(controller, trailers);
      } catch (error) {
        this.#fail(error, true);
      }
      return;
    }
    if (this.#settled) return;
    // The sink refused a chunk of a body that ended in the same read: its refusal stands.
    if (this.#failure) {
      this.#fail(this.#failure.error, this.#failure.transport);
      return;
    }
    const sink = this.#sink;
    let body: B | Promise<B> | undefined;
    try {
      body = sink?.end();
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (isThenable(body)) body.then((value) => this.#succeed(value), (error: unknown) => this.#fail(error));
    else this.#succeed(body);
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    this.#handingOver = false;
    if (this.#settled) return;
    this.#sink?.error(error);
    if (this.#failure) this.#fail(this.#failure.error, this.#failure.transport);
    else if (this.#aborted) this.#fail(this.#aborted.reason);
    else this.#fail(error, !isSluiceError(error));
  }

  /** The first redirect: a RedirectHandler takes this response and sends the next hops. */
  #followRedirect(controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders, statusText?: string): void {
    const dispatcher = this.context.dispatcher;
    const opts = { ...this.#opts!, throwOnMaxRedirect: true };
    try {
      const redirect = new RedirectHandler((next, handler) => dispatcher.dispatch(next, handler), maxRedirections, opts, this);
      this.#redirect = redirect as unknown as Dispatcher.DispatchHandler & { location: string | null };
      this.#redirect.onResponseStart!(controller, status, headers, statusText);
      // Not followed after all (it already handed this response back as final): it is ours.
      this.#handingOver = this.#redirect.location !== null;
    } catch (error) {
      // A redirect loop, too many redirects: fetch's network error, as undici's own would be.
      this.#handingOver = false;
      this.#abortWith(controller, error, true);
    }
  }

  /** Our side failed the item mid-response: drop the connection, and report our reason. */
  #abortWith(controller: Dispatcher.DispatchController, error: unknown, transport = false): void {
    this.#failure = { error, transport };
    controller.abort(error as Error);
  }

  #succeed(body: B | undefined): void {
    const status = this.#status;
    if (status === undefined) {
      this.#fail(new TypeError('The response ended before its status arrived'));
      return;
    }
    const result = this.#facts();
    result.ok = status < 400;
    if (body !== undefined) result.body = body;
    this.#settle(result);
  }

  #fail(error: unknown, transport = false): void {
    if (isSluiceError(error) && error.code === 'SLUICE_CLIENT_CLOSED') this.context.onClientClosed(error);
    const result = this.#facts();
    result.error = error;
    if (transport) result.transportError = true;
    // Failing once the run has stopped means the stop cut it short, whatever the error says.
    if (this.context.stopped()) result.cancelled = true;
    this.#settle(result);
  }

  #facts(): RawResult<T, B> {
    const facts: RawResult<T, B> = {
      input: this.input,
      index: this.index,
      ok: false,
      attempts: Math.max(this.#attempts, this.#status === undefined ? 0 : 1),
      ms: Math.round(performance.now() - this.#started),
    };
    if (this.#status !== undefined) {
      facts.status = this.#status;
      facts.statusText = this.#statusText;
      facts.headers = this.#headers!;
      facts.url = this.#lastOrigin + this.#lastPath;
    }
    return facts;
  }

  #settle(result: RawResult<T, B>): void {
    if (this.#settled) return;
    this.#settled = true;
    this.stop.release(this.#stopSlot, this);
    this.spec.signal?.removeEventListener('abort', this);
    this.resolve(result);
  }
}

function isThenable<V>(value: V | PromiseLike<V>): value is PromiseLike<V> {
  return typeof (value as Partial<PromiseLike<V>> | null)?.then === 'function';
}
