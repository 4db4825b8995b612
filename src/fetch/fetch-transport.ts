// Sends one attempt of a fetch request with undici's fetch, and reports its outcome to the
// attempt loop: a Response for any status, or a transport error classified by phase.

import { fetch as undiciFetch, type Dispatcher } from 'undici';
import type { SendAttempt } from '../engine/attempt-loop.js';
import { wasSent } from '../engine/transport-error.js';
import { discardBody } from './discard-body.js';
import type { FetchRequest } from './fetch-request.js';

export function fetchTransport(request: FetchRequest, dispatcher: Dispatcher): SendAttempt<Response> {
  return async (signal) => {
    const body = request.body.next();
    try {
      const response = (await undiciFetch(request.url, {
        ...request.rest,
        method: request.method,
        headers: request.headers as never,
        body: body as never,
        signal,
        dispatcher,
        ...(request.body.streaming && body != null ? { duplex: 'half' } : {}),
      })) as unknown as Response;
      return {
        outcome: { type: 'response', status: response.status, headers: response.headers },
        value: response,
        discard: () => discardBody(response),
      };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      return { outcome: { type: 'error', error, sent: wasSent(error) } };
    }
  };
}
