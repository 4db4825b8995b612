// A fetch request between attempts: runs the caller's `beforeRetry` hooks with the previous
// attempt's Response or error, and sends the next attempt to the URL and headers they left.

import type { RetryPreparation } from '../engine/attempt-loop.js';
import { type BeforeRetryHook, runBeforeRetry } from '../retry/before-retry.js';
import { userAgentOnly, type FetchRequest } from './fetch-request.js';

/** The engine's `beforeRetry` for one fetch request: what the hooks change, the next attempt sends. */
export function fetchRetryPreparation(request: FetchRequest, hooks: readonly BeforeRetryHook[]) {
  return async (preparation: RetryPreparation<Response>): Promise<void> => {
    const { outcome } = preparation;
    const next = await runBeforeRetry(hooks, {
      attempt: preparation.attempt,
      delay: preparation.delay,
      source: preparation.source,
      response: outcome.type === 'response' ? preparation.value : undefined,
      error: outcome.type === 'error' ? outcome.error : undefined,
      signal: preparation.signal,
      method: request.method,
      // Copies: a hook that throws halfway leaves the request as it was.
      url: new URL(request.url),
      headers: new Headers((request.headers ?? userAgentOnly) as ConstructorParameters<typeof Headers>[0]),
    });
    request.url = next.url;
    request.headers = next.headers;
  };
}
