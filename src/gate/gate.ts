// The per-key gate: every attempt to a key is admitted here before it is sent and reports here
// when it ends. It holds the key's shared pause, pacer, concurrency window, queue and budget.

import {
  ClientClosedError,
  LoadShedError,
  QueueFullError,
  QueueTimeoutError,
  RateLimitedError,
  type RequestFacts,
} from '../errors.js';
import { paceMode, paceRate } from '../pacing/pacer.js';
import { budgetRemaining } from '../retry/budget.js';
import type { AttemptSignal } from '../signal/attempt-signal.js';
import type { GateCounters, KeyState } from '../state/key-state.js';
import { type AttemptFeedback, NOT_HELD } from '../state/learn.js';
import type { KeyChange, KeyHandle, StateStore } from '../state/store.js';
import type { BucketRoutes } from './bucket-routes.js';
import type { AttemptEnd, GateEvents, RefusalReason } from './gate-events.js';
import { type CountedStatus, GateTally } from './gate-tally.js';
import type { WaiterHandle, WaiterQueue } from './waiter-queue.js';

/** The parts one gate is made of; the registry builds a fresh set per key. */
export interface GateParts {
  /** Where the key's state lives. */
  store: StateStore;
  /** Makes the key's state when the store has none. */
  createState: () => KeyState;
  queue: WaiterQueue<Waiter>;
  /** ms a request may wait in the queue (Infinity for no bound). */
  queueTimeout: number;
  now: () => number;
  events: GateEvents;
}

export interface AdmissionRequest extends RequestFacts {
  signal?: AbortSignal | undefined;
  /** Higher is served sooner. */
  priority: number;
  /** Epoch ms by which the request must be admitted (its total deadline); Infinity for none. */
  deadline: number;
  /** Longest pause this request will wait through (maxRetryAfter). */
  maxWait: number;
  /** The request's route (`routeOf`), read only when a response names a bucket. */
  readonly route?: string | undefined;
}

/**
 * Where a gate stands among the bucket gates of one base key. A response that names a bucket
 * (`x-ratelimit-resource`, `X-RateLimit-Bucket`, IETF `pk`) teaches that bucket's gate — its
 * pause, pace and quota — whichever gate admitted it, and the route is remembered so the next
 * request on it goes to that bucket's gate.
 */
export interface GateBuckets {
  baseKey: string;
  /** This gate's bucket; on the base key's own gate, the first bucket its server named (until then `undefined`). */
  bucket: string | undefined;
  routes: BucketRoutes;
  /** The gate of `bucket` under the same base key, created on first use. */
  gateOf(bucket: string): Gate;
}

/** Admission to send one attempt; `release` must be called exactly once when it ends. */
export interface Ticket {
  /**
   * Reports how the attempt ended (`undefined`: abandoned by an abort, which teaches nothing) and
   * returns what the key's state says back to the retry decision.
   */
  release(signal: AttemptSignal | undefined): AttemptFeedback;
}

interface Waiter {
  request: AdmissionRequest;
  /** When it joined the queue (the gate's clock), for the wait the `admitted` event reports. */
  since: number;
  resolve(ticket: Ticket): void;
  reject(error: unknown): void;
  cleanup(): void;
  handle?: WaiterHandle<Waiter>;
}

export type { GateCounters } from '../state/key-state.js';

