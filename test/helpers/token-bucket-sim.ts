// Discrete-event simulation, in virtual time, of a burst of requests sent through a paced,
// pause-honouring client at a server that rate-limits with a token bucket (rate R, burst B).

import type { RateLimitObservation } from '../../src/ratelimit/types.js';

/**
 * What the server tells the client besides the status (as mocks/rate-limit-headers.ts sends it):
 * - `x-ratelimit`: X-RateLimit-* with Reset in epoch seconds, rounded up (GitHub, X; Anthropic's
 *   RFC 3339 whole seconds read the same).
 * - `x-ratelimit-delta`: X-RateLimit-* with Reset in delta seconds, rounded up (and IETF legacy
 *   `RateLimit-Limit/-Remaining/-Reset`, which parses to the same): "1" whenever B/R < 1 s.
 * - `x-ratelimit-ms`: Reset to the millisecond, rounded up (Discord's Reset-After, OpenAI's Go
 *   durations).
 */
export type SimDialect = 'ietf' | 'x-ratelimit' | 'x-ratelimit-delta' | 'x-ratelimit-ms' | 'retry-after';

/** The part of a rate controller the simulated client drives (the real one fits as is). */
export interface SimPacer {
  delayUntilToken(now: number): number;
  onSend(now: number): void;
  /** Returns when to hold the key until (a spent fixed window), which the client makes a pause. */
  onResponse(
    now: number,
    info: { throttled: boolean; rateLimit?: RateLimitObservation; pausedUntil?: number; sentAt?: number },
  ): number | undefined | void;
  readonly rate: number;
  readonly state: string;
}

/** Every knob of one run. Times are ms, rates per second. */
export interface SimParams {
  /** N: requests, all submitted at t = 0. */
  requests: number;
  /** R: the server's refill rate, tokens per second. */
  rate: number;
  /** B: the server's bucket capacity; the bucket starts full. */
  burst: number;
  /** Which headers the server sends (429s always carry `Retry-After`). */
  dialect: SimDialect;
  /** The client's pacer, built fresh for the run at virtual time 0. */
  pacer: (now: number) => SimPacer;
  /** Round-trip time range; each attempt draws uniformly, split at random between the two ways. @default [1, 5] */
  rttMs?: readonly [number, number];
  /** Concurrency window at first contact; grows by one per success. @default 10 */
  initialWindow?: number;
  /** Ceiling of the concurrency window. @default 300 */
  maxWindow?: number;
  /** A request whose attempt number `maxAttempts` is answered 429 counts as failed. @default 10 */
  maxAttempts?: number;
  /** IETF policy window `w` in seconds; the policy states `q = R · w`. @default 1 */
  policyWindowS?: number;
  /** Epoch ms at virtual time 0, so X-RateLimit's whole-second reset rounds like a real one. @default 1_700_000_000_370 */
  epochAtZeroMs?: number;
  /** Seed of the run's pseudo-random numbers (round trips). @default 1 */
  seed?: number;
  /** Give up (and report) after this much virtual time. @default 600_000 */
  maxVirtualMs?: number;
  /**
   * Spells when a process does not run (garbage collection, a busy event loop, a core shared
   * with other work), as on a loaded machine: the client's answers and timers wait until its
   * spell ends (releases bunch, round trips look long), the server's arrivals until its own
   * ends (decisions bunch). None by default: the network's own jitter only.
   */
  stalls?: { client?: StallSpec; server?: StallSpec };
}

/** Spells of a stalled process: random (gaps exponential around `everyMs`) or listed. */
export type StallSpec = { everyMs: number; forMs: readonly [number, number] } | { intervals: readonly (readonly [number, number])[] };

/** Stall intervals, sorted, up to `untilMs`; `end(t)` is the end of the spell containing `t`. */
export function stallSchedule(spec: StallSpec | undefined, untilMs: number, random: () => number): { end(t: number): number | undefined } {
  const spells: (readonly [number, number])[] = [];
  if (spec !== undefined && 'intervals' in spec) spells.push(...spec.intervals);
  else if (spec !== undefined) {
    for (let t = 0; t < untilMs; ) {
      const from = t - Math.log(1 - random()) * spec.everyMs;
      const to = from + spec.forMs[0] + random() * (spec.forMs[1] - spec.forMs[0]);
      spells.push([from, to]);
      t = to;
    }
  }
  return {
    end(t) {
      let lo = 0;
      let hi = spells.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (spells[mid]![1] <= t) lo = mid + 1;
        else hi = mid;
      }
      const spell = spells[lo];
      return spell !== undefined && spell[0] <= t && t < spell[1] ? spell[1] : undefined;
    },
  };
}

