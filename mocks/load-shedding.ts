// A server that sheds load: `slots` workers each hold a request for `latencyMs`, a short queue
// waits for them, and past a busy fraction arrivals are refused at once (503, optional Retry-After).

import { http, HttpResponse, type Path } from 'msw';
import { expectFraction, expectNumber, expectStatus, sleep, type MockServer } from './internal.js';

/** Options of {@link loadShedding}. */
export interface LoadSheddingOptions {
  /** Requests served at once. */
  slots: number;
  /** How long each served request holds its slot before its 200 is sent. */
  latencyMs: number;
  /** Requests that may wait (first in, first out) for a slot. @default 0 */
  queue?: number;
  /**
   * The busiest the server lets itself get, as a fraction of `slots + queue`: an arrival that
   * would make (held + queued) exceed `shedAbove × (slots + queue)` is shed, as a server that
   * keeps headroom does (a full queue sheds whatever the fraction). @default 1
   */
  shedAbove?: number;
  /** Status of a shed request. @default 503 */
  status?: number;
  /** Retry-After, in whole seconds, sent with shed requests; none when absent. */
  retryAfter?: number;
  /** Which requests are served this way (any method). @default '*' */
  path?: Path;
}

/** Live counters of a load-shedding server. */
export interface LoadSheddingCounters {
  received: number;
  /** Admitted: served at once or queued. */
  accepted: number;
  /** Shed with `status`. */
  rejected: number;
  /** Requests holding a slot now. */
  held: number;
  /** Requests waiting for a slot now. */
  queued: number;
  peakHeld: number;
  peakQueued: number;
}

/** What {@link loadShedding} returns. */
export type LoadSheddingServer = MockServer<LoadSheddingCounters>;

interface Waiter {
  /** Called with true when a slot is handed over, false when the client went away first. */
  wake(granted: boolean): void;
}

/**
 * A load-shedding server: up to `slots` requests are held for `latencyMs` each and answered
 * 200; up to `queue` more wait for a slot; an arrival that finds no room, or that would make
 * the server busier than `shedAbove`, is answered `status` (503) at once. A client that goes
 * away releases its slot or its queue place at once.
 */
export function loadShedding(options: LoadSheddingOptions): LoadSheddingServer {
  const slots = expectNumber('slots', options.slots, 1, true);
  const latencyMs = expectNumber('latencyMs', options.latencyMs, 0);
  const queue = expectNumber('queue', options.queue ?? 0, 0, true);
  const shedAbove = expectFraction('shedAbove', options.shedAbove ?? 1);
  const status = expectStatus('status', options.status ?? 503);
  const retryAfter =
    options.retryAfter === undefined ? undefined : expectNumber('retryAfter', options.retryAfter, 0, true);
  // Integer arithmetic, so 0.9 × 30 admits exactly 27 whatever the float rounding says.
  const mostAdmitted = Math.floor(shedAbove * (slots + queue) + 1e-9);

  const counters: LoadSheddingCounters = { received: 0, accepted: 0, rejected: 0, held: 0, queued: 0, peakHeld: 0, peakQueued: 0 };
  const waiting: Waiter[] = [];

  /** A freed slot goes straight to the oldest waiter, so a newcomer cannot jump the queue. */
  const release = () => {
    const next = waiting.shift();
    if (next) {
      counters.queued--;
      next.wake(true);
    } else counters.held--;
  };

  const waitForSlot = (signal: AbortSignal) =>
    new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        wake(granted) {
          signal.removeEventListener('abort', leave);
          resolve(granted);
        },
      };
      const leave = () => {
        const at = waiting.indexOf(waiter);
        if (at < 0) return;
        waiting.splice(at, 1);
        counters.queued--;
        waiter.wake(false);
      };
      waiting.push(waiter);
      counters.queued++;
      counters.peakQueued = Math.max(counters.peakQueued, counters.queued);
      signal.addEventListener('abort', leave, { once: true });
    });

  const handler = http.all(options.path ?? '*', async ({ request }) => {
    counters.received++;
    const room = counters.held < slots || counters.queued < queue;
    if (!room || counters.held + counters.queued + 1 > mostAdmitted) {
      counters.rejected++;
      const headers: Record<string, string> = retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) };
      return HttpResponse.json({ error: 'overloaded' }, { status, headers });
    }
    counters.accepted++;
    if (counters.held < slots) counters.held++;
    else if (!(await waitForSlot(request.signal))) return HttpResponse.error();
    counters.peakHeld = Math.max(counters.peakHeld, counters.held);
    try {
      await sleep(latencyMs, request.signal);
    } finally {
      release();
    }
    return HttpResponse.json({ ok: true });
  });

  return {
    handlers: [handler],
    counters,
    reset() {
      // held and queued are left alone: requests still in the server finish on their own.
      counters.received = counters.accepted = counters.rejected = 0;
      counters.peakHeld = counters.held;
      counters.peakQueued = counters.queued;
    },
  };
}
