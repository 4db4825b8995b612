// Sends one attempt of a fetch request with undici's fetch, and reports its outcome to the
// attempt loop: a Response for any status, or a transport error classified by phase.

import { fetch as undiciFetch, type Dispatcher } from 'undici';
import type { AttemptResult, SendAttempt } from '../engine/attempt-loop.js';
import type { AttemptOutcome } from '../retry/policy.js';
import { neverAborted } from '../engine/sleep.js';
import { wasSent } from '../engine/transport-error.js';
import { discardBody } from './discard-body.js';
import { userAgentOnly, type FetchRequest } from './fetch-request.js';

export function fetchTransport(request: FetchRequest, dispatcher: Dispatcher): SendAttempt<Response> {
  // One init for every attempt: fetch reads it synchronously, and only the body, the signal,
  // (for a stream) duplex, and what a beforeRetry hook changed (URL, headers) differ between attempts.
  const init: Record<string, unknown> = { ...request.rest, method: request.method, dispatcher };
  const callerDuplex = init.duplex;
  return (signal) => {
    init.headers = request.headers ?? userAgentOnly;
    const body = request.body.next();
    init.body = body;
    // Nothing can abort this attempt: fetch is spared a signal to follow.
    init.signal = signal === neverAborted ? undefined : signal;
    init.duplex = request.body.streaming && body != null ? 'half' : callerDuplex;
    let response: Promise<Response>;
    try {
      response = undiciFetch(request.url, init as never) as unknown as Promise<Response>;
    } catch (error) {
      response = Promise.reject(error);
    }
    return response.then(
      (value) => new FetchAttempt(value),
      (error: unknown) => {
        if (signal.aborted) throw signal.reason;
        return { outcome: { type: 'error', error, sent: wasSent(error) } };
      },
    );
  };
}

/** A response as an attempt's result. A class: one is made per attempt, with no closures. */
class FetchAttempt implements AttemptResult<Response> {
  readonly outcome: AttemptOutcome;
  constructor(readonly value: Response) {
    this.outcome = { type: 'response', status: value.status, headers: value.headers };
  }

  discard(): Promise<void> {
    return discardBody(this.value);
  }
}
