// Sends one attempt of an intercepted request down the dispatcher chain and reports its outcome
// to the attempt loop, as `fetch-transport.ts` does for the fetch facade.

import type { Dispatcher } from 'undici';
import type { SendAttempt } from '../engine/attempt-loop.js';
import type { RequestBody } from '../engine/request-body.js';
import { AttemptHandler } from './attempt-handler.js';
import type { RequestController } from './request-controller.js';

export interface DispatchTransport {
  /** The engine's transport: one dispatch per attempt, resolved at the response's start. */
  send: SendAttempt<AttemptHandler>;
  /** Lets go of an attempt the engine neither forwarded nor discarded (it stopped otherwise). */
  abandon(): void;
}

/**
 * @param dispatch - the next dispatch in the chain (the one the interceptor wraps).
 * @param opts - the caller's dispatch options, without `sluice`; each attempt gets a fresh body.
 * @param caller - the caller's handler; it hears only about the final attempt.
 */
export function dispatchTransport(
  dispatch: Dispatcher.Dispatch,
  opts: Dispatcher.DispatchOptions,
  body: RequestBody,
  caller: Dispatcher.DispatchHandler,
  callerController: RequestController,
): DispatchTransport {
  let latest: AttemptHandler | undefined;
  return {
    send: (signal) =>
      new Promise((resolve, reject) => {
        if (signal.aborted) {
          reject(signal.reason);
          return;
        }
        const attempt = new AttemptHandler(caller, callerController, signal, { resolve, reject });
        latest = attempt;
        try {
          dispatch({ ...opts, body: body.next() as Dispatcher.DispatchOptions['body'] }, attempt);
        } catch (error) {
          // A dispatcher that throws instead of calling onResponseError (DispatcherBase does the latter).
          attempt.onResponseError(null, error as Error);
        }
      }),
    abandon: () => latest?.abandon(),
  };
}
