// Tests for the AIMD limit: slow start, additive increase only while the window is used,
// multiplicative decrease at most once per round trip, bounds, and option validation.

import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { createAimdLimit, type AimdLimitOptions } from '../../src/limits/aimd-limit.js';

/** A limit on a manual clock; `sample` records a request that started `rttMs` before `now`. */
function setup(options: AimdLimitOptions = {}) {
  let now = 1_000_000;
  const limit = createAimdLimit({ now: () => now, ...options });
  return {
    limit,
    advance(ms: number) {
      now += ms;
    },
    healthy(inFlight = limit.limit, rttMs = 100) {
      limit.onSample({ inFlight, rttMs, dropped: false });
    },
    drop(inFlight = limit.limit, rttMs = 100) {
      limit.onSample({ inFlight, rttMs, dropped: true });
    },
  };
}

describe('slow start', () => {
  it('starts a new key at the initial limit, in slow start', () => {
    const { limit } = setup();
    expect(limit.limit).toBe(10);
    expect(limit.inSlowStart).toBe(true);
  });

  it('grows by one per healthy sample while the window is used, doubling per round trip', () => {
    const t = setup({ initial: 10 });
    // One round trip of a full window: 10 samples.
    for (let i = 0; i < 10; i++) t.healthy(10);
    expect(t.limit.limit).toBe(20);
    for (let i = 0; i < 20; i++) t.healthy(20);
    expect(t.limit.limit).toBe(40);
  });

  it('does not grow an idle key whose window is less than half used', () => {
    const t = setup({ initial: 10 });
    for (let i = 0; i < 1000; i++) t.healthy(4);
    expect(t.limit.limit).toBe(10);
    // Exactly half used counts as used.
    t.healthy(5);
    expect(t.limit.limit).toBe(11);
  });

  it('stops at max', () => {
    const t = setup({ initial: 10, max: 12 });
    for (let i = 0; i < 10; i++) t.healthy();
    expect(t.limit.limit).toBe(12);
  });
});

describe('congestion avoidance', () => {
  it('ends slow start at the first drop and cuts to floor(limit × backoffRatio)', () => {
    const t = setup({ initial: 20, backoffRatio: 0.9 });
    t.drop();
    expect(t.limit.limit).toBe(18);
    expect(t.limit.inSlowStart).toBe(false);
  });

  it('then grows by one per round trip: one per `limit` healthy samples', () => {
    const t = setup({ initial: 20 });
    t.drop(); // 18
    t.advance(1000);
    for (let i = 0; i < 17; i++) t.healthy(18);
    expect(t.limit.limit).toBe(18);
    t.healthy(18);
    expect(t.limit.limit).toBe(19);
    for (let i = 0; i < 19; i++) t.healthy(19);
    expect(t.limit.limit).toBe(20);
  });

  it('does not grow while the window is less than half used', () => {
    const t = setup({ initial: 20 });
    t.drop(); // 18
    t.advance(1000);
    for (let i = 0; i < 1000; i++) t.healthy(8);
    expect(t.limit.limit).toBe(18);
  });

  it('never cuts below min', () => {
    const t = setup({ initial: 3, min: 2, backoffRatio: 0.5 });
    t.drop();
    expect(t.limit.limit).toBe(2);
    t.advance(1000);
    t.drop();
    expect(t.limit.limit).toBe(2);
  });

  it('always cuts by at least one above min, even with a ratio close to 1', () => {
    const t = setup({ initial: 5, backoffRatio: 0.99 });
    t.drop();
    expect(t.limit.limit).toBe(4);
  });
});

describe('once-per-round-trip cut', () => {
  it('ignores drops from requests that started before the last cut', () => {
    const t = setup({ initial: 100 });
    // A burst of 503s: all these requests were in flight together.
    t.drop(100, 500);
    expect(t.limit.limit).toBe(90);
    for (let i = 0; i < 50; i++) {
      t.advance(5);
      t.drop(100, 500); // started 500 ms ago, before the cut 5–250 ms ago
    }
    expect(t.limit.limit).toBe(90);
  });

  it('cuts again for a drop from a request started after the last cut', () => {
    const t = setup({ initial: 100 });
    t.drop(100, 50);
    expect(t.limit.limit).toBe(90);
    t.advance(100);
    t.drop(90, 50); // started 50 ms after the cut: the reduced window still overloads
    expect(t.limit.limit).toBe(81);
  });

  it('counts a request that started exactly at the cut as sent under the new window', () => {
    const t = setup({ initial: 100 });
    t.drop();
    t.advance(100);
    t.drop(90, 100);
    expect(t.limit.limit).toBe(81);
  });

  it('does not grow on healthy samples from requests sent under the old window', () => {
    const t = setup({ initial: 20 });
    t.drop(20, 10); // 18
    t.advance(50);
    for (let i = 0; i < 100; i++) t.healthy(18, 500);
    expect(t.limit.limit).toBe(18);
  });

  it('keeps working after the clock steps backwards past the last cut', () => {
    const t = setup({ initial: 100 });
    t.drop();
    t.advance(-60_000);
    t.drop(90, 10);
    expect(t.limit.limit).toBe(81);
  });
});

