// Makes a request body sendable more than once, so a retry can re-send it: values are reused as
// they are, and streams, iterators and generators are recorded while sent (`RecordedBody`).

import { RecordedBody, type ChunkSource } from './recorded-body.js';

/** A body source that can be asked for a fresh body before each attempt. */
export interface RequestBody {
  /** The body to hand to the next attempt. */
  next(): unknown;
  /** Whether `next()` could give the whole body again. */
  readonly replayable: boolean;
  /** True for stream bodies, which fetch must send with `duplex: 'half'`. */
  readonly streaming: boolean;
  /**
   * The request is over (`error` when it failed): a stream source is cancelled or given back,
   * so the caller's stream is not left locked.
   */
  dispose(error?: unknown): void;
}

/** A body given as a value, sent as it is by every attempt. */
export class FixedBody implements RequestBody {
  readonly replayable = true;
  readonly streaming = false;
  constructor(private readonly body: unknown) {}
  next(): unknown {
    return this.body;
  }
  dispose(): void {}
}

/** `replayable` of a request whose body is a value (or none): shared, so such a request makes no closure for it. */
export const alwaysReplayable = (): boolean => true;

/** Most requests (GET) have none: one shared instance. */
export const noBody: RequestBody = Object.freeze(new FixedBody(null));

/**
 * A body as fetch takes it: a `ReadableStream` or an async iterable is streamed (and recorded);
 * anything else is a value fetch extracts afresh for every attempt (string, bytes,
 * `URLSearchParams`, `Blob`, `FormData`, or an object fetch turns into a string).
 */
export function createFetchBody(body: unknown, maxReplayBytes: number): RequestBody {
  if (body === null || body === undefined) return noBody;
  if (isStream(body)) return new RecordedBody(streamSource(body), maxReplayBytes);
  // As fetch does (undici's `ReadableStreamFrom`): an iterable's strings are sent as UTF-8.
  if (isAsyncIterable(body)) return new RecordedBody(iteratorSource(body[Symbol.asyncIterator]()), maxReplayBytes);
  return new FixedBody(body);
}

/**
 * A body as undici's `dispatch` takes it. Values (string, bytes, `Blob`, `FormData`) and
 * re-iterable collections (an array of chunks) are sent as they are; a stream, a Node `Readable`,
 * an async iterable or a one-shot iterator (a generator) is recorded, since a second attempt
 * iterating it again would send nothing.
 */
export function createDispatchBody(body: unknown, maxReplayBytes: number): RequestBody {
  if (body === null || body === undefined) return noBody;
  if (typeof body !== 'object' || ArrayBuffer.isView(body) || body instanceof ArrayBuffer || body instanceof Blob) {
    return new FixedBody(body);
  }
  if (isStream(body)) return new RecordedBody(streamSource(body), maxReplayBytes);
  if (isAsyncIterable(body)) return new RecordedBody(iteratorSource(body[Symbol.asyncIterator]()), maxReplayBytes);
  if (isOneShotIterator(body)) return new RecordedBody(iteratorSource(body), maxReplayBytes);
  return new FixedBody(body);
}

/** The caller's stream as a chunk source. Locks it at once, as fetch does. */
export function streamSource(stream: ReadableStream<unknown>): ChunkSource {
  const reader = stream.getReader();
  return {
    read: () => reader.read() as Promise<IteratorResult<unknown>>,
    cancel: (reason) => reader.cancel(reason),
    release: () => reader.releaseLock(),
    // fetch sends a stream's chunks only if they are bytes; anything else fails the request, so
    // it is passed on for undici to reject as it would without sluice.
    toBytes: (chunk) => (chunk instanceof Uint8Array ? chunk : undefined),
  };
}

/** An async or sync iterator (a generator, a Node `Readable`'s iterator) as a chunk source. */
function iteratorSource(iterator: Iterator<unknown> | AsyncIterator<unknown>): ChunkSource {
  return {
    read: async () => iterator.next(),
    cancel: async (reason) => {
      // A Node Readable's iterator destroys the stream on return(); a generator runs its finally.
      await iterator.return?.(reason);
    },
    release: () => {},
    toBytes: iterableChunkBytes,
  };
}

const utf8 = new TextEncoder();

/** The chunk types undici sends from an iterable (it passes each through `Buffer.from`). */
function iterableChunkBytes(chunk: unknown): Uint8Array | undefined {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return utf8.encode(chunk);
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  return undefined;
}

function isStream(body: unknown): body is ReadableStream<unknown> {
  return typeof (body as ReadableStream | null)?.getReader === 'function';
}

function isAsyncIterable(body: unknown): body is AsyncIterable<unknown> {
  return typeof (body as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function';
}

/** An iterator that is its own iterable (generators are): iterating it twice gives nothing the second time. */
function isOneShotIterator(body: object): body is Iterator<unknown> {
  return typeof (body as Iterable<unknown>)[Symbol.iterator] === 'function' && typeof (body as Iterator<unknown>).next === 'function';
}
