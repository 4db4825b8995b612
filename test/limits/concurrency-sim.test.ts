// The adaptive window against concurrency-limited servers, in virtual time (issue #3): a burst
// through the real engine, gate and retry policy. Wall-clock figures belong to `npm run bench`.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runConcurrencySim, type ConcurrencySimParams } from '../helpers/concurrency-sim.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2026, 10, 29, 12, 0, 0));
});
afterEach(() => {
  vi.useRealTimers();
});

/**
 * The rate controller's own slow start (20/s, doubling every 50 ms) is measured elsewhere
 * (pacer.sim.test.ts); switched off here so these figures are the window's alone.
 */
const windowOnly: ConcurrencySimParams['client'] = { rate: false };

describe('acceptance: 16 slots, 50 ms, 503 without Retry-After beyond; N = 1000 at once', () => {
  it('ends within 1.11 × ⌈N/16⌉ × 50 ms with at most 1 % answered 503 and none failed', async () => {
    const r = await runConcurrencySim({ requests: 1000, slots: 16, latencyMs: 50 });
    expect(r.failed).toBe(0);
    expect(r.ratio).toBeLessThanOrEqual(1.11);
    // Reno's +1 per round trip re-tried the 17th slot every three round trips: 2.1 %.
    expect(r.refused).toBeLessThanOrEqual(10);
    expect(r.peak).toBe(16);
  });
});

describe('other capacities and latencies', () => {
  // Slow start from 10 needs ⌈log2(slots / 10)⌉ + 1 round trips to find the capacity; no client
  // that starts small can skip them, so they are added to the ideal.
  it.each([
    [4, 50, 300],
    [16, 10, 1000],
    [16, 200, 600],
    [64, 50, 3000],
    [200, 50, 6000],
  ])('%i slots, %i ms, N = %i: within 1.05 × (ideal + slow start), at most 5 % refused', async (slots, latencyMs, requests) => {
    const r = await runConcurrencySim({ requests, slots, latencyMs, client: windowOnly });
    const slowStartMs = (Math.max(0, Math.ceil(Math.log2(slots / 10))) + 1) * latencyMs;
    expect(r.failed).toBe(0);
    expect(r.wallMs).toBeLessThanOrEqual(1.05 * (r.idealMs + slowStartMs));
    // Against 4 slots the old window refused 15 % of requests (now 4 %: 6 of them are the
    // first flight of 10, which no client that starts at 10 avoids).
    expect(r.refused / requests).toBeLessThanOrEqual(0.05);
  });

  it('does not leave refused requests sleeping after the window has room (short run, 10 ms)', async () => {
    // 19 round trips in all: a 0–200 ms backoff on slow start's few refusals was up to half as long again.
    for (const seed of [1, 2, 3, 4]) {
      const r = await runConcurrencySim({ requests: 300, slots: 16, latencyMs: 10, client: windowOnly, seed });
      expect(r.ratio).toBeLessThanOrEqual(1.15);
    }
  });
});

describe('brownout: 32 slots, 8 from 2 s to 5 s, 50 ms, 503 + Retry-After: 1; N = 2000 at once', () => {
  it('ends within 1.6 × the capacity integrated over the schedule (ideal 5.375 s)', async () => {
    const r = await runConcurrencySim({
      requests: 2000,
      slots: (t) => (t >= 2000 && t < 5000 ? 8 : 32),
      retryAfter: 1,
      latencyMs: 50,
    });
    expect(r.failed).toBe(0);
    // Every refused probe pauses the key 1 s: probing the 33rd slot every few round trips took 16 s.
    expect(r.wallMs).toBeLessThanOrEqual(1.6 * 5375);
  });
});
