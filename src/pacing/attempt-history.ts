// Bounded memory of one key's attempts, as plain data: send times (for in-flight accounting) and
// outcomes (for fits), in rings of numeric columns that grow with use up to a fixed capacity.

import type { Outcome } from './bucket-fit.js';

/**
 * Rows of numeric columns that start small and double up to `capacity`, so a key that sends
 * little costs little; past `capacity` the oldest rows are overwritten.
 */
export interface Ring {
  readonly capacity: number;
  columns: Float64Array[];
  start: number;
  size: number;
  /** True once a row was overwritten. */
  wrapped: boolean;
}

export function createRing(capacity: number, columns: number): Ring {
  const initial = Math.min(64, capacity);
  return { capacity, columns: Array.from({ length: columns }, () => new Float64Array(initial)), start: 0, size: 0, wrapped: false };
}

export function ringPush(ring: Ring, ...values: number[]): void {
  let length = ring.columns[0]!.length;
  if (ring.size === length && length < ring.capacity) {
    const grown = Math.min(ring.capacity, length * 2);
    ring.columns = ring.columns.map((column) => {
      const next = new Float64Array(grown);
      for (let i = 0; i < ring.size; i++) next[i] = column[(ring.start + i) % length]!;
      return next;
    });
    ring.start = 0;
    length = grown;
  }
  const i = (ring.start + ring.size) % length;
  values.forEach((value, c) => (ring.columns[c]![i] = value));
  if (ring.size < length) ring.size++;
  else {
    ring.start = (ring.start + 1) % length;
    ring.wrapped = true;
  }
}

/** Column `c` of the `i`-th oldest row. */
export function ringAt(ring: Ring, i: number, c: number): number {
  const column = ring.columns[c]!;
  return column[(ring.start + i) % column.length]!;
}

function setAt(ring: Ring, i: number, c: number, value: number): void {
  const column = ring.columns[c]!;
  column[(ring.start + i) % column.length] = value;
}

// -- sends: [time, attempts unanswered just before it, how it was answered] ----------------------

/** How a send was answered, as its log records it. */
const UNANSWERED = 0;
const REFUSED = 1;
const SERVED = 2;

export function createSendLog(capacity: number): Ring {
  return createRing(capacity, 3);
}

/**
 * Records a send at `t`, in time order: another process's send (replayed from its messages) is
 * heard after some of this process's own later ones, and the searches below assume order.
 */
export function pushSend(sends: Ring, t: number, inFlightBefore: number): void {
  ringPush(sends, t, inFlightBefore, UNANSWERED);
  for (let i = sends.size - 1; i > 0 && ringAt(sends, i - 1, 0) > t; i--) swapRows(sends, i - 1, i);
}

function swapRows(ring: Ring, i: number, j: number): void {
  for (let c = 0; c < ring.columns.length; c++) {
    const held = ringAt(ring, i, c);
    setAt(ring, i, c, ringAt(ring, j, c));
    setAt(ring, j, c, held);
  }
}

/** The attempt sent at `t` was answered: served (it took a token) or refused (it took none). */
export function markAnswered(sends: Ring, t: number, served: boolean): void {
  for (let i = firstSend(sends, t, true); i < sends.size && ringAt(sends, i, 0) === t; i++) {
    if (ringAt(sends, i, 2) === UNANSWERED) return setAt(sends, i, 2, served ? SERVED : REFUSED);
  }
}

/**
 * What the sends after `from` up to `to` (inclusive) took from the server's quota: at least the
 * served ones, at most all but the refused ones (those unanswered may have taken a token or not).
 */
export function consumedBetween(sends: Ring, from: number, to: number): { least: number; most: number } {
  let least = 0;
  let most = 0;
  for (let i = firstSend(sends, from, false); i < sends.size && ringAt(sends, i, 0) <= to; i++) {
    const answer = ringAt(sends, i, 2);
    if (answer !== REFUSED) most++;
    if (answer === SERVED) least++;
  }
  return { least, most };
}

