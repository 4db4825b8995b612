// Turns fetch's (input, init) into plain parts sluice can send many times: URL, method,
// headers, a replayable body and the caller's signal — whatever realm the Request came from.

import type { RequestOptions } from '../client-options.js';
import { createRequestBody, type RequestBody } from '../engine/request-body.js';

/** The subset of a Request that fetch reads; a Request from any copy of undici satisfies it. */
interface RequestLike {
  url: string;
  method: string;
  headers: Iterable<[string, string]>;
  body: ReadableStream<Uint8Array> | null;
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
  method: string;
  /** Absent when neither `init` nor the Request gave any (fetch then sends none of its own). */
  headers: Headers | undefined;
  body: RequestBody;
  signal: AbortSignal | undefined;
  /** The remaining init members (redirect, keepalive, …), passed through untouched. */
  rest: Record<string, unknown>;
  /** sluice's own init members (`retry`, `timeout`, `priority`, `key`); absent when none is set. */
  options: RequestOptions | undefined;
}

const copiedFromRequest = ['redirect', 'integrity', 'keepalive', 'referrer', 'referrerPolicy', 'mode', 'credentials', 'cache'] as const;

/**
 * Reads `input` and `init` the way fetch does (init wins), and takes sluice's own members out of
 * `init`. A bad URL throws the same `TypeError` fetch throws, before anything is queued.
 */
export function toFetchRequest(input: unknown, init: Record<string, unknown> | undefined, maxReplayBytes: number): FetchRequest {
  const request = isRequestLike(input) ? input : undefined;
  let url: URL;
  try {
    url = new URL(request ? request.url : String(input));
  } catch (cause) {
    throw new TypeError(`Failed to parse URL from ${request ? request.url : String(input)}`, { cause });
  }
  let body, method, headers, signal, retry, timeout, priority, key;
  let rest: Record<string, unknown> = {};
  // `fetch(url)` (no init) is the common case: nothing to take apart.
  if (init !== undefined) ({ retry, timeout, priority, key, body, method, headers, signal, ...rest } = init);
  if (request) {
    for (const name of copiedFromRequest) {
      if (request[name] !== undefined && rest[name] === undefined) rest[name] = request[name];
    }
  }
  headers ??= request?.headers;
  return {
    url,
    method: method === undefined && request === undefined ? 'GET' : String(method ?? request?.method ?? 'GET').toUpperCase(),
    headers: headers === undefined || headers === null ? undefined : new Headers(headers as ConstructorParameters<typeof Headers>[0]),
    body: createRequestBody(body !== undefined ? body : (request?.body ?? null), maxReplayBytes),
    signal: (signal as AbortSignal | null | undefined) ?? request?.signal ?? undefined,
    rest,
    options:
      retry === undefined && timeout === undefined && priority === undefined && key === undefined
        ? undefined
        : ({ retry, timeout, priority, key } as RequestOptions),
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
