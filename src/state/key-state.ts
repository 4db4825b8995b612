// Everything one key (origin) has learned and holds, as plain data: its pause, window, pace,
// budget and counters. Changed only by the functions in learn.ts, read by the gate through a store.

import type { WindowState } from '../limits/limit.js';
import type { Pace } from '../pacing/pacer.js';
import type { BudgetState } from '../retry/budget.js';

/** What a key's traffic and its origin's answers came to. */
export interface OriginCounters {
  /** Attempts admitted and sent. */
  sent: number;
  /** Attempts that were retries of an earlier attempt. */
  retried: number;
  /** Rate refusals seen: 429, and 403 with a rate-limit signal. */
  throttled: number;
  /** Capacity refusals seen: 503 and 529. */
  unavailable: number;
}

/** What the key's gate counts besides: the refusals of its own queue. */
export interface GateCounters extends OriginCounters {
  /** Requests shed as the queue filled. */
  shed: number;
  /** Requests refused: queue full, queue timeout, or a pause longer than they could wait. */
  rejected: number;
}

export interface KeyState {
  readonly key: string;
  /** Epoch ms until which every request to the key waits (0: never paused). */
  pausedUntil: number;
  /** Attempts admitted and not yet ended. */
  inFlight: number;
  window: WindowState;
  /** `undefined` when the key is not paced (`rate: false`). */
  pace: Pace | undefined;
  /** `undefined` without a retry budget (`budget: false`). */
  budget: BudgetState | undefined;
  counters: OriginCounters;
  /** The server's remaining quota from its last rate-limit headers, when known. */
  remaining: number | undefined;
  /** When the origin last answered a request itself (not a refusal): saturation vs outage. */
  lastServedAt: number;
  /** How long that answer took: what "recently" means for this origin. */
  lastServedRttMs: number;
  /**
   * A pause that capacity refusals asked for while others of ours were still out and the origin
   * had served nothing recently (−Infinity: none): it waits for their answers (see learn.ts).
   */
  heldPauseUntil: number;
  /**
   * The share of recent attempts that ended without a response (an average over about the last
   * 16): a reset or timeout is taken as overload only when they are common, not when one is.
   */
  transportFailureShare: number;
}

/** How a new key's state is made; the engine builds it from the client's options. */
export type KeyStateFactory = (key: string, now: number) => KeyState;

export function emptyCounters(): OriginCounters {
  return { sent: 0, retried: 0, throttled: 0, unavailable: 0 };
}
