// Sends one attempt of an intercepted request down the dispatcher chain and reports its outcome
// to the attempt loop, as `fetch-transport.ts` does for the fetch facade.

import type { Dispatcher } from 'undici';
import type { AttemptResult, SendAttempt } from '../engine/attempt-loop.js';
import type { RequestBody } from '../engine/request-body.js';
import { AttemptHandler } from './attempt-handler.js';
import type { RequestController } from './request-controller.js';

/**
 * One intercepted request's way to the next dispatcher, across its attempts.
 *
 * @param dispatch - the next dispatch in the chain (the one the interceptor wraps).
 * @param opts - the caller's dispatch options, without `sluice`; each attempt gets a fresh body.
 * @param caller - the caller's handler; it hears only about the final attempt.
 */
export class DispatchTransport {
  #latest: AttemptHandler | undefined;

  /** The engine's transport: one dispatch per attempt, resolved at the response's start. */
  readonly send: SendAttempt<AttemptHandler> = (signal) => this.#send(signal);

  constructor(
    private readonly dispatch: Dispatcher.Dispatch,
    /** Replaced between attempts when a `beforeRetry` hook changes the URL or headers. */
    public opts: Dispatcher.DispatchOptions,
    readonly body: RequestBody,
    readonly caller: Dispatcher.DispatchHandler,
    readonly callerController: RequestController,
  ) {}

  /** Lets go of an attempt the engine neither forwarded nor discarded (it stopped otherwise). */
  abandon(): void {
    this.#latest?.abandon();
  }

  #send(signal: AbortSignal): Promise<AttemptResult<AttemptHandler>> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const attempt = new AttemptHandler(this.caller, this.callerController, signal);
    this.#latest = attempt;
    try {
      // A body given as a value is the same for every attempt: the options go down as they are.
      const next = this.body.next();
      const opts = this.opts;
      this.dispatch(next === (opts.body ?? null) ? opts : { ...opts, body: next as Dispatcher.DispatchOptions['body'] }, attempt);
    } catch (error) {
      // A dispatcher that throws instead of calling onResponseError (DispatcherBase does the latter).
      attempt.onResponseError(null, error as Error);
    }
    return attempt.settled;
  }
}
