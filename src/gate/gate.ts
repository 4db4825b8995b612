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
import type { ConcurrencyLimit } from '../limits/limit.js';
import { parseRateLimitHeaders } from '../ratelimit/parse.js';
import { isQuotaRefusal } from '../ratelimit/quota-refusal.js';
import type { RetryBudget } from '../retry/budget.js';
import { type AttemptOutcome, serverDelayOf } from '../retry/policy.js';
import { errorCode } from '../engine/transport-error.js';
import type { BucketRoutes } from './bucket-routes.js';
import type { GateEvents } from './gate-events.js';
import type { WaiterHandle, WaiterQueue } from './waiter-queue.js';

/** What paces releases; `RateController` is the adaptive one. */
export interface Pacer {
  readonly rate: number;
  readonly state: string;
  /** ms until the next release is allowed (0 = now). */
  delayUntilToken(now: number): number;
  /** A release happened at `now` (takes its token). */
  onSend(now: number): void;
  /** An attempt released earlier ended without a response (transport error or abort). */
  onNoResponse?(now: number): void;
  onResponse(
    now: number,
    info: { throttled: boolean; rateLimit?: ReturnType<typeof parseRateLimitHeaders>; pausedUntil?: number; sentAt?: number },
  ): void;
}

/** The parts one gate is made of; the registry builds a fresh set per key. */
export interface GateParts {
  limit: ConcurrencyLimit;
  pacer: Pacer | undefined;
  queue: WaiterQueue<Waiter>;
  budget: RetryBudget | undefined;
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
  /** `undefined` when the attempt was abandoned (abort) and taught nothing. */
  release(outcome: AttemptOutcome | undefined): void;
}

interface Waiter {
  request: AdmissionRequest;
  resolve(ticket: Ticket): void;
  reject(error: unknown): void;
  cleanup(): void;
  handle?: WaiterHandle<Waiter>;
}

export interface GateCounters {
  /** Attempts admitted and sent. */
  sent: number;
  /** Attempts that were retries of an earlier attempt. */
  retried: number;
  /** Rate refusals seen: 429, and 403 with a rate-limit signal. */
  throttled: number;
  /** Capacity refusals seen: 503 and 529. */
  unavailable: number;
  /** Requests shed as the queue filled. */
  shed: number;
  /** Requests refused: queue full, queue timeout, or a pause longer than they could wait. */
  rejected: number;
}

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
}

export class Gate {
  #inFlight = 0;
  #pausedUntil = 0;
  #remaining: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = 0;
  #readyWaiters: { resolve: () => void; reject: (error: unknown) => void; maxWait: number }[] = [];
  #closed = false;
  lastActive: number;
  readonly counters: GateCounters = { sent: 0, retried: 0, throttled: 0, unavailable: 0, shed: 0, rejected: 0 };

  constructor(
    readonly key: string,
    readonly parts: GateParts,
    readonly buckets?: GateBuckets,
  ) {
    this.lastActive = parts.now();
    parts.limit.onChange((limit) => {
      parts.events.emit('limit', { key, limit });
      this.#pump();
    });
  }

  /** True when nothing is queued, in flight or paused: safe to evict. */
  get idle(): boolean {
    return this.#inFlight === 0 && this.parts.queue.size === 0 && this.#pausedUntil <= this.parts.now();
  }

  /** True when a request would be admitted at once. */
  get open(): boolean {
    const now = this.parts.now();
    return (
      this.parts.queue.size === 0 &&
      this.#inFlight < this.parts.limit.limit &&
      this.#pausedUntil <= now &&
      (this.parts.pacer?.delayUntilToken(now) ?? 0) === 0
    );
  }

  /** Counts a logical request into the retry budget (when its first attempt is admitted). */
  deposit(): void {
    this.parts.budget?.deposit();
  }

  /** Takes a retry from the budget; false means the retry is not affordable. */
  tryRetry(): boolean {
    const allowed = this.parts.budget?.tryWithdraw() ?? true;
    if (allowed) this.counters.retried++;
    return allowed;
  }

