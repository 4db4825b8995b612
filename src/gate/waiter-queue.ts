// The bounded priority queue of requests waiting for admission to one gate key. It owns admission
// control (the bound, the overflow policy, load shedding); the gate turns its verdicts into errors.

import { InvalidOptionError } from '../errors.js';
import { withoutUndefined } from '../validate.js';

/** What a full queue does with a newcomer that does not outrank anyone waiting. */
export type OverflowPolicy = 'reject' | 'drop-oldest';

export const overflowPolicies: readonly OverflowPolicy[] = ['reject', 'drop-oldest'];

export interface WaiterQueueOptions {
  /**
   * Most waiters held at once (a positive integer, or `Infinity` for no bound — not advised).
   * 10,000 is large enough that a drop-in `Promise.all(urls.map(fetch))` of a few thousand
   * requests never sees `QueueFullError`, and small enough to stay bounded: a waiter costs the
   * queue under 100 bytes, but a queued fetch with its request state about 2.3 KB
   * (measured by `npm run bench:memory`), so 10,000 waiters are about 23 MB per key. Work larger
   * than that belongs in the bulk API, which pulls on capacity instead of queueing.
   * @default 10000
   */
  maxQueue?: number;
  /**
   * When the queue is full: `'reject'` refuses the newcomer; `'drop-oldest'` evicts the oldest
   * waiter of the lowest priority present (if it is not above the newcomer's) to make room.
   * Under either policy a newcomer of *higher* priority than the lowest waiting displaces one:
   * low-priority work is always shed first.
   * @default 'reject'
   */
  overflow?: OverflowPolicy;
  /**
   * Queue fill (0–1) at which probabilistic load shedding starts. Above it a sheddable newcomer
   * is refused with probability rising linearly to 1 at a full queue. `1` disables shedding.
   * @default 0.5
   */
  shedStart?: number;
  /**
   * Source of randomness for shedding, in [0, 1). Injected so tests are exact.
   * @default Math.random
   */
  random?: () => number;
}

export type NormalizedWaiterQueueOptions = Required<WaiterQueueOptions>;

export const waiterQueueDefaults: Readonly<NormalizedWaiterQueueOptions> = Object.freeze({
  maxQueue: 10_000,
  overflow: 'reject',
  shedStart: 0.5,
  random: Math.random,
});

/** Validates eagerly, so a bad option fails at construction with a message naming it. */
export function normalizeWaiterQueueOptions(options: WaiterQueueOptions = {}): NormalizedWaiterQueueOptions {
  const merged = { ...waiterQueueDefaults, ...withoutUndefined(options) };
  validateMaxQueue(merged.maxQueue);
  if (!overflowPolicies.includes(merged.overflow)) {
    throw new InvalidOptionError('overflow', `one of ${overflowPolicies.map((p) => `'${p}'`).join(', ')}`, merged.overflow);
  }
  if (typeof merged.shedStart !== 'number' || !(merged.shedStart >= 0 && merged.shedStart <= 1)) {
    throw new InvalidOptionError('shedStart', 'a number from 0 to 1', merged.shedStart);
  }
  if (typeof merged.random !== 'function') throw new InvalidOptionError('random', 'a function', merged.random);
  return merged;
}

/** A queued waiter, as seen by its owner. Keep it to remove the waiter when its request aborts. */
export interface WaiterHandle<T> {
  readonly value: T;
  readonly priority: number;
  /** False once the waiter was shifted, removed or evicted. */
  readonly queued: boolean;
}

/**
 * The verdict of `push`. On refusal the caller raises `QueueFullError` (`'full'`) or
 * `LoadShedError` (`'shed'`); an `evicted` waiter was dropped to make room and must be rejected
 * with `QueueFullError` too.
 */
export type PushResult<T> =
  | { readonly admitted: true; readonly handle: WaiterHandle<T>; readonly evicted?: T }
  | { readonly admitted: false; readonly reason: 'full' | 'shed' };

export interface WaiterQueue<T> {
  /**
   * Offers a waiter; higher `priority` is served sooner, FIFO within a priority.
   * Admission, in order:
   * 1. *Shedding.* A newcomer is sheddable when it would be among the least important waiters
   *    (`priority <=` the lowest waiting) while more important work waits (`priority <` the
   *    highest waiting). Above `shedStart` fill it is refused with probability
   *    `(fill - shedStart) / (1 - shedStart)`. Traffic of one priority (all default 0) is
   *    therefore never shed, only bounded by `maxQueue`.
   * 2. *Bound.* When full, the oldest waiter of the lowest priority is evicted if it is below
   *    the newcomer (any policy) or equal to it (`'drop-oldest'`); otherwise the newcomer is
   *    refused as `'full'`.
   */
  push(value: T, priority?: number): PushResult<T>;
  /** Removes and returns the next waiter (highest priority, oldest first). */
  shift(): T | undefined;
  /** The waiter `shift` would return, left in place. */
  peek(): T | undefined;
  /** Removes a waiter in O(1) (an aborted request leaves at once). False if it was not queued here. */
  remove(handle: WaiterHandle<T>): boolean;
  /** Every waiter in service order; removing the current one while iterating is safe. */
  handles(): IterableIterator<WaiterHandle<T>>;
  readonly size: number;
  /** Adjustable at runtime; lowering it evicts no one, it only refuses newcomers until below. */
  maxQueue: number;
}

export function createWaiterQueue<T>(options?: WaiterQueueOptions): WaiterQueue<T> {
  return new PriorityWaiterQueue<T>(normalizeWaiterQueueOptions(options));
}

