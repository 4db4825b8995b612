// A server with a fixed number of workers: each accepted request holds one for `latencyMs`, and
// a request that finds none free is refused at once (503), as a saturated backend or proxy is.

import { http, HttpResponse, type Path } from 'msw';
import { expectNumber, expectStatus, sleep, type MockServer } from './internal.js';

/** Options of {@link concurrencyLimited}. */
export interface ConcurrencyLimitedOptions {
  /**
   * Requests served at once. A function is read on every arrival, so capacity can change at
   * run time (the brownout mock is built on that).
   */
  slots: number | (() => number);
  /** How long each accepted request holds its slot before its 200 is sent. */
  latencyMs: number;
  /** Status of a refusal. @default 503 */
  status?: number;
  /** Retry-After, in whole seconds, sent with refusals; none when absent. */
  retryAfter?: number;
  /** Which requests are limited (any method). @default '*' */
  path?: Path;
}

/** Live counters of a concurrency-limited server (also the brownout's). */
export interface ConcurrencyLimitedCounters {
  received: number;
  accepted: number;
  rejected: number;
  /** Accepted requests still holding a slot. */
  inFlight: number;
  /** The most requests ever held at once; at most the capacity at the time. */
  peakInFlight: number;
}

/**
 * A concurrency-limited server: up to `slots` requests are held for `latencyMs` each and then
 * answered 200; any request beyond that is answered `status` (503) immediately. A client that
 * goes away releases its slot at once (the request's signal aborts), as a real server would.
 */
export function concurrencyLimited(options: ConcurrencyLimitedOptions): ConcurrencyLimitedServer {
  const capacity =
    typeof options.slots === 'function' ? options.slots : constant(expectNumber('slots', options.slots, 0, true));
  const latencyMs = expectNumber('latencyMs', options.latencyMs, 0);
  const status = expectStatus('status', options.status ?? 503);
  const retryAfter =
    options.retryAfter === undefined ? undefined : expectNumber('retryAfter', options.retryAfter, 0, true);

  const counters: ConcurrencyLimitedCounters = { received: 0, accepted: 0, rejected: 0, inFlight: 0, peakInFlight: 0 };

  const handler = http.all(options.path ?? '*', async ({ request }) => {
    counters.received++;
    if (counters.inFlight >= capacity()) {
      counters.rejected++;
      const headers: Record<string, string> = retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) };
      return HttpResponse.json({ error: 'overloaded' }, { status, headers });
    }
    counters.accepted++;
    counters.inFlight++;
    counters.peakInFlight = Math.max(counters.peakInFlight, counters.inFlight);
    try {
      await sleep(latencyMs, request.signal);
    } finally {
      counters.inFlight--;
    }
    return HttpResponse.json({ ok: true });
  });

  return {
    handlers: [handler],
    counters,
    reset() {
      // inFlight is left alone: requests still held will release their slots when they finish.
      counters.received = counters.accepted = counters.rejected = 0;
      counters.peakInFlight = counters.inFlight;
    },
  };
}

/** What {@link concurrencyLimited} returns. */
export type ConcurrencyLimitedServer = MockServer<ConcurrencyLimitedCounters>;

const constant = (n: number) => () => n;
