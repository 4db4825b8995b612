// Tests for the adaptive pacer: its pure pieces (replay, fit, pace choice, header sync) and its
// modes, each driven by hand-made event sequences on explicit time.

import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { fitBucketRate, replayBurstBounds, type Outcome, type RateRange } from '../../src/pacing/bucket-fit.js';
import { syncTokens } from '../../src/pacing/header-pacing.js';
import { paceAfterThrottle, sharedRate } from '../../src/pacing/pace-after-throttle.js';
import { withJitter } from '../../src/pacing/pace-rate.js';
import { pacerDefaults } from '../../src/pacing/pacer-options.js';
import { paceWaitsForShare } from '../../src/pacing/pacer.js';
import { rampRate } from '../../src/pacing/slow-start.js';
import { createPacerDriver, type PacerDriver } from '../helpers/pacer-driver.js';
import type { RateLimitObservation } from '../../src/ratelimit/types.js';

/** Outcomes of attempts sent at `times` to an exact token bucket (rate/s, burst), starting full. */
function serve(times: readonly number[], rate: number, burst: number): Outcome[] {
  let tokens = burst;
  let last = times[0] ?? 0;
  return times.map((at) => {
    tokens = Math.min(burst, tokens + (rate * (at - last)) / 1000);
    last = at;
    const ok = tokens >= 1;
    if (ok) tokens -= 1;
    return { at, ok };
  });
}

/** Evenly spaced send times: `count` at `rate`/s from `from` ms. */
function paced(from: number, rate: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + (i * 1000) / rate);
}

/**
 * A backlogged client: from `from` to `to` ms it releases whatever the controller allows (at most
 * `window` in flight, none while paused) and answers each attempt `rttMs` later with `answer`.
 */
function drive(
  c: PacerDriver,
  from: number,
  to: number,
  answer: (sentAt: number, now: number) => { throttled: boolean; rateLimit?: RateLimitObservation; pausedUntil?: number },
  { rttMs = 2, window = 20 } = {},
): number {
  let now = from;
  let sent = 0;
  let pausedUntil = -Infinity;
  const pending: number[] = [];
  while (now <= to) {
    while (pending.length > 0 && pending[0]! + rttMs <= now) {
      const sentAt = pending.shift()!;
      const info = answer(sentAt, sentAt + rttMs);
      if (info.pausedUntil !== undefined) pausedUntil = Math.max(pausedUntil, info.pausedUntil);
      const hold = c.onResponse(sentAt + rttMs, { sentAt, ...info });
      if (hold !== undefined) pausedUntil = Math.max(pausedUntil, hold);
    }
    const wait = pending.length >= window ? Infinity : Math.max(pausedUntil - now, c.delayUntilToken(now));
    if (wait <= 0) {
      c.onSend(now);
      pending.push(now);
      sent++;
    } else {
      now = Math.min(now + wait, pending.length > 0 ? pending[0]! + rttMs : Infinity, to + 1);
    }
  }
  return sent;
}

/**
 * Light demand: from `from` to `to` ms, one release at most every `everyMs` (when the controller
 * and the pause allow), each answered `rttMs` later with `answer`.
 */
function offer(
  c: PacerDriver,
  from: number,
  to: number,
  everyMs: number,
  answer: (sentAt: number, now: number) => { throttled: boolean; pausedUntil?: number },
  { rttMs = 2 } = {},
): void {
  let pausedUntil = -Infinity;
  let next = from;
  const pending: number[] = [];
  for (let now = from; now <= to; now += 0.5) {
    while (pending.length > 0 && pending[0]! + rttMs <= now) {
      const sentAt = pending.shift()!;
      const info = answer(sentAt, sentAt + rttMs);
      if (info.pausedUntil !== undefined) pausedUntil = Math.max(pausedUntil, info.pausedUntil);
      c.onResponse(sentAt + rttMs, { sentAt, ...info });
    }
    if (now >= next && now >= pausedUntil && c.delayUntilToken(now) <= 0) {
      c.onSend(now);
      pending.push(now);
      next = now + everyMs;
    }
  }
}

