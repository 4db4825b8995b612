// The one controller the caller's handler holds for the whole logical request, across the queue,
// the waits and every attempt: its abort reaches whichever stage the request is in.

// Before undici: this module is in the chunk both entries share, and on a Node too old for undici
// the check must throw before undici is evaluated. A bare import would be dropped from the chunk
// (its entry imports the module already); a named one makes the build import the check's own
// chunk at the top of this one (see tsup.config.ts).
import { assertSupportedNode } from '../node-support.js';
import { errors, type Dispatcher } from 'undici';

assertSupportedNode();

/** What `watch` notifies: an abort listener object, as `addEventListener` takes one. */
export interface AbortWatcher {
  handleEvent(): void;
}

/**
 * Handed to the caller's `onRequestStart` as soon as the request is dispatched, before the gate
 * admits it. An abort must reach a request still queued or waiting out a Retry-After, and
 * undici's handlers (`request`, `fetch`) only learn how to abort from the controller they get at
 * `onRequestStart`; so the caller gets this stable one, like undici's own `RetryController`.
 * Abort ends the engine request (its `signal`) and the attempt on the wire; pause and resume
 * act on the final attempt's connection once it is attached.
 */
export class RequestController implements Dispatcher.DispatchController {
  readonly #abort = new AbortController();
  #target: Dispatcher.DispatchController | null = null;
  #paused = false;
  #watcher: AbortWatcher | null = null;

  /** Aborts when the caller aborts; the engine request runs under it. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Points pause, resume and the raw headers at the connection whose response the caller gets. */
  attach(target: Dispatcher.DispatchController): void {
    this.#target = target;
    if (this.#paused) target.pause();
  }

  /**
   * Tells `watcher` of an abort, as an abort listener on `signal` would, without the cost of
   * one per attempt. For the attempt in flight when its signal is this controller's own (no
   * timeouts): nothing else listens to it then, so the order among listeners is unchanged.
   */
  watch(watcher: AbortWatcher | null): void {
    this.#watcher = watcher;
  }

  /** The watcher, to tell whether it is still `watcher`. */
  get watcher(): AbortWatcher | null {
    return this.#watcher;
  }

  pause(): void {
    this.#paused = true;
    this.#target?.pause();
  }

  resume(): void {
    this.#paused = false;
    this.#target?.resume();
  }

  abort(reason?: Error): void {
    if (this.#abort.signal.aborted) return;
    // undici's own controllers abort with RequestAbortedError when no reason is given.
    const error = reason ?? new errors.RequestAbortedError();
    this.#abort.abort(error);
    const watcher = this.#watcher;
    this.#watcher = null;
    watcher?.handleEvent();
    this.#target?.abort(error);
  }

  get aborted(): boolean {
    return this.#abort.signal.aborted;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get reason(): Error | null {
    return this.aborted ? (this.#abort.signal.reason as Error) : null;
  }

  // Legacy (v1) handler wrappers read the raw headers off the controller, so forward them.
  get rawHeaders(): Dispatcher.DispatchController['rawHeaders'] {
    return this.#target?.rawHeaders ?? null;
  }

  get rawTrailers(): Dispatcher.DispatchController['rawTrailers'] {
    return this.#target?.rawTrailers ?? null;
  }
}
