// The body of a fetch request as Node's own fetch would send it, though sluice sends through the
// npm undici's fetch: a FormData of the global realm, and the body of a Request object.

import { Readable } from 'node:stream';
import { FormData as UndiciFormData } from 'undici';
import { createFetchBody, FixedBody, type RequestBody, streamSource } from '../engine/request-body.js';
import { RecordedBody } from '../engine/recorded-body.js';

/**
 * `init.body` as a replayable body. The npm undici's fetch knows only its own `FormData` class
 * and would send the global one as the text `[object FormData]`; its entries are copied into
 * undici's, which encodes the same multipart body Node's fetch sends (files stay lazy Blobs).
 */
export function initBody(body: unknown, maxReplayBytes: number): RequestBody {
  if (body instanceof FormData && !(body instanceof UndiciFormData)) return new FixedBody(toUndiciFormData(body));
  // Node's `isDisturbed` reads web streams too (its types list only Node streams).
  if (body instanceof ReadableStream && (body.locked || Readable.isDisturbed(body as never))) {
    throw new TypeError('Response body object should not be disturbed or locked');
  }
  return createFetchBody(body, maxReplayBytes);
}

function toUndiciFormData(form: FormData): UndiciFormData {
  const copy = new UndiciFormData();
  for (const [name, value] of form) {
    if (typeof value === 'string') copy.append(name, value);
    else copy.append(name, value, value.name);
  }
  return copy;
}

/**
 * The body of a `Request` given as fetch's input, whatever realm it is from: all sluice can read
 * is its stream. Node's fetch sends a body made from a value (string, bytes, `Blob`, `FormData`,
 * `URLSearchParams`) with a `Content-Length`, and the caller's own stream chunked. Such a body
 * is a byte stream made by the Request, which a caller's stream rarely is: that one is read
 * ahead, up to `maxReplayBytes`, and sent as bytes (with its length, and replayable); past the
 * bound it is streamed on. Any other stream is the caller's, streamed and recorded as usual.
 *
 * Resolves once the read-ahead is done; the body's stream is locked from the call, as fetch does.
 */
export async function requestInputBody(stream: ReadableStream<Uint8Array>, maxReplayBytes: number): Promise<RequestBody> {
  if (!isByteStream(stream)) return createFetchBody(stream, maxReplayBytes);
  const source = streamSource(stream);
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = (await source.read()) as IteratorResult<Uint8Array, undefined>;
    if (done) {
      source.release();
      return new FixedBody(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    }
    chunks.push(value);
    bytes += value.byteLength;
    if (bytes > maxReplayBytes) return new RecordedBody(source, maxReplayBytes, chunks);
  }
}

/** A stream of `type: 'bytes'`, the kind a Request makes of a value body. Probing does not lock it. */
function isByteStream(stream: ReadableStream<Uint8Array>): boolean {
  try {
    stream.getReader({ mode: 'byob' }).releaseLock();
    return true;
  } catch {
    return false;
  }
}
