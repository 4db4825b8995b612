// A server whose connections sometimes drop mid-request: exercises sluice's network-error
// path (retry by phase and idempotency) rather than its status-code path.

import { http, HttpResponse, type Path } from 'msw';
import { expectFraction, type MockServer } from './internal.js';

/** Options of {@link flaky}. */
export interface FlakyOptions {
  /** Fraction of requests whose connection is reset, from 0 to 1. */
  failureRate: number;
  /** Source of randomness in [0, 1); inject one for a fixed pattern. @default Math.random */
  random?: () => number;
  /** Which requests are affected (any method). @default '*' */
  path?: Path;
}

/** Live counters of a flaky server. */
export interface FlakyCounters {
  received: number;
  /** Requests answered with a connection reset. */
  failed: number;
  /** Requests answered 200. */
  succeeded: number;
}

/** What {@link flaky} returns. */
export type FlakyServer = MockServer<FlakyCounters>;

/**
 * A flaky server: a request fails with a connection reset (`HttpResponse.error()`) when
 * `random() < failureRate`, and otherwise gets 200 with a small JSON body. Over the loopback
 * server the socket is destroyed (undici: `SocketError`); under interception undici reports
 * `TypeError: Network error`.
 */
export function flaky(options: FlakyOptions): FlakyServer {
  const failureRate = expectFraction('failureRate', options.failureRate);
  const random = options.random ?? Math.random;
  const counters: FlakyCounters = { received: 0, failed: 0, succeeded: 0 };

  const handler = http.all(options.path ?? '*', () => {
    counters.received++;
    if (random() < failureRate) {
      counters.failed++;
      return HttpResponse.error();
    }
    counters.succeeded++;
    return HttpResponse.json({ ok: true });
  });

  return {
    handlers: [handler],
    counters,
    reset() {
      counters.received = counters.failed = counters.succeeded = 0;
    },
  };
}