export interface GateStats {
  key: string;
  inFlight: number;
  queued: number;
  /** The concurrency window. */
  limit: number;
  /** Pacing rate per second; Infinity when unpaced. */
  rate: number;
  rateState: string;
  /** Epoch ms until which the key is paused; undefined when not paused. */
  pausedUntil: number | undefined;
  /** The server's remaining quota from its last rate-limit headers, when known. */
  remaining: number | undefined;
  /** Retries the budget affords right now; Infinity without a budget. */
  retryBudget: number;
  counters: Readonly<GateCounters>;
  /** Most requests the queue holds (`limits.maxQueue`). */
  maxQueue: number;
  /** The key this gate belongs to: `key` itself, or for a rate-limit bucket's gate, the key it refines. */
  baseKey: string;
  /** The rate-limit bucket this gate stands for, on a bucket's own gate (not on the key's own gate). */
  bucket: string | undefined;
  /** ms the key has spent paused, the running pause up to now included. */
  pausedMs: number;
  /** Requests the gate refused, by reason (`rejected` and `shed` above are their sums). */
  refused: Readonly<Record<RefusalReason, number>>;
  /** Admitted attempts that ended, by how they ended. */
  attempts: Readonly<Record<AttemptEnd, number>>;
  /** Responses with the refusal statuses 429, 503 and 529. */
  responses: Readonly<Record<CountedStatus, number>>;
}

/**
 * The few live figures that say whether a gate has room now: what a bulk run reads before each
 * pull. A small object, where `stats()` copies every counter (6.6 KB of garbage per request when
 * asked per item of a million-item run).
 */
export type GateRoom = Pick<GateStats, 'key' | 'inFlight' | 'queued' | 'limit' | 'rate' | 'pausedUntil'>;

export class Gate {
  readonly handle: KeyHandle;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = 0;
  #readyWaiters: { resolve: () => void; reject: (error: unknown) => void; maxWait: number }[] = [];
  #closed = false;
  /** What the gate counts for stats and events (the key's state counts what the origin did). */
  readonly #tally: GateTally;
  lastActive: number;

  constructor(
    readonly key: string,
    readonly parts: GateParts,
    readonly buckets?: GateBuckets,
  ) {
    this.lastActive = parts.now();
    this.handle = parts.store.open(key, parts.createState, (change) => this.#onChange(change));
    const { window, pace } = this.handle.state;
    this.#tally = new GateTally(window.limit, pace === undefined ? Infinity : paceRate(pace), pace === undefined ? 'off' : paceMode(pace));
  }

  get #state(): Readonly<KeyState> {
    return this.handle.state;
  }

  /** True when nothing is queued, in flight or paused: safe to evict. */
  get idle(): boolean {
    return this.#state.inFlight === 0 && this.parts.queue.size === 0 && this.#state.pausedUntil <= this.parts.now();
  }

  /** True when a request would be admitted at once. */
  get open(): boolean {
    return this.parts.queue.size === 0 && this.handle.admissible(this.parts.now());
  }

  /** Counts a logical request into the retry budget (when its first attempt is admitted). */
  deposit(): void {
    this.handle.deposit(this.parts.now());
  }

  /** Takes a retry from the budget; false means the retry is not affordable. */
  tryRetry(feedback: AttemptFeedback = NOT_HELD): boolean {
    return this.handle.tryRetry(feedback, this.parts.now());
  }

