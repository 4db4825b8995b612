// Tells whether a key's pacer is what limits its sending, or demand is (TCP's "application-
// limited" test, RFC 7661): only a binding pace may grow, and only its quiet says anything.

/** Sends looked back over: enough to average out timer bunching, few enough to follow demand. */
const LOOKBACK = 16;
/** Sends per tokens offered above which the pacer counts as binding (timer lateness costs ~10 %). */
const BOUND_ABOVE = 0.7;
/** Stand-in for an unpaced rate when counting tokens offered: any demand is far below it. */
const UNPACED_RATE = 1e9;

/**
 * Counts the tokens the pacer offered (its rate integrated over time, pauses excluded) and
 * compares them with the sends that used them. A sender the pacer holds back takes each token as
 * it accrues (ratio ≈ 1); one that demand holds back leaves most of them to overflow.
 */
export interface PaceBinding {
  /** Tokens offered since creation. */
  offered: number;
  /** `offered` at each of the last `LOOKBACK` sends (a ring). */
  readonly atSend: Float64Array;
  sends: number;
  lastSend: number;
  /** Sends per token offered over the last few sends (≥ 1: every token taken; 0: none yet). */
  utilization: number;
  /** When a send the pacer allowed was last held for a token shared with other processes. */
  heldAt: number;
}

export function createPaceBinding(): PaceBinding {
  return { offered: 0, atSend: new Float64Array(LOOKBACK), sends: 0, lastSend: -Infinity, utilization: 0, heldAt: -Infinity };
}

/** The pacer ran at `rate` per second from `from` to `to` (ms), unpaused. */
export function accrueOffered(b: PaceBinding, from: number, to: number, rate: number): void {
  if (to <= from) return;
  b.offered += ((Number.isFinite(rate) ? rate : UNPACED_RATE) * (to - from)) / 1000;
}

export function bindingOnSend(b: PaceBinding, now: number): void {
  const oldest = b.sends >= LOOKBACK ? b.atSend[b.sends % LOOKBACK]! : b.atSend[0]!;
  const count = Math.min(b.sends, LOOKBACK);
  b.atSend[b.sends % LOOKBACK] = b.offered;
  b.sends++;
  b.lastSend = now;
  // The first send alone says nothing (it counts as demand-limited); from the second on, the
  // tokens offered since it tell.
  const offered = b.offered - oldest;
  b.utilization = count === 0 ? 0 : offered > 0 ? count / offered : Infinity;
}

/**
 * A send waited for a token of the pace that other processes share (a lease from the fleet's
 * cell): the pace binds, though this copy of it offered more than was sent — the fleet's sends
 * follow the cell's times, reserved ahead, and trail a pace that is still growing.
 */
export function bindingOnShareWait(b: PaceBinding, now: number): void {
  b.heldAt = now;
}

/**
 * True when a send is waiting for a shared token, or when the last sends took the tokens as they
 * came and sending has not stopped since: a binding pacer releases at least every 1/`rate` (three
 * of them for timer lateness).
 */
export function paceBound(b: PaceBinding, now: number, rate: number): boolean {
  if (!Number.isFinite(rate)) return false;
  const recent = (3 * 1000) / rate + 20;
  if (now - b.heldAt <= recent) return true;
  return b.utilization >= BOUND_ABOVE && now - b.lastSend <= recent;
}
