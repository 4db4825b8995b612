// Counts the attempts of one request by wrapping the dispatcher it is sent through: every attempt
// is one dispatch of the request's own URL. The engine does not report attempts per request.

import type { Dispatcher } from 'undici';

export interface AttemptCounter {
  readonly dispatcher: Dispatcher;
  readonly attempts: number;
}

/**
 * A per-request view of `base` that counts dispatches to `url` (origin and path+query, as undici
 * builds them), so a redirect's follow-up, were it dispatched here, would not count as a retry.
 */
export function countAttempts(base: Dispatcher, url: URL): AttemptCounter {
  const origin = url.origin;
  const path = url.pathname + url.search;
  let attempts = 0;
  const dispatcher = base.compose((dispatch) => (options, handler) => {
    if (String(options.origin) === origin && (options.path === path || options.path === `${path}?`)) attempts++;
    return dispatch(options, handler);
  });
  return {
    dispatcher,
    get attempts() {
      return attempts;
    },
  };
}
