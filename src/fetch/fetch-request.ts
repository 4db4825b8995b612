// Turns fetch's (input, init) into plain parts sluice can send many times: URL, method,
// headers, a replayable body and the caller's signal — whatever realm the Request came from.

import { readRequestOptions, type RequestOptions } from '../client-options.js';
import { noBody, type RequestBody } from '../engine/request-body.js';
import { initBody, requestInputBody } from './fetch-body.js';
import { normalizeMethod } from './fetch-method.js';
import { hasCredentials, redactUrl } from './url-credentials.js';

/** The subset of a Request that fetch reads; a Request from any copy of undici satisfies it. */
interface RequestLike {
  url: string;
  method: string;
  headers: Iterable<[string, string]>;
  body: ReadableStream<Uint8Array> | null;
  bodyUsed?: boolean;
  signal?: AbortSignal;
  redirect?: string;
  integrity?: string;
  keepalive?: boolean;
  referrer?: string;
  referrerPolicy?: string;
  mode?: string;
  credentials?: string;
  cache?: string;
}

export interface FetchRequest {
  url: URL;
  /** The method as it is sent: normalised the way fetch does it (only DELETE GET HEAD OPTIONS POST PUT). */
  method: string;
  /** Absent when neither `init` nor the Request gave any; else with Node's `User-Agent` unless one was set. */
  headers: Headers | undefined;
  /** The body; a Request input's body may still be being read (`pendingBody`). */
  body: RequestBody;
  /** A Request input's body being read ahead; `body` is set when it resolves. */
  pendingBody: Promise<RequestBody> | undefined;
  signal: AbortSignal | undefined;
  /** The remaining init members (redirect, keepalive, priority, …), passed through untouched. */
  rest: Record<string, unknown>;
  /** sluice's own options (`init.sluice`, and a priority from fetch's own); absent when none is set. */
  options: RequestOptions | undefined;
}

const copiedFromRequest = ['redirect', 'integrity', 'keepalive', 'referrer', 'referrerPolicy', 'mode', 'credentials', 'cache'] as const;

/**
 * The `User-Agent` Node's own fetch sends when the caller sets none. The npm undici's fetch would
 * send `undici`; a server that tells clients apart by it must see the same as without sluice.
 */
export const nodeUserAgent = 'node';

/** The headers of a request that set none: Node's fetch's `User-Agent` alone. Shared and frozen. */
export const userAgentOnly: readonly (readonly [string, string])[] = Object.freeze([Object.freeze(['user-agent', nodeUserAgent] as const)]);

/** fetch's `priority` hint as a gate priority: ahead of or behind the default 0, never shed before it is needed. */
const fetchPriorities: Readonly<Record<string, number>> = { high: 1, low: -1 };

/**
 * Reads `input` and `init` the way fetch does (init wins) and takes sluice's own `init.sluice`
 * out. What fetch would refuse — a bad URL or method, a body on GET, a locked stream — throws the
 * `TypeError` fetch throws, before anything is queued.
 */
export function toFetchRequest(input: unknown, init: Record<string, unknown> | undefined, maxReplayBytes: number): FetchRequest {
  const request = isRequestLike(input) ? input : undefined;
  let url: URL;
  const href = request ? request.url : String(input);
  try {
    url = new URL(href);
  } catch (cause) {
    // fetch's own message and cause, with any credentials in the text masked (the cause's
    // `input` repeats the text).
    const input = (cause as { input?: unknown }).input;
    if (typeof input === 'string') (cause as { input: string }).input = redactUrl(input);
    throw new TypeError(`Failed to parse URL from ${redactUrl(href)}`, { cause });
  }
  // fetch refuses credentials in the URL (and names the URL in its message); refused here, before
  // anything is queued, so the message can leave them out. The query string is the caller's data.
  if (hasCredentials(url)) throw new TypeError(`Request cannot be constructed from a URL that includes credentials: ${redactUrl(url.href)}`);
  let body, method, headers, signal, sluice;
  let rest: Record<string, unknown> = {};
  // `fetch(url)` (no init) is the common case: nothing to take apart.
  if (init !== undefined) ({ sluice, body, method, headers, signal, ...rest } = init);
  if (request) {
    for (const name of copiedFromRequest) {
      if (request[name] !== undefined && rest[name] === undefined) rest[name] = request[name];
    }
  }
  // As fetch reads them: `undefined` means "not given", while `null` is a value (a method named "null").
  const sentMethod = method !== undefined ? normalizeMethod(String(method)) : (request?.method ?? 'GET');
  if (headers === undefined) headers = request?.headers;

  let requestBody: RequestBody = noBody;
  let pendingBody: Promise<RequestBody> | undefined;
  const bodyGiven = body !== undefined && body !== null;
  if (bodyGiven || (body === undefined && request?.body)) {
    if (sentMethod === 'GET' || sentMethod === 'HEAD') throw new TypeError('Request with GET/HEAD method cannot have body.');
  }
  if (bodyGiven) {
    if (isStreamBody(body) && rest.duplex === undefined) {
      throw new TypeError('RequestInit: duplex option is required when sending a body.');
    }
    requestBody = initBody(body, maxReplayBytes);
  } else if (body === undefined && request?.body) {
    if (request.bodyUsed || request.body.locked) {
      throw new TypeError('Cannot construct a Request with a Request object that has already been used.');
    }
    pendingBody = requestInputBody(request.body, maxReplayBytes);
  }

  let options = init === undefined ? undefined : readRequestOptions(sluice, 'init.sluice');
  const hinted = typeof rest.priority === 'string' ? fetchPriorities[rest.priority] : undefined;
  if (hinted !== undefined && options?.priority === undefined) options = { ...options, priority: hinted };

  let sentHeaders: Headers | undefined;
  // `null` is refused as fetch refuses it (by the Headers constructor's TypeError).
  if (headers !== undefined) {
    sentHeaders = new Headers(headers as ConstructorParameters<typeof Headers>[0]);
    if (!sentHeaders.has('user-agent')) sentHeaders.set('user-agent', nodeUserAgent);
  }

  return {
    url,
    method: sentMethod,
    headers: sentHeaders,
    body: requestBody,
    pendingBody,
    signal: (signal as AbortSignal | null | undefined) ?? request?.signal ?? undefined,
    rest,
    options,
  };
}

function isRequestLike(input: unknown): input is RequestLike {
  return (
    typeof input === 'object' &&
    input !== null &&
    !(input instanceof URL) &&
    typeof (input as RequestLike).url === 'string' &&
    typeof (input as RequestLike).method === 'string'
  );
}

/** A body fetch streams (and so needs `duplex: 'half'` for). */
function isStreamBody(body: unknown): boolean {
  return (
    typeof (body as ReadableStream | null)?.getReader === 'function' ||
    typeof (body as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function'
  );
}
