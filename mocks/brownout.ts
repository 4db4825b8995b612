// A concurrency-limited server whose capacity drops for a while and then comes back: the case
// where a client must shrink its window quickly and then grow it again rather than stay small.

import type { Path } from 'msw';
import { concurrencyLimited, type ConcurrencyLimitedCounters } from './concurrency-limited.js';
import { expectNumber, monotonicEpochNow, type Clock, type MockServer } from './internal.js';

/** Options of {@link brownout}. */
export interface BrownoutOptions {
  /** Requests served at once while healthy (before and after the brownout). */
  slots: number;
  /** How long each accepted request holds its slot. */
  latencyMs: number;
  /** Requests served at once during the brownout. */
  degradedSlots: number;
  /** When the brownout starts, in ms after the first request. */
  degradeAtMs: number;
  /** When capacity comes back, in ms after the first request. */
  recoverAtMs: number;
  /** Status of a refusal. @default 503 */
  status?: number;
  /** Retry-After, in whole seconds, sent with refusals. @default 1 */
  retryAfter?: number;
  /** Which requests are limited (any method). @default '*' */
  path?: Path;
  /** Clock in milliseconds; inject one to step through the phases. @default monotonic ms */
  now?: Clock;
}

/** Where the brownout's schedule stands. */
export type BrownoutPhase = 'healthy' | 'degraded' | 'recovered';

/** What {@link brownout} returns: handlers, live counters and the schedule's state. */
export interface BrownoutServer extends MockServer<ConcurrencyLimitedCounters> {
  /** The phase at the clock's current time; 'healthy' until the first request. */
  phase(): BrownoutPhase;
  /** Requests that may be in flight at the clock's current time. */
  capacity(): number;
}

/**
 * A brownout: `slots` capacity, dropping to `degradedSlots` from `degradeAtMs` until
 * `recoverAtMs`. The schedule starts at the first request, so a benchmark's setup does not eat
 * into it. Requests already in flight when capacity drops finish normally; new ones beyond the
 * capacity get 503 with Retry-After.
 */
export function brownout(options: BrownoutOptions): BrownoutServer {
  const slots = expectNumber('slots', options.slots, 0, true);
  const degradedSlots = expectNumber('degradedSlots', options.degradedSlots, 0, true);
  const degradeAtMs = expectNumber('degradeAtMs', options.degradeAtMs, 0);
  const recoverAtMs = expectNumber('recoverAtMs', options.recoverAtMs, degradeAtMs);
  const now = options.now ?? monotonicEpochNow;
  let startedAt: number | undefined;

  const phase = (): BrownoutPhase => {
    if (startedAt === undefined) return 'healthy';
    const elapsed = now() - startedAt;
    if (elapsed < degradeAtMs) return 'healthy';
    return elapsed < recoverAtMs ? 'degraded' : 'recovered';
  };
  const capacity = () => (phase() === 'degraded' ? degradedSlots : slots);

  const server = concurrencyLimited({
    // Read on every arrival, which is also what starts the schedule.
    slots: () => {
      startedAt ??= now();
      return capacity();
    },
    latencyMs: options.latencyMs,
    status: options.status ?? 503,
    retryAfter: options.retryAfter ?? 1,
    path: options.path ?? '*',
  });

  return {
    handlers: server.handlers,
    counters: server.counters,
    phase,
    capacity,
    reset() {
      server.reset();
      startedAt = undefined;
    },
  };
}
