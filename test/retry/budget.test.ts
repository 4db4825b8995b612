// Tests for the retry budget: the floor, the ratio earned by requests, flooring of `remaining`,
// and the sliding window of slots, all on an injected clock.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import {
  budgetDeposit,
  budgetRemaining,
  budgetWithdraw,
  createBudget,
  normalizeRetryBudgetOptions,
  type RetryBudgetOptions,
} from '../../src/retry/budget.js';

/** The budget's functions bound to one state and a clock, so each test reads as a sequence of calls. */
function createRetryBudget({ now = Date.now, ...options }: RetryBudgetOptions & { now?: () => number } = {}) {
  const b = createBudget(normalizeRetryBudgetOptions(options), now());
  return {
    deposit: () => budgetDeposit(b, now()),
    tryWithdraw: () => budgetWithdraw(b, now()),
    get remaining() {
      return budgetRemaining(b, now());
    },
  };
}

function setup(options: RetryBudgetOptions = {}, start = 1_700_000_000_000) {
  let now = start;
  const budget = createRetryBudget({ now: () => now, ...options });
  return {
    budget,
    advance(ms: number) {
      now += ms;
    },
    deposit(n: number) {
      for (let i = 0; i < n; i++) budget.deposit();
    },
    withdrawAll(): number {
      let n = 0;
      while (budget.tryWithdraw()) n++;
      return n;
    },
  };
}

describe('allowance', () => {
  it('allows minPerSecond × ttl seconds retries with no traffic at all (100 by default)', () => {
    const t = setup();
    expect(t.budget.remaining).toBe(100);
    expect(t.withdrawAll()).toBe(100);
    expect(t.budget.remaining).toBe(0);
    expect(t.budget.tryWithdraw()).toBe(false);
  });

  it('earns ratio of a retry per original request', () => {
    const t = setup({ ratio: 0.2, minPerSecond: 0 });
    t.deposit(10);
    expect(t.budget.remaining).toBe(2);
    expect(t.withdrawAll()).toBe(2);
  });

  it('adds the earned retries to the floor', () => {
    const t = setup({ ratio: 0.5, minPerSecond: 1, ttlMs: 2000 });
    t.deposit(6);
    expect(t.withdrawAll()).toBe(2 + 3);
  });

  it('floors remaining to whole retries', () => {
    const t = setup({ ratio: 0.2, minPerSecond: 0 });
    t.deposit(4);
    expect(t.budget.remaining).toBe(0);
    expect(t.budget.tryWithdraw()).toBe(false);
    t.deposit(1);
    expect(t.budget.remaining).toBe(1);
  });

  it('does not lose a whole retry to float error', () => {
    const t = setup({ ratio: 0.29, minPerSecond: 0 });
    t.deposit(100);
    expect(t.budget.remaining).toBe(29);
  });

  it('allows no retries with ratio 0 and minPerSecond 0', () => {
    const t = setup({ ratio: 0, minPerSecond: 0 });
    t.deposit(1000);
    expect(t.budget.tryWithdraw()).toBe(false);
  });

  it('bounds retries during an outage to about ratio of the traffic plus the floor', () => {
    // 1,000 requests/s for the whole window, every one failing and wanting a retry.
    const t = setup();
    let retries = 0;
    for (let ms = 0; ms < 10_000; ms += 10) {
      t.deposit(10);
      for (let i = 0; i < 10; i++) if (t.budget.tryWithdraw()) retries++;
      t.advance(10);
    }
    // 0.2 × 10,000 + 100: retries add ~21% load rather than multiplying it.
    expect(retries).toBe(2100);
  });
});

