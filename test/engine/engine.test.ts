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

describe('room()', () => {
  it("gives the figures of stats() that tell whether a key has room, as the key's state moves", async () => {
    const engine = createEngine({ limits: { concurrency: 2 }, rate: false });
    const url = new URL('http://127.0.0.1:1/item');
    expect(engine.room(url)).toBeUndefined();
    const release: (() => void)[] = [];
    const requests = Array.from({ length: 3 }, () =>
      engine.run<number>({ url, method: 'GET', idempotencyKey: false, replayable: () => true }, () =>
        new Promise<AttemptResult<number>>((resolve) =>
          release.push(() => resolve({ outcome: { type: 'response', status: 200, headers: new Headers() }, value: 200 })),
        ),
      ),
    );
    const fields = ({ key, inFlight, queued, limit, rate, pausedUntil }: NonNullable<ReturnType<typeof engine.room>>) => ({ key, inFlight, queued, limit, rate, pausedUntil });
    await vi.advanceTimersByTimeAsync(0);
    expect(engine.room(url)).toEqual({ key: 'http://127.0.0.1:1', inFlight: 2, queued: 1, limit: 2, rate: Infinity, pausedUntil: undefined });
    expect(engine.room('http://127.0.0.1:1')).toEqual(fields(engine.stats(url)!));
    for (const next of release.splice(0)) next();
    await vi.advanceTimersByTimeAsync(0);
    expect(engine.room(url)).toMatchObject({ inFlight: 1, queued: 0 });
    expect(engine.room(url)).toEqual(fields(engine.stats(url)!));
    for (const next of release.splice(0)) next();
    expect(await Promise.all(requests)).toEqual([200, 200, 200]);
    engine.close();
  });
});
