// The engine every adapter shares: options, the per-key gates, events and the attempt loop. An
// adapter (fetch facade, undici interceptor) only describes its request and how to send it.

import { ClientClosedError } from '../errors.js';
import { expectKnownKeys, expectObject, expectOptionalSignal } from '../validate.js';
import { type ClientOptions, normalizeClientOptions, type NormalizedClientOptions, type RequestOptions, resolveRequestOptions } from '../client-options.js';
import type { Gate, GateParts, GateRoom, GateStats } from '../gate/gate.js';
import { BucketRoutes, routeOf } from '../gate/bucket-routes.js';
import { GateEvents, type SluiceEventName, type SluiceListener } from '../gate/gate-events.js';
import { GateRegistry } from '../gate/gate-registry.js';
import { installDebugLog } from '../observe/debug-log.js';
import { createWaiterQueue } from '../gate/waiter-queue.js';
import { createAimdWindow } from '../limits/aimd-limit.js';
import { createStaticWindow } from '../limits/limit.js';
import { createPace } from '../pacing/pacer.js';
import { createBudget } from '../retry/budget.js';
import { emptyCounters, type KeyState } from '../state/key-state.js';
import type { StateStore } from '../state/store.js';
import { type AttemptPlan, type RetryEvent, runAttempts, type SendAttempt } from './attempt-loop.js';
import { RequestTracker } from './request-tracker.js';

/** One logical request, as an adapter describes it to the engine. */
export interface EngineRequest<R = unknown> {
  /** Read only when a custom `key` function or a bucket route needs the URL (or `origin` is absent). */
  url: URL;
  /** `url.origin`, when the adapter knows it without building the URL. */
  origin?: string | undefined;
  method: string;
  /** The request carries an `Idempotency-Key` header. */
  idempotencyKey: boolean;
  /** Whether the body could be sent again now. */
  replayable(): boolean;
  signal?: AbortSignal | undefined;
  /** Per-request overrides (`init.sluice`, `opts.sluice`: `retry`, `timeout`, `priority`, `key`). */
  options?: RequestOptions | undefined;
  /** Where the caller wrote `options`, for error messages. @default 'init.sluice' */
  optionsName?: string | undefined;
  /** The adapter's preparation of a retry (it runs the caller's `beforeRetry` hooks); absent without hooks. */
  beforeRetry?: AttemptPlan<R>['beforeRetry'];
  /** Stops the attempt in flight when the close grace period ends (see `AttemptPlan.abortable`). */
  abortable?: AttemptPlan<R>['abortable'];
}

export interface Engine {
  readonly config: NormalizedClientOptions;
  run<R>(request: EngineRequest<R>, send: SendAttempt<R>): Promise<R>;
  /** Resolves when a request to `key` (an origin, URL or gate key) would be admitted without queueing; without a key, when every key would. */
  ready(key?: string | URL, options?: ReadyOptions): Promise<void>;
  stats(key: string | URL): GateStats | undefined;
  stats(): GateStats[];
  /** The figures of `key`'s gate that say whether it has room now; undefined when it has no gate yet. */
  room(key: string | URL): GateRoom | undefined;
  on<E extends SluiceEventName>(event: E, listener: SluiceListener<E>): () => void;
  /**
   * Stops admitting: new requests, queued ones, `ready()` waiters and requests between attempts
   * (backing off, waiting for a server's time, an async policy or hook) fail with
   * `ClientClosedError` at once. Attempts in flight go on (see `abortInFlight`). Idempotent.
   */
  close(): void;
  /** Aborts the attempts still in flight; their requests fail with `ClientClosedError`. */
  abortInFlight(): void;
  /** Resolves once no request of this engine is left unsettled. */
  drained(): Promise<void>;
  readonly closed: boolean;
}

