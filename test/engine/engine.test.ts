// The retry budget counts a request when it is first sent, not when it is asked for: a burst
// that waits in the queue longer than the budget's window still has its deposits when its
// retries come due.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AttemptResult } from '../../src/engine/attempt-loop.js';
import { createEngine } from '../../src/engine/engine.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('retry budget over a long queued burst', () => {
  it('affords the retries of requests admitted long after they were made', async () => {
    // One at a time, 100 ms each: 40 requests take about 5 s, five times the budget's 1 s window.
    const engine = createEngine({
      limits: { concurrency: 1 },
      rate: false,
      budget: { ratio: 0.5, minPerSecond: 1, ttlMs: 1_000 },
      retry: { backoff: { base: 1, jitter: 'none' } },
    });
    const url = new URL('http://127.0.0.1:1/item');
    const statuses = Array.from({ length: 40 }, (_, i) =>
      engine.run<number>({ url, method: 'GET', idempotencyKey: false, replayable: () => true }, (_signal, attempt) => {
        // Every fourth request fails its first attempt with a retryable 500.
        const status = i % 4 === 0 && attempt === 1 ? 500 : 200;
        return new Promise<AttemptResult<number>>((resolve) =>
          setTimeout(() => resolve({ outcome: { type: 'response', status, headers: new Headers() }, value: status }), 100),
        );
      }),
    );
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await Promise.all(statuses)).toEqual(Array(40).fill(200));
    expect(engine.stats(url)?.counters.retried).toBe(10);
    engine.close();
  });
});
