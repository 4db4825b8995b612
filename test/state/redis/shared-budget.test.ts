// The retry budget a fleet shares: the others' requests earn retries here, their retries spend
// them here, even past what this process alone could afford.

import { describe, expect, it } from 'vitest';
import { createStaticWindow } from '../../../src/limits/limit.js';
import { budgetRemaining, createBudget } from '../../../src/retry/budget.js';
import type { KeyState } from '../../../src/state/key-state.js';
import { replayDeposit, replayWithdrawal } from '../../../src/state/redis/shared-budget.js';
import { testKeyState } from '../../helpers/key-state.js';

function state(now: number): KeyState {
  return testKeyState('k', { window: createStaticWindow(1), budget: createBudget({ ratio: 0.5, minPerSecond: 0, ttlMs: 10_000 }, now) });
}

describe('shared retry budget', () => {
  it("counts the others' requests and retries, and lets them run it into debt", () => {
    const s = state(0);
    for (let i = 0; i < 4; i++) replayDeposit(s, 100);
    expect(budgetRemaining(s.budget!, 100)).toBe(2);
    replayWithdrawal(s, 200);
    replayWithdrawal(s, 200);
    replayWithdrawal(s, 200);
    expect(budgetRemaining(s.budget!, 200)).toBe(0);
    expect(s.budget!.withdrawn).toBe(3);
  });

  it('a withdrawal expires with the window like any other', () => {
    const s = state(0);
    replayWithdrawal(s, 0);
    for (let i = 0; i < 2; i++) replayDeposit(s, 11_000);
    expect(s.budget!.withdrawn).toBe(0);
    expect(budgetRemaining(s.budget!, 11_000)).toBe(1);
  });

  it('does nothing on a key without a budget', () => {
    const s = { ...state(0), budget: undefined };
    expect(() => replayWithdrawal(s, 0)).not.toThrow();
  });
});