export function createEngine(options: ClientOptions = {}): Engine {
  const config = normalizeClientOptions(options);
  installDebugLog();
  const events = new GateEvents();
  const routes = config.buckets ? new BucketRoutes() : undefined;
  const { store } = config;
  const registry = new GateRegistry({ makeParts: (key) => gateParts(config, events, store, key), idleMs: config.idleTimeout, now: config.now, routes });
  let closed = false;
  const tracker = new RequestTracker();

  // The default key is the origin, which the request already computed (URL's getter builds a new string each time).
  const defaultKey = options.key === undefined;
  const keyOfRequest = (request: { readonly url: URL }, origin: string): string => (defaultKey ? origin : config.key(request.url));
  const keyOf = (key: string | URL): string => (key instanceof URL ? config.key(key) : keyFromString(key, config));
  // One retry reporter per gate rather than a closure per request; dropped with the gate.
  const retryReporters = new WeakMap<Gate, (event: RetryEvent) => void>();
  const retryReporter = (gate: Gate): ((event: RetryEvent) => void) => {
    let report = retryReporters.get(gate);
    if (report === undefined) {
      const { key } = gate;
      report = ({ attempt, delay, source, outcome }) =>
        events.emit('retry', {
          key,
          attempt,
          delay,
          source,
          ...(outcome.type === 'response' ? { status: outcome.status } : { error: outcome.error }),
        });
      retryReporters.set(gate, report);
    }
    return report;
  };

  return {
    config,
    get closed() {
      return closed;
    },
    run<R>(request: EngineRequest<R>, send: SendAttempt<R>): Promise<R> {
      // Every refusal is a rejection, as from an async function; there are no closures or
      // spreads here because this runs once per request on the healthy path.
      try {
        const origin = request.origin ?? request.url.origin;
        if (closed) throw new ClientClosedError({ method: request.method, origin });
        const overrides = request.options;
        let policy = config.policy;
        let timeout = config.timeout;
        let maxWait = config.maxWait;
        let priority = 0;
        let key: string;
        let bucket: string | undefined;
        if (overrides === undefined) {
          key = keyOfRequest(request, origin);
        } else {
          ({ policy, timeout, maxWait, priority } = resolveRequestOptions(config, overrides, request.optionsName));
          key = overrides.key === undefined ? keyOfRequest(request, origin) : keyOf(overrides.key);
        }
        // A route is worked out only once the key's server has named a bucket: most never do.
        if (routes?.covers(key) && overrides?.key === undefined) bucket = routes.bucketOf(key, routeOf(request.method, request.url));
        const gate = registry.get(key, bucket);
        return runAttempts(
          {
            method: request.method,
            origin,
            idempotencyKey: request.idempotencyKey,
            replayable: request.replayable,
            policy,
            attemptTimeout: timeout.attempt,
            totalTimeout: timeout.total,
            signal: request.signal,
            now: config.now,
            admission: gate,
            route: routes === undefined ? undefined : request,
            priority,
            maxWait,
            onRetry: retryReporter(gate),
            beforeRetry: request.beforeRetry,
            tracker,
            abortable: request.abortable,
          },
          send,
        );
      } catch (error) {
        return Promise.reject(error);
      }
    },
    ready(key?: string | URL, options?: ReadyOptions): Promise<void> {
      let signal: AbortSignal | undefined;
      try {
        signal = readySignal(options);
      } catch (error) {
        return Promise.reject(error);
      }
      if (closed) return Promise.reject(new ClientClosedError());
      if (key === undefined) return Promise.all(registry.all().map((gate) => gate.ready(config.maxWait, signal))).then(() => undefined);
      return registry.get(keyOf(key)).ready(config.maxWait, signal);
    },
    stats: ((key?: string | URL) => {
      if (key === undefined) return registry.all().map((gate) => gate.stats());
      return registry.find(keyOf(key))?.stats();
    }) as Engine['stats'],
    room: (key) => registry.find(keyOf(key))?.room(),
    on: (event, listener) => events.on(event, listener),
    close() {
      if (closed) return;
      closed = true;
      tracker.close(new ClientClosedError());
      registry.close();
    },
    abortInFlight: () => tracker.abortInFlight(),
    drained: () => tracker.drained(),
  };
}

/** Options of `ready()`. */
export interface ReadyOptions {
  /** Stops waiting: `ready()` rejects with the signal's reason and leaves nothing behind. */
  signal?: AbortSignal | undefined;
}

function readySignal(options: ReadyOptions | undefined): AbortSignal | undefined {
  if (options === undefined) return undefined;
  expectKnownKeys('options', expectObject('options', options), ['signal']);
  return expectOptionalSignal('signal', options.signal);
}

/**
 * A string key may be a URL (the key of that URL is meant, by default its origin) or a key as
 * the `key` option returns it. Applied alike to `init.key`, `ready` and `stats`, so they agree.
 */
function keyFromString(key: string, config: NormalizedClientOptions): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(key)) {
    try {
      return config.key(new URL(key));
    } catch {
      return key;
    }
  }
  return key;
}

function gateParts(config: NormalizedClientOptions, events: GateEvents, store: StateStore, key: string): GateParts {
  const { limits, now } = config;
  return {
    store,
    createState: () => createKeyState(config, key, now()),
    queue: createWaiterQueue({ maxQueue: limits.maxQueue, overflow: limits.overflow }),
    queueTimeout: limits.queueTimeout,
    now,
    events,
  };
}

/** A new key's state, as the client's options say it starts: careful, unless told otherwise. */
function createKeyState(config: NormalizedClientOptions, key: string, now: number): KeyState {
  const { concurrency } = config.limits;
  return {
    key,
    pausedUntil: 0,
    inFlight: 0,
    window: concurrency === 'adaptive' ? createAimdWindow() : createStaticWindow(concurrency),
    pace: config.rate === false ? undefined : createPace(config.rate, now),
    budget: config.budget === false ? undefined : createBudget(config.budget, now),
    counters: emptyCounters(),
    remaining: undefined,
    lastServedAt: -Infinity,
    lastServedRttMs: 0,
    heldPauseUntil: -Infinity,
    transportFailureShare: 0,
  };
}
