// The handler one attempt is dispatched with: it reports the response to the engine at its start,
// holds the connection while the engine decides, then forwards the response or discards it.

import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { AttemptResult } from '../engine/attempt-loop.js';
import { neverAborted } from '../engine/sleep.js';
import { wasSent } from '../engine/transport-error.js';
import { discardLimits } from '../engine/discard-limits.js';
import type { AttemptOutcome } from '../retry/policy.js';
import type { RequestController } from './request-controller.js';
import { responseHeaderReader } from './undici-headers.js';

type DispatchController = Dispatcher.DispatchController;

/**
 * - `waiting`: sent, no response yet; an error here is the attempt's outcome.
 * - `held`: the response started; it is held (and its connection paused, if much arrives) until the engine decides.
 * - `forwarding`: final; everything goes to the caller's handler.
 * - `draining`: retried; the body is read up to a bound, else the connection is destroyed.
 * - `done`: nothing more goes anywhere.
 */
type State = 'waiting' | 'held' | 'forwarding' | 'draining' | 'done';

interface ResponseStart {
  status: number;
  headers: IncomingHttpHeaders;
  statusMessage: string | undefined;
}

/**
 * The engine's policy decides after the transport reports an outcome, so the outcome is reported
 * at `onResponseStart` and the response is held there: nothing reaches the caller until the
 * response is known to be final. The decision comes a few microtasks later, before the socket
 * can be read again, so what is held is what the same read already brought; the connection is
 * paused only if that passes `holdBytes`. Pausing every response instead cost each request a
 * parser pause and resume on the healthy path. An abort of `signal` before the decision destroys
 * the attempt.
 *
 * The handler is also the attempt's result (`settled` resolves with it): one object per attempt.
 */