export interface SimResult {
  /** Virtual ms from the first send to the last response. */
  wallMs: number;
  /** (N − B) / R: a client that knew R and B exactly, spending the burst at once, then R/s. */
  idealMs: number;
  /** wallMs / idealMs (Infinity when idealMs is 0). */
  ratio: number;
  /** Responses that were 429. */
  throttled: number;
  /** Distinct pauses the client went through (a 429 extending the current pause is not new). */
  pauses: number;
  /** Requests that ended on a 429 after `maxAttempts` attempts (or never finished). */
  failed: number;
  /** Attempts sent in all. */
  attempts: number;
  /** The pacer's rate and state at the end. */
  finalRate: number;
  finalState: string;
  /** True if `maxVirtualMs` ran out first. */
  timedOut: boolean;
}

/**
 * The ideal wall time: spend the B tokens the bucket starts with at once, then one per 1/R.
 * For N ≤ B that is 0 (only round trips); such runs are judged on 429s, not on a ratio.
 */
export function idealWallMs(requests: number, rate: number, burst: number): number {
  return (Math.max(0, requests - burst) / rate) * 1000;
}

/** Defaults of the optional parameters, in one place so callers can print them. */
export const simDefaults = Object.freeze({
  rttMs: [1, 5] as const,
  initialWindow: 10,
  maxWindow: 300,
  maxAttempts: 10,
  policyWindowS: 1,
  epochAtZeroMs: 1_700_000_000_370,
  seed: 1,
  maxVirtualMs: 600_000,
});

type SimEvent =
  | { at: number; seq: number; kind: 'arrive'; client: number; id: number; sentAt: number; backMs: number }
  | {
      at: number;
      seq: number;
      kind: 'respond';
      client: number;
      id: number;
      sentAt: number;
      status: number;
      retryAfterS: number;
      rateLimit?: RateLimitObservation;
    }
  | { at: number; seq: number; kind: 'wake'; client: number };

/** An event before it gets its tie-breaking sequence number. */
type Unscheduled = SimEvent extends infer E ? (E extends SimEvent ? Omit<E, 'seq'> : never) : never;

/** Run one simulation to completion. Deterministic for given parameters. */
export function runTokenBucketSim(params: SimParams): SimResult {
  const { clients, ...combined } = runSharedBucketSim({ ...params, clients: 1 });
  const only = clients[0]!;
  return { ...combined, finalRate: only.finalRate, finalState: only.finalState };
}

/** One of several independent clients (separate processes: nothing shared but the server). */
export interface SimClientResult {
  /** Virtual ms of its last response. */
  wallMs: number;
  throttled: number;
  pauses: number;
  failed: number;
  /** Virtual time of each of its successes, in order. */
  successAt: number[];
  finalRate: number;
  finalState: string;
}

/**
 * `clients` independent clients, each with its own pacer, window, pause and `requests` requests,
 * all submitted at t = 0, against one token-bucket server: fairness without coordination. The
 * combined result counts every client; `idealMs` is for all their requests together.
 */
