// The dispatcher the bulk runner sends through: a client's own engine over its undici dispatcher,
// as the `sluice/undici` interceptor composes it. Redirects are followed by the item (see
// dispatch-item.ts), outside the engine, so each hop is gated under its own origin.

import type { Dispatcher } from 'undici';
import type { Engine } from '../engine/engine.js';
import { dispatchThroughEngine } from '../undici/interceptor.js';

/** What the tracking layer tells the item about each attempt it sees go out. */
export interface AttemptTracker {
  /** Called for every dispatch beneath the engine: each attempt and each redirect hop. */
  dispatched(origin: string, path: string): void;
}

/** Where an item's tracker rides on its dispatch options (copied by every layer's `{ ...opts }`). */
export const trackerKey = Symbol('sluice.bulkTracker');

declare module 'undici' {
  namespace Dispatcher {
    interface DispatchOptions {
      [trackerKey]?: AttemptTracker;
    }
  }
}

/** fetch's limit, so a bulk item follows redirects exactly as far as `client.fetch` would. */
export const maxRedirections = 20;

/**
 * `base` with the engine (gate admission, retries) and, beneath it, a layer that lets the item
 * count its attempts and learn the URL its final response came from. The engine is the
 * client's: one gate per origin whether a request comes through `client.fetch` or a bulk run.
 */
export function createBulkDispatcher(engine: Engine, base: Dispatcher): Dispatcher {
  const track: Dispatcher.DispatchInterceptor = (dispatch) => (opts, handler) => {
    opts[trackerKey]?.dispatched(String(opts.origin), opts.path);
    return dispatch(opts, handler);
  };
  const gate: Dispatcher.DispatchInterceptor = (dispatch) => (opts, handler) => dispatchThroughEngine(engine, dispatch, opts, handler);
  return base.compose(track, gate);
}