describe('pure pieces', () => {
  it('ramps by doubling every doubling period', () => {
    expect(rampRate(20, 50, 0)).toBe(20);
    expect(rampRate(20, 50, 100)).toBe(80);
    expect(rampRate(20, 50, -10)).toBe(20);
  });

  it('spaces releases by the jitter on top of 1/rate', () => {
    expect(withJitter(100, 0)).toBe(100);
    expect(withJitter(100, 10)).toBeCloseTo(50);
  });

  describe('syncTokens', () => {
    const server = { remaining: 8, uncounted: 2, reserve: 1, accrualMax: 0.5 };

    it('raises the bucket to what the server surely has left for us, one token in reserve', () => {
      expect(syncTokens(0, server)).toBe(5);
    });

    it('leaves the bucket alone inside the band that stale answers cannot tell apart', () => {
      expect(syncTokens(5, server)).toBeUndefined();
      expect(syncTokens(8.5, server)).toBeUndefined();
    });

    it('lowers the bucket when it is ahead of anything the server can have', () => {
      expect(syncTokens(9, server)).toBe(5);
    });

    it('only lowers when told not to raise (spreading a quota)', () => {
      expect(syncTokens(0, { ...server, raise: false })).toBeUndefined();
    });
  });

  describe('replayBurstBounds', () => {
    it('brackets the burst of an exact bucket at its true rate', () => {
      const outcomes = serve(paced(0, 100, 60), 40, 6);
      const { low, high } = replayBurstBounds(outcomes, 40);
      expect(low).toBeLessThanOrEqual(6);
      expect(high).toBeGreaterThan(6);
    });

    it('finds no burst that explains the outcomes at a wrong rate', () => {
      const outcomes = serve([...paced(0, 100, 60), ...paced(2000, 60, 120)], 40, 6);
      const { low, high } = replayBurstBounds(outcomes, 80);
      expect(high).toBeLessThanOrEqual(low);
    });

    it('gives an outcome whose round trip was stretched the benefit of its own doubt', () => {
      const bunched: Outcome[] = [
        { at: 0, ok: true },
        { at: 0.1, ok: true },
        { at: 0.2, ok: true },
      ];
      expect(replayBurstBounds(bunched, 1).low).toBeCloseTo(3);
      // The third answer took a second longer than the others: it may have been decided then.
      expect(replayBurstBounds([...bunched.slice(0, 2), { at: 0.2, ok: true, slack: 1000 }], 1).low).toBeCloseTo(2);
    });

    it('judges a refusal as if the successes before it were decided as late as their round trips allow', () => {
      // At 2/s the second success, placed at 100 ms, leaves no debt by the refusal at 1 s: a
      // burst of 1 would have served it. Its round trip says it may have been decided as late as
      // 900 ms, and then 0.8 tokens were still owed.
      const outcomes = (slack: number): Outcome[] => [
        { at: 0, ok: true },
        { at: 100, ok: true, slack },
        { at: 1000, ok: false },
      ];
      expect(replayBurstBounds(outcomes(0), 2).high).toBeCloseTo(1);
      expect(replayBurstBounds(outcomes(800), 2).high).toBeCloseTo(1.8);
    });

    it('forgives a refusal that a success decided just after it may have overtaken', () => {
      const outcomes: Outcome[] = [
        { at: 0, ok: true },
        { at: 0.5, ok: false },
        { at: 0.8, ok: true },
      ];
      expect(replayBurstBounds(outcomes, 1, 0).high).toBeCloseTo(2);
      expect(replayBurstBounds(outcomes, 1, 0.5).high).toBeCloseTo(3);
    });
  });

  describe('fitBucketRate', () => {
    const limits = { minRate: 0.05, maxRate: 1e5, toleranceMs: 0.1 };

    it('says nothing before a refusal: without one there is no upper bound', () => {
      expect(fitBucketRate(serve(paced(0, 10, 20), 100, 5), limits)).toBeUndefined();
    });

    it('pins R once two paced episodes at different rates each drained the bucket', () => {
      const times = [...paced(0, 120, 120), ...paced(3000, 70, 300)];
      const fit = fitBucketRate(serve(times, 50, 8), limits)!;
      expect(fit.consistent).toBe(true);
      const top = fit.ranges.at(-1)!;
      expect(top.low).toBeLessThanOrEqual(50);
      expect(top.high).toBeGreaterThanOrEqual(50);
      expect(top.high / top.low).toBeLessThan(1.1);
    });

    it('reports the least inconsistent rate when nothing explains the outcomes', () => {
      const outcomes: Outcome[] = [
        { at: 0, ok: false },
        { at: 1000, ok: true },
        { at: 1000.001, ok: true },
        { at: 1000.002, ok: true },
        { at: 1000.003, ok: false },
        { at: 5000, ok: false },
      ];
      const fit = fitBucketRate(outcomes, limits)!;
      expect(fit.consistent).toBe(false);
      expect(fit.ranges).toHaveLength(1);
    });
  });

  describe('paceAfterThrottle', () => {
    const options = { ...pacerDefaults };
    const range = (low: number, high: number, best = Math.sqrt(low * high)): RateRange => ({ low, high, best, margin: 1 });

    it('holds just under the estimate once the fit pins the rate', () => {
      const d = paceAfterThrottle({ ranges: [range(99, 101, 100)], consistent: true }, { throttledRate: 103, paced: true, options });
      expect(d.held).toBe(true);
      expect(d.base).toBeCloseTo(99);
    });

    it('holds at the low end of a pinned range after a throttle while held', () => {
      const d = paceAfterThrottle({ ranges: [range(97, 101, 100)], consistent: true }, { throttledRate: 100, paced: true, heldTooHigh: true, options });
      expect(d.held).toBe(true);
      expect(d.base).toBeCloseTo(0.99 * 97);
    });

    it('never paces above a rate that was just throttled', () => {
      const d = paceAfterThrottle({ ranges: [range(80, 400)], consistent: true }, { throttledRate: 120, paced: true, options });
      expect(d.base).toBeLessThan(120);
      expect(d.cap).toBeLessThan(120);
    });

    it('tests the log-middle of the range after the slow start, creeping across the rest', () => {
      const d = paceAfterThrottle({ ranges: [range(0.05, 400)], consistent: true }, { throttledRate: 390, paced: false, options });
      expect(d.held).toBe(false);
      // The range ends at the throttled rate (390): its log-middle from a sixteenth up.
      expect(d.base).toBeCloseTo(97.5);
      expect(d.cap).toBeCloseTo(390);
      expect(d.base * (1 + d.creep) ** options.creepSpanS).toBeCloseTo(390);
    });

    it('after a paced episode that left a narrow range, paces just under its log-middle without creeping', () => {
      const d = paceAfterThrottle({ ranges: [range(96, 104)], consistent: true }, { throttledRate: 140, paced: true, options });
      expect(d.held).toBe(false);
      expect(d.base).toBeCloseTo(0.99 * 0.99 * Math.sqrt(96 * 104));
      expect(d.cap).toBe(d.base);
      expect(d.creep).toBe(0);
    });

    it('paces at the new upper bound when a paced episode moved it well down', () => {
      const d = paceAfterThrottle({ ranges: [range(60, 110)], consistent: true }, { throttledRate: 200, paced: true, options });
      expect(d.base).toBeCloseTo(110);
    });

    it('bets on the fastest range that remains', () => {
      const d = paceAfterThrottle(
        { ranges: [range(12, 14), range(85, 110)], consistent: true },
        { throttledRate: 400, paced: true, options },
      );
      expect(d.range.low).toBe(85);
    });

    it('never more than halves a paced rate in one episode, whatever the fit says', () => {
      const d = paceAfterThrottle({ ranges: [range(1.9, 2)], consistent: true }, { throttledRate: 200, paced: true, options });
      expect(d.base).toBeGreaterThanOrEqual(100);
      expect(d.held).toBe(false);
    });

    it('after a paced episode that hardly narrowed the range, tests its log-middle but never below half the paced rate', () => {
      const d = paceAfterThrottle({ ranges: [range(0.1, 65)], consistent: true }, { throttledRate: 47, paced: true, options });
      expect(d.base).toBeCloseTo(23.5);
      expect(d.cap).toBeCloseTo(0.99 * 47);
    });

    it('after a throttle that light demand ran into, paces at what it sent, within the range, without creeping', () => {
      const d = paceAfterThrottle({ ranges: [range(0.05, 110)], consistent: true }, { throttledRate: 1500, paced: false, demandRate: 50, options });
      expect(d.base).toBeCloseTo(50);
      expect(d.cap).toBeCloseTo(50);
      expect(d.creep).toBe(0);
      const above = paceAfterThrottle({ ranges: [range(0.05, 110)], consistent: true }, { throttledRate: 1500, paced: false, demandRate: 176, options });
      expect(above.base).toBeCloseTo(110);
    });

    it('paces a paced episode no bucket explains as shared: cut to 0.8 × the rate refused at, then the same increase whatever the rate', () => {
      const d = paceAfterThrottle({ ranges: [range(90, 90)], consistent: false }, { throttledRate: 60, paced: true, peakRate: 100, options });
      expect(d.base).toBeCloseTo(48);
      expect(d.cap).toBe(Infinity);
      expect(d.sharedScale).toBe(100);
      // Two clients squeezed differently grow by the same amount (AIMD: what makes shares converge).
      const grown = (base: number, s: number) => sharedRate(base, 100, options.creepPerSecond, s) - base;
      expect(grown(10, 2)).toBeCloseTo(grown(80, 2));
      expect(grown(10, 2)).toBeCloseTo(4);
      // Slow while a throttle is recent, faster the longer none comes.
      expect(grown(10, 7)).toBeGreaterThan(100);
      // A fit that is consistent again does not end it once sharing was seen.
      const again = paceAfterThrottle({ ranges: [range(99, 101, 100)], consistent: true }, { throttledRate: 60, paced: true, peakRate: 100, shared: true, options });
      expect(again.held).toBe(false);
      expect(again.sharedScale).toBe(100);
    });

    it('does not hold on a fit that explains nothing', () => {
      const d = paceAfterThrottle({ ranges: [range(90, 90)], consistent: false }, { throttledRate: 100, paced: true, options });
      expect(d.held).toBe(false);
      expect(d.base).toBeLessThan(100);
    });
  });
});