// One doubly linked list per priority level: push, shift and remove are O(1) in the number of
// waiters, and a removed node is unlinked at once so its memory goes. A heap would need O(n)
// search (or an index map) to remove an aborted waiter. Levels are few in practice; creating or
// dropping one costs O(levels), kept sorted in `levels` (highest first).

class Waiter<T> implements WaiterHandle<T> {
  prev: Waiter<T> | null = null;
  next: Waiter<T> | null = null;
  constructor(
    readonly value: T,
    readonly priority: number,
    public level: Level<T> | null,
  ) {}

  get queued(): boolean {
    return this.level !== null;
  }
}

interface Level<T> {
  readonly owner: PriorityWaiterQueue<T>;
  readonly priority: number;
  head: Waiter<T> | null;
  tail: Waiter<T> | null;
  size: number;
}

const refusedFull = Object.freeze({ admitted: false, reason: 'full' } as const);
const refusedShed = Object.freeze({ admitted: false, reason: 'shed' } as const);

class PriorityWaiterQueue<T> implements WaiterQueue<T> {
  #size = 0;
  #maxQueue: number;
  readonly #overflow: OverflowPolicy;
  readonly #shedStart: number;
  readonly #random: () => number;
  readonly #levels: Level<T>[] = [];
  readonly #byPriority = new Map<number, Level<T>>();

  constructor(options: NormalizedWaiterQueueOptions) {
    this.#maxQueue = options.maxQueue;
    this.#overflow = options.overflow;
    this.#shedStart = options.shedStart;
    this.#random = options.random;
  }

  get size(): number {
    return this.#size;
  }

  get maxQueue(): number {
    return this.#maxQueue;
  }

  set maxQueue(value: number) {
    validateMaxQueue(value);
    this.#maxQueue = value;
  }

  push(value: T, priority = 0): PushResult<T> {
    if (typeof priority !== 'number' || !Number.isFinite(priority)) {
      throw new InvalidOptionError('priority', 'a finite number', priority);
    }
    if (this.#sheddable(priority)) {
      const p = this.#shedProbability();
      // Only consult `random` when shedding is possible, so injected sequences stay aligned.
      if (p > 0 && this.#random() < p) return refusedShed;
    }
    let evicted: Waiter<T> | undefined;
    if (this.#size >= this.#maxQueue) {
      const lowest = this.#levels.at(-1)!; // maxQueue >= 1, so a full queue has a level
      const displaces =
        lowest.priority < priority || (this.#overflow === 'drop-oldest' && lowest.priority === priority);
      if (!displaces) return refusedFull;
      evicted = lowest.head!;
      this.#unlink(evicted);
    }
    const level = this.#levelFor(priority);
    const waiter = new Waiter(value, priority, level);
    if (level.tail === null) level.head = waiter;
    else {
      level.tail.next = waiter;
      waiter.prev = level.tail;
    }
    level.tail = waiter;
    level.size++;
    this.#size++;
    return evicted === undefined ? { admitted: true, handle: waiter } : { admitted: true, handle: waiter, evicted: evicted.value };
  }

  shift(): T | undefined {
    const head = this.#levels[0]?.head;
    if (head == null) return undefined;
    this.#unlink(head);
    return head.value;
  }

  peek(): T | undefined {
    return this.#levels[0]?.head?.value;
  }

  remove(handle: WaiterHandle<T>): boolean {
    if (!(handle instanceof Waiter) || handle.level?.owner !== this) return false;
    this.#unlink(handle as Waiter<T>);
    return true;
  }

  *handles(): IterableIterator<WaiterHandle<T>> {
    for (const level of [...this.#levels]) {
      for (let waiter = level.head; waiter !== null; ) {
        const next: Waiter<T> | null = waiter.next;
        yield waiter;
        waiter = next;
      }
    }
  }

  #sheddable(priority: number): boolean {
    const highest = this.#levels[0];
    const lowest = this.#levels.at(-1);
    return highest !== undefined && lowest !== undefined && priority < highest.priority && priority <= lowest.priority;
  }

  #shedProbability(): number {
    const fill = this.#size / this.#maxQueue;
    if (fill <= this.#shedStart) return 0;
    return Math.min(1, (fill - this.#shedStart) / (1 - this.#shedStart));
  }

  #levelFor(priority: number): Level<T> {
    const existing = this.#byPriority.get(priority);
    if (existing !== undefined) return existing;
    const level: Level<T> = { owner: this, priority, head: null, tail: null, size: 0 };
    let i = 0;
    while (i < this.#levels.length && this.#levels[i]!.priority > priority) i++;
    this.#levels.splice(i, 0, level);
    this.#byPriority.set(priority, level);
    return level;
  }

  #unlink(waiter: Waiter<T>): void {
    const level = waiter.level!;
    if (waiter.prev === null) level.head = waiter.next;
    else waiter.prev.next = waiter.next;
    if (waiter.next === null) level.tail = waiter.prev;
    else waiter.next.prev = waiter.prev;
    // Cut every link: a handle kept by an aborted request must not pin its old neighbours.
    waiter.prev = null;
    waiter.next = null;
    waiter.level = null;
    level.size--;
    this.#size--;
    if (level.size === 0) {
      // Drop empty levels so arbitrary priority values cannot accumulate.
      this.#byPriority.delete(level.priority);
      this.#levels.splice(this.#levels.indexOf(level), 1);
    }
  }
}

function validateMaxQueue(value: unknown): asserts value is number {
  if (typeof value !== 'number' || !((Number.isInteger(value) && value >= 1) || value === Infinity)) {
    throw new InvalidOptionError('maxQueue', 'an integer from 1 and up, or Infinity', value);
  }
}

/** `{ maxQueue: undefined }` means "use the default", as with every other option. */