export function runSharedBucketSim(
  params: SimParams & { clients: number },
): Omit<SimResult, 'finalRate' | 'finalState'> & { clients: SimClientResult[] } {
  const p = { ...simDefaults, ...params };
  const random = mulberry32(p.seed);
  const events = new MinHeap<SimEvent>((a, b) => a.at - b.at || a.seq - b.seq);
  let seq = 0;
  const schedule = (event: Unscheduled): void => {
    events.push({ ...event, seq: seq++ } as SimEvent);
  };

  const server = { tokens: p.burst, last: 0 };
  const clients = Array.from({ length: p.clients }, (_, c) => ({
    pacer: p.pacer(0),
    queue: Array.from({ length: p.requests }, (_, i) => i),
    attemptsOf: new Uint16Array(p.requests),
    window: p.initialWindow,
    inFlight: 0,
    pausedUntil: 0,
    wakeAt: Infinity,
    done: 0,
    result: { wallMs: 0, throttled: 0, pauses: 0, failed: 0, successAt: [] as number[] },
    // The first client's stalls are drawn as a single client's always were.
    stall: stallSchedule(p.stalls?.client, p.maxVirtualMs, mulberry32(p.seed + 0x5eed + 7919 * c)),
  }));
  type Client = (typeof clients)[number];
  let attempts = 0;
  let now = 0;

  const pump = (client: number): void => {
    const c = clients[client]!;
    while (c.queue.length > 0 && c.inFlight < Math.floor(c.window)) {
      const wait = Math.max(c.pausedUntil - now, c.pacer.delayUntilToken(now));
      if (wait > 0) {
        if (now + wait < c.wakeAt) {
          c.wakeAt = now + wait;
          schedule({ at: c.wakeAt, kind: 'wake', client });
        }
        return;
      }
      const id = c.queue.shift()!;
      c.pacer.onSend(now);
      c.inFlight++;
      attempts++;
      c.attemptsOf[id]!++;
      const rtt = p.rttMs[0] + random() * (p.rttMs[1] - p.rttMs[0]);
      const out = rtt * (0.3 + 0.4 * random());
      schedule({ at: now + out, kind: 'arrive', client, id, sentAt: now, backMs: rtt - out });
    }
  };

  const serve = (event: Extract<SimEvent, { kind: 'arrive' }>): void => {
    const t = event.at;
    server.tokens = Math.min(p.burst, server.tokens + (p.rate * (t - server.last)) / 1000);
    server.last = t;
    const ok = server.tokens >= 1;
    if (ok) server.tokens -= 1;
    const retryAfterS = ok ? 0 : Math.max(1, Math.ceil((1 - server.tokens) / p.rate));
    const respondAt = t + event.backMs;
    const rateLimit = observe(p, server.tokens, t, respondAt);
    schedule({
      at: respondAt,
      kind: 'respond',
      client: event.client,
      id: event.id,
      sentAt: event.sentAt,
      status: ok ? 200 : 429,
      retryAfterS,
      ...(rateLimit === undefined ? {} : { rateLimit }),
    });
  };

  const respond = (c: Client, event: Extract<SimEvent, { kind: 'respond' }>): void => {
    c.inFlight--;
    c.result.wallMs = now;
    const base = { sentAt: event.sentAt, ...(event.rateLimit === undefined ? {} : { rateLimit: event.rateLimit }) };
    if (event.status === 429) {
      c.result.throttled++;
      const until = now + event.retryAfterS * 1000;
      if (c.pausedUntil <= now) c.result.pauses++;
      c.pausedUntil = Math.max(c.pausedUntil, until);
      if (c.attemptsOf[event.id]! >= p.maxAttempts) c.result.failed++;
      else c.queue.unshift(event.id);
      hold(c, c.pacer.onResponse(now, { throttled: true, pausedUntil: c.pausedUntil, ...base }));
    } else {
      c.done++;
      c.result.successAt.push(now);
      c.window = Math.min(p.maxWindow, c.window + 1);
      hold(c, c.pacer.onResponse(now, { throttled: false, ...base }));
    }
  };
  /** As the gate does: a hold the pacer asks for becomes the key's pause. */
  const hold = (c: Client, until: number | undefined | void): void => {
    if (typeof until === 'number' && until > c.pausedUntil) c.pausedUntil = until;
  };

  const serverStall = stallSchedule(p.stalls?.server, p.maxVirtualMs, mulberry32(p.seed + 0x5eee));
  clients.forEach((_, i) => pump(i));
  let timedOut = false;
  for (let event = events.pop(); event !== undefined; event = events.pop()) {
    now = event.at;
    if (now > p.maxVirtualMs) {
      timedOut = true;
      break;
    }
    const c = clients[event.client]!;
    // A stalled process handles the event when its spell ends (in the order they came).
    const stalledUntil = (event.kind === 'arrive' ? serverStall : c.stall).end(now);
    if (stalledUntil !== undefined) {
      if (event.kind === 'wake' && event.at === c.wakeAt) c.wakeAt = stalledUntil;
      schedule({ ...event, at: stalledUntil } as Unscheduled);
      continue;
    }
    if (event.kind === 'arrive') serve(event);
    else if (event.kind === 'respond') respond(c, event);
    else if (event.at === c.wakeAt) c.wakeAt = Infinity;
    if (c.stall.end(now) === undefined) pump(event.client);
  }

  const wallMs = Math.max(...clients.map((c) => c.result.wallMs));
  const idealMs = idealWallMs(p.clients * p.requests, p.rate, p.burst);
  const sum = (f: (c: Client) => number): number => clients.reduce((a, c) => a + f(c), 0);
  return {
    wallMs,
    idealMs,
    ratio: idealMs === 0 ? Infinity : wallMs / idealMs,
    throttled: sum((c) => c.result.throttled),
    pauses: sum((c) => c.result.pauses),
    failed: sum((c) => c.result.failed + (p.requests - c.done - c.result.failed)),
    attempts,
    timedOut,
    clients: clients.map((c) => ({ ...c.result, finalRate: c.pacer.rate, finalState: c.pacer.state })),
  };
}

