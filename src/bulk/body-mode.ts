// How the bulk runner reads each response body before settling the item, so a result in the
// buffer holds bytes rather than a socket: text, JSON, bytes, not at all, or a custom reader.

import { BodyTooLargeError } from '../errors.js';

// A `SluiceError` like every refusal of sluice's own: defined with the others, re-exported here.
export { BodyTooLargeError };

/** The item a body belongs to, for a reader that names files after it (say). */
export interface BodyItem {
  /** The source item (typed `unknown` here; the reader knows what its source yields). */
  input: unknown;
  index: number;
  /** Aborts when the run stops or the item's own signal aborts. */
  signal: AbortSignal;
}

/** Reads one response's body inside the item's slot (e.g. streams it to a file). */
export type BodyReader<B> = (response: Response, item: BodyItem) => Promise<B>;

export type BodyMode = 'text' | 'json' | 'bytes' | false | BodyReader<unknown>;

export const bodyModes = ['text', 'json', 'bytes'] as const;

/** Shared: a decoder per body costs more than decoding a small one. */
const utf8 = new TextDecoder();

/**
 * Reads `response`'s body as `mode` asks, refusing more than `maxBytes` so one huge answer cannot
 * take the run's memory; `false` leaves the body to the consumer (who must read or cancel it).
 */
export async function readBody(
  response: Response,
  mode: BodyMode,
  maxBytes: number,
  item: BodyItem,
): Promise<unknown> {
  if (mode === false) return undefined;
  if (typeof mode === 'function') return mode(response, item);
  const bytes = await readBodyBytes(response, maxBytes);
  return mode === 'bytes' ? bytes : decodeBody(bytes, mode);
}

/** Bytes as `response.text()` or `response.json()` would give them (UTF-8, a BOM dropped). */
export function decodeBody(bytes: Uint8Array, mode: 'text' | 'json'): unknown {
  const text = utf8.decode(bytes);
  return mode === 'json' ? JSON.parse(text) : text;
}

/** The whole body as bytes; `BodyTooLargeError` (and the connection dropped) past `maxBytes`. */
export async function readBodyBytes(response: Response, maxBytes: number): Promise<Uint8Array> {
  const body = response.body;
  if (!body) return new Uint8Array(0);
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await body.cancel().catch(() => {});
    throw new BodyTooLargeError(maxBytes);
  }
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
}
