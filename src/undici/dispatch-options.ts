// Per-request sluice options on undici's dispatch options (`opts.sluice`), the way undici's retry
// interceptor reads `opts.retryOptions`: typed on `Dispatcher.DispatchOptions`, checked eagerly.

import { readRequestOptions, type RequestOptions } from '../client-options.js';

// A name of its own: inside undici's Dispatcher namespace `RequestOptions` is undici's type, and
// the bundled declarations would otherwise refer to sluice's by that name.
/**
 * sluice's per-request options as `opts.sluice` carries them: `retry` and `timeout` override the
 * interceptor's; `priority` and `key` apply to this request only.
 */
export interface SluiceDispatchOptions extends RequestOptions {}

declare module 'undici' {
  namespace Dispatcher {
    interface DispatchOptions {
      /**
       * sluice's options for this request; they override the interceptor's (`retry`, `timeout`)
       * or add to them (`priority`, `key`). Read by `sluice()` and removed before the request
       * goes further down the dispatcher chain.
       */
      sluice?: SluiceDispatchOptions;
    }
  }
}

/**
 * Checks `opts.sluice` and returns it as the engine's per-request overrides. Shape errors are
 * thrown here; the values themselves are checked by the engine as it applies them.
 */
export function readDispatchOptions(value: unknown): SluiceDispatchOptions | undefined {
  return readRequestOptions(value, 'opts.sluice');
}
