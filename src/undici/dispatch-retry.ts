// An intercepted request between attempts: runs the caller's `beforeRetry` hooks, shown the
// request as a URL and `Headers` (as fetch users see it), and dispatches the next attempt as changed.

import type { RetryPreparation } from '../engine/attempt-loop.js';
import { type BeforeRetryHook, runBeforeRetry } from '../retry/before-retry.js';
import type { AttemptHandler } from './attempt-handler.js';
import type { DispatchTransport } from './dispatch-transport.js';

/** The engine's `beforeRetry` for one intercepted request. */
export function dispatchRetryPreparation(transport: DispatchTransport, hooks: readonly BeforeRetryHook[]) {
  return async (preparation: RetryPreparation<AttemptHandler>): Promise<void> => {
    const { opts } = transport;
    const head = preparation.value?.responseHead;
    const next = await runBeforeRetry(hooks, {
      attempt: preparation.attempt,
      delay: preparation.delay,
      source: preparation.source,
      // Status and headers only (the body is being drained), as a fetch Response so one hook serves both adapters.
      response: head === undefined ? undefined : new Response(null, { status: head.status, statusText: head.statusMessage ?? '', headers: headerPairs(head.headers) }),
      error: preparation.outcome.type === 'error' ? preparation.outcome.error : undefined,
      signal: preparation.signal,
      method: opts.method,
      url: new URL(opts.path, opts.origin),
      headers: new Headers(headerPairs(opts.headers)),
    });
    const flat: string[] = [];
    for (const [name, value] of next.headers) flat.push(name, value);
    transport.opts = { ...opts, origin: next.url.origin, path: `${next.url.pathname}${next.url.search}`, headers: flat };
  };
}

/** Dispatch or response headers in any form undici uses (object, flat array, pair iterable) as pairs. */
function headerPairs(headers: unknown): [string, string][] {
  const pairs: [string, string][] = [];
  if (headers == null || typeof headers !== 'object') return pairs;
  const add = (name: unknown, value: unknown) => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) for (const item of value) pairs.push([String(name), String(item)]);
    else pairs.push([String(name), String(value)]);
  };
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) for (const [name, value] of headers as unknown[][]) add(name, value);
    else for (let i = 0; i + 1 < headers.length; i += 2) add(headers[i], headers[i + 1]);
  } else if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [name, value] of headers as Iterable<[unknown, unknown]>) add(name, value);
  } else {
    for (const [name, value] of Object.entries(headers)) add(name, value);
  }
  return pairs;
}

