import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Gate, type AdmissionRequest, type GateParts, type Ticket } from '../../src/gate/gate.js';
import { GateEvents, type SluiceEvents } from '../../src/gate/gate-events.js';
import { GateTally } from '../../src/gate/gate-tally.js';
import { createWaiterQueue } from '../../src/gate/waiter-queue.js';
import { createStaticWindow } from '../../src/limits/limit.js';
import { classifyAttempt } from '../../src/signal/attempt-signal.js';
import { createMemoryStore } from '../../src/state/memory-store.js';
import { testKeyState } from '../helpers/key-state.js';

const start = Date.UTC(2026, 10, 29, 12, 0, 0);
const key = 'http://api.test';

function gate(overrides: Partial<GateParts> = {}): { gate: Gate; rejected: SluiceEvents['reject'][] } {
  const events = new GateEvents();
  const rejected: SluiceEvents['reject'][] = [];
  events.on('reject', (event) => rejected.push(event));
  const parts: GateParts = {
    store: createMemoryStore(),
    createState: () => testKeyState(key, { window: createStaticWindow(1) }),
    queue: createWaiterQueue({ maxQueue: 2 }),
    queueTimeout: Infinity,
    now: Date.now,
    events,
    ...overrides,
  };
  return { gate: new Gate(key, parts), rejected };
}

const request = (overrides: Partial<AdmissionRequest> = {}): AdmissionRequest => ({ priority: 0, deadline: Infinity, maxWait: 60_000, method: 'GET', origin: key, ...overrides });
const response = (status: number, headers: Record<string, string> = {}) =>
  classifyAttempt({ type: 'response', status, headers: new Headers(headers) }, Date.now());
const settle = (promise: Promise<Ticket>) => promise.catch(() => undefined);

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(start);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('refusal reasons', () => {
  it('counts and tells each way a request is refused or dropped', async () => {
    const queue = createWaiterQueue<never>({ maxQueue: 2, overflow: 'drop-oldest', random: () => 0 }) as GateParts['queue'];
    const { gate: g, rejected } = gate({ queue, queueTimeout: 1000 });
    const first = await g.acquire(request());
    const controller = new AbortController();
    void settle(g.acquire(request({ signal: controller.signal })));
    controller.abort(new Error('gave up'));
    void settle(g.acquire(request())); // evicted below
    void settle(g.acquire(request()));
    void settle(g.acquire(request())); // drop-oldest evicts the first of these two
    await settle(g.acquire(request({ priority: -1 }))); // the least important while more important work waits: shed
    await vi.advanceTimersByTimeAsync(1000); // the two left time out
    first.release(response(429, { 'retry-after': '10' }));
    await settle(g.acquire(request({ deadline: Date.now() + 100 }))); // paused 10 s, may wait 100 ms
    expect(rejected.map((e) => e.reason)).toEqual(['aborted', 'drop-oldest', 'shed', 'queue-timeout', 'queue-timeout', 'rate-limited']);
    for (const event of rejected) expect(event).toMatchObject({ key, bucket: undefined, origin: key, method: 'GET' });
    const stats = g.stats();
    expect(stats.refused).toEqual({ 'queue-full': 0, 'drop-oldest': 1, shed: 1, 'queue-timeout': 2, 'rate-limited': 1, aborted: 1 });
    expect(stats.counters).toMatchObject({ shed: 1, rejected: 4 });
    expect(stats.attempts).toEqual({ served: 0, 'rate-refusal': 1, 'capacity-refusal': 0, 'transport-error': 0, aborted: 0 });
    expect(stats.responses).toEqual({ 429: 1, 503: 0, 529: 0 });
    expect(stats.maxQueue).toBe(2);
    expect(stats).toMatchObject({ baseKey: key, bucket: undefined });
  });

  it('tells the wait of each admission and how each attempt ended', async () => {
    const { gate: g } = gate();
    const admitted: number[] = [];
    const ended: SluiceEvents['end'][] = [];
    g.parts.events.on('admitted', ({ wait }) => admitted.push(wait));
    g.parts.events.on('end', (event) => ended.push(event));
    const first = await g.acquire(request());
    const second = g.acquire(request({ method: 'POST' }));
    await vi.advanceTimersByTimeAsync(250);
    first.release(response(503));
    (await second).release(undefined);
    expect(admitted).toEqual([0, 250]);
    expect(ended).toEqual([
      { key, bucket: undefined, origin: key, method: 'GET', outcome: 'capacity-refusal', status: 503, durationMs: 250 },
      { key, bucket: undefined, origin: key, method: 'POST', outcome: 'aborted', status: undefined, durationMs: 0 },
    ]);
  });
});

describe('GateTally', () => {
  it('adds up time paused: a running pause to now, an extended one to its new end, past ones whole', () => {
    const tally = new GateTally(10, Infinity, 'off');
    expect(tally.pausedMs(0)).toBe(0);
    tally.paused(1000, 0);
    expect(tally.pausedMs(400)).toBe(400);
    tally.paused(1500, 400); // extended while running
    expect(tally.pausedMs(2000)).toBe(1500);
    tally.paused(3500, 3000); // a new pause after a gap
    expect(tally.pausedMs(3100)).toBe(1600);
    expect(tally.pausedMs(9000)).toBe(2000);
  });

  it('tells a rate move only when its mode changes or it moves by more than 10 %', () => {
    const tally = new GateTally(10, 20, 'unknown');
    expect(tally.rateMoved(21, 'unknown')).toBeUndefined();
    expect(tally.rateMoved(22.5, 'unknown')).toEqual({ previous: 20, previousMode: 'unknown' });
    expect(tally.rateMoved(22.6, 'slow-start')).toEqual({ previous: 22.5, previousMode: 'unknown' });
    expect(tally.rateMoved(20.4, 'slow-start')).toBeUndefined(); // −9.7 % from the last told
    expect(tally.rateMoved(20.3, 'slow-start')).toEqual({ previous: 22.6, previousMode: 'slow-start' });
    expect(tally.rateMoved(Infinity, 'slow-start')).toEqual({ previous: 20.3, previousMode: 'slow-start' });
    expect(tally.rateMoved(Infinity, 'slow-start')).toBeUndefined();
  });

  it('remembers the window to tell where a move came from', () => {
    const tally = new GateTally(10, Infinity, 'off');
    expect(tally.limitMoved(14)).toBe(10);
    expect(tally.limitMoved(7)).toBe(14);
  });
});
