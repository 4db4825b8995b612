// `mapRequests()`: sends one request per item of a (possibly endless) source, pulling the next
// item only when its key's gate has room, and hands results back through a bounded buffer.

import type { Dispatcher } from 'undici';
import type { SluiceClient } from '../client.js';
import type { Engine } from '../engine/engine.js';
import { InvalidOptionError } from '../errors.js';
import { expectFunction } from '../validate.js';
import type { BodyReader } from './body-mode.js';
import { createBulkDispatcher } from './bulk-dispatcher.js';
import { BulkRun, type GateAccess } from './bulk-run.js';
import { mapSender } from './map-sender.js';
import { normalizeMapOptions, type MapOptions } from './map-options.js';
import type { MapProgress, MapResult, ToRequest } from './map-result.js';

/** What the runner needs of a client: `createClient()`'s result satisfies it. */
export type MapClient = Pick<SluiceClient, 'fetch' | 'ready' | 'stats'>;

/** The results of a run, as an async iterator you can also read progress from. */
export interface MapRun<T, B> extends AsyncIterableIterator<MapResult<T, B>> {
  readonly progress: MapProgress;
}

type Source<T> = Iterable<T> | AsyncIterable<T>;

/**
 * `client.map(source, toRequest, options?)`; one signature per `body` mode so each result's
 * `body` has the type that mode reads (a string, JSON's `unknown`, bytes, nothing, a reader's B).
 */
export interface MapMethod {
  <T>(source: Source<T>, toRequest: ToRequest<T>, options?: MapOptions & { body?: 'text' }): MapRun<T, string>;
  <T>(source: Source<T>, toRequest: ToRequest<T>, options: MapOptions & { body: 'json' }): MapRun<T, unknown>;
  <T>(source: Source<T>, toRequest: ToRequest<T>, options: MapOptions & { body: 'bytes' }): MapRun<T, Uint8Array>;
  <T>(source: Source<T>, toRequest: ToRequest<T>, options: MapOptions & { body: false }): MapRun<T, undefined>;
  <T, B>(source: Source<T>, toRequest: ToRequest<T>, options: MapOptions & { body: BodyReader<B> }): MapRun<T, B>;
  <T>(source: Source<T>, toRequest: ToRequest<T>, options?: MapOptions): MapRun<T, unknown>;
}

/**
 * Sends `toRequest(item)` for every item of `source` through `client` and yields one result per
 * item. Nothing is pulled until the results are iterated; after that an item is pulled only when
 * the run holds fewer than `bufferSize` items and is under `concurrency`, and the item's key has
 * room in its gate's window and would admit it now (`client.ready(key)`). So memory stays flat
 * however long the source, and a paused or slowed origin slows the pulling, not a queue.
 *
 * Pulling is in source order: an item whose key is paused holds back the items behind it, even
 * for other keys (bounded memory leaves nowhere to put them).
 *
 * Memory: the run retains at most `concurrency` requests and `bufferSize` results (bodies up to
 * `maxBodyBytes` each), whatever the source's length. The process's peak RSS is mostly V8's
 * young generation, which grows to 64 MB per semi-space under a sustained request rate; start
 * Node with `--max-semi-space-size=8` (as `sluice run` does) to bound it, and lower
 * `concurrency` and `bufferSize` for large bodies.
 */
// One overload per `body` mode, as in `MapMethod`.
type Run<T> = [client: MapClient, source: Source<T>, toRequest: ToRequest<T>];
export function mapRequests<T>(...args: [...Run<T>, options?: MapOptions & { body?: 'text' }]): MapRun<T, string>;
export function mapRequests<T>(...args: [...Run<T>, options: MapOptions & { body: 'json' }]): MapRun<T, unknown>;
export function mapRequests<T>(...args: [...Run<T>, options: MapOptions & { body: 'bytes' }]): MapRun<T, Uint8Array>;
export function mapRequests<T>(...args: [...Run<T>, options: MapOptions & { body: false }]): MapRun<T, undefined>;
export function mapRequests<T, B>(...args: [...Run<T>, options: MapOptions & { body: BodyReader<B> }]): MapRun<T, B>;
export function mapRequests<T>(...args: [...Run<T>, options?: MapOptions]): MapRun<T, unknown>;
export function mapRequests<T>(client: MapClient, source: Source<T>, toRequest: ToRequest<T>, options?: MapOptions): MapRun<T, unknown> {
  return startRun(client, client, source, toRequest, options, undefined, undefined);
}

/**
 * `client.map`: `mapRequests` on the client `getClient()` returns (lazily, so the client object
 * can hold its own method), counting attempts on the dispatcher the client sends through. With
 * `fixedWindow` (the client's `limits.concurrency` is a number) the run's default cap gives way
 * to that window: the user already said how many at once. Given the client's `engine`, items
 * that need nothing of fetch go through it as plain undici dispatches (see `fetchLikeSpec`).
 */
export function mapMethod(getClient: () => MapClient, dispatcher: Dispatcher, fixedWindow = false, engine?: Engine): MapMethod {
  let bulkDispatcher: Dispatcher | undefined;
  const direct = engine && (() => (bulkDispatcher ??= createBulkDispatcher(engine, dispatcher)));
  return ((source: Source<unknown>, toRequest: ToRequest<unknown>, options?: MapOptions) =>
    startRun(getClient(), engine, source, toRequest, fixedWindow ? { concurrency: Infinity, ...options } : options, dispatcher, direct?.())) as MapMethod;
}

/** Validates the arguments eagerly and creates the run; nothing is pulled until it is iterated. */
function startRun<T>(
  client: MapClient,
  /** What the pull loop reads the gates through: the client's engine when known, else the client. */
  gates: GateAccess | undefined,
  source: Source<T>,
  toRequest: ToRequest<T>,
  options: MapOptions | undefined,
  dispatcher: Dispatcher | undefined,
  bulkDispatcher: Dispatcher | undefined,
): MapRun<T, unknown> {
  // A string is iterable (by character) but as a source it is surely a mistake (a path? a URL?).
  if (typeof source !== 'object' || source === null || !(Symbol.asyncIterator in source || Symbol.iterator in source)) {
    throw new InvalidOptionError('source', 'an Iterable or AsyncIterable object', source);
  }
  expectFunction('toRequest', toRequest);
  const normalized = normalizeMapOptions(options);
  return new BulkRun<T, MapResult<T, unknown>>(gates ?? client, source, toRequest, normalized, (control) =>
    mapSender(control, { client, options: normalized, dispatcher, bulkDispatcher }),
  );
}