  /**
   * Admits one attempt: at once when the key is open and nobody waits (the common, healthy
   * case costs no queueing), else through the queue in priority order.
   */
  acquire(request: AdmissionRequest): Promise<Ticket> {
    if (this.#closed) return Promise.reject(new ClientClosedError(request));
    const now = this.parts.now();
    this.lastActive = now;
    if (this.open) return Promise.resolve(this.#admit(now, request));
    const refusal = this.#pauseRefusal(request, now);
    if (refusal) return Promise.reject(refusal);
    return this.#enqueue(request);
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
    const refusal = this.#pauseRefusal({ priority: 0, deadline: Infinity, maxWait }, this.parts.now(), false);
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
    if (until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    this.parts.events.emit('pause', { key: this.key, until, status });
    // Waiters that cannot wait that long learn it now rather than when their time runs out.
    const now = this.parts.now();
    this.#readyWaiters = this.#readyWaiters.filter((waiter) => {
      const refusal = this.#pauseRefusal({ priority: 0, deadline: Infinity, maxWait: waiter.maxWait }, now, false);
      if (refusal) waiter.reject(refusal);
      return !refusal;
    });
    for (const handle of this.parts.queue.handles()) {
      const refusal = this.#pauseRefusal(handle.value.request, now);
      if (refusal) {
        this.parts.queue.remove(handle);
        this.#fail(handle.value, refusal);
      }
    }
    this.#schedule();
  }

  stats(): GateStats {
    const now = this.parts.now();
    return {
      key: this.key,
      inFlight: this.#inFlight,
      queued: this.parts.queue.size,
      limit: this.parts.limit.limit,
      rate: this.parts.pacer?.rate ?? Infinity,
      rateState: this.parts.pacer?.state ?? 'off',
      pausedUntil: this.#pausedUntil > now ? this.#pausedUntil : undefined,
      remaining: this.#remaining,
      retryBudget: this.parts.budget?.remaining ?? Infinity,
      counters: { ...this.counters },
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
  }

  #admit(now: number, request: AdmissionRequest): Ticket {
    this.#inFlight++;
    this.counters.sent++;
    this.parts.pacer?.onSend(now);
    const sentAt = now;
    const inFlight = this.#inFlight;
    let released = false;
    return {
      release: (outcome) => {
        if (released) return;
        released = true;
        const outstanding = this.#inFlight--;
        if (outcome?.type === 'response') this.#learn(outcome, sentAt, inFlight, outstanding, request);
        else {
          const now = this.parts.now();
          this.parts.pacer?.onNoResponse?.(now);
          if (outcome) {
            const sample = { inFlight, outstanding, rttMs: Math.max(0, now - sentAt), dropped: isCapacityError(outcome.error) };
            if (this.parts.limit.onSample(sample)) outcome.windowAbsorbed = true;
          }
        }
        this.#pump();
      },
    };
  }

  /** Turns one response into the key's state: pause, pacing, window, counters. */
  #learn(
    outcome: Extract<AttemptOutcome, { type: 'response' }>,
    sentAt: number,
    inFlight: number,
    outstanding: number,
    request: AdmissionRequest,
  ): void {
    const now = this.parts.now();
    this.lastActive = now;
    const rttMs = Math.max(0, now - sentAt);
    const { status, headers } = outcome;
    const rateLimit = parseRateLimitHeaders(headers, now);
    // What is about rate (quota, pace, a 429's pause) belongs to the bucket the server named;
    // what is about capacity (503s, the window) stays with the gate that sent the request.
    const rated = this.#bucketGate(rateLimit?.bucket, request, now);
    if (rateLimit?.remaining !== undefined) rated.#remaining = rateLimit.remaining;
    // 429 and a quota 403 are about rate; 503 and 529 ("overloaded") about capacity.
    const rateRefusal = status === 429 || isQuotaRefusal(status, headers, now);
    const capacityRefusal = status === 503 || status === 529;
    if (rateRefusal) rated.counters.throttled++;
    if (capacityRefusal) this.counters.unavailable++;
    const serverDelay = rateRefusal || capacityRefusal ? serverDelayOf(headers, now) : undefined;
    if (serverDelay !== undefined) (rateRefusal ? rated : this).pause(now + serverDelay, status);
    // Only rate refusals teach the pacer: a 503 (even with Retry-After) is a capacity signal, and
    // read as a rate it capped a recovering origin at its brownout pace (bench scenario 5).
    rated.parts.pacer?.onResponse(now, {
      throttled: rateRefusal,
      rateLimit,
      pausedUntil: rated.#pausedUntil > now ? rated.#pausedUntil : undefined,
      sentAt,
    });
    // A rate refusal says nothing about concurrency: it neither grows nor cuts the window.
    const sample = { inFlight, outstanding, rttMs, dropped: capacityRefusal, pausedMs: serverDelay };
    if (!rateRefusal && this.parts.limit.onSample(sample)) {
      // Read by the retry policy, which decides after this release: the window holds the retry back.
      outcome.windowAbsorbed = true;
    }
  }

