// The rate each pacing mode calls for, from the pacer's state alone, and the one place that hands
// it to the token bucket: every mode changes its state, then applies.

import { sharedRate } from './pace-after-throttle.js';
import type { PacerState } from './pacer-state.js';
import { setRate } from './token-bucket.js';

/** Computes the rate the current mode calls for and hands it to the bucket. */
export function applyRate(s: PacerState, now: number): void {
  s.rate = currentRate(s, now);
  setRate(s.bucket, s.rate, now);
}

function currentRate(s: PacerState, now: number): number {
  const { minRate } = s.o;
  switch (s.mode) {
    case 'unknown':
    case 'slow-start':
      return s.ramp.rate;
    case 'unbounded':
      return Infinity;
    case 'estimated': {
      const e = s.throttle.estimated!;
      const elapsedS = Math.max(0, now - e.since) / 1000;
      const grown =
        e.sharedScale === undefined
          ? e.base * (1 + e.creep) ** elapsedS
          : sharedRate(e.base, e.sharedScale, s.o.creepPerSecond, elapsedS);
      return Math.max(minRate, Math.min(e.cap, grown));
    }
    case 'held':
      // Probing leaves 'held' for 'estimated' (see `trackQuiet`).
      return Math.max(minRate, s.throttle.estimated!.base);
    case 'header': {
      // Floored like every paced mode: a rate of 0 has no next token, and with nothing in flight
      // no answer would ever change it.
      const { policyRate, remaining } = s.header;
      return Math.max(minRate, policyRate ?? remaining.learned ?? Math.min(s.ramp.rate, remaining.hint ?? Infinity));
    }
    case 'fixed-window':
      // The window's quota goes at once: its tokens are set, not accrued (see fixed-window.ts).
      return minRate;
  }
}

/** The rate whose spacing, less `jitterMs` of bunching on the way, still keeps 1/`rate` apart. */
export function withJitter(rate: number, jitterMs: number): number {
  return 1000 / (1000 / rate + jitterMs);
}

/** How much one-way delays may differ between two attempts: TCP's 4 × mean deviation. */
export function jitterMs(s: PacerState): number {
  return 4 * (s.traffic.rttvar ?? 0);
}
