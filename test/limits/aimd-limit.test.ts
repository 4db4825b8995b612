// Tests for the adaptive limit: slow start, the cut to what the origin held, rare probes of a
// refused level (rarer behind Retry-After), regrowth to the former ceiling, bounds and options.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { aimdSample, createAimdWindow, inSlowStart, type AimdLimitOptions } from '../../src/limits/aimd-limit.js';
import type { LimitSample } from '../../src/limits/limit.js';

/** The window's functions bound to one state and a clock, so each test reads as a sequence of samples. */
function createAimdLimit({ now = () => 0, ...options }: AimdLimitOptions & { now?: () => number } = {}) {
  const w = createAimdWindow(options);
  return {
    get limit() {
      return w.limit;
    },
    get inSlowStart() {
      return inSlowStart(w);
    },
    onSample: (sample: LimitSample) => aimdSample(w, sample, now()),
  };
}

/** A backlog no probe outlasts in these tests, unless a test says otherwise. */
const LONG_BACKLOG = 1_000_000;

/** A limit on a manual clock; samples record requests that started `rttMs` before `now`. */
function setup(options: AimdLimitOptions = {}) {
  let now = 1_000_000;
  const limit = createAimdLimit({ now: () => now, ...options });
  return {
    limit,
    advance(ms: number) {
      now += ms;
    },
    healthy(inFlight = limit.limit, rttMs = 100, waiting = LONG_BACKLOG) {
      return limit.onSample({ inFlight, outstanding: inFlight, rttMs, dropped: false, waiting });
    },
    /** A refusal that arrived with `outstanding` requests in flight, itself included. */
    drop(outstanding = limit.limit, pausedMs?: number) {
      return limit.onSample({ inFlight: outstanding, outstanding, rttMs: 1, dropped: true, pausedMs, waiting: LONG_BACKLOG });
    },
    /** One round trip of a full window: `limit` healthy samples, sent after the last cut. */
    round(waiting = LONG_BACKLOG) {
      now += 100;
      const n = limit.limit;
      for (let i = 0; i < n; i++) limit.onSample({ inFlight: n, outstanding: n, rttMs: 50, dropped: false, waiting });
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

describe('decrease', () => {
  it('ends slow start at the first refusal and sets the window to what the origin held', () => {
    const t = setup({ initial: 10 });
    for (let i = 0; i < 10; i++) t.healthy(); // 20: slow start overshot a 16-slot origin
    expect(t.drop(17)).toBe(true);
    expect(t.limit.limit).toBe(16);
    expect(t.limit.inSlowStart).toBe(false);
  });

  it('follows a burst of refusals down to exactly what the origin held, however large the fall', () => {
    // 32 in flight when the origin shrank to 8: the 24 refusals arrive one by one.
    const t = setup({ initial: 32 });
    for (let outstanding = 32; outstanding > 8; outstanding--) t.drop(outstanding);
    expect(t.limit.limit).toBe(8);
  });

  it('treats a refusal from a level already cut away as absorbed, without cutting again', () => {
    const t = setup({ initial: 20 });
    t.drop(17); // 16
    // Sent under the old window: 17 and more were in flight when it was refused.
    expect(t.drop(19)).toBe(true);
    expect(t.drop(17)).toBe(true);
    expect(t.limit.limit).toBe(16);
  });

  it('never cuts below min', () => {
    const t = setup({ initial: 3, min: 2 });
    t.drop(1);
    expect(t.limit.limit).toBe(2);
    t.drop(2);
    expect(t.limit.limit).toBe(2);
  });

  it('reports a refusal as absorbed only while the requests still out fill the window', () => {
    const t = setup({ initial: 10 });
    expect(t.drop(6)).toBe(true); // 5 still out, window 5: a retry waits for one of them
    // A lone request refused: the window is cut, but a retry would be admitted at once, so
    // only a backoff can space it (a server that refuses everything must not be hammered).
    const lone = setup({ initial: 10 });
    expect(lone.drop(1)).toBe(false);
    expect(lone.limit.limit).toBe(1);
  });

  it('reports healthy samples as not absorbed', () => {
    const t = setup();
    expect(t.healthy()).toBe(false);
  });
});

describe('probing a refused level', () => {
  it('tries the refused level again after one round trip at the window below it', () => {
    const t = setup({ initial: 20 });
    t.drop(17); // 16; ceiling 17
    t.round();
    expect(t.limit.limit).toBe(17);
  });

  it('waits twice as many round trips after each refused probe, up to maxProbeRounds', () => {
    const t = setup({ initial: 20, maxProbeRounds: 4 });
    t.drop(17);
    const roundsToProbe = (): number => {
      t.drop(17); // the probe is refused: back to 16
      let rounds = 0;
      while (t.limit.limit < 17) {
        t.round();
        rounds++;
      }
      return rounds;
    };
    t.round(); // first probe after one round
    expect([roundsToProbe(), roundsToProbe(), roundsToProbe(), roundsToProbe()]).toEqual([2, 4, 4, 4]);
  });

  it('does not probe before (1 + probeRounds) × the pause a refusal set, since a failed probe costs that pause', () => {
    const t = setup({ initial: 20 });
    t.drop(17, 1000); // 16, and the key paused 1 s
    for (let i = 0; i < 19; i++) t.round(); // 1.9 s of healthy round trips
    expect(t.limit.limit).toBe(16);
    t.round(); // 2 s
    expect(t.limit.limit).toBe(17);
  });

  it('does not probe behind a server time once the backlog would drain before a refused probe could be retried', () => {
    const t = setup({ initial: 20 });
    t.drop(17, 1000); // 16; a refused probe would wait 1 s
    t.advance(10_000); // long past the probe wait
    // 16 per 50 ms round trip: 320 waiting drain in 1 s. With 300 behind, a refused probe's
    // retry would come last, so the window stays.
    for (let i = 0; i < 20; i++) t.round(16 + 300);
    expect(t.limit.limit).toBe(16);
    t.round(16 + 320);
    expect(t.limit.limit).toBe(17);
  });

  it('does not grow on healthy samples from requests sent under the old window', () => {
    const t = setup({ initial: 20 });
    t.drop(17); // 16
    t.advance(50);
    for (let i = 0; i < 100; i++) t.healthy(16, 500);
    expect(t.limit.limit).toBe(16);
  });

  it('keeps working after the clock steps backwards past the last cut', () => {
    const t = setup({ initial: 20 });
    t.drop(17);
    t.advance(-60_000);
    for (let i = 0; i < 16; i++) t.healthy(16, 10);
    expect(t.limit.limit).toBe(17);
  });
});

describe('regrowth after the origin recovers', () => {
  it('lifts the ceiling once a full window is served at it, and searches again at slow-start speed', () => {
    const t = setup({ initial: 20 });
    t.drop(9); // 8; ceiling 9
    t.round(); // probe: 9
    expect(t.limit.limit).toBe(9);
    t.round(); // nine served at 9: the ceiling is gone
    expect(t.limit.inSlowStart).toBe(true);
    t.round();
    expect(t.limit.limit).toBeGreaterThanOrEqual(18);
  });

  it('grows fast back to the ceiling it had before the origin shrank, and probes past it slowly', () => {
    const t = setup({ initial: 40 });
    t.drop(33); // 32; ceiling 33
    t.round(); // 32 served; 33 probed
    t.drop(33);
    t.round(); // 32 served again: the window has settled under 33
    expect(t.limit.limit).toBe(32);
    for (let outstanding = 32; outstanding > 8; outstanding--) t.drop(outstanding); // shrank to 8
    t.round(); // probe 9
    t.round(); // served: lifted
    let rounds = 0;
    while (t.limit.limit < 32) {
      t.round();
      rounds++;
    }
    expect(rounds).toBeLessThanOrEqual(3);
    // Slow start would have doubled 20 to 40 in that round; past 32 only 33 is probed.
    expect(t.limit.limit).toBeLessThanOrEqual(33);
    expect(t.limit.inSlowStart).toBe(false);
    t.drop(33); // refused again: the origin is back to what it was
    expect(t.limit.limit).toBe(32);
  });

  it('does not remember the levels a burst of refusals passed on its way down', () => {
    // Slow start overshot to 64 against 32 slots; the refusals bring it down, and then the
    // origin shrinks to 8 before 32 was ever served: there is no former ceiling to go back to.
    const t = setup({ initial: 64 });
    for (let outstanding = 64; outstanding > 8; outstanding--) t.drop(outstanding);
    t.round(); // probe 9
    t.round(); // served: lifted
    expect(t.limit.inSlowStart).toBe(true);
  });
});

describe('queueing at the origin', () => {
  it('once a refusal bounded the window, probes upward only on samples not inflated by the origin\'s queue', () => {
    const t = setup({ initial: 20 });
    for (let i = 0; i < 20; i++) t.healthy(20, 400); // the floor: 400 ms
    t.drop(28); // bounded at 27
    t.advance(60_000); // long past any probe wait
    const limit = t.limit.limit;
    // Queued at the origin: 600 ms where the floor is 400 ms. No probe (within an epoch of the
    // floor: a server slower for good moves the floor after two epochs, and probing resumes).
    for (let i = 0; i < 200; i++) t.healthy(limit, 600);
    expect(t.limit.limit).toBe(limit);
    // The queue drained: round trips back at the floor, and the probe resumes.
    for (let i = 0; i < 5000 && t.limit.limit === limit; i++) t.healthy(limit, 410);
    expect(t.limit.limit).toBe(limit + 1);
  });

  it('does not hold the slow start back: before any refusal, inflated round trips still grow the window', () => {
    const t = setup({ initial: 10 });
    for (let i = 0; i < 10; i++) t.healthy(10, 100);
    for (let i = 0; i < 10; i++) t.healthy(10, 900);
    expect(t.limit.limit).toBeGreaterThanOrEqual(20);
  });
});

describe('whole-number limit', () => {
  it('moves the limit in whole numbers only: fractional probe growth shows once it adds up', () => {
    const t = setup({ initial: 20 });
    const seen: number[] = [];
    const record = () => seen.at(-1) !== t.limit.limit && seen.push(t.limit.limit);
    t.drop(17); // 16
    record();
    t.advance(1000);
    for (let i = 0; i < 15; i++) {
      t.healthy(16); // fractional growth only
      record();
    }
    expect(seen).toEqual([16]);
    t.healthy(16);
    record();
    expect(seen).toEqual([16, 17]);
  });

  it('leaves the limit unchanged by a drop at min', () => {
    const t = setup({ initial: 1 });
    t.drop();
    expect(t.limit.limit).toBe(1);
  });
});

describe('options', () => {
  it('defaults to initial 10, min 1, max 1000, maxProbeRounds 64', () => {
    const t = setup({ initial: undefined });
    expect(t.limit.limit).toBe(10);
    for (let i = 0; i < 5000; i++) t.healthy();
    expect(t.limit.limit).toBe(1000);
    t.drop(1);
    expect(t.limit.limit).toBe(1);
    // Refused probes double the wait 1, 2, 4, …, 64 round trips, and then it stays at 64.
    let rounds = 0;
    for (let probe = 0; probe < 8; probe++) {
      rounds = 0;
      while (t.limit.limit < 2) {
        t.round();
        rounds++;
      }
      t.drop(2);
    }
    expect(rounds).toBe(64);
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
    expect(() => createAimdLimit({ maxProbeRounds: 0 })).toThrow(
      'Expected `maxProbeRounds` to be an integer from 1 and up, got `0` (number)',
    );
  });
});

describe('properties', () => {
  const sample = fc.record({
    inFlight: fc.integer({ min: 0, max: 2000 }),
    outstanding: fc.integer({ min: 0, max: 2000 }),
    rttMs: fc.integer({ min: 0, max: 5000 }),
    dropped: fc.boolean(),
    pausedMs: fc.option(fc.integer({ min: 0, max: 60_000 }), { nil: undefined }),
    advance: fc.integer({ min: 0, max: 1000 }),
    waiting: fc.integer({ min: 0, max: 100_000 }),
  });

  it('keeps the limit an integer within [min, max] under any samples', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 200 }), fc.array(sample, { maxLength: 300 }), (min, span, samples) => {
        const max = min + span;
        let now = 0;
        const limit = createAimdLimit({ min, max, initial: min, now: () => now });
        for (const s of samples) {
          now += s.advance;
          limit.onSample(s);
          expect(Number.isInteger(limit.limit)).toBe(true);
          expect(limit.limit).toBeGreaterThanOrEqual(min);
          expect(limit.limit).toBeLessThanOrEqual(max);
        }
      }),
    );
  });

  it('ends a burst of refusals from one full window at what the origin held, whatever their order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 500 }).chain((window) =>
          fc.tuple(fc.constant(window), fc.integer({ min: 1, max: window - 1 }), fc.integer({ min: 0, max: 1000 })),
        ),
        ([window, held, seed]) => {
          const limit = createAimdLimit({ initial: window, now: () => 0 });
          // Each refusal leaves, so the next one arrives with one fewer outstanding; which
          // request it is does not matter, only how many were still out.
          const outstandings = Array.from({ length: window - held }, (_, i) => window - i);
          for (let i = 0; i < outstandings.length; i++) {
            const outstanding = outstandings[i]!;
            limit.onSample({ inFlight: 1 + ((seed + i) % window), outstanding, rttMs: 1, dropped: true, waiting: LONG_BACKLOG });
          }
          expect(limit.limit).toBe(held);
        },
      ),
    );
  });
});
