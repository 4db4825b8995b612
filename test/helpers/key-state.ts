// A key's state for tests of the stores and the rules that change it: a fresh, idle key with a
// static window of 4, unpaced and without a budget, unless the test says otherwise.

import { createStaticWindow } from '../../src/limits/limit.js';
import { emptyCounters, type KeyState } from '../../src/state/key-state.js';

export function testKeyState(key = 'k', parts: Partial<KeyState> = {}): KeyState {
  return {
    key,
    pausedUntil: 0,
    inFlight: 0,
    window: createStaticWindow(4),
    pace: undefined,
    budget: undefined,
    counters: emptyCounters(),
    remaining: undefined,
    lastServedAt: -Infinity,
    lastServedRttMs: 0,
    heldPauseUntil: -Infinity,
    transportFailureShare: 0,
    ...parts,
  };
}