describe('sliding window', () => {
  it('forgets deposits once their slot leaves the window', () => {
    const t = setup({ ratio: 1, minPerSecond: 0, ttlMs: 10_000 }, 0);
    t.deposit(10); // slot 0 (0–999 ms)
    t.advance(9_999);
    expect(t.budget.remaining).toBe(10); // slot 9: slot 0 still in the window
    t.advance(1);
    expect(t.budget.remaining).toBe(0); // slot 10 reuses slot 0's place
  });

  it('returns retries to the budget once their withdrawals expire', () => {
    const t = setup({ minPerSecond: 1, ttlMs: 10_000 }, 0);
    expect(t.withdrawAll()).toBe(10);
    t.advance(5_000);
    expect(t.budget.tryWithdraw()).toBe(false);
    t.advance(5_000);
    expect(t.budget.remaining).toBe(10);
  });

  it('expires slot by slot, keeping the newer deposits', () => {
    const t = setup({ ratio: 1, minPerSecond: 0, ttlMs: 1000 }, 0);
    for (let slot = 0; slot < 10; slot++) {
      t.deposit(slot + 1); // slot k holds k + 1 deposits
      t.advance(100);
    }
    // Now in slot 10: slot 0 (1 deposit) expired, slots 1–9 hold 2 + … + 10 = 54.
    expect(t.budget.remaining).toBe(54);
    t.advance(300); // slot 13: slots 1–3 (2 + 3 + 4) expired too
    expect(t.budget.remaining).toBe(45);
  });

  it('starts empty again after an idle longer than the window', () => {
    const t = setup({ ratio: 1, minPerSecond: 0, ttlMs: 1000 });
    t.deposit(50);
    t.withdrawAll();
    t.advance(3_600_000);
    expect(t.budget.remaining).toBe(0);
    t.deposit(3);
    expect(t.budget.remaining).toBe(3);
  });

  it('keeps counting in the current slot when the clock steps backwards', () => {
    const t = setup({ ratio: 1, minPerSecond: 0, ttlMs: 1000 });
    t.deposit(5);
    t.advance(-60_000);
    t.deposit(5);
    expect(t.budget.remaining).toBe(10);
    t.advance(60_000 + 1000);
    expect(t.budget.remaining).toBe(0);
  });

  it('works on a clock that starts below zero', () => {
    const t = setup({ ratio: 1, minPerSecond: 0, ttlMs: 1000 }, -550);
    t.deposit(2);
    t.advance(600);
    t.deposit(1);
    expect(t.budget.remaining).toBe(3);
    t.advance(1000);
    expect(t.budget.remaining).toBe(0);
  });
});

describe('options', () => {
  it('validates options eagerly with messages naming the option, expectation and value', () => {
    expect(() => createRetryBudget({ ratio: -0.1 })).toThrow(
      'Expected `ratio` to be a finite number from 0 and up, got `-0.1` (number)',
    );
    expect(() => createRetryBudget({ ratio: Number.NaN })).toThrow(InvalidOptionError);
    expect(() => createRetryBudget({ minPerSecond: Infinity })).toThrow(InvalidOptionError);
    expect(() => createRetryBudget({ ttlMs: 0 })).toThrow('Expected `ttlMs` to be a finite number from 1 and up, got `0` (number)');
  });
});

describe('properties', () => {
  it('never lets retries in a window exceed ratio × requests + the floor', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('deposit' as const) }),
      fc.record({ kind: fc.constant('withdraw' as const) }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 400 }) }),
    );
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(op, { maxLength: 300 }),
        (ratio, minPerSecond, ops) => {
          const ttlMs = 1000;
          let now = 0;
          const budget = createRetryBudget({ ratio, minPerSecond, ttlMs, now: () => now });
          const deposits: number[] = [];
          const retries: number[] = [];
          for (const o of ops) {
            if (o.kind === 'deposit') {
              budget.deposit();
              deposits.push(now);
            } else if (o.kind === 'withdraw') {
              const before = budget.remaining;
              const ok = budget.tryWithdraw();
              expect(ok).toBe(before >= 1);
              if (ok) {
                retries.push(now);
                // At each grant, the window holds at least the last 0.9 × ttl and at most the
                // last ttl: retries counted over the shorter span never beat the allowance over
                // the longer one. (Checked at grants only: a deposit that funded a retry may
                // leave the window before the retry does.)
                const recentRetries = retries.filter((t) => t > now - 0.9 * ttlMs).length;
                const windowDeposits = deposits.filter((t) => t > now - ttlMs).length;
                expect(recentRetries).toBeLessThanOrEqual(Math.floor(ratio * windowDeposits + minPerSecond + 1e-9));
              }
            } else now += o.ms;
            expect(budget.remaining).toBeGreaterThanOrEqual(0);
          }
        },
      ),
    );
  });
});
