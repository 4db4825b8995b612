// Decides whether a bulk item can skip fetch: a URL with plain fetch options (method, headers, a
// string or bytes body) is sent as an undici dispatch carrying what fetch would have sent.

import type { RequestOptions } from '../client-options.js';
import type { DispatchSpec } from './dispatch-item.js';
import type { PreparedRequest } from './request-spec.js';

/** fetch's init members the dispatcher path reproduces; any other member needs fetch itself. */
const plainInitKeys = new Set(['method', 'headers', 'body', 'signal', 'redirect', 'retry', 'timeout', 'priority', 'key', 'sluice']);

/** Methods fetch upper-cases; any other is sent as written. */
const normalizedMethods = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
/** Methods fetch refuses (with a TypeError the fetch path produces). */
const forbiddenMethods = new Set(['CONNECT', 'TRACE', 'TRACK']);
const methodToken = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The headers fetch adds when the caller did not set them, in its order; accept-encoding aside. */
const fetchDefaults: readonly [string, string][] = [
  ['accept', '*/*'],
  ['accept-language', '*'],
  ['sec-fetch-mode', 'cors'],
  ['user-agent', 'undici'],
];

/**
 * The item as undici dispatch options with fetch's semantics — fetch's default headers, its
 * method normalisation, the content type fetch gives a string or form body, compressed bodies
 * accepted (and decoded by the sink), redirects followed — or undefined when only fetch can send
 * it as fetch would: a `Request` object, a stream, Blob or FormData body, credentials in the URL,
 * a non-default `redirect`, a per-request `dispatcher`, or a method or body fetch refuses (the
 * fetch path then fails the item with fetch's own error).
 */
export function fetchLikeSpec(prepared: PreparedRequest): DispatchSpec | undefined {
  const { input, init, url } = prepared;
  if (typeof input !== 'string' && !(input instanceof URL)) return undefined;
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '') return undefined;
  for (const key in init) if (!plainInitKeys.has(key)) return undefined;
  const fields = init as Record<string, unknown>;
  if (fields.redirect !== undefined && fields.redirect !== 'follow') return undefined;

  const method = methodOf(fields.method);
  if (method === undefined) return undefined;
  const body = bodyOf(fields.body);
  if (body === undefined || (body.value !== null && (method === 'GET' || method === 'HEAD'))) return undefined;

  const headers = headerList(fields.headers);
  if (headers === undefined) return undefined;
  if (body.contentType !== undefined && !has(headers, 'content-type')) headers.push('content-type', body.contentType);
  for (const [name, value] of fetchDefaults) if (!has(headers, name)) headers.push(name, value);
  if (!has(headers, 'accept-encoding')) {
    const encodings = has(headers, 'range') ? 'identity' : url.protocol === 'https:' ? 'br, gzip, deflate, zstd' : 'gzip, deflate';
    headers.push('accept-encoding', encodings);
  }

  const spec: DispatchSpec = { origin: url.origin, path: `${url.pathname}${url.search}`, method, headers, body: body.value };
  const options = requestOptionsOf(fields);
  if (options !== undefined) spec.options = options;
  if (fields.signal != null) spec.signal = fields.signal as AbortSignal;
  return spec;
}

function methodOf(value: unknown): string | undefined {
  if (value === undefined) return 'GET';
  if (typeof value !== 'string') return undefined;
  const upper = value.toUpperCase();
  if (normalizedMethods.has(upper)) return upper;
  if (forbiddenMethods.has(upper) || !methodToken.test(value)) return undefined;
  return value;
}

const noBody = Object.freeze({ value: null });

/** The body as bytes or text and the content type fetch would give it; undefined for other kinds. */
function bodyOf(value: unknown): { value: string | Uint8Array | null; contentType?: string } | undefined {
  if (value === undefined || value === null) return noBody;
  if (typeof value === 'string') return { value, contentType: 'text/plain;charset=UTF-8' };
  // Copied, as fetch copies it: the caller may reuse the buffer once the call returns.
  if (value instanceof ArrayBuffer) return { value: new Uint8Array(value.slice(0)) };
  if (ArrayBuffer.isView(value)) return { value: Buffer.copyBytesFrom(value as Uint8Array) };
  if (value instanceof URLSearchParams) return { value: value.toString(), contentType: 'application/x-www-form-urlencoded;charset=UTF-8' };
  return undefined;
}

/** Flat lower-case `name, value` pairs; undefined for a shape fetch would refuse or treat specially. */
function headerList(value: unknown): string[] | undefined {
  const list: string[] = [];
  if (value === undefined || value === null) return list;
  if (typeof (value as Headers).forEach === 'function' && typeof (value as Headers).get === 'function') {
    (value as Headers).forEach((headerValue, name) => list.push(name, headerValue));
    return list;
  }
  if (Array.isArray(value)) {
    for (const pair of value as unknown[]) {
      if (!Array.isArray(pair) || pair.length !== 2) return undefined;
      list.push(String(pair[0]).toLowerCase(), String(pair[1]).trim());
    }
    return list;
  }
  if (typeof value !== 'object') return undefined;
  for (const name of Object.keys(value)) list.push(name.toLowerCase(), String((value as Record<string, unknown>)[name]).trim());
  return list;
}

function has(headers: string[], name: string): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return true;
  return false;
}

/** sluice's per-request options from fetch's init (top level, or the `sluice` member). */
function requestOptionsOf(fields: Record<string, unknown>): RequestOptions | undefined {
  const { retry, timeout, priority, key, sluice } = fields;
  if (retry === undefined && timeout === undefined && key === undefined && typeof priority !== 'number' && sluice === undefined) {
    return undefined;
  }
  const options: Record<string, unknown> = {};
  if (retry !== undefined) options.retry = retry;
  if (timeout !== undefined) options.timeout = timeout;
  if (typeof priority === 'number') options.priority = priority;
  if (key !== undefined) options.key = key;
  if (typeof sluice === 'object' && sluice !== null) Object.assign(options, sluice);
  return options as RequestOptions;
}
