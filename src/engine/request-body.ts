// Makes a fetch request body sendable more than once, so a retry can re-send it: replayable
// types are reused as they are, and a stream is recorded while it is sent, up to a bound.

/** A body source that can be asked for a fresh body before each attempt. */
export interface RequestBody {
  /** The body to hand to the next attempt. */
  next(): unknown;
  /** Whether `next()` could give the whole body again. */
  readonly replayable: boolean;
  /** True for stream bodies, which fetch must send with `duplex: 'half'`. */
  readonly streaming: boolean;
  /** Cancels a stream source that will never be read to its end. */
  dispose(): void;
}

type ByteStream = ReadableStream<Uint8Array>;

export function createRequestBody(body: unknown, maxReplayBytes: number): RequestBody {
  if (isStream(body)) return recordingBody(body, maxReplayBytes);
  if (isAsyncIterable(body)) return recordingBody(ReadableStream.from(body) as ByteStream, maxReplayBytes);
  // string, bytes, URLSearchParams, Blob, FormData, null: fetch extracts these afresh each time.
  return body === null || body === undefined ? noBody : new FixedBody(body);
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
const noBody: RequestBody = Object.freeze(new FixedBody(null));

/**
 * Streams the source to the first attempt while keeping a copy of up to `maxReplayBytes`. If the
 * source ends within the bound, later attempts send the copy; past the bound, the body is not
 * replayable once it started. A source nobody pulled yet (connection refused) is still fresh.
 */
function recordingBody(source: ByteStream, maxReplayBytes: number): RequestBody {
  let state: 'fresh' | 'streaming' | 'recorded' | 'spent' = 'fresh';
  let chunks: Uint8Array[] = [];
  let recordedBytes = 0;
  let recorded: Uint8Array | undefined;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;

  const stream = (): ByteStream =>
    new ReadableStream<Uint8Array>({
      async pull(controller) {
        reader ??= source.getReader();
        state = state === 'fresh' ? 'streaming' : state;
        const { done, value } = await reader.read();
        if (done) {
          if (state === 'streaming') {
            recorded = Buffer.concat(chunks);
            state = 'recorded';
          }
          chunks = [];
          controller.close();
          return;
        }
        recordedBytes += value.byteLength;
        if (state === 'streaming' && recordedBytes <= maxReplayBytes) chunks.push(value);
        else {
          state = 'spent';
          chunks = [];
        }
        controller.enqueue(value);
      },
      cancel(reason) {
        // A stream cancelled before its first pull may still serve the next attempt.
        if (state !== 'fresh') {
          if (state === 'streaming') state = 'spent';
          return reader?.cancel(reason);
        }
      },
    });

  return {
    next: () => (state === 'recorded' ? recorded : stream()),
    get replayable() {
      return state === 'fresh' || state === 'recorded';
    },
    get streaming() {
      return state !== 'recorded';
    },
    dispose() {
      if (state === 'fresh') void source.cancel().catch(() => {});
    },
  };
}

function isStream(body: unknown): body is ByteStream {
  return typeof (body as ReadableStream | null)?.getReader === 'function';
}

function isAsyncIterable(body: unknown): body is AsyncIterable<Uint8Array> {
  return typeof (body as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function';
}
