// `install()` / `uninstall()`: puts sluice in front of undici's global dispatcher, so every fetch
// in the process (Node's global fetch included) gets backpressure, and takes it out again.

import { Dispatcher, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { checkCloseOptions, type CloseOptions } from '../engine/shutdown.js';
import { sluice, type SluiceInterceptor, type SluiceOptions } from './interceptor.js';

// Where undici keeps the global dispatcher: `.2` for undici 8 (new handler API), `.1` for older
// copies such as the undici 7 inside Node's own fetch (undici 8 fills it with a v1 wrapper).
const globalKeys = [Symbol.for('undici.globalDispatcher.2'), Symbol.for('undici.globalDispatcher.1')] as const;

interface Installation {
  /** The values of both global slots before install, restored as they were. */
  previous: unknown[];
  /** The dispatcher install() set, to tell whether someone replaced it since. */
  dispatcher: Dispatcher;
  interceptor: SluiceInterceptor;
  /** The interceptor's own close (the one it exposes also uninstalls). */
  close: (options?: CloseOptions) => Promise<void>;
  /** False after uninstall: a chain that still holds the dispatcher then passes straight through. */
  active: boolean;
}

let installation: Installation | undefined;
/** The last installation taken out, until its close resolves: a later `uninstall({ force })` reaches it. */
let uninstalled: Installation | undefined;

/**
 * Sets undici's global dispatcher to the one already there (a default Agent, a ProxyAgent the
 * program set, …) with sluice composed in front, so `fetch` — undici's and Node's global one —
 * and `undici.request` without a dispatcher go through one sluice engine. Returns the
 * interceptor, for `stats()`, `ready()` and `on()`; its `close()` (and `await using`) is
 * `uninstall()`.
 *
 * Installing twice throws: a second call's options would otherwise be silently ignored, or
 * silently replace the first's. Call `uninstall()` first to change options.
 * @throws Error when sluice is already installed; `InvalidOptionError` for bad options.
 */
export function install(options: SluiceOptions = {}): SluiceInterceptor {
  if (installation) {
    throw new Error('sluice is already installed as the global dispatcher; call uninstall() before installing again');
  }
  const interceptor = sluice(options);
  const state: Installation = { previous: readGlobals(), dispatcher: undefined as never, interceptor, close: interceptor.close, active: true };
  // Closed, the interceptor would refuse every request in the process: closing it takes it out too.
  interceptor.close = (closeOptions) => (installation === state ? uninstall(closeOptions) : state.close(closeOptions));
  const base = getGlobalDispatcher();
  // Dispatcher.prototype.compose works for any object with a dispatch method, not only undici 8's.
  state.dispatcher = Dispatcher.prototype.compose.call(base, (dispatch: Dispatcher.Dispatch) => {
    const gated = interceptor(dispatch);
    return (opts, handler) => (state.active ? gated(opts, handler) : dispatch(opts, handler));
  });
  setGlobalDispatcher(state.dispatcher);
  installation = state;
  return interceptor;
}

/**
 * Puts back exactly the global dispatcher that was there before `install()` (both of undici's
 * global slots, as they were). If something replaced the global dispatcher after install, that
 * one is left in place. Either way sluice stops gating new requests at once — a dispatcher
 * composed over the installed one passes straight through — and the interceptor closes as
 * `close()` does: requests it queued or holds between attempts fail with `ClientClosedError`,
 * attempts in flight may finish for the grace period (`options.grace`, else `closeGrace`).
 * Resolves once none is left; at once when sluice is not installed. Called again while that
 * close is still going (`uninstall({ force: true })`), it shortens it as `close()` would.
 */
export function uninstall(options?: CloseOptions): Promise<void> {
  const state = installation;
  if (!state) return uninstalled?.close(options) ?? Promise.resolve();
  try {
    checkCloseOptions(options);
  } catch (error) {
    return Promise.reject(error);
  }
  installation = undefined;
  uninstalled = state;
  state.active = false;
  restoreGlobals(state);
  const closed = state.close(options);
  void closed.then(() => {
    if (uninstalled === state) uninstalled = undefined;
  });
  return closed;
}

function restoreGlobals(state: Installation): void {
  if (getGlobalDispatcher() !== state.dispatcher) return;
  // undici defines the slots writable; a frozen globalThis makes it keep the dispatcher elsewhere.
  if (!Object.getOwnPropertyDescriptor(globalThis, globalKeys[0])?.writable) {
    setGlobalDispatcher(state.previous[0] as Dispatcher);
    return;
  }
  globalKeys.forEach((key, i) => {
    (globalThis as Record<symbol, unknown>)[key] = state.previous[i];
  });
}

function readGlobals(): unknown[] {
  return globalKeys.map((key) => (globalThis as Record<symbol, unknown>)[key]);
}
