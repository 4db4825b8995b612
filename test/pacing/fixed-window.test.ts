// Tests for fixed-window pacing on explicit time: what a window has left is counted from the
// answers (in whatever order they come), and a hold's tokens survive late answers.

import { describe, expect, it } from 'vitest';
import type { RateLimitObservation } from '../../src/ratelimit/types.js';
import { createPacerDriver, type PacerDriver } from '../helpers/pacer-driver.js';

const LIMIT = 100;

/** A key already pacing a 100-per-second fixed window opened at `at`, its quota granted. */
function windowed(at: number): PacerDriver {
  const c = createPacerDriver({}, at);
  const s = c.stateData;
  s.mode = 'fixed-window';
  s.header.maxRemaining = LIMIT - 1;
  s.fixed.limit = LIMIT;
  s.fixed.windowLow = s.fixed.windowHigh = 1000;
  s.fixed.opener = { sentAt: at, at: at + 5 };
  s.bucket.level = LIMIT;
  s.bucket.depth = s.bucket.maxDepth = LIMIT;
  return c;
}

const observed = (remaining: number, resetMs: number): RateLimitObservation => ({ dialect: 'ietf-legacy', limit: LIMIT, remaining, resetMs, windowMs: 1000 });

describe('fixed-window pacing', () => {
  it('spends what the window has left once the answers are in, however many were in flight', () => {
    const c = windowed(0);
    for (let i = 0; i < 80; i++) c.onSend(0);
    let hold: number | undefined;
    // Answered in order: 99 … 20 left. Each answer alone cannot say whether the others in flight
    // were counted yet; once none is in flight, the last says exactly what is left.
    for (let i = 0; i < 80; i++) hold = c.onResponse(20 + i, { throttled: false, sentAt: 0, rateLimit: observed(LIMIT - 1 - i, 1000) });
    expect(hold).toBeUndefined();
    expect(Math.floor(c.bucket.tokens(100))).toBe(20);
    expect(c.delayUntilToken(100)).toBe(0);
  });

  it('does not count the window afresh when its first answer comes after later ones', () => {
    const c = windowed(1000);
    for (let i = 0; i < LIMIT; i++) c.onSend(1000 + (i === 0 ? 0 : 1));
    // Twenty answers of attempts sent after the window's first: 98 … 79 left.
    for (let i = 1; i <= 20; i++) c.onResponse(1020 + i, { throttled: false, sentAt: 1001, rateLimit: observed(LIMIT - 1 - i, 1000) });
    // Then the first one, "99 left": a window's opening, but the twenty above were counted in it.
    c.onResponse(1045, { throttled: false, sentAt: 1000, rateLimit: observed(LIMIT - 1, 1000) });
    // 79 left at most, and 79 still in flight: nothing to send.
    expect(c.bucket.tokens(1045)).toBeLessThan(1);
  });

  it('keeps the next window’s quota when a refusal from the held window arrives late', () => {
    const c = windowed(0);
    c.onSend(0);
    c.onSend(0);
    // One answer says the window is spent: hold until its edge, with the whole quota after it.
    const hold = c.onResponse(10, { throttled: false, sentAt: 0, rateLimit: observed(0, 1000) });
    expect(hold).toBeDefined();
    expect(Math.floor(c.bucket.tokens(hold!))).toBe(LIMIT);
    // The other attempt was refused, answered after the hold began.
    c.onResponse(30, { throttled: true, sentAt: 0, rateLimit: observed(0, 1000) });
    expect(Math.floor(c.bucket.tokens(hold!))).toBe(LIMIT);
    expect(c.delayUntilToken(hold!)).toBe(0);
  });

  it('ends the first hold at the edge the window’s first answer implies, not at a later reset rounded up', () => {
    // IETF draft-6 headers with a stated 1 s window; the reset is in whole seconds (rounded up).
    const c = createPacerDriver({}, 0);
    let count = 0;
    let hold: number | undefined;
    const opened = 0;
    for (let t = 0; t < 1000 && hold === undefined; t += 2) {
      if (c.delayUntilToken(t) > 0) continue;
      c.onSend(t);
      count++;
      const answeredAt = t + 10;
      const resetMs = Math.ceil((opened + 1 + 1000 - answeredAt) / 1000) * 1000;
      hold = c.onResponse(answeredAt, { throttled: false, sentAt: t, rateLimit: observed(Math.max(0, LIMIT - count), resetMs) });
    }
    expect(c.state).toBe('fixed-window');
    expect(hold).toBeDefined();
    // The window opened when the first attempt arrived (between 0 and 10 ms) and lasts 1 s.
    expect(hold!).toBeGreaterThanOrEqual(1000);
    expect(hold!).toBeLessThanOrEqual(1010 + 10);
  });

  it('probes an uncertain edge with one request only while the work outlasts the next window', () => {
    // The window's length is known only to lie between 0.5 s and 1.5 s (resets rounded to seconds).
    const spent = (waiting: number) => {
      const c = windowed(0);
      c.stateData.fixed.windowLow = 500;
      c.stateData.fixed.windowHigh = 1500;
      c.onSend(0, waiting);
      return { c, hold: c.onResponse(10, { throttled: false, sentAt: 0, rateLimit: observed(0, 2000) })! };
    };
    // A long backlog: one request halfway between the bounds tells the edge for every later window.
    const long = spent(LIMIT * 3);
    expect(long.hold).toBeLessThan(1500);
    expect(Math.floor(long.c.bucket.tokens(long.hold))).toBe(1);
    // What is left fits the next window: a refused probe would only finish last. Hold to the latest
    // edge and send it all.
    const short = spent(LIMIT);
    expect(short.hold).toBeGreaterThanOrEqual(1505);
    expect(Math.floor(short.c.bucket.tokens(short.hold))).toBe(LIMIT);
  });
});
