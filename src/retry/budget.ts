// Per-key retry budget (Finagle / tower style): retries may add at most a fixed fraction of load
// on top of the original requests, plus a small floor so a quiet key can still retry at all.

// Why a budget rather than "max 3 retries": during an outage every request fails, so a per-request
// cap lets each caller multiply its load by 1 + retries exactly when the origin can least take it
// (a retry storm; with layered services the factors compound). A budget bounds retries to ~20% of
// recent traffic: isolated failures are still retried, but a broad outage sees ~1.2× load, not 4×.

import { InvalidOptionError } from '../errors.js';
import { withoutUndefined } from '../validate.js';

export interface RetryBudgetOptions {
  /**
   * Retries allowed per original request in the window (0.2 = retries add at most 20% load).
   * @default 0.2
   */
  ratio?: number;
  /**
   * Retries per second allowed regardless of traffic, so low-volume keys can still retry
   * (tower's `min_per_sec`). Counted over the window: the floor is `minPerSecond · ttlMs / 1000`.
   * @default 10
   */
  minPerSecond?: number;
  /**
   * How long a deposit or withdrawal counts, in ms: the length of the sliding window.
   * @default 10000
   */
  ttlMs?: number;
}

export type NormalizedRetryBudgetOptions = Required<RetryBudgetOptions>;

export const retryBudgetDefaults: Readonly<NormalizedRetryBudgetOptions> = Object.freeze({
  ratio: 0.2,
  minPerSecond: 10,
  ttlMs: 10_000,
});

export function normalizeRetryBudgetOptions(options: RetryBudgetOptions = {}): NormalizedRetryBudgetOptions {
  const o = { ...retryBudgetDefaults, ...withoutUndefined(options) };
  if (!isFiniteAtLeast(o.ratio, 0)) throw new InvalidOptionError('ratio', 'a finite number from 0 and up', o.ratio);
  if (!isFiniteAtLeast(o.minPerSecond, 0)) {
    throw new InvalidOptionError('minPerSecond', 'a finite number from 0 and up', o.minPerSecond);
  }
  if (!isFiniteAtLeast(o.ttlMs, 1)) throw new InvalidOptionError('ttlMs', 'a finite number from 1 and up', o.ttlMs);
  return o;
}

/** The window is this many time slots, so memory is constant whatever the request rate. */
const slots = 10;

/**
 * A key's budget as plain data. A retry is allowed while `retries + 1 <= ratio · requests +
 * minPerSecond · ttl seconds`, both counted over the window. The window slides a slot (ttl / 10)
 * at a time, so an entry counts for between 0.9 · ttl and ttl — the same approximation as tower's
 * `TpsBudget`.
 */
export interface BudgetState {
  readonly ratio: number;
  /** Retries allowed regardless of traffic: `minPerSecond · ttl seconds`. */
  readonly reserve: number;
  readonly slotMs: number;
  readonly deposits: Float64Array;
  readonly withdrawals: Float64Array;
  deposited: number;
  withdrawn: number;
  /** The slot of the last call. */
  current: number;
}

/** A fresh budget from options already normalised (the client validates once, up front). */
export function createBudget({ ratio, minPerSecond, ttlMs }: NormalizedRetryBudgetOptions, now: number): BudgetState {
  const slotMs = ttlMs / slots;
  return {
    ratio,
    reserve: minPerSecond * (ttlMs / 1000),
    slotMs,
    deposits: new Float64Array(slots),
    withdrawals: new Float64Array(slots),
    deposited: 0,
    withdrawn: 0,
    current: Math.floor(now / slotMs),
  };
}

/** Records an original request (not a retry): it earns `ratio` of a retry. */
export function budgetDeposit(b: BudgetState, now: number): void {
  b.deposits[advance(b, now)]!++;
  b.deposited++;
}

/** Spends one retry if affordable; false means "do not retry". */
export function budgetWithdraw(b: BudgetState, now: number): boolean {
  const index = advance(b, now);
  if (affordable(b) < 1) return false;
  b.withdrawals[index]!++;
  b.withdrawn++;
  return true;
}

/** Whole retries affordable at `now`. */
export function budgetRemaining(b: BudgetState, now: number): number {
  advance(b, now);
  return affordable(b);
}

/** Expires the slots that fell out of the window since the last call; returns the current slot. */
function advance(b: BudgetState, now: number): number {
  const slot = Math.floor(now / b.slotMs);
  // A clock stepped backwards keeps writing into the current slot rather than corrupting it.
  if (!(slot > b.current)) return ring(b.current);
  const expired = Math.min(slot - b.current, slots);
  for (let i = 1; i <= expired; i++) {
    const index = ring(b.current + i);
    b.deposited -= b.deposits[index]!;
    b.withdrawn -= b.withdrawals[index]!;
    b.deposits[index] = 0;
    b.withdrawals[index] = 0;
  }
  b.current = slot;
  return ring(b.current);
}

function affordable(b: BudgetState): number {
  // The epsilon keeps float error from losing a whole retry (0.29 · 100 = 28.999…).
  return Math.max(0, Math.floor(b.ratio * b.deposited + b.reserve - b.withdrawn + 1e-9));
}

/** Slot index in the ring; safe for the negative times a test clock may use. */
function ring(slot: number): number {
  return ((slot % slots) + slots) % slots;
}

function isFiniteAtLeast(value: unknown, least: number): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= least;
}
