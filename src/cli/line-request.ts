// Turns one input line of `sluice run` into the undici dispatch that sends it: the line's own
// headers over --header ones, sluice's User-Agent unless one is set, credentials from the URL as
// Basic authentication (as curl does), and the content type fetch would give a text body.

import type { DispatchSpec } from '../bulk/dispatch-item.js';
import type { InputRequest } from './input-line.js';

export interface LineDefaults {
  /** --header values, in order. */
  headers: readonly [string, string][];
  /** `sluice/<version>`, unless a header sets one. */
  userAgent: string;
}

/** The dispatch for `request`, whose URL is `url` (already parsed by the runner). */
export function lineDispatch(request: InputRequest, url: URL, defaults: LineDefaults): DispatchSpec {
  // Most lines have no headers of their own: then the flags' headers go as they are. (Arrays, not
  // sets, since there are only ever a few.)
  const headers: string[] = [];
  for (const [name, value] of request.headers) headers.push(name.toLowerCase(), value);
  const own = headers.length;
  for (const [name, value] of defaults.headers) {
    const lower = name.toLowerCase();
    if (own === 0 || !has(headers, lower, own)) headers.push(lower, value);
  }
  if (!has(headers, 'user-agent')) headers.push('user-agent', defaults.userAgent);
  if (!has(headers, 'accept')) headers.push('accept', '*/*');
  if (request.body !== undefined && !has(headers, 'content-type')) headers.push('content-type', 'text/plain;charset=UTF-8');
  if ((url.username !== '' || url.password !== '') && !has(headers, 'authorization')) {
    const credentials = `${safeDecode(url.username)}:${safeDecode(url.password)}`;
    headers.push('authorization', `Basic ${Buffer.from(credentials).toString('base64')}`);
  }
  return {
    origin: url.origin,
    path: url.pathname + url.search,
    method: request.method,
    headers,
    body: request.body ?? null,
  };
}

/** Whether the flat list names `name` among its first `end` entries. */
function has(headers: readonly string[], name: string, end = headers.length): boolean {
  for (let i = 0; i < end; i += 2) if (headers[i] === name) return true;
  return false;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
