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
  const headers: string[] = [];
  const seen = new Set<string>();
  // The line's own headers win over --header ones of the same name.
  for (const [name, value] of request.headers) {
    const lower = name.toLowerCase();
    seen.add(lower);
    headers.push(lower, value);
  }
  const own = new Set(seen);
  for (const [name, value] of defaults.headers) {
    const lower = name.toLowerCase();
    if (!own.has(lower)) headers.push(lower, value);
    seen.add(lower);
  }
  if (!seen.has('user-agent')) headers.push('user-agent', defaults.userAgent);
  if (!seen.has('accept')) headers.push('accept', '*/*');
  if (request.body !== undefined && !seen.has('content-type')) headers.push('content-type', 'text/plain;charset=UTF-8');
  if ((url.username !== '' || url.password !== '') && !seen.has('authorization')) {
    const credentials = `${safeDecode(url.username)}:${safeDecode(url.password)}`;
    headers.push('authorization', `Basic ${Buffer.from(credentials).toString('base64')}`);
  }
  return {
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    method: request.method,
    headers,
    body: request.body ?? null,
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