describe('PacerDriver', () => {
  it('starts careful: unknown state, the slow start rate and a single token', () => {
    const c = createPacerDriver({}, 0);
    expect(c.state).toBe('unknown');
    expect(c.rate).toBe(20);
    expect(c.delayUntilToken(0)).toBe(0);
    c.onSend(0);
    expect(c.state).toBe('slow-start');
    expect(c.delayUntilToken(0)).toBeGreaterThan(0);
  });

  it('doubles its rate every 50 ms during the slow start', () => {
    const c = createPacerDriver({}, 0);
    c.onSend(0);
    c.delayUntilToken(100);
    expect(c.rate).toBeCloseTo(80);
  });

  it('stops pacing a healthy origin once the ramp passes its ceiling without a throttle', () => {
    const c = createPacerDriver({}, 0);
    const sent = drive(c, 0, 600, () => ({ throttled: false }));
    expect(c.state).toBe('unbounded');
    expect(c.rate).toBe(Infinity);
    expect(c.delayUntilToken(600)).toBe(0);
    expect(sent).toBeGreaterThan(500);
  });

  it('starts over from the slow start after an idle spell', () => {
    const c = createPacerDriver({ idleResetMs: 10_000 }, 0);
    drive(c, 0, 600, () => ({ throttled: false }));
    expect(c.state).toBe('unbounded');
    c.delayUntilToken(20_000);
    expect(c.state).toBe('unknown');
    expect(c.rate).toBe(20);
  });

  describe('IETF policy headers', () => {
    const obs = (remaining: number): RateLimitObservation => ({ dialect: 'ietf', limit: 100, windowMs: 1000, remaining, resetMs: 1000 });

    it('paces at q / w from the first response and grants what remains, one in reserve', () => {
      // The attempt answered is the only one sent, so no other is uncounted.
      const c = createPacerDriver({}, 0);
      c.onSend(0);
      c.onResponse(3, { throttled: false, sentAt: 0, rateLimit: obs(9) });
      expect(c.state).toBe('header');
      expect(c.rate).toBe(100);
      expect(c.bucket.tokens(3)).toBe(8);
    });

    it('does not trust an answer that attempts still in flight may have overtaken', () => {
      const c = createPacerDriver({}, 0);
      c.onSend(0);
      c.onResponse(3, { throttled: false, sentAt: 0, rateLimit: obs(9) });
      for (let i = 0; i < 8; i++) c.onSend(3);
      // The one served first answers last but one: 8 left then, 7 of ours not yet counted.
      c.onResponse(5, { throttled: false, sentAt: 3, rateLimit: obs(8) });
      expect(c.bucket.tokens(5)).toBeLessThan(1);
    });

    it('forgets attempts that ended without a response', () => {
      const c = createPacerDriver({}, 0);
      c.onSend(0);
      c.onResponse(3, { throttled: false, sentAt: 0, rateLimit: obs(9) });
      for (let i = 0; i < 8; i++) c.onSend(3);
      for (let i = 0; i < 8; i++) c.onNoResponse(4);
      c.onSend(100);
      c.onResponse(103, { throttled: false, sentAt: 100, rateLimit: obs(9) });
      expect(c.bucket.tokens(103)).toBe(8);
    });

    it('spaces releases by the network jitter when the burst is a single token', () => {
      const c = createPacerDriver({}, 0);
      let t = 0;
      for (const rtt of [1, 5, 1, 5, 1, 5]) {
        c.onSend(t);
        c.onResponse(t + rtt, { throttled: false, sentAt: t, rateLimit: obs(0) });
        t += 20;
      }
      expect(c.rate).toBeLessThan(100);
      expect(c.rate).toBeGreaterThan(50);
    });
  });

  describe('X-RateLimit headers without a window', () => {
    /** A token bucket server answering with X-RateLimit-Remaining. */
    function bucketServer(rate: number, burst: number) {
      let tokens = burst;
      let last = 0;
      return (sentAt: number, now: number) => {
        const at = (sentAt + now) / 2;
        tokens = Math.min(burst, tokens + (rate * (at - last)) / 1000);
        last = at;
        const ok = tokens >= 1;
        if (ok) tokens -= 1;
        const rateLimit: RateLimitObservation = {
          dialect: 'x-ratelimit',
          limit: burst,
          remaining: Math.floor(tokens),
          resetMs: ((burst - tokens) / rate) * 1000,
        };
        return { throttled: !ok, rateLimit };
      };
    }

    it('learns the refill rate from how remaining changes, without a single 429', () => {
      const c = createPacerDriver({}, 0);
      const server = bucketServer(100, 10);
      let refused = 0;
      drive(c, 0, 3000, (sentAt, now) => {
        const answer = server(sentAt, now);
        if (answer.throttled) refused++;
        return answer;
      });
      expect(refused).toBe(0);
      expect(c.state).toBe('header');
      expect(c.rate).toBeGreaterThan(90);
      expect(c.rate).toBeLessThan(105);
    });

    it('ramps past its first rate against a burst of 3, whose full remaining never shows a spare token', () => {
      // remaining reads 2 when full: with one token in reserve that is already "drained", so a ramp
      // that waited for spare tokens stayed at its first 20/s against 50/s.
      const c = createPacerDriver({}, 0);
      const server = bucketServer(50, 3);
      drive(c, 0, 5000, server);
      expect(c.rate).toBeGreaterThan(30);
      expect(c.rate).toBeLessThanOrEqual(52);
    });

    it('sends a quota far from binding at once, without pacing it', () => {
      const c = createPacerDriver({}, 0);
      let remaining = 4000;
      let t = 0;
      for (; t < 10_000; t += 10) {
        c.onSend(t);
        remaining--;
        c.onResponse(t + 2, { throttled: false, sentAt: t, rateLimit: { dialect: 'x-ratelimit', limit: 5000, remaining, resetMs: 1_800_000 - t } });
      }
      // 1000 sends over 10 s and no refill, where a bucket full at the reset would have refilled
      // 11: a quota, whose remaining tokens are there to spend.
      expect(c.state).toBe('fixed-window');
      expect(c.bucket.tokens(t)).toBeGreaterThan(2900);
      expect(c.delayUntilToken(t)).toBe(0);
    });

    /** A fixed quota (no refill) of `limit` until `resetAt` ms, spent by `spend` sends every 10 ms; the last hold. */
    function spendQuota(c: PacerDriver, limit: number, resetAt: number, spend: number): { t: number; hold: number | undefined } {
      let remaining = limit;
      let t = 0;
      let hold: number | undefined;
      for (let i = 0; i < spend; i++, t += 10) {
        c.onSend(t);
        remaining--;
        const rateLimit: RateLimitObservation = { dialect: 'x-ratelimit', limit, remaining, resetMs: resetAt - (t + 2) };
        hold = c.onResponse(t + 2, { throttled: false, sentAt: t, rateLimit });
      }
      return { t, hold };
    }

    it('holds a spent quota until its reset, then grants the whole limit again (never a rate of 0)', () => {
      // 300 sends over 3 s show no refill, so this is a quota; the last leaves 0 with 7 s to go.
      const c = createPacerDriver({}, 0);
      const { t, hold } = spendQuota(c, 300, 10_000, 300);
      expect(c.state).toBe('fixed-window');
      // The reset is in whole seconds, so the window may end up to a second before it names:
      // held (as the key's pause) until that earliest edge, then a single probe.
      expect(hold).toBeGreaterThanOrEqual(10_000 - 1000);
      expect(hold).toBeLessThan(10_000);
      expect(c.delayUntilToken(t)).toBe(0); // the pause, not the pace, holds the key
      expect(Math.floor(c.bucket.tokens(hold!))).toBe(1);
      // Each probe is refused (the window had not ended) and raises the least length, halving the
      // doubt; once it is known within 5 %, held until the reset, plus a few ms, with the whole limit.
      let until = hold!;
      let probes = 0;
      while (Math.floor(c.bucket.tokens(until)) === 1 && probes < 10) {
        probes++;
        c.onSend(until);
        until = c.onResponse(until + 2, {
          throttled: true,
          sentAt: until,
          rateLimit: { dialect: 'x-ratelimit', limit: 300, remaining: 0, resetMs: 10_000 - (until + 2) },
        })!;
      }
      expect(probes).toBeLessThanOrEqual(4);
      const again = until;
      expect(again).toBeGreaterThanOrEqual(10_000);
      expect(again).toBeLessThanOrEqual(10_000 + 50);
      expect(c.bucket.tokens(again!)).toBe(300);
    });

    /**
     * express-rate-limit's fixed window: `limit` per `windowMs` from the first request after the
     * last window ended, the reset in whole seconds; 429s carry the same headers and a pause to the
     * reset (`pauses`: false to leave the refused attempts unpaused). `policy`: the window is stated (IETF draft-6's RateLimit-Policy: limit;w=…).
     */
    function windowServer(limit: number, windowMs: number, policy: boolean, pauses = true) {
      let windowStart = -Infinity;
      let count = 0;
      const counts = { refused: 0, opened: [] as number[] };
      const answer = (sentAt: number, now: number) => {
        const at = sentAt + 1;
        if (at >= windowStart + windowMs) {
          windowStart = at;
          count = 0;
          counts.opened.push(at);
        }
        count++;
        const ok = count <= limit;
        if (!ok) counts.refused++;
        const resetMs = Math.ceil((windowStart + windowMs - now) / 1000) * 1000;
        const rateLimit: RateLimitObservation = { dialect: policy ? 'ietf-legacy' : 'x-ratelimit', limit, remaining: Math.max(0, limit - count), resetMs, ...(policy ? { windowMs } : {}) };
        return ok || !pauses ? { throttled: !ok, rateLimit } : { throttled: true, rateLimit, pausedUntil: now + resetMs };
      };
      return { answer, counts };
    }

    it('tells a fixed window from a bucket in its first window, then learns the window within a few refused probes', () => {
      // express-rate-limit: 100 per 1 s window from the first request; reset in whole seconds.
      const c = createPacerDriver({}, 0);
      const server = windowServer(100, 1000, false, false);
      drive(c, 0, 5000, server.answer);
      expect(c.state).toBe('fixed-window');
      // A reset in whole seconds cannot tell a 1 s window from a shorter one: single requests probe
      // below the bound (bisection), each refusal once, and then no more.
      expect(server.counts.refused).toBeGreaterThan(0);
      expect(server.counts.refused).toBeLessThanOrEqual(6);
      // Each later window opens within a few ms of the last one's end: the quota goes at the edge.
      const windows = server.counts.opened;
      const gaps = windows.slice(2).map((at, i) => at - windows[i + 1]!);
      for (const gap of gaps) expect(gap).toBeLessThan(1000 + 15);
    });

    // Small windows, each weighed on its own and adding up across windows:
    // - 10 per second, stated (draft-6): paced at the stated 10/s, a window shows only 2–3 tokens
    //   missing before its first refusal (a 10/s bucket would have refilled them), and that
    //   refusal's second-long pause ends the look; consecutive windows add up.
    // - @fastify/rate-limit, 20 per 2 s, X-RateLimit-* with the reset in seconds to go: every window
    //   opens at the same remaining (19), a refill of everything spent, so what was spent across
    //   windows must not be weighed against it as one span.
    for (const { limit, windowMs, policy, until, refused } of [
      { limit: 10, windowMs: 1000, policy: true, until: 8000, refused: 3 },
      { limit: 20, windowMs: 2000, policy: false, until: 10_000, refused: 4 },
    ]) {
      it(`tells a small window (${limit} per ${windowMs} ms${policy ? ', stated' : ''}) from a bucket within a few windows`, () => {
        const c = createPacerDriver({}, 0);
        const server = windowServer(limit, windowMs, policy);
        drive(c, 0, until, server.answer);
        expect(c.state).toBe('fixed-window');
        expect(server.counts.refused).toBeLessThanOrEqual(refused);
      });
    }

    it('does not take a bucket with a stated policy for a fixed window when a stalled server decides a stretch at once', () => {
      // A 250/s bucket of 25 stating 250;w=1. Every 200 ms the server stalls for 60 ms, and what
      // arrived meanwhile is decided (and answered) at the stall's end: sent over 60 ms, refilled
      // over none. A span measured between sends "proved" no refill (measured: the verdict then
      // sent the policy's 250 at once every second and failed a thousand requests).
      const c = createPacerDriver({}, 0);
      let tokens = 25;
      let last = 0;
      let pausedUntil = 0;
      const pending: { sentAt: number; answerAt: number; throttled: boolean; rateLimit: RateLimitObservation }[] = [];
      for (let now = 0; now <= 3000; now += 0.5) {
        while (pending.length > 0 && pending[0]!.answerAt <= now) {
          const { answerAt, ...info } = pending.shift()!;
          const hold = c.onResponse(answerAt, info);
          if (hold !== undefined) pausedUntil = Math.max(pausedUntil, hold);
        }
        while (pending.length < 64 && now >= pausedUntil && c.delayUntilToken(now) <= 0) {
          c.onSend(now);
          const arrived = now + 0.5;
          const phase = arrived % 200;
          const at = phase < 60 ? arrived - phase + 60 : arrived;
          tokens = Math.min(25, tokens + (250 * (at - last)) / 1000);
          last = at;
          const throttled = tokens < 1;
          if (!throttled) tokens -= 1;
          else pausedUntil = Math.max(pausedUntil, at + 1000);
          pending.push({ sentAt: now, answerAt: at + 0.5, throttled, rateLimit: { dialect: 'ietf-legacy', limit: 250, windowMs: 1000, remaining: Math.floor(tokens), resetMs: 1000 } });
        }
      }
      expect(c.state).toBe('header');
    });

    it('does not cap the ramp at (limit − remaining) / reset when the reset is a single whole second', () => {
      // A 50/s, B = 5 server sending delta seconds says "Reset: 1" whenever it is not full: 5/s
      // read from that is a lower bound on R (the true time to full is 0.1 s), not a cap.
      const c = createPacerDriver({}, 0);
      let tokens = 5;
      let last = 0;
      drive(c, 0, 3000, (sentAt, now) => {
        const at = (sentAt + now) / 2;
        tokens = Math.min(5, tokens + (50 * (at - last)) / 1000);
        last = at;
        const ok = tokens >= 1;
        if (ok) tokens -= 1;
        const resetMs = Math.ceil((((5 - tokens) / 50) * 1000) / 1000) * 1000;
        return { throttled: !ok, rateLimit: { dialect: 'x-ratelimit', limit: 5, remaining: Math.floor(tokens), resetMs } };
      });
      expect(c.rate).toBeGreaterThan(40);
      expect(c.rate).toBeLessThanOrEqual(52);
    });
  });

  describe('Retry-After only', () => {
    /** A 100/s, B = 10 token bucket that answers 429 with a one-second pause. */
    function retryAfterServer() {
      let tokens = 10;
      let last = 0;
      return (sentAt: number, now: number) => {
        const at = sentAt + 1;
        tokens = Math.min(10, tokens + ((at - last) * 100) / 1000);
        last = at;
        const ok = tokens >= 1;
        if (ok) tokens -= 1;
        return ok ? { throttled: false } : { throttled: true, pausedUntil: now + 1000 };
      };
    }

    it('after the first throttle, paces below the slow-start rate that was throttled', () => {
      const c = createPacerDriver({}, 0);
      drive(c, 0, 900, retryAfterServer());
      expect(c.state).toBe('estimated');
      const estimate = c.estimate!;
      expect(estimate.high).toBeGreaterThanOrEqual(100);
      expect(c.rate).toBeLessThan(estimate.high);
    });

    it('pins the rate within a few pauses and holds just under it', () => {
      const c = createPacerDriver({}, 0);
      drive(c, 0, 20_000, retryAfterServer());
      expect(c.state).toBe('held');
      expect(c.rate).toBeGreaterThan(95);
      expect(c.rate).toBeLessThanOrEqual(100);
    });

    it('fits a throttle once what was released before it has answered, or once the pause ends', () => {
      const c = createPacerDriver({}, 0);
      for (const t of [0, 10, 20, 30]) c.onSend(t);
      c.onResponse(3, { throttled: false, sentAt: 0 });
      // The attempt released at 20 is refused first; those released at 10 and 30 are still out.
      c.onResponse(22, { throttled: true, sentAt: 20, pausedUntil: 1022 });
      expect(c.estimate).toBeUndefined();
      c.onResponse(25, { throttled: false, sentAt: 10 });
      expect(c.estimate).toBeUndefined();
      c.onResponse(32, { throttled: false, sentAt: 30 });
      expect(c.estimate).toBeDefined();

      const d = createPacerDriver({}, 0);
      for (const t of [0, 10, 20]) d.onSend(t);
      d.onResponse(3, { throttled: false, sentAt: 0 });
      // The attempt released at 10 never answers (a lost answer must not hold the fit back).
      d.onResponse(22, { throttled: true, sentAt: 20, pausedUntil: 1022 });
      expect(d.estimate).toBeUndefined();
      d.delayUntilToken(1022);
      expect(d.estimate).toBeDefined();
    });

    it('creeps only while the pace binds: time when demand limited sending does not count', () => {
      const light = createPacerDriver({}, 0);
      const backlogged = createPacerDriver({}, 0);
      for (const c of [light, backlogged]) drive(c, 0, 900, retryAfterServer());
      // Both are paused until about 1.3 s; then one is backlogged, the other sends 10/s.
      const before = light.rate;
      offer(light, 900, 5000, 100, () => ({ throttled: false }));
      drive(backlogged, 900, 5000, () => ({ throttled: false }));
      // The first few sends after the pause still look paced (their lookback spans the pause).
      expect(light.rate).toBeLessThan(1.01 * before);
      expect(backlogged.rate).toBeGreaterThan(1.2 * before);
    });

    it('judges a slow start whose sends wait for tokens shared with other processes as binding', () => {
      // 50/s sent against a ramp that doubles every 50 ms, refused at the 30th: alone, that is
      // light demand (pace at what was sent, capped); held back by a fleet's lease, it is the pace.
      const run = (sharing: boolean) => {
        const c = createPacerDriver({}, 0);
        let n = 0;
        offer(c, 0, 700, 20, (_, now) => {
          if (sharing) paceWaitsForShare(c.pace, now);
          return ++n === 30 ? { throttled: true, pausedUntil: now + 1000 } : { throttled: false };
        });
        drive(c, 700, 1800, () => ({ throttled: false }));
        return c.stateData.throttle.estimated!;
      };
      expect(run(false)).toMatchObject({ soft: true, creep: 0 });
      const shared = run(true);
      expect(shared.soft).toBe(false);
      expect(shared.creep).toBeGreaterThan(0);
    });

    it('reopens a cap set by a throttle that light demand ran into, once the pace binds at it for a second without a throttle', () => {
      const c = createPacerDriver({}, 0);
      let n = 0;
      // 100/s of demand against a server without a limit, but for one refusal (the 150th).
      offer(c, 0, 2000, 10, (_, now) => (++n === 150 ? { throttled: true, pausedUntil: now + 1000 } : { throttled: false }));
      expect(c.state).toBe('estimated');
      const capped = c.rate;
      expect(capped).toBeLessThanOrEqual(c.estimate!.high);
      // Demand grows: backlogged from here, and never refused again.
      drive(c, 2000, 3400, () => ({ throttled: false }));
      expect(c.rate).toBeCloseTo(capped, 5);
      drive(c, 3400, 6000, () => ({ throttled: false }));
      expect(c.rate).toBeGreaterThan(2 * capped);
    });

    it('probes a held rate only after it has bound for probeAfterMs without a throttle, growing past twice itself when never refused', () => {
      const held = (): PacerDriver => {
        const c = createPacerDriver({ probeAfterMs: 10_000 }, 0);
        drive(c, 0, 8000, retryAfterServer());
        expect(c.state).toBe('held');
        return c;
      };
      // Light demand for 20 s: the hold never bound sending, so it never probes.
      const light = held();
      const rate = light.rate;
      offer(light, 8000, 28_000, 50, () => ({ throttled: false }));
      expect(light.state).toBe('held');
      expect(light.rate).toBe(rate);

      // Backlogged, never refused: 10 s of hold, then growth that speeds up the longer no throttle
      // comes (a share others left may be all there is), up to twice the held rate, then reopened.
      const probing = held();
      drive(probing, 8000, 28_000, () => ({ throttled: false }));
      expect(probing.state).not.toBe('held');
      expect(probing.rate).toBeGreaterThan(2 * rate);
    });

    it('against an unchanged server, a probe of a held rate costs about one throttle per probeAfterMs', () => {
      const c = createPacerDriver({ probeAfterMs: 10_000 }, 0);
      drive(c, 0, 20_000, retryAfterServer());
      let refused = 0;
      const server = retryAfterServer();
      drive(c, 20_000, 80_000, (sentAt, now) => {
        const answer = server(sentAt, now);
        if (answer.throttled) refused++;
        return answer;
      });
      // Six probes in 60 s, each ended by one throttle (one refit needed a second).
      expect(refused).toBeGreaterThan(0);
      expect(refused).toBeLessThanOrEqual(8);
    });

    it('learns no rate from refusals while the client sends one request at a time, and learns from one among others', () => {
      const c = createPacerDriver({}, 0);
      c.onSend(0);
      c.onResponse(2, { throttled: false, sentAt: 0 });
      const before = c.rate;
      c.onSend(60);
      c.onResponse(62, { throttled: true, sentAt: 60, pausedUntil: 1062, alone: true });
      expect(c.state).toBe('slow-start');
      expect(c.estimate).toBeUndefined();
      expect(c.rate).toBeGreaterThanOrEqual(before);
      // Two at once after the pause: the next refusal, alone or not, is about rate.
      c.onSend(1100);
      c.onSend(1100);
      c.onResponse(1102, { throttled: false, sentAt: 1100 });
      c.onResponse(1103, { throttled: true, sentAt: 1100, pausedUntil: 2103, alone: true });
      expect(c.state).not.toBe('slow-start');
    });

    it('is deterministic: the same events give the same rates', () => {
      const run = (): number[] => {
        const c = createPacerDriver({}, 0);
        const rates: number[] = [];
        let n = 0;
        drive(c, 0, 3000, (_, now) => {
          rates.push(c.rate);
          return ++n % 40 === 0 ? { throttled: true, pausedUntil: now + 1000 } : { throttled: false };
        });
        return rates;
      };
      expect(run()).toEqual(run());
    });
  });

  it('rejects invalid options with InvalidOptionError naming the option', () => {
    expect(() => createPacerDriver({ initialRate: 0 })).toThrow(InvalidOptionError);
    expect(() => createPacerDriver({ unboundedAbove: 10 })).toThrow(/`unboundedAbove`/);
    expect(() => createPacerDriver({ creepPerSecond: 1 })).toThrow(/`creepPerSecond`/);
    expect(() => createPacerDriver({ holdFactor: 1.5 })).toThrow(/`holdFactor`/);
    expect(() => createPacerDriver({ historySize: 3 })).toThrow(/`historySize`/);
    expect(() => createPacerDriver({ tightWithin: 0 })).toThrow(/`tightWithin`/);
    expect(() => createPacerDriver({ initialTokens: 0 })).toThrow(/`initialTokens`/);
    expect(() => createPacerDriver({ minRate: Number.NaN })).toThrow(/`minRate`/);
  });
});