  /** The gate that learns what a response says about rate: the named bucket's, else this one. */
  #bucketGate(bucket: string | undefined, request: AdmissionRequest, now: number): Gate {
    if (bucket === undefined || this.buckets === undefined || bucket === this.buckets.bucket) return this;
    const gate = this.buckets.gateOf(bucket);
    // A request that came to its bucket's gate teaches no route (the usual case, and working
    // out a route costs); one that came to another gate tells where its route belongs.
    if (gate === this) return this;
    const { route } = request;
    if (route !== undefined) this.buckets.routes.learn(this.buckets.baseKey, route, bucket);
    gate.lastActive = now;
    return gate;
  }

  #pauseRefusal(request: AdmissionRequest, now: number, count = true): RateLimitedError | undefined {
    if (this.#pausedUntil <= now) return undefined;
    const patience = Math.min(request.maxWait, request.deadline - now);
    if (this.#pausedUntil - now <= patience) return undefined;
    if (count) this.counters.rejected++;
    return new RateLimitedError(
      this.#pausedUntil,
      `the key is paused ${this.#pausedUntil - now} ms, longer than this request may wait (${Math.max(0, Math.round(patience))} ms)`,
      request,
    );
  }

  #enqueue(request: AdmissionRequest): Promise<Ticket> {
    return new Promise<Ticket>((resolve, reject) => {
      const waiter: Waiter = { request, resolve, reject, cleanup: () => {} };
      const pushed = this.parts.queue.push(waiter, request.priority);
      if (!pushed.admitted) {
        if (pushed.reason === 'shed') {
          this.counters.shed++;
          reject(new LoadShedError(request.priority, this.parts.queue.size, this.parts.queue.maxQueue, request));
        } else {
          this.counters.rejected++;
          reject(new QueueFullError(this.parts.queue.maxQueue, request));
        }
        return;
      }
      if (pushed.evicted) {
        this.counters.rejected++;
        this.#fail(pushed.evicted, new QueueFullError(this.parts.queue.maxQueue, pushed.evicted.request));
      }
      waiter.handle = pushed.handle;
      this.#watch(waiter);
      this.#schedule();
    });
  }

  /** Abort and queue timeout both take a waiter out of the queue at once. */
  #watch(waiter: Waiter): void {
    const { signal } = waiter.request;
    const leave = (error: unknown) => {
      if (waiter.handle && this.parts.queue.remove(waiter.handle)) this.#fail(waiter, error);
    };
    const onAbort = () => leave(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const timeout = this.parts.queueTimeout;
    const timer = Number.isFinite(timeout)
      ? setTimeout(() => {
          this.counters.rejected++;
          leave(new QueueTimeoutError(timeout, waiter.request));
        }, timeout).unref()
      : undefined;
    waiter.cleanup = () => {
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(timer);
    };
  }

  #fail(waiter: Waiter, error: unknown, emit = true): void {
    waiter.cleanup();
    if (emit) this.parts.events.emit('reject', { key: this.key, error });
    waiter.reject(error);
  }

  /** Admits waiters while the key allows; otherwise arranges to look again when it will. */
  #pump(): void {
    const { queue, limit, pacer, now: clock } = this.parts;
    while (queue.size > 0) {
      const now = clock();
      if (this.#pausedUntil > now || this.#inFlight >= limit.limit) break;
      if ((pacer?.delayUntilToken(now) ?? 0) > 0) break;
      const waiter = queue.shift()!;
      waiter.cleanup();
      waiter.resolve(this.#admit(now, waiter.request));
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
    let wait = 0;
    if (this.#pausedUntil > now) wait = this.#pausedUntil - now;
    else if (this.#inFlight >= this.parts.limit.limit) return;
    else wait = this.parts.pacer?.delayUntilToken(now) ?? 0;
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

/** Capacity signals for the concurrency window: timeouts and refused or reset connections. */
function isCapacityError(error: unknown): boolean {
  if (error instanceof Error && error.name === 'TimeoutError') return true;
  const code = errorCode(error);
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT';
}
