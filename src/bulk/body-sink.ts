// Where a response body goes on the bulk runner's dispatcher path, chunk by chunk as undici hands
// it over: collected into bytes (bounded, decoded as fetch would), or read and dropped.

// A namespace import: a named import of zstd (Node 22.15+) would fail to link on Node 20 before
// the entry's own check could say which Node sluice needs.
import * as zlib from 'node:zlib';
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { BodyTooLargeError } from './body-mode.js';

/** The start of a final response, as a sink sees it. */
export interface ResponseHead {
  status: number;
  headers: IncomingHttpHeaders;
}

/**
 * Receives one response's body. `data` may pause the connection through `controller` (and
 * resume it later) or throw to fail the item; `end` gives the item's body, `error` says the
 * body will not finish (the sink releases what it holds).
 */
export interface BodySink<B> {
  data(chunk: Buffer, controller: Dispatcher.DispatchController): void;
  end(): B | Promise<B>;
  error(reason: unknown): void;
}

/** Makes the sink for one item's final response; a throw fails the item (and drops the connection). */
export type SinkFactory<T, B> = (head: ResponseHead, input: T, index: number) => BodySink<B>;

/**
 * Collects the body, refusing more than `maxBytes` (declared or received); a subclass says what
 * the collected bytes become. A class, since one is made per response of a long run.
 */
export abstract class Collector<B> implements BodySink<B> {
  #chunks: Buffer[] = [];
  #length = 0;

  constructor(
    readonly head: ResponseHead,
    readonly maxBytes: number,
  ) {
    const declared = Number(head.headers['content-length']);
    if (declared > maxBytes) throw new BodyTooLargeError(maxBytes);
  }

  data(chunk: Buffer): void {
    this.#length += chunk.byteLength;
    if (this.#length > this.maxBytes) throw new BodyTooLargeError(this.maxBytes);
    this.#chunks.push(chunk);
  }

  abstract end(): B | Promise<B>;

  error(): void {
    this.#chunks = [];
  }

  /** The whole body, its content coding undone. */
  protected bytes(): Uint8Array {
    const chunks = this.#chunks;
    this.#chunks = [];
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#length);
    return decodeContent(bytes, this.head.headers['content-encoding'], this.maxBytes);
  }
}

/** The body as bytes. */
export class CollectSink extends Collector<Uint8Array> {
  end(): Uint8Array {
    return this.bytes();
  }
}

/** Reads the body to its end and keeps nothing, so the connection goes back to the pool. */
export const discardSink: BodySink<undefined> = {
  data() {},
  end: () => undefined,
  error() {},
};

const decoders: Record<string, (bytes: Uint8Array, options: { maxOutputLength: number }) => Buffer> = {
  gzip: zlib.gunzipSync,
  'x-gzip': zlib.gunzipSync,
  deflate: zlib.inflateSync,
  br: zlib.brotliDecompressSync,
  zstd: zlib.zstdDecompressSync,
};

/**
 * Undoes the content codings fetch undoes (gzip, deflate, br, zstd; last applied first), with
 * the decoded size bounded too. An unknown coding leaves the bytes as they came, as fetch does.
 */
export function decodeContent(bytes: Uint8Array, encoding: string | string[] | undefined, maxBytes: number): Uint8Array {
  if (encoding === undefined || bytes.byteLength === 0) return bytes;
  const codings = String(encoding)
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length === 0 || codings.length > 5 || !codings.every((coding) => coding in decoders)) return bytes;
  let decoded: Uint8Array = bytes;
  for (let i = codings.length - 1; i >= 0; i--) {
    try {
      // zlib refuses a bound of 0; the check below still holds a 0-byte limit.
      decoded = decoders[codings[i]!]!(decoded, { maxOutputLength: Math.max(1, maxBytes) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new BodyTooLargeError(maxBytes);
      throw new TypeError(`Could not decode the ${codings[i]} response body`, { cause: error });
    }
  }
  if (decoded.byteLength > maxBytes) throw new BodyTooLargeError(maxBytes);
  return decoded;
}