  /**
   * Admits one attempt: at once when the key is open and nobody waits (the common, healthy
   * case costs no queueing), else through the queue in priority order.
   */
  acquire(request: AdmissionRequest): Promise<Ticket> {
    if (this.#closed) return Promise.reject(new ClientClosedError(request));
    const now = this.parts.now();
    this.lastActive = now;
    if (this.open) return Promise.resolve(this.#admit(now, request, now));
    const refusal = this.#pauseRefusal(request, now);
    if (refusal) {
      this.#refuse(request, 'rate-limited', refusal);
      return Promise.reject(refusal);
    }
    return this.#enqueue(request, now);
  }

  /**
   * Resolves when a request to this key would be admitted without queueing. Rejects, as a
   * request would, with `RateLimitedError` when the key is paused longer than `maxWait`, with
   * `ClientClosedError` once closed, and with `signal`'s reason when it aborts.
   */
  ready(maxWait = Infinity, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closed) return Promise.reject(new ClientClosedError());
    if (this.open) return Promise.resolve();
    const refusal = this.#pauseRefusal({ priority: 0, deadline: Infinity, maxWait }, this.parts.now());
    if (refusal) return Promise.reject(refusal);
    return new Promise((resolve, reject) => {
      // An aborted wait leaves the list at once, so a producer that gives up leaves nothing behind.
      const onAbort = (): void => {
        this.#readyWaiters = this.#readyWaiters.filter((other) => other !== waiter);
        reject(signal!.reason);
      };
      const waiter = {
        maxWait,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#readyWaiters.push(waiter);
      this.#schedule();
    });
  }

  /** Pauses the key until `until` (epoch ms); a shorter pause never shortens a longer one. */
  pause(until: number, status?: number): void {
    this.handle.pause(until, status, this.parts.now());
  }

  stats(): GateStats {
    const now = this.parts.now();
    const s = this.#state;
    const tally = this.#tally;
    const { refused } = tally;
    return {
      ...this.room(),
      rateState: s.pace === undefined ? 'off' : paceMode(s.pace),
      remaining: s.remaining,
      retryBudget: s.budget === undefined ? Infinity : budgetRemaining(s.budget, now),
      counters: {
        ...s.counters,
        shed: refused.shed,
        rejected: refused['queue-full'] + refused['drop-oldest'] + refused['queue-timeout'] + refused['rate-limited'],
      },
      maxQueue: this.parts.queue.maxQueue,
      baseKey: this.buckets?.baseKey ?? this.key,
      bucket: this.#bucket,
      pausedMs: tally.pausedMs(now),
      refused: { ...refused },
      attempts: { ...tally.attempts },
      responses: { ...tally.responses },
    };
  }

  /** The part of `stats()` a bulk run reads before each pull, without copying the counters. */
  room(): GateRoom {
    const s = this.#state;
    return {
      key: this.key,
      inFlight: s.inFlight,
      queued: this.parts.queue.size,
      limit: s.window.limit,
      rate: s.pace === undefined ? Infinity : paceRate(s.pace),
      pausedUntil: s.pausedUntil > this.parts.now() ? s.pausedUntil : undefined,
    };
  }

  /** Rejects every waiter with `ClientClosedError` and refuses new ones. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (let waiter = this.parts.queue.shift(); waiter; waiter = this.parts.queue.shift()) {
      this.#fail(waiter, new ClientClosedError(waiter.request), false);
    }
    for (const waiter of this.#readyWaiters.splice(0)) waiter.reject(new ClientClosedError());
    this.handle.close();
  }

  /** Admits `request` at `now`; it asked at `since` (earlier when it waited in the queue). */
  #admit(now: number, request: AdmissionRequest, since: number): Ticket {
    const admission = this.handle.admit(now, this.parts.queue.size);
    if (this.parts.events.wants('admitted')) this.#publishAdmitted(request, now - since);
    let released = false;
    return {
      release: (signal) => {
        if (released) return NOT_HELD;
        released = true;
        const now = this.parts.now();
        const outcome = this.#tally.ended(signal);
        if (this.parts.events.wants('end')) this.#publishEnd(request, outcome, signal, now - admission.sentAt);
        const rated = signal?.rateLimit?.bucket === undefined ? this : this.#bucketGate(signal.rateLimit.bucket, request, now);
        const feedback = this.handle.end(admission, signal, now, rated.handle);
        if (signal !== undefined) this.lastActive = rated.lastActive = now;
        this.#pump();
        return feedback;
      },
    };
  }

  /** Acts on a change of the key's state: events, refusals of those who cannot wait, admission. */
  #onChange(change: KeyChange): void {
    switch (change.type) {
      case 'pause': {
        const now = change.at ?? this.parts.now();
        this.#tally.paused(change.until, now);
        this.parts.events.emit('pause', { key: this.key, until: change.until, ms: change.until - now, status: change.status });
        this.#refuseImpatient();
        break;
      }
      case 'limit':
        this.parts.events.emit('limit', { key: this.key, limit: change.limit, previous: this.#tally.limitMoved(change.limit) });
        break;
      case 'rate': {
        // Told on a marked move only (see GateTally.rateMoved); a rate change admits nobody by itself.
        const moved = this.#tally.rateMoved(change.rate, change.mode);
        if (moved) this.parts.events.emit('rate', { key: this.key, rate: change.rate, mode: change.mode, ...moved });
        return;
      }
      case 'wake':
        this.#refuseImpatient();
        break;
    }
    this.#pump();
  }

  /** Waiters that cannot wait as long as the key is now paused learn it now, not when their time runs out. */
  #refuseImpatient(): void {
    const now = this.parts.now();
    this.#readyWaiters = this.#readyWaiters.filter((waiter) => {
      const refusal = this.#pauseRefusal({ priority: 0, deadline: Infinity, maxWait: waiter.maxWait }, now);
      if (refusal) waiter.reject(refusal);
      return !refusal;
    });
    for (const handle of this.parts.queue.handles()) {
      const refusal = this.#pauseRefusal(handle.value.request, now);
      if (refusal) {
        this.parts.queue.remove(handle);
        this.#fail(handle.value, refusal, 'rate-limited');
      }
    }
  }

  /** The gate that learns what a response says about rate: the named bucket's, else this one. */
  #bucketGate(bucket: string, request: AdmissionRequest, now: number): Gate {
    if (this.buckets === undefined || bucket === this.buckets.bucket) return this;
    const gate = this.buckets.gateOf(bucket);
    // A request that came to its bucket's gate teaches no route (the usual case, and working
    // out a route costs); one that came to another gate tells where its route belongs.
    if (gate === this) return this;
    const { route } = request;
    if (route !== undefined) this.buckets.routes.learn(this.buckets.baseKey, route, bucket);
    gate.lastActive = now;
    return gate;
  }

  #pauseRefusal(request: AdmissionRequest, now: number): RateLimitedError | undefined {
    const pausedUntil = this.#state.pausedUntil;
    if (pausedUntil <= now) return undefined;
    const patience = Math.min(request.maxWait, request.deadline - now);
    if (pausedUntil - now <= patience) return undefined;
    return new RateLimitedError(
      pausedUntil,
      `the key is paused ${pausedUntil - now} ms, longer than this request may wait (${Math.max(0, Math.round(patience))} ms)`,
      request,
    );
  }

  #enqueue(request: AdmissionRequest, now: number): Promise<Ticket> {
    return new Promise<Ticket>((resolve, reject) => {
      const waiter: Waiter = { request, since: now, resolve, reject, cleanup: () => {} };
      const pushed = this.parts.queue.push(waiter, request.priority);
      if (!pushed.admitted) {
        const error =
          pushed.reason === 'shed'
            ? new LoadShedError(request.priority, this.parts.queue.size, this.parts.queue.maxQueue, request)
            : new QueueFullError(this.parts.queue.maxQueue, { method: request.method, origin: request.origin, queued: this.parts.queue.size });
        this.#refuse(request, pushed.reason === 'shed' ? 'shed' : 'queue-full', error);
        reject(error);
        return;
      }
      if (pushed.evicted) {
        const { method, origin } = pushed.evicted.request;
        this.#fail(pushed.evicted, new QueueFullError(this.parts.queue.maxQueue, { method, origin, queued: this.parts.queue.size, evicted: true }), 'drop-oldest');
      }
      if (this.parts.events.wants('queued')) this.#publishQueued(request);
      waiter.handle = pushed.handle;
      this.#watch(waiter);
      this.#schedule();
    });
  }

  /** Abort and queue timeout both take a waiter out of the queue at once. */
  #watch(waiter: Waiter): void {
    const { signal } = waiter.request;
    const leave = (error: unknown, reason: RefusalReason) => {
      if (waiter.handle && this.parts.queue.remove(waiter.handle)) this.#fail(waiter, error, reason);
    };
    const onAbort = () => leave(signal?.reason, 'aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    const timeout = this.parts.queueTimeout;
    const timer = Number.isFinite(timeout)
      ? setTimeout(() => leave(new QueueTimeoutError(timeout, waiter.request), 'queue-timeout'), timeout).unref()
      : undefined;
    waiter.cleanup = () => {
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(timer);
    };
  }

  /** Takes a waiter out with `error`; a refusal (`reason`) is counted and told, a close (`false`) is not. */
  #fail(waiter: Waiter, error: unknown, reason: RefusalReason | false): void {
    waiter.cleanup();
    if (reason !== false) this.#refuse(waiter.request, reason, error);
    waiter.reject(error);
  }

  /** Counts and tells a refusal of `request`. */
  #refuse(request: AdmissionRequest, reason: RefusalReason, error: unknown): void {
    this.#tally.refused[reason]++;
    this.parts.events.emit('reject', { key: this.key, bucket: this.#bucket, origin: request.origin, method: request.method, reason, error });
  }

  /** The bucket this gate stands for; `undefined` on the key's own gate. */
  get #bucket(): string | undefined {
    return this.buckets === undefined || this.buckets.baseKey === this.key ? undefined : this.buckets.bucket;
  }

  // The hot events: their payloads are built only when someone listens (callers ask `wants` first).

  #publishQueued(request: AdmissionRequest): void {
    const { key, parts } = this;
    parts.events.emit('queued', { key, bucket: this.#bucket, origin: request.origin, method: request.method, priority: request.priority, queued: parts.queue.size });
  }

  #publishAdmitted(request: AdmissionRequest, wait: number): void {
    const { key, parts } = this;
    const { inFlight } = this.#state;
    parts.events.emit('admitted', { key, bucket: this.#bucket, origin: request.origin, method: request.method, wait, inFlight, queued: parts.queue.size });
  }

  #publishEnd(request: AdmissionRequest, outcome: AttemptEnd, signal: AttemptSignal | undefined, durationMs: number): void {
    const status = signal?.outcome.type === 'response' ? signal.outcome.status : undefined;
    this.parts.events.emit('end', { key: this.key, bucket: this.#bucket, origin: request.origin, method: request.method, outcome, status, durationMs });
  }

  /** Admits waiters while the key allows; otherwise arranges to look again when it will. */
  #pump(): void {
    const { queue, now: clock } = this.parts;
    while (queue.size > 0) {
      const now = clock();
      if (!this.handle.admissible(now)) break;
      const waiter = queue.shift()!;
      waiter.cleanup();
      waiter.resolve(this.#admit(now, waiter.request, waiter.since));
    }
    if (this.#readyWaiters.length > 0 && this.open) for (const waiter of this.#readyWaiters.splice(0)) waiter.resolve();
    this.#schedule();
  }

  /**
   * One timer per key, for the next moment the key may admit: the end of the pause or the next
   * token. A full window needs no timer: a release pumps. The timer keeps the process alive
   * only while requests wait, since they are pending work.
   */
  #schedule(): void {
    if (this.#closed || (this.parts.queue.size === 0 && this.#readyWaiters.length === 0)) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      return;
    }
    const now = this.parts.now();
    let wait = this.handle.admissionIn(now);
    if (wait === undefined) return;
    // A pacer at rate 0 answers Infinity, which setTimeout turns into 1 ms: a busy loop that
    // admits nothing. Look again in a second instead; beyond 2³¹ ms setTimeout overflows too.
    if (!Number.isFinite(wait)) wait = 1000;
    const at = now + Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(wait)));
    if (this.#timer && this.#timerAt <= at) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pump();
    }, at - now);
  }
}

const MAX_TIMER_MS = 2 ** 31 - 1;