/** The headers a response carries, already parsed, as the header parsers would produce them. */
function observe(
  p: Required<Omit<SimParams, 'pacer' | 'stalls'>>,
  tokens: number,
  servedAt: number,
  respondAt: number,
): RateLimitObservation | undefined {
  const remaining = Math.floor(tokens);
  const fullInMs = ((p.burst - tokens) / p.rate) * 1000;
  if (p.dialect === 'ietf') {
    // RateLimit-Policy: "default";q=R·w;w=w and RateLimit: "default";r=floor(tokens);t=ceil(s to full)
    return {
      dialect: 'ietf',
      limit: Math.round(p.rate * p.policyWindowS),
      windowMs: p.policyWindowS * 1000,
      remaining,
      resetMs: Math.ceil(fullInMs / 1000) * 1000,
    };
  }
  if (p.dialect === 'x-ratelimit-delta' || p.dialect === 'x-ratelimit-ms') {
    // A relative reset, read from the moment the response was received: whole seconds rounded up,
    // or milliseconds rounded up.
    const resetMs = p.dialect === 'x-ratelimit-delta' ? Math.ceil(fullInMs / 1000) * 1000 : Math.ceil(fullInMs);
    // Discord's parser claims the millisecond one; the whole-second one parses as X-RateLimit.
    return { dialect: p.dialect === 'x-ratelimit-ms' ? 'discord' : 'x-ratelimit', limit: p.burst, remaining, resetMs };
  }
  if (p.dialect === 'x-ratelimit') {
    // X-RateLimit-Reset is epoch seconds of the moment the bucket is full again; the parser turns
    // it into ms from the moment the response was received.
    const resetEpochS = Math.ceil((p.epochAtZeroMs + servedAt + fullInMs) / 1000);
    return {
      dialect: 'x-ratelimit',
      limit: p.burst,
      remaining,
      resetMs: Math.max(0, resetEpochS * 1000 - (p.epochAtZeroMs + respondAt)),
    };
  }
  return undefined;
}

/** Schedules a wake-up at `at` unless one is armed sooner; returns the wake-up now armed. */
function armWake(at: number, armed: number, schedule: (event: { at: number; kind: 'wake' }) => void): number {
  if (at >= armed) return armed;
  schedule({ at, kind: 'wake' });
  return at;
}

/** Small seeded PRNG (mulberry32), so runs are reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Binary min-heap; the event queue of the simulation. */
class MinHeap<T> {
  readonly #items: T[] = [];
  constructor(readonly compare: (a: T, b: T) => number) {}

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(items[i]!, items[parent]!) >= 0) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.compare(items[l]!, items[m]!) < 0) m = l;
        if (r < items.length && this.compare(items[r]!, items[m]!) < 0) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m]!, items[i]!];
        i = m;
      }
    }
    return top;
  }
}

// ---------------------------------------------------------------------------------------------
// Closed-loop demand: workers that each send, wait for the answer, think, and send again.

/** One phase of demand: `workers` loops, each thinking `thinkMs` between an answer and its next request. */
export interface DemandPhase {
  workers: number;
  thinkMs: number;
  forMs: number;
}

export interface DemandSimParams {
  phases: readonly DemandPhase[];
  /** The server's token bucket; `Infinity` for a server without a limit. */
  rate: number;
  burst: number;
  /** Arrival numbers (0-based, in the server's order) refused with `Retry-After: 1` whatever the bucket says. */
  scriptedRefusals?: readonly number[];
  pacer: (now: number) => SimPacer;
  rttMs?: readonly [number, number];
  seed?: number;
  /** The pacer's rate is sampled this often. @default 100 */
  sampleEveryMs?: number;
}

export interface DemandSample {
  at: number;
  rate: number;
  state: string;
  /** Attempts sent since the previous sample, per second. */
  sentPerS: number;
}

export interface DemandSimResult {
  samples: DemandSample[];
  throttled: number;
  pauses: number;
  /** Virtual ms at which each phase began. */
  phaseStarts: number[];
}

/**
 * Runs closed-loop demand through the pacer and a shared pause (429s wait out the pause and are
 * sent again) against a token-bucket server, sampling the pacer's rate. Deterministic.
 */
