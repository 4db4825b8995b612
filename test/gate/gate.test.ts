import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClientClosedError, LoadShedError, QueueFullError, QueueTimeoutError, RateLimitedError } from '../../src/errors.js';
import { BucketRoutes, bucketKey } from '../../src/gate/bucket-routes.js';
import { Gate, type AdmissionRequest, type GateParts, type Ticket } from '../../src/gate/gate.js';
import { GateRegistry } from '../../src/gate/gate-registry.js';
import { GateEvents } from '../../src/gate/gate-events.js';
import { createWaiterQueue } from '../../src/gate/waiter-queue.js';
import { createAimdWindow } from '../../src/limits/aimd-limit.js';
import { createStaticWindow, windowSample, type WindowState } from '../../src/limits/limit.js';
import { createPace, type Pace } from '../../src/pacing/pacer.js';
import { setRate, setTokens } from '../../src/pacing/token-bucket.js';
import { createBudget, normalizeRetryBudgetOptions, type BudgetState } from '../../src/retry/budget.js';
import { type AttemptOutcome, type AttemptSignal, classifyAttempt } from '../../src/signal/attempt-signal.js';
import { createMemoryStore } from '../../src/state/memory-store.js';
import { testKeyState } from '../helpers/key-state.js';

// Spied on, so a test can read the samples the gate feeds the window.
vi.mock('../../src/limits/limit.js', async (original) => {
  const actual = await original<typeof import('../../src/limits/limit.js')>();
  return { ...actual, windowSample: vi.fn(actual.windowSample) };
});

const start = Date.UTC(2026, 10, 29, 12, 0, 0);

interface TestParts extends Partial<Omit<GateParts, 'store' | 'createState'>> {
  window?: WindowState;
  pace?: Pace;
  budget?: BudgetState;
}

function parts({ window, pace, budget, ...overrides }: TestParts = {}): GateParts {
  return {
    store: createMemoryStore(),
    createState: () => testKeyState('http://api.test', { window: window ?? createStaticWindow(2), pace, budget }),
    queue: createWaiterQueue({ maxQueue: 5 }),
    queueTimeout: Infinity,
    now: Date.now,
    events: new GateEvents(),
    ...overrides,
  };
}

function gate(overrides: TestParts = {}): Gate {
  return new Gate('http://api.test', parts(overrides));
}

function request(overrides: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return { priority: 0, deadline: Infinity, maxWait: 60_000, ...overrides };
}

/** An outcome as the attempt loop reports it: classified at the (fake) time it arrives. */
const signal = (outcome: AttemptOutcome): AttemptSignal => classifyAttempt(outcome, Date.now());
const response = (status: number, headers: Record<string, string> = {}): AttemptSignal =>
  signal({ type: 'response', status, headers: new Headers(headers) });
const ok = (): AttemptSignal => response(200);
const unavailable = (): AttemptSignal => response(503);
const throttled = (retryAfter: string): AttemptSignal => response(429, { 'retry-after': retryAfter });

