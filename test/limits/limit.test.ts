// Tests for the static concurrency window: it holds its value whatever it observes.

import { describe, expect, it } from 'vitest';
import { createStaticWindow, windowSample } from '../../src/limits/limit.js';

describe('createStaticWindow', () => {
  it('keeps its limit whatever samples it receives, and never absorbs a drop', () => {
    const window = createStaticWindow(4);
    expect(windowSample(window, { inFlight: 4, outstanding: 4, rttMs: 10, dropped: false, waiting: 0 }, 0)).toBe(false);
    expect(windowSample(window, { inFlight: 4, outstanding: 4, rttMs: 10_000, dropped: true, waiting: 0 }, 0)).toBe(false);
    expect(window.limit).toBe(4);
  });
});
