// Tests for the static concurrency limit: it holds its value whatever it observes, and can be
// changed at runtime with validation and a change notification.

import { describe, expect, it, vi } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { createStaticLimit } from '../../src/limits/static-limit.js';

describe('createStaticLimit', () => {
  it('keeps its limit whatever samples it receives', () => {
    const limit = createStaticLimit(4);
    expect(limit.onSample({ inFlight: 4, outstanding: 4, rttMs: 10, dropped: false })).toBe(false);
    expect(limit.onSample({ inFlight: 4, outstanding: 4, rttMs: 10_000, dropped: true })).toBe(false);
    expect(limit.limit).toBe(4);
  });

  it('notifies listeners when set to a new value, and not when set to the same one', () => {
    const limit = createStaticLimit(4);
    const listener = vi.fn();
    limit.onChange(listener);
    limit.limit = 4;
    expect(listener).not.toHaveBeenCalled();
    limit.limit = 8;
    expect(limit.limit).toBe(8);
    expect(listener).toHaveBeenCalledExactlyOnceWith(8);
  });

  it('stops notifying a listener after it unsubscribes', () => {
    const limit = createStaticLimit(1);
    const listener = vi.fn();
    const unsubscribe = limit.onChange(listener);
    unsubscribe();
    limit.limit = 2;
    expect(listener).not.toHaveBeenCalled();
  });

  it('rejects a limit that is not an integer from 1 and up, at creation and when set', () => {
    expect(() => createStaticLimit(0)).toThrow('Expected `limit` to be an integer from 1 and up, got `0` (number)');
    expect(() => createStaticLimit(2.5)).toThrow(InvalidOptionError);
    expect(() => createStaticLimit(Number.NaN)).toThrow(InvalidOptionError);
    const limit = createStaticLimit(3);
    expect(() => {
      limit.limit = -1;
    }).toThrow(InvalidOptionError);
    expect(limit.limit).toBe(3);
  });
});
