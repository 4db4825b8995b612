// A quota that does not refill continuously (an hourly allowance): free while far from binding,
// else spread evenly until its reset, so it lasts instead of running dry early.

import type { SyncContext } from './header-pacing.js';
import { limitDepth, sync } from './header-pacing.js';
import { applyRate } from './pace-rate.js';
import type { PacerState } from './pacer-state.js';
import { setTokens } from './token-bucket.js';

/** Rate (per second) that makes `remaining` last until the reset `resetMs` from now. */
export function quotaRate(remaining: number, resetMs: number): number {
  return resetMs > 0 ? (Math.max(0, remaining) / resetMs) * 1000 : Infinity;
}

/** Paces a non-refilling quota; returns true (the headers drive the rate). */
export function spreadQuota(
  s: PacerState,
  now: number,
  remaining: number,
  limit: number,
  resetMs: number | undefined,
  ctx: SyncContext,
): boolean {
  s.ramp.open = false;
  const left = remaining - ctx.uncounted - ctx.reserve;
  if (resetMs === undefined || resetMs <= 0 || remaining > s.o.quotaSpreadBelow * limit) {
    s.mode = 'unbounded';
    s.header.policyRate = undefined;
    applyRate(s, now);
    return true;
  }
  s.mode = 'quota';
  if (left < 1) {
    // Spent: no token until the reset, then resume at the quota's average over the span just
    // waited (a whole new quota arrives then; its first answer re-decides). Spreading the zero
    // that is left instead gave a rate of 0: no token ever, and nothing in flight to change it.
    s.header.policyRate = Math.max(s.o.minRate, quotaRate(limit, resetMs));
    applyRate(s, now);
    limitDepth(s, now);
    // Exactly that debt, also when deeper: attempts the server refused or will refuse do not push
    // the next token past the reset, which brings a whole new quota.
    setTokens(s.bucket, 1 - (s.rate * resetMs) / 1000, now);
    return true;
  }
  s.header.policyRate = Math.max(s.o.minRate, quotaRate(left, resetMs));
  applyRate(s, now);
  limitDepth(s, now);
  // Spreading means no bursts: only ever lower the bucket to what the server has left.
  sync(s, now, { remaining, uncounted: ctx.uncounted, reserve: ctx.reserve, accrualMax: 0, raise: false });
  return true;
}