/** Tracks which acquisitions have been admitted, without awaiting them. */
function track(promise: Promise<Ticket>) {
  const state: { ticket?: Ticket; error?: unknown } = {};
  promise.then(
    (ticket) => (state.ticket = ticket),
    (error: unknown) => (state.error = error),
  );
  return state;
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(start);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('admission', () => {
  it('admits at once while the window has room and nobody waits', async () => {
    const g = gate();
    await g.acquire(request());
    expect(g.stats()).toMatchObject({ inFlight: 1, queued: 0, limit: 2 });
  });

  it('queues beyond the window and admits the next waiter when one is released', async () => {
    const g = gate();
    const first = await g.acquire(request());
    await g.acquire(request());
    const third = track(g.acquire(request()));
    await vi.advanceTimersByTimeAsync(0);
    expect(third.ticket).toBeUndefined();
    expect(g.stats()).toMatchObject({ inFlight: 2, queued: 1 });
    first.release(ok());
    await vi.advanceTimersByTimeAsync(0);
    expect(third.ticket).toBeDefined();
    expect(g.stats()).toMatchObject({ inFlight: 2, queued: 0 });
  });

  it('serves higher priority first', async () => {
    const g = gate({ window: createStaticWindow(1) });
    const holder = await g.acquire(request());
    const low = track(g.acquire(request({ priority: -1 })));
    const high = track(g.acquire(request({ priority: 5 })));
    holder.release(ok());
    await vi.advanceTimersByTimeAsync(0);
    expect(high.ticket).toBeDefined();
    expect(low.ticket).toBeUndefined();
  });
});

describe('shared pause', () => {
  it('holds every request to the key until the server time has passed', async () => {
    const g = gate({ window: createStaticWindow(100), queue: createWaiterQueue({ maxQueue: 100 }) });
    const inFlight = await Promise.all(Array.from({ length: 100 }, () => g.acquire(request())));
    inFlight[0]!.release(throttled('2'));
    for (const ticket of inFlight.slice(1)) ticket.release(ok());
    const waiting = Array.from({ length: 20 }, () => track(g.acquire(request())));
    expect(g.stats().pausedUntil).toBe(start + 2000);
    await vi.advanceTimersByTimeAsync(1999);
    expect(waiting.filter((w) => w.ticket).length).toBe(0);
    expect(g.stats().counters.sent).toBe(100);
    await vi.advanceTimersByTimeAsync(1);
    expect(waiting.filter((w) => w.ticket).length).toBe(20);
  });

  it('never lets a shorter pause shorten a longer one', async () => {
    const g = gate();
    const a = await g.acquire(request());
    const b = await g.acquire(request());
    a.release(throttled('10'));
    b.release(throttled('1'));
    expect(g.stats().pausedUntil).toBe(start + 10_000);
  });

  it('rejects a newcomer at once when the pause is longer than it may wait', async () => {
    const g = gate();
    (await g.acquire(request())).release(throttled('120'));
    const error = await g.acquire(request({ maxWait: 60_000 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAt).toBe(start + 120_000);
  });

  it('rejects a waiter whose deadline cannot fit a pause that starts while it waits', async () => {
    const g = gate({ window: createStaticWindow(1) });
    const holder = await g.acquire(request());
    const waiter = track(g.acquire(request({ deadline: start + 5000 })));
    holder.release(throttled('30'));
    await vi.advanceTimersByTimeAsync(0);
    expect(waiter.error).toBeInstanceOf(RateLimitedError);
    expect(g.stats().queued).toBe(0);
  });

  it('reports the pause as an event', async () => {
    const events = new GateEvents();
    const onPause = vi.fn();
    events.on('pause', onPause);
    const g = gate({ events });
    (await g.acquire(request())).release(throttled('3'));
    expect(onPause).toHaveBeenCalledWith({ key: 'http://api.test', until: start + 3000, ms: 3000, status: 429 });
  });
});

describe('bounded queue', () => {
  it('refuses a newcomer when the queue is full under the reject policy', async () => {
    const g = gate({ window: createStaticWindow(1), queue: createWaiterQueue({ maxQueue: 2 }) });
    await g.acquire(request());
    track(g.acquire(request()));
    track(g.acquire(request()));
    await expect(g.acquire(request())).rejects.toBeInstanceOf(QueueFullError);
    expect(g.stats().counters.rejected).toBe(1);
  });

  it('drops the oldest waiter under drop-oldest', async () => {
    const g = gate({ window: createStaticWindow(1), queue: createWaiterQueue({ maxQueue: 2, overflow: 'drop-oldest' }) });
    await g.acquire(request());
    const oldest = track(g.acquire(request()));
    track(g.acquire(request()));
    track(g.acquire(request()));
    await vi.advanceTimersByTimeAsync(0);
    expect(oldest.error).toBeInstanceOf(QueueFullError);
    expect(g.stats().queued).toBe(2);
  });

  it('sheds low-priority work as the queue fills', async () => {
    const queue = createWaiterQueue<never>({ maxQueue: 4, random: () => 0 }) as GateParts['queue'];
    const g = gate({ window: createStaticWindow(1), queue });
    await g.acquire(request());
    for (let i = 0; i < 3; i++) track(g.acquire(request({ priority: 1 })));
    await expect(g.acquire(request({ priority: 0 }))).rejects.toBeInstanceOf(LoadShedError);
    expect(g.stats().counters.shed).toBe(1);
  });

  it('takes an aborted waiter out of the queue at once, with the signal reason', async () => {
    const g = gate({ window: createStaticWindow(1) });
    await g.acquire(request());
    const controller = new AbortController();
    const waiter = track(g.acquire(request({ signal: controller.signal })));
    controller.abort('no longer needed');
    await vi.advanceTimersByTimeAsync(0);
    expect(waiter.error).toBe('no longer needed');
    expect(g.stats().queued).toBe(0);
  });

  it('fails a waiter with QueueTimeoutError after queueTimeout', async () => {
    const g = gate({ window: createStaticWindow(1), queueTimeout: 1000 });
    await g.acquire(request());
    const waiter = track(g.acquire(request()));
    await vi.advanceTimersByTimeAsync(1000);
    expect(waiter.error).toBeInstanceOf(QueueTimeoutError);
    expect(g.stats().queued).toBe(0);
  });

  it('rejects waiters with ClientClosedError on close', async () => {
    const g = gate({ window: createStaticWindow(1) });
    await g.acquire(request());
    const waiter = track(g.acquire(request()));
    g.close();
    await vi.advanceTimersByTimeAsync(0);
    expect(waiter.error).toBeInstanceOf(ClientClosedError);
    await expect(g.acquire(request())).rejects.toBeInstanceOf(ClientClosedError);
  });
});

describe('adaptive window and budget', () => {
  it('grows the window while responses are healthy and cuts it on 503', async () => {
    const g = gate({ window: createAimdWindow({ initial: 4 }) });
    const tickets = await Promise.all(Array.from({ length: 4 }, () => g.acquire(request())));
    for (const ticket of tickets) ticket.release(ok());
    const grown = g.stats().limit;
    expect(grown).toBeGreaterThan(4);
    const [busy, other] = await Promise.all([g.acquire(request()), g.acquire(request())]);
    await vi.advanceTimersByTimeAsync(10);
    busy!.release(unavailable());
    expect(g.stats().limit).toBeLessThan(grown);
    other!.release(ok());
  });

  it('cuts the window to what the origin held when it refused: the requests still outstanding', async () => {
    const g = gate({ window: createAimdWindow({ initial: 8 }), queue: createWaiterQueue({ maxQueue: 10 }) });
    const tickets = await Promise.all(Array.from({ length: 6 }, () => g.acquire(request())));
    tickets[0]!.release(unavailable());
    // Six were out when the 503 came: the origin held five.
    expect(g.stats().limit).toBe(5);
  });

  it('tells the window what it was refused with: in flight at admission and at the end, and the server time', async () => {
    const sampled = vi.mocked(windowSample);
    sampled.mockClear();
    const g = gate({ window: createStaticWindow(10) });
    const first = await g.acquire(request());
    const second = await g.acquire(request());
    await vi.advanceTimersByTimeAsync(30);
    second.release(response(503, { 'retry-after': '2' }));
    first.release(ok());
    expect(sampled.mock.calls.map(([, sample]) => sample)).toEqual([
      { inFlight: 2, outstanding: 2, rttMs: 30, dropped: true, pausedMs: 2000, waiting: 0 },
      { inFlight: 1, outstanding: 1, rttMs: 30, dropped: false, pausedMs: undefined, waiting: 0 },
    ]);
  });

  it('says a capacity refusal the adaptive window absorbed holds its retry back, so it can wait in the gate', async () => {
    const g = gate({ window: createAimdWindow({ initial: 4 }) });
    const [a, b] = await Promise.all([g.acquire(request()), g.acquire(request()), g.acquire(request())]);
    expect(a!.release(unavailable()).windowHeld).toBe(true); // 3 out: the window goes to 2
    const refused = signal({ type: 'error', error: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), sent: false });
    expect(b!.release(refused).windowHeld).toBe(true); // 2 out: the window goes to 1
  });

  it('does not hold a refusal the window cannot absorb: a static window, or one already at its floor', async () => {
    const fixed = gate({ window: createStaticWindow(4) });
    expect((await fixed.acquire(request())).release(unavailable()).windowHeld).toBe(false);
    const floor = gate({ window: createAimdWindow({ initial: 1 }) });
    expect((await floor.acquire(request())).release(unavailable()).windowHeld).toBe(false);
  });

  it('does not hold a refusal whose retry the cut window would still admit at once', async () => {
    const g = gate({ window: createAimdWindow({ initial: 10 }) });
    const feedback = (await g.acquire(request())).release(unavailable());
    expect(g.stats()).toMatchObject({ limit: 1, inFlight: 0 });
    expect(feedback.windowHeld).toBe(false);
  });

  it('does not change the window on a 429, which is about rate', async () => {
    const g = gate({ window: createAimdWindow({ initial: 4 }) });
    const tickets = await Promise.all(Array.from({ length: 4 }, () => g.acquire(request())));
    for (const ticket of tickets) ticket.release(throttled('1'));
    expect(g.stats().limit).toBe(4);
  });

  it('refuses retries once the budget is spent, except those the window holds back', async () => {
    const g = gate({ budget: createBudget(normalizeRetryBudgetOptions({ ratio: 0, minPerSecond: 0.2, ttlMs: 10_000 }), Date.now()) });
    const allowed = Array.from({ length: 5 }, () => g.tryRetry());
    expect(allowed).toEqual([true, true, false, false, false]);
    expect(g.tryRetry({ windowHeld: true })).toBe(true);
    expect(g.stats().counters.retried).toBe(3);
  });
});

describe('a caller sending one request at a time', () => {
  it('is paced by the refusals\' server time alone: a server that refuses every other request does not draw the pace down', async () => {
    const pace = createPace('adaptive', Date.now());
    const g = gate({ pace });
    const started = Date.now();
    for (let call = 0; call < 20; call++) {
      const waiting = track(g.acquire(request()));
      await vi.advanceTimersByTimeAsync(0);
      while (waiting.ticket === undefined) await vi.advanceTimersByTimeAsync(1);
      await vi.advanceTimersByTimeAsync(2);
      waiting.ticket.release(call % 2 === 1 ? throttled('1') : ok());
    }
    // Ten refusals asked for ten seconds; the pace added at most a tenth on top.
    expect(Date.now() - started).toBeLessThan(10_000 * 1.1);
    expect(g.stats()).toMatchObject({ counters: { throttled: 10 } });
    expect(pace.kind === 'adaptive' && pace.state.throttle.estimate).toBeUndefined();
  });
});

describe('saturation and outage', () => {
  it('reads a 503 refused with nothing else outstanding, while the origin serves, as about rate: the pace learns, the window stays', async () => {
    const pace = createPace('adaptive', Date.now());
    const g = gate({ window: createAimdWindow({ initial: 4 }), pace });
    (await g.acquire(request())).release(ok());
    // Two more want to go; the slow start releases them tens of ms apart, one at a time.
    const first = track(g.acquire(request()));
    const second = track(g.acquire(request()));
    await vi.advanceTimersByTimeAsync(1);
    while (first.ticket === undefined) await vi.advanceTimersByTimeAsync(1);
    expect(second.ticket).toBeUndefined();
    first.ticket.release(unavailable());
    expect(g.stats()).toMatchObject({ limit: 4, counters: { unavailable: 1, throttled: 1 } });
    expect(pace.kind === 'adaptive' && pace.state.traffic.episodeThrottled).toBe(true);
    g.close();
  });

  it('reads a 503 with others outstanding as about capacity: the window is cut, the pace learns nothing', async () => {
    const pace = createPace('adaptive', Date.now());
    const g = gate({ window: createAimdWindow({ initial: 4 }), pace });
    (await g.acquire(request())).release(ok());
    // The pace's slow start releases these a few tens of ms apart.
    const tickets = [track(g.acquire(request())), track(g.acquire(request())), track(g.acquire(request()))];
    await vi.advanceTimersByTimeAsync(200);
    tickets[0]!.ticket!.release(unavailable());
    expect(g.stats()).toMatchObject({ limit: 2, counters: { unavailable: 1, throttled: 0 } });
    expect(pace.kind === 'adaptive' && pace.state.traffic.episodeThrottled).toBe(false);
    for (const t of tickets.slice(1)) t.ticket!.release(ok());
  });

  it('does not pause an origin that is still serving: a 503 with Retry-After cuts the window instead', async () => {
    const g = gate({ window: createAimdWindow({ initial: 4 }) });
    const [a, b, c] = await Promise.all([g.acquire(request()), g.acquire(request()), g.acquire(request())]);
    a!.release(ok());
    b!.release(response(503, { 'retry-after': '2' }));
    expect(g.stats()).toMatchObject({ pausedUntil: undefined, limit: 1, counters: { unavailable: 1 } });
    c!.release(ok());
  });

  it('holds the pause of a first answer\'s 503 while others sent with it are out: one served makes it saturation', async () => {
    // A small backend serves some of a first burst and sheds the rest at once.
    const g = gate({ window: createAimdWindow({ initial: 4 }) });
    const [a, b, c] = await Promise.all([g.acquire(request()), g.acquire(request()), g.acquire(request())]);
    b!.release(response(503, { 'retry-after': '3' }));
    expect(g.stats().pausedUntil).toBeUndefined();
    a!.release(ok());
    c!.release(ok());
    expect(g.stats()).toMatchObject({ pausedUntil: undefined, counters: { unavailable: 1 } });
  });

  it('pauses once every attempt out at a first contact was refused or lost: the origin looks down', async () => {
    const g = gate({ window: createAimdWindow({ initial: 4 }) });
    const [a, b, c] = await Promise.all([g.acquire(request()), g.acquire(request()), g.acquire(request())]);
    a!.release(response(503, { 'retry-after': '3' }));
    b!.release(response(503, { 'retry-after': '2' }));
    expect(g.stats().pausedUntil).toBeUndefined();
    c!.release(response(503, { 'retry-after': '1' }));
    expect(g.stats().pausedUntil).toBe(Date.now() + 3000);

    const h = gate({ window: createAimdWindow({ initial: 4 }) });
    const [d, e] = await Promise.all([h.acquire(request()), h.acquire(request())]);
    d!.release(response(503, { 'retry-after': '2' }));
    e!.release(signal({ type: 'error', error: Object.assign(new Error('reset'), { code: 'ECONNRESET' }), sent: true }));
    expect(h.stats().pausedUntil).toBe(Date.now() + 2000);
  });

  it('pauses an origin that served nothing recently for its server time: it looks down', async () => {
    const g = gate({ window: createAimdWindow({ initial: 4 }) });
    (await g.acquire(request())).release(ok());
    await vi.advanceTimersByTimeAsync(5_000);
    (await g.acquire(request())).release(response(503, { 'retry-after': '2' }));
    expect(g.stats().pausedUntil).toBe(Date.now() + 2000);
  });
});

describe('ready', () => {
  it('resolves when a request would be admitted without queueing', async () => {
    const g = gate({ window: createStaticWindow(1) });
    const holder = await g.acquire(request());
    let ready = false;
    void g.ready().then(() => (ready = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(ready).toBe(false);
    holder.release(ok());
    await vi.advanceTimersByTimeAsync(0);
    expect(ready).toBe(true);
  });

  it('stops waiting when its signal aborts, and leaves nothing behind', async () => {
    const g = gate({ window: createStaticWindow(1) });
    const holder = await g.acquire(request());
    const controller = new AbortController();
    const waiting = g.ready(Infinity, controller.signal);
    const stop = new Error('stop');
    controller.abort(stop);
    await expect(waiting).rejects.toBe(stop);
    // A later release finds no stale waiter to resolve, and the abort listener is gone.
    holder.release(ok());
    await expect(g.ready(Infinity, AbortSignal.abort(stop))).rejects.toBe(stop);
    await expect(g.ready()).resolves.toBeUndefined();
    g.close();
  });
});

describe('timers', () => {
  it('polls once a second, rather than spinning, while the pacer answers Infinity (rate 0)', async () => {
    const pace = createPace(0, Date.now());
    if (pace.kind === 'fixed') setTokens(pace.bucket, 0, Date.now());
    const g = gate({ pace });
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const waiter = track(g.acquire(request()));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(waiter.ticket).toBeUndefined();
    // One look per second, never Node's 1 ms fallback for an overflowing delay.
    expect(spy.mock.calls.length).toBeLessThanOrEqual(6);
    expect(spy.mock.calls.every(([, ms]) => ms === 1000)).toBe(true);
    if (pace.kind === 'fixed') setRate(pace.bucket, 10, Date.now());
    await vi.advanceTimersByTimeAsync(1_000);
    expect(waiter.ticket).toBeDefined();
    spy.mockRestore();
  });

  it('arms no timer beyond setTimeout’s range during a very long pause', async () => {
    const g = gate();
    const first = g.acquire(request());
    const second = g.acquire(request());
    g.pause(Date.now() + 365 * 24 * 3600 * 1000);
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const waiter = track(g.acquire(request({ maxWait: Infinity })));
    await vi.advanceTimersByTimeAsync(10);
    expect(waiter.ticket).toBeUndefined();
    expect(spy.mock.calls.every(([, ms]) => (ms as number) <= 2 ** 31 - 1 && (ms as number) > 1000)).toBe(true);
    spy.mockRestore();
    g.close();
    await Promise.allSettled([first, second, waiter]);
  });
});

describe('bucket hints', () => {
  /** Gates wired as the engine wires them: a registry that knows the learned routes. */
  function bucketed() {
    const routes = new BucketRoutes();
    const registry = new GateRegistry({
      makeParts: () => parts(),
      idleMs: 60_000,
      now: Date.now,
      routes,
    });
    return { routes, registry, base: registry.get('base') };
  }
  const github = (status: number, resource: string, remaining: number, retryAfter?: string): AttemptSignal =>
    response(status, {
      ...(retryAfter === undefined ? {} : { 'retry-after': retryAfter }),
      'x-ratelimit-limit': resource === 'search' ? '30' : '5000',
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-resource': resource,
    });
  async function send(gate: Gate, route: string, outcome: AttemptSignal): Promise<void> {
    (await gate.acquire(request({ route }))).release(outcome);
  }

  it('the first bucket a server names is its own gate’s: a one-quota server keeps one gate', async () => {
    const { routes, registry, base } = bucketed();
    await send(base, 'GET /users/:id', github(200, 'core', 4999));
    await send(base, 'GET /repos/o/r', github(429, 'core', 0, '30'));
    expect(registry.all()).toEqual([base]);
    expect(base.stats()).toMatchObject({ remaining: 0, pausedUntil: Date.now() + 30_000, counters: { throttled: 1 } });
    expect(routes.size).toBe(0); // routes of the key's own bucket need no entry
  });

  it('a 429 that names another bucket pauses that bucket, not the other traffic of the origin', async () => {
    const { routes, registry, base } = bucketed();
    await send(base, 'GET /users/:id', github(200, 'core', 4999));
    await send(base, 'GET /search/issues', github(429, 'search', 0, '30'));
    const search = registry.get('base', 'search');
    expect(search).not.toBe(base);
    expect(search.key).toBe(bucketKey('base', 'search'));
    expect(search.stats()).toMatchObject({ remaining: 0, pausedUntil: Date.now() + 30_000, counters: { throttled: 1 } });
    expect(base.stats()).toMatchObject({ remaining: 4999, pausedUntil: undefined, counters: { throttled: 0 } });
    expect(routes.bucketOf('base', 'GET /search/issues')).toBe('search');
    // Core goes on at once; the next search request waits for the search pause.
    const other = track(base.acquire(request({ route: 'GET /user' })));
    const waitingSearch = track(search.acquire(request({ route: 'GET /search/issues' })));
    await Promise.resolve();
    expect(other.ticket).toBeDefined();
    await vi.advanceTimersByTimeAsync(29_000);
    expect(waitingSearch.ticket).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1_001);
    expect(waitingSearch.ticket).toBeDefined();
  });

  it('a 503 stays with the gate that sent the request: capacity is the origin’s', async () => {
    const { registry, base } = bucketed();
    await send(base, 'GET /users/:id', github(200, 'core', 4999));
    // Nothing served for a while: the 503 reads as an outage, which pauses the gate that sent it.
    await vi.advanceTimersByTimeAsync(5_000);
    await send(base, 'GET /search/issues', github(503, 'search', 10, '5'));
    expect(base.stats()).toMatchObject({ pausedUntil: Date.now() + 5_000, counters: { unavailable: 1 } });
    expect(registry.get('base', 'search').stats()).toMatchObject({ pausedUntil: undefined, remaining: 10 });
  });

  it('without bucket wiring a hint changes nothing', async () => {
    const g = gate();
    await send(g, 'GET /users/:id', github(200, 'core', 4999));
    await send(g, 'GET /search/issues', github(429, 'search', 0, '30'));
    expect(g.stats()).toMatchObject({ remaining: 0, pausedUntil: Date.now() + 30_000, counters: { throttled: 1 } });
  });
});
