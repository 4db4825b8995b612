// Turns a dispatcher-path result into the `MapResult` callers of `client.map` get: a fetch
// `Response` carrying the status, headers and final URL, its body already read into `body`,
// built only if the caller reads `result.response` (most read `ok` and `body` only).

import type { IncomingHttpHeaders } from 'node:http';
import { Headers, Response } from 'undici';
import type { MapResult } from './map-result.js';
import type { RawResult } from './dispatch-item.js';

/** `raw` as a map result. A response is built only when one arrived (cheap: it has no body stream). */
export function mapResultOf<T, B>(raw: RawResult<T, B>): MapResult<T, B> {
  const { status } = raw;
  if (status !== undefined && (status < 200 || status > 599)) {
    // A status fetch's Response cannot carry: the item fails, saying why.
    return { input: raw.input, index: raw.index, ok: false, ms: raw.ms, attempts: raw.attempts, error: new RangeError(`The server answered with status ${status}, which fetch's Response cannot carry`) };
  }
  let response: globalThis.Response | undefined;
  const result: MapResult<T, B> =
    status === undefined
      ? { input: raw.input, index: raw.index, ok: raw.ok, ms: raw.ms, attempts: raw.attempts }
      : {
          input: raw.input,
          index: raw.index,
          ok: raw.ok,
          ms: raw.ms,
          attempts: raw.attempts,
          // An own, enumerable accessor: `{ ...result }` and destructuring still get the Response.
          get response() {
            return (response ??= responseOf(status, raw.statusText ?? '', raw.headers ?? {}, raw.url ?? ''));
          },
        };
  if (raw.body !== undefined) result.body = raw.body;
  // fetch reports a network failure as `TypeError: fetch failed` with the cause attached.
  if (raw.error !== undefined) result.error = raw.transportError ? new TypeError('fetch failed', { cause: raw.error }) : raw.error;
  if (raw.cancelled) result.cancelled = true;
  return result;
}

function responseOf(status: number, statusText: string, raw: IncomingHttpHeaders, url: string): globalThis.Response {
  const headers = new Headers();
  for (const name in raw) {
    const value = raw[name];
    if (Array.isArray(value)) for (const each of value) headers.append(name, each);
    else if (value !== undefined) headers.append(name, value);
  }
  let response: Response;
  try {
    response = new Response(null, { status, statusText, headers });
  } catch {
    // A reason phrase fetch's Response refuses (fetch itself keeps any): the status still counts.
    response = new Response(null, { status, headers });
  }
  // fetch's Response knows its URL; a constructed one does not, so it is given as its own property.
  Object.defineProperty(response, 'url', { value: url, enumerable: false });
  return response as unknown as globalThis.Response;
}
