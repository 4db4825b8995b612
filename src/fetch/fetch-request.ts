// Turns fetch's (input, init) into plain parts sluice can send many times: URL, method,
// headers, a replayable body and the caller's signal — whatever realm the Request came from.

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
  headers: Headers;
  body: RequestBody;
  signal: AbortSignal | undefined;
  /** The remaining init members (redirect, keepalive, …), passed through untouched. */
  rest: Record<string, unknown>;
}

const copiedFromRequest = ['redirect', 'integrity', 'keepalive', 'referrer', 'referrerPolicy', 'mode', 'credentials', 'cache'] as const;

/**
 * Reads `input` and `init` the way fetch does (init wins). A bad URL throws the same
 * `TypeError` fetch throws, before anything is queued.
 */
export function toFetchRequest(input: unknown, init: Record<string, unknown> = {}, maxReplayBytes: number): FetchRequest {
  const request = isRequestLike(input) ? input : undefined;
  let url: URL;
  try {
    url = new URL(request ? request.url : String(input));
  } catch (cause) {
    throw new TypeError(`Failed to parse URL from ${request ? request.url : String(input)}`, { cause });
  }
  const { body, method, headers, signal, ...rest } = init;
  for (const key of copiedFromRequest) {
    if (request?.[key] !== undefined && rest[key] === undefined) rest[key] = request[key];
  }
  return {
    url,
    method: String(method ?? request?.method ?? 'GET').toUpperCase(),
    headers: new Headers((headers ?? request?.headers) as ConstructorParameters<typeof Headers>[0]),
    body: createRequestBody(body !== undefined ? body : (request?.body ?? null), maxReplayBytes),
    signal: (signal as AbortSignal | null | undefined) ?? request?.signal ?? undefined,
    rest,
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
