import { describe, expect, it } from 'vitest';
import { createAimdWindow } from '../../src/limits/aimd-limit.js';
import { classifyAttempt } from '../../src/signal/attempt-signal.js';
import type { KeyState } from '../../src/state/key-state.js';
import { admit, endAttempt } from '../../src/state/learn.js';
import { testKeyState } from '../helpers/key-state.js';

const keyState = (): KeyState => testKeyState('http://api.test', { window: createAimdWindow({ initial: 32 }) });

const served = (now: number) => classifyAttempt({ type: 'response', status: 200, headers: { get: () => null } }, now);
const reset = (now: number) =>
  classifyAttempt({ type: 'error', error: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), sent: true }, now);

/**
 * Runs `rounds` of a full window of 32 attempts sent at once, 30 ms each; `fails(i)` says which
 * attempt (counted over the whole run) ends in a reset. Returns the window after each round.
 */
function run(s: KeyState, rounds: number, fails: (i: number) => boolean): number[] {
  const limits: number[] = [];
  let now = 1_000_000;
  let i = 0;
  for (let round = 0; round < rounds; round++) {
    const admissions = Array.from({ length: s.window.limit }, () => admit(s, now, 0));
    now += 30;
    for (const admission of admissions) endAttempt(s, admission, fails(i++) ? reset(now) : served(now), now);
    limits.push(s.window.limit);
  }
  return limits;
}

describe('resets and timeouts as overload signals', () => {
  it('leave the window of an origin that mostly answers where it was (one reset in 20, at random)', () => {
    const s = keyState();
    const limits = run(s, 40, (i) => (i * 2654435761) % 2 ** 32 < 2 ** 32 / 20);
    // Cut on every reset, the window fell to 1 within a few rounds and stayed there.
    expect(Math.min(...limits)).toBeGreaterThanOrEqual(32);
  });

  it('still cut it to what the origin held when a large share fails at once (an origin short of capacity)', () => {
    const s = keyState();
    // An origin with 20 slots resets everything above them: 12 of every 32 attempts.
    const limits = run(s, 3, (i) => i % 32 >= 20);
    expect(limits[0]).toBeLessThan(32);
    expect(limits.at(-1)).toBeLessThanOrEqual(20);
  });

  it('leave a refused connection (the request never left) its own word: it cuts the window at once, as a 503 does', () => {
    const s = keyState();
    const admissions = Array.from({ length: 32 }, () => admit(s, 0, 0));
    const refused = classifyAttempt({ type: 'error', error: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), sent: false }, 30);
    endAttempt(s, admissions[0]!, refused, 30);
    expect(s.window.limit).toBe(31);
  });

  it('count as failures, never as healthy answers that grow the window', () => {
    const s = keyState();
    const resetOnly = (now: number) =>
      classifyAttempt({ type: 'error', error: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }), sent: true }, now);
    const admissions = Array.from({ length: 32 }, () => admit(s, 0, 0));
    for (const admission of admissions) endAttempt(s, admission, resetOnly(30), 30);
    expect(s.window.limit).toBe(32);
  });
});
