// The retry budget shared by a fleet: every process counts the others' requests and retries into
// its own budget as they are announced, so the ratio and the floor hold for the fleet as a whole.

import { budgetRemaining, type BudgetState } from '../../retry/budget.js';
import type { KeyState } from '../key-state.js';
import { deposit } from '../learn.js';

/** Another process sent a logical request: it earns the fleet `ratio` of a retry, here too. */
export function replayDeposit(s: KeyState, now: number): void {
  deposit(s, now);
}

/**
 * Another process took a retry: it is spent here too, even if this process's own count would
 * not have afforded it (the fleet's was the one that counted), so the fleet cannot overspend.
 */
export function replayWithdrawal(s: KeyState, now: number): void {
  const b = s.budget;
  if (b === undefined) return;
  budgetRemaining(b, now); // moves the window to `now`
  b.withdrawals[slotIndex(b)]!++;
  b.withdrawn++;
}

function slotIndex(b: BudgetState): number {
  const slots = b.withdrawals.length;
  return ((b.current % slots) + slots) % slots;
}