describe('onChange', () => {
  it('notifies whole-number changes only, and stops after unsubscribe', () => {
    const t = setup({ initial: 20 });
    const listener = vi.fn();
    const unsubscribe = t.limit.onChange(listener);
    t.drop(); // 18
    t.advance(1000);
    for (let i = 0; i < 17; i++) t.healthy(18); // fractional growth only
    expect(listener.mock.calls).toEqual([[18]]);
    t.healthy(18);
    expect(listener.mock.calls).toEqual([[18], [19]]);
    unsubscribe();
    t.advance(1000);
    t.drop();
    expect(listener).toHaveBeenCalledTimes(2);
  });

  it('does not notify when a drop at min leaves the limit unchanged', () => {
    const t = setup({ initial: 1 });
    const listener = vi.fn();
    t.limit.onChange(listener);
    t.drop();
    expect(listener).not.toHaveBeenCalled();
  });
});

describe('options', () => {
  it('defaults to initial 10, min 1, max 1000, backoffRatio 0.9', () => {
    const t = setup({ initial: undefined });
    expect(t.limit.limit).toBe(10);
    for (let i = 0; i < 5000; i++) t.healthy();
    expect(t.limit.limit).toBe(1000);
    t.drop();
    expect(t.limit.limit).toBe(900);
  });

  it('validates options eagerly with messages naming the option, expectation and value', () => {
    expect(() => createAimdLimit({ min: 0 })).toThrow('Expected `min` to be an integer from 1 and up, got `0` (number)');
    expect(() => createAimdLimit({ min: 5, max: 4, initial: 4 })).toThrow(
      'Expected `max` to be an integer from `min` (5) and up, got `4` (number)',
    );
    expect(() => createAimdLimit({ initial: 0 })).toThrow(
      'Expected `initial` to be an integer from 1 to 1000 (`min` to `max`), got `0` (number)',
    );
    expect(() => createAimdLimit({ initial: 2000 })).toThrow(InvalidOptionError);
    expect(() => createAimdLimit({ initial: 1.5 })).toThrow(InvalidOptionError);
    expect(() => createAimdLimit({ backoffRatio: 1 })).toThrow(
      'Expected `backoffRatio` to be a number above 0 and below 1, got `1` (number)',
    );
    expect(() => createAimdLimit({ backoffRatio: 0 })).toThrow(InvalidOptionError);
    expect(() => createAimdLimit({ now: 5 as never })).toThrow('Expected `now` to be a function, got `5` (number)');
  });
});

describe('properties', () => {
  const sample = fc.record({
    inFlight: fc.integer({ min: 0, max: 2000 }),
    rttMs: fc.integer({ min: 0, max: 5000 }),
    dropped: fc.boolean(),
    advance: fc.integer({ min: 0, max: 1000 }),
  });

  it('keeps the limit an integer within [min, max] under any samples', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 200 }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        fc.array(sample, { maxLength: 300 }),
        (min, span, backoffRatio, samples) => {
          const max = min + span;
          let now = 0;
          const limit = createAimdLimit({ min, max, initial: min, backoffRatio, now: () => now });
          for (const s of samples) {
            now += s.advance;
            limit.onSample(s);
            expect(Number.isInteger(limit.limit)).toBe(true);
            expect(limit.limit).toBeGreaterThanOrEqual(min);
            expect(limit.limit).toBeLessThanOrEqual(max);
          }
        },
      ),
    );
  });

  it('cuts at most once however many drops arrive within one round trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 1000 }), fc.integer({ min: 1, max: 100 }), (initial, drops) => {
        let now = 10_000;
        const limit = createAimdLimit({ initial, now: () => now });
        const rtt = 1000;
        for (let i = 0; i < drops; i++) {
          limit.onSample({ inFlight: initial, rttMs: rtt, dropped: true });
          now += Math.floor(rtt / (drops + 1)); // every request started before the first cut
        }
        expect(limit.limit).toBe(Math.max(1, Math.floor(initial * 0.9)));
      }),
    );
  });
});
