// Slow start by rate (RATE-DISCOVERY point 4): a new or idle key starts at a modest rate that
// doubles every `rampDoublingMs` while it is what limits sending, until a throttle or a ceiling.

import { applyRate } from './pace-rate.js';
import type { PacerState } from './pacer-state.js';
import { setTokens, tokensAt } from './token-bucket.js';

/** Rate of a ramp that started at `base` and doubles every `doublingMs`, after `elapsedMs`. */
export function rampRate(base: number, doublingMs: number, elapsedMs: number): number {
  return base * 2 ** (Math.max(0, elapsedMs) / doublingMs);
}

/** The first release of a key (or of one reset after idle) starts the ramp. */
export function startRamp(s: PacerState, now: number): void {
  if (s.mode !== 'unknown') return;
  s.mode = 'slow-start';
  s.ramp = { rate: s.o.initialRate, at: now, open: true };
}

/**
 * Moves the ramp to `now`. It grows only while it is what limits sending (TCP's application-
 * limited check): when the window, a slow server or a busy event loop sends less, a ramp that
 * kept doubling would reach `unbounded` without ever having been tried (seen on a loaded machine:
 * unbounded after 1 s at 22 requests sent, then a 429 storm).
 */
export function advanceRamp(s: PacerState, now: number): void {
  const { ramp, o } = s;
  if ((s.mode === 'unbounded' || s.mode === 'slow-start') && now - s.traffic.lastSend >= o.idleResetMs) resetAfterIdle(s, now);
  const binding = s.mode !== 'slow-start' || tokensAt(s.bucket, now) < s.bucket.depth;
  if (s.mode !== 'unknown' && ramp.open && binding && ramp.rate < o.unboundedAbove) {
    ramp.rate = Math.min(o.unboundedAbove, rampRate(ramp.rate, o.rampDoublingMs, now - ramp.at));
  }
  ramp.at = now;
  if (s.mode === 'slow-start' && ramp.rate >= o.unboundedAbove) s.mode = 'unbounded';
}

/**
 * A key that sent nothing for `idleResetMs` while unpaced (or still in slow start) starts over
 * from slow start, like TCP's restart after idle: the origin may have changed meanwhile.
 */
function resetAfterIdle(s: PacerState, now: number): void {
  s.mode = 'unknown';
  s.ramp = { rate: s.o.initialRate, at: s.ramp.at, open: true };
  applyRate(s, now);
  setTokens(s.bucket, s.o.initialTokens, now);
}