/** Index of the first send at or after `t` (inclusive) or after `t`; binary search. */
function firstSend(sends: Ring, t: number, inclusive: boolean): number {
  let lo = 0;
  let hi = sends.size;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const x = ringAt(sends, mid, 0);
    if (inclusive ? x >= t : x > t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Sends after `t` (at or after with `inclusive`). */
export function sendsAfter(sends: Ring, t: number, inclusive = false): number {
  return sends.size - firstSend(sends, t, inclusive);
}

/** True when each of the last `count` sends (fewer if fewer were made) left with nothing else in flight. */
export function sentOneAtATime(sends: Ring, count: number): boolean {
  for (let i = Math.max(0, sends.size - count); i < sends.size; i++) if (ringAt(sends, i, 1) > 0) return false;
  return true;
}

/** Attempts unanswered just before the first send at `t` (0 if forgotten). */
export function inFlightAt(sends: Ring, t: number): number {
  const i = firstSend(sends, t, true);
  return i < sends.size ? ringAt(sends, i, 1) : 0;
}

// -- outcomes: [decision time, ok, round trip] ---------------------------------------------------

/**
 * Outcomes, sorted only when a fit needs them (at throttles, rarely). A fit replays from the
 * oldest outcome as if the server's bucket were full there — true at first contact. Once the ring
 * has overwritten its start, the replay starts after the first pause it still holds (a gap of
 * `restartGapMs`) instead, where the bucket has had time to refill, rather than at an arbitrary
 * point that may be mid-drain (measured: a 1024-entry ring starting mid-drain made the fit hold a
 * burst-1 server at a tenth of its rate).
 */
export interface OutcomeLog {
  ring: Ring;
  restartGapMs: number;
  /** Outcomes decided before this are no longer fitted (see `forgetOutcomesBefore`). */
  from: number;
}

export function createOutcomeLog(capacity: number, restartGapMs = 1000): OutcomeLog {
  return { ring: createRing(capacity, 3), restartGapMs, from: -Infinity };
}

/** `roundTripMs`: how long the attempt took; unknown gives no slack. */
export function pushOutcome(log: OutcomeLog, at: number, ok: boolean, roundTripMs: number | undefined): void {
  ringPush(log.ring, at, ok ? 1 : 0, roundTripMs ?? NaN);
}

/**
 * Fits start at `t` from now on, as at first contact: when the server took far more than the old
 * outcomes allowed, they describe a server that no longer exists, and kept they would make every
 * later fit inconsistent.
 */
export function forgetOutcomesBefore(log: OutcomeLog, t: number): void {
  log.from = Math.max(log.from, t);
}

/**
 * The outcomes in time order, each with the slack its round trip leaves against the shortest one
 * seen (`minRttMs`): half of what it took beyond that. Judged now, not when it arrived: the first
 * round trips of a cold process are all slow, and against the shortest seen so far then they
 * looked exact (measured: a fit that excluded the true rate and held 2 % above it).
 */
export function sortedOutcomes(log: OutcomeLog, minRttMs: number): Outcome[] {
  const { ring } = log;
  const out: Outcome[] = [];
  for (let i = 0; i < ring.size; i++) {
    const at = ringAt(ring, i, 0);
    const roundTrip = ringAt(ring, i, 2);
    const slack = Number.isFinite(roundTrip) && Number.isFinite(minRttMs) ? Math.max(0, roundTrip - minRttMs) / 2 : 0;
    if (at >= log.from) out.push({ at, ok: ringAt(ring, i, 1) === 1, slack });
  }
  out.sort((a, b) => a.at - b.at);
  if (!ring.wrapped) return out;
  const restart = out.findIndex((o, i) => i > 0 && o.at - out[i - 1]!.at >= log.restartGapMs);
  return restart > 0 && restart < out.length - 1 ? out.slice(restart) : out;
}
