// Tests for PaceBinding: whether the pacer or demand limits sending, from tokens offered vs used.

import { describe, expect, it } from 'vitest';
import { accrueOffered, bindingOnSend, bindingOnShareWait, createPaceBinding, paceBound, type PaceBinding } from '../../src/pacing/pace-binding.js';

/** Sends every `everyMs` from `from` to `to` while the pacer offers `rate` per second. */
function run(b: PaceBinding, rate: number, everyMs: number, from = 0, to = 1000): number {
  let last = from;
  for (let t = from; t <= to; t += everyMs) {
    accrueOffered(b, last, t, rate);
    bindingOnSend(b, t);
    last = t;
  }
  return last;
}

describe('PaceBinding', () => {
  it('counts a sender that takes each token as it accrues as bound by the pace', () => {
    const b = createPaceBinding();
    const last = run(b, 100, 10);
    expect(b.utilization).toBeCloseTo(1);
    expect(paceBound(b, last, 100)).toBe(true);
  });

  it('counts a sender that leaves most tokens unused as limited by demand', () => {
    const b = createPaceBinding();
    const last = run(b, 1000, 10);
    expect(b.utilization).toBeCloseTo(0.1);
    expect(paceBound(b, last, 1000)).toBe(false);
  });

  it('stops counting as bound once sending stops, and never when unpaced', () => {
    const b = createPaceBinding();
    const last = run(b, 100, 10);
    expect(paceBound(b, last + 100, 100)).toBe(false);
    expect(paceBound(b, last, Infinity)).toBe(false);
  });

  it('counts a sender waiting for a token shared with other processes as bound, while it waits', () => {
    const b = createPaceBinding();
    const last = run(b, 1000, 10);
    bindingOnShareWait(b, last);
    expect(paceBound(b, last, 1000)).toBe(true);
    expect(paceBound(b, last + 100, 1000)).toBe(false);
    expect(paceBound(b, last, Infinity)).toBe(false);
  });

  it('says nothing from a single send', () => {
    const b = createPaceBinding();
    bindingOnSend(b, 0);
    expect(b.utilization).toBe(0);
  });
});