export function runDemandSim(params: DemandSimParams): DemandSimResult {
  const p = { rttMs: simDefaults.rttMs, seed: 1, sampleEveryMs: 100, scriptedRefusals: [], ...params };
  const random = mulberry32(p.seed);
  type Ev =
    | { at: number; seq: number; kind: 'arrive'; sentAt: number; backMs: number }
    | { at: number; seq: number; kind: 'respond'; sentAt: number; ok: boolean }
    | { at: number; seq: number; kind: 'ready' }
    | { at: number; seq: number; kind: 'wake' }
    | { at: number; seq: number; kind: 'phase' }
    | { at: number; seq: number; kind: 'sample' };
  const events = new MinHeap<Ev>((a, b) => a.at - b.at || a.seq - b.seq);
  let seq = 0;
  type UnscheduledEv = Ev extends infer E ? (E extends Ev ? Omit<E, 'seq'> : never) : never;
  const schedule = (event: UnscheduledEv): void => events.push({ ...event, seq: seq++ } as Ev);

  const phaseStarts: number[] = [];
  let end = 0;
  for (const phase of p.phases) {
    phaseStarts.push(end);
    end += phase.forMs;
  }
  const phaseAt = (t: number): DemandPhase | undefined => p.phases.find((_, i) => t >= phaseStarts[i]! && t < phaseStarts[i]! + p.phases[i]!.forMs);

  const pacer = p.pacer(0);
  const server = { tokens: p.burst, last: 0, arrivals: 0 };
  const refusals = new Set(p.scriptedRefusals);
  /** Workers ready to send (each owns one request at a time); `active` counts workers alive. */
  let ready = 0;
  let active = 0;
  let pausedUntil = 0;
  let wakeAt = Infinity;
  let throttled = 0;
  let pauses = 0;
  let sentSinceSample = 0;
  const samples: DemandSample[] = [];
  let now = 0;

  const spawnTo = (workers: number): void => {
    while (active < workers) {
      active++;
      ready++;
    }
  };

  const pump = (): void => {
    while (ready > 0) {
      const wait = Math.max(pausedUntil - now, pacer.delayUntilToken(now));
      if (wait > 0) {
        wakeAt = armWake(now + wait, wakeAt, schedule);
        return;
      }
      ready--;
      pacer.onSend(now);
      sentSinceSample++;
      const rtt = p.rttMs[0] + random() * (p.rttMs[1] - p.rttMs[0]);
      const out = rtt * (0.3 + 0.4 * random());
      schedule({ at: now + out, kind: 'arrive', sentAt: now, backMs: rtt - out });
    }
  };

  /** A worker whose request ended: it thinks, then sends again, unless its phase ended or shrank. */
  const finish = (): void => {
    const phase = phaseAt(now);
    if (phase === undefined || active > phase.workers) {
      active--;
      return;
    }
    if (phase.thinkMs > 0) schedule({ at: now + phase.thinkMs, kind: 'ready' });
    else ready++;
  };

  spawnTo(p.phases[0]?.workers ?? 0);
  for (let t = p.sampleEveryMs; t <= end; t += p.sampleEveryMs) schedule({ at: t, kind: 'sample' });
  phaseStarts.slice(1).forEach((at) => schedule({ at, kind: 'phase' }));
  pump();
  for (let event = events.pop(); event !== undefined; event = events.pop()) {
    now = event.at;
    if (now > end) break;
    spawnTo(phaseAt(now)?.workers ?? 0);
    if (event.kind === 'arrive') {
      const t = event.at;
      server.tokens = Math.min(p.burst, server.tokens + (p.rate * (t - server.last)) / 1000);
      server.last = t;
      const scripted = refusals.has(server.arrivals++);
      const ok = !scripted && server.tokens >= 1;
      if (ok) server.tokens -= 1;
      schedule({ at: t + event.backMs, kind: 'respond', sentAt: event.sentAt, ok });
    } else if (event.kind === 'respond') {
      if (event.ok) {
        pacer.onResponse(now, { throttled: false, sentAt: event.sentAt });
        finish();
      } else {
        throttled++;
        if (pausedUntil <= now) pauses++;
        pausedUntil = Math.max(pausedUntil, now + 1000);
        pacer.onResponse(now, { throttled: true, pausedUntil, sentAt: event.sentAt });
        ready++;
      }
    } else if (event.kind === 'ready') {
      ready++;
    } else if (event.kind === 'wake') {
      if (event.at === wakeAt) wakeAt = Infinity;
    } else if (event.kind === 'sample') {
      samples.push({ at: now, rate: pacer.rate, state: pacer.state, sentPerS: (sentSinceSample * 1000) / p.sampleEveryMs });
      sentSinceSample = 0;
    }
    pump();
  }
  return { samples, throttled, pauses, phaseStarts };
}
