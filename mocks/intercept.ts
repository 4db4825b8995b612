// In-process interception of every HTTP request the process makes, undici clients included,
// answered by msw handlers: fast unit tests with no server, where real TCP is not the point.

import { HttpRequestInterceptor } from '@mswjs/interceptors/http';
import type { RequestHandler, UnhandledFrameHandle } from 'msw';
import { defineNetwork, InterceptorSource } from 'msw/experimental';

/** Options of {@link interceptNetwork}. */
export interface InterceptNetworkOptions {
  /**
   * What to do with a request no handler matches: `'error'` fails it (and msw prints why, even
   * when quiet), `'bypass'` lets it reach the real network, e.g. a loopback server.
   * @default 'error'
   */
  onUnhandledFrame?: UnhandledFrameHandle;
}

/** A running interception; close it before the test ends. */
export interface NetworkInterception {
  /** Puts `handlers` in front of the current ones (msw's `use`). */
  use(...handlers: RequestHandler[]): void;
  /** Replaces the handlers, or restores the initial ones when called without any. */
  resetHandlers(...handlers: RequestHandler[]): void;
  /** Stops intercepting and restores the patched socket methods. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Intercepts HTTP at the socket level (msw's experimental `defineNetwork` with
 * `HttpRequestInterceptor`), so requests made with `undici` — `request`, `fetch`, any `Agent`,
 * `Pool` or `Client` — are answered by `handlers`; msw's `setupServer` does not see those.
 * By default a request no handler matches fails instead of reaching the network.
 * Interception is process-wide: close it before the test ends, and do not run two at once.
 * `HttpResponse.error()` surfaces in undici as `TypeError: Network error` (no `code`).
 */
export async function interceptNetwork(
  handlers: readonly RequestHandler[],
  options: InterceptNetworkOptions = {},
): Promise<NetworkInterception> {
  const network = defineNetwork({
    sources: [new InterceptorSource({ interceptors: [new HttpRequestInterceptor()] })],
    handlers: [...handlers],
    onUnhandledFrame: options.onUnhandledFrame ?? 'error',
    context: { quiet: true },
  });
  await network.enable();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= Promise.resolve(network.disable());
    return closing;
  };
  return {
    use: (...more) => network.use(...more),
    resetHandlers: (...next) => network.resetHandlers(...next),
    close,
    [Symbol.asyncDispose]: close,
  };
}