export class AttemptHandler implements Dispatcher.DispatchHandler, AttemptResult<AttemptHandler> {
  /** Resolves at the response's start (or with a transport error); rejects when `signal` aborts first. */
  readonly settled: Promise<AttemptResult<AttemptHandler>>;
  #resolve!: (result: AttemptResult<AttemptHandler>) => void;
  #reject!: (reason: unknown) => void;
  #outcome: AttemptOutcome | undefined;
  #state: State = 'waiting';
  #controller: DispatchController | null = null;
  #response: ResponseStart | undefined;
  // What arrived while held (usually the whole of a small response).
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** This handler paused the connection while held. */
  #paused = false;
  #ended: { trailers: IncomingHttpHeaders } | undefined;
  #failed: Error | undefined;
  #drained: (() => void) | undefined;
  #drainedBytes = 0;
  #drainTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly caller: Dispatcher.DispatchHandler,
    private readonly callerController: RequestController,
    private readonly signal: AbortSignal,
  ) {
    this.settled = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // The handler is its own abort listener (`handleEvent`): no closure per attempt. Under the
    // request's own signal (no timeouts) the controller tells it directly.
    if (signal === callerController.signal) callerController.watch(this);
    else if (signal !== neverAborted) signal.addEventListener('abort', this, { once: true });
  }

  /** The response's status and headers, once it started (the engine's view of this attempt). */
  get outcome(): AttemptOutcome {
    return this.#outcome!;
  }

  /** The response's status line and headers as undici gave them, once it started. */
  get responseHead(): { readonly status: number; readonly headers: IncomingHttpHeaders; readonly statusMessage: string | undefined } | undefined {
    return this.#response;
  }

  /** The attempt itself is what the engine returns when it is final. */
  get value(): AttemptHandler {
    return this;
  }

  /** Ends the attempt if the engine let go of it without forwarding or discarding it. */
  abandon(): void {
    if (this.#state === 'waiting' || this.#state === 'held') this.#destroy(this.signal.reason ?? new Error('attempt abandoned'));
  }

  /**
   * The engine returned this attempt: the caller gets its response, from the start. False when
   * the attempt was already let go (aborted in between), so the caller must hear why instead.
   */
  forward(): boolean {
    if (this.#state !== 'held') return false;
    this.#state = 'forwarding';
    this.#stopListening();
    const controller = this.#controller!;
    const { status, headers, statusMessage } = this.#response!;
    this.callerController.attach(controller);
    try {
      this.caller.onResponseStart?.(this.callerController, status, headers, statusMessage);
      for (const chunk of this.#pending.splice(0)) this.caller.onResponseData?.(this.callerController, chunk);
      if (this.#failed) {
        this.#finishWithError(this.#failed);
      } else if (this.#ended) {
        this.#state = 'done';
        this.caller.onResponseEnd?.(this.callerController, this.#ended.trailers);
      } else if (this.#paused && !this.callerController.paused) {
        controller.resume();
      }
    } catch (error) {
      // As undici does when a handler throws: the request fails with what it threw.
      if (this.#state === 'forwarding' && !this.#ended && !this.#failed) controller.abort(error as Error);
      else if (this.#state === 'forwarding') this.#finishWithError(error as Error);
    }
    return true;
  }

  /**
   * The engine retries: read a little of the body so the connection can be reused, and destroy
   * the connection rather than read a large or slow one (a 10 GB 503 must not be read).
   */
  discard(): Promise<void> {
    if (this.#state !== 'held') return Promise.resolve();
    this.#state = 'draining';
    this.#stopListening();
    this.#drainedBytes = this.#pendingBytes;
    this.#pending = [];
    if (this.#ended || this.#failed || this.#drainedBytes > discardLimits.maxBytes) {
      if (!this.#ended && !this.#failed) this.#controller?.abort(discardedError());
      this.#state = 'done';
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#drained = resolve;
      this.#drainTimer = setTimeout(() => this.#controller?.abort(discardedError()), discardLimits.maxMs);
      this.#drainTimer.unref();
      this.#controller?.resume();
    });
  }

  onRequestStart(controller: DispatchController): void {
    this.#controller = controller;
    // Aborted while the dispatcher was still connecting: it could not be stopped until now.
    if (this.#state === 'done') controller.abort(this.signal.reason ?? discardedError());
  }

  onResponseStarted(): void {
    this.caller.onResponseStarted?.();
  }

  onBodySent(chunk: Buffer): void {
    this.caller.onBodySent?.(chunk);
  }

  onRequestSent(): void {
    this.caller.onRequestSent?.();
  }

  onResponseStart(
    controller: DispatchController,
    status: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    this.#controller = controller;
    // Let go of already (aborted before its response came): make sure the connection goes too.
    if (this.#state === 'done') controller.abort(this.signal.reason ?? discardedError());
    if (this.#state !== 'waiting') return;
    // Informational responses (100, 103) are not answers; the caller may want them as they come.
    if (status < 200) {
      this.caller.onResponseStart?.(this.callerController, status, headers, statusMessage);
      return;
    }
    this.#state = 'held';
    this.#response = { status, headers, statusMessage };
    this.#outcome = { type: 'response', status, headers: responseHeaderReader(headers) };
    this.#resolve(this);
  }

  onResponseData(controller: DispatchController, chunk: Buffer): void {
    switch (this.#state) {
      case 'held':
        this.#pending.push(chunk);
        this.#pendingBytes += chunk.byteLength;
        if (this.#pendingBytes > holdBytes && !this.#paused) {
          this.#paused = true;
          controller.pause();
        }
        return;
      case 'forwarding':
        this.caller.onResponseData?.(this.callerController, chunk);
        return;
      case 'draining':
        this.#drainedBytes += chunk.byteLength;
        if (this.#drainedBytes > discardLimits.maxBytes) controller.abort(discardedError());
        return;
      default:
    }
  }

  onResponseEnd(_controller: DispatchController, trailers: IncomingHttpHeaders): void {
    switch (this.#state) {
      case 'held':
        this.#ended = { trailers };
        return;
      case 'forwarding':
        this.#state = 'done';
        this.caller.onResponseEnd?.(this.callerController, trailers);
        return;
      case 'draining':
        this.#finishDrain();
        return;
      default:
    }
  }

  onResponseError(_controller: DispatchController | null, error: Error): void {
    switch (this.#state) {
      case 'waiting':
        this.#state = 'done';
        this.#stopListening();
        if (this.signal.aborted) this.#reject(this.signal.reason);
        else this.#resolve({ outcome: { type: 'error', error, sent: wasSent(error) } });
        return;
      case 'held':
        this.#failed = error;
        return;
      case 'forwarding':
        this.#finishWithError(error);
        return;
      case 'draining':
        this.#finishDrain();
        return;
      default:
    }
  }

  /** `signal` aborted. (The EventListener interface; not for callers.) */
  handleEvent(): void {
    const reason = this.signal.reason as Error;
    if (this.#state === 'waiting') this.#reject(reason);
    this.#destroy(reason);
  }

  #destroy(reason: Error): void {
    this.#state = 'done';
    this.#stopListening();
    this.#pending = [];
    // Before onRequestStart there is no controller yet; onRequestStart aborts it then.
    this.#controller?.abort(reason);
  }

  #finishWithError(error: Error): void {
    this.#state = 'done';
    this.caller.onResponseError?.(this.callerController, error);
  }

  #finishDrain(): void {
    this.#state = 'done';
    clearTimeout(this.#drainTimer);
    this.#drained?.();
  }

  #stopListening(): void {
    if (this.callerController.watcher === this) this.callerController.watch(null);
    else this.signal.removeEventListener('abort', this);
  }
}

/** Bytes a held response may buffer before its connection is paused (as much as a discard drains). */
const holdBytes = discardLimits.maxBytes;

/** The reason a discarded response's connection is destroyed; nobody is waiting for it. */
function discardedError(): Error {
  return new Error('sluice discarded the response of a retried attempt');
}
