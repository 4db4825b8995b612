// The engine of `mapRequests()` and `sluice run`: the pull loop that takes an item from the source
// only when its key has room, sends it, and hands its result to the consumer through a bounded buffer.

import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Engine } from '../engine/engine.js';
import { isRateLimitedError } from '../errors.js';
import type { GateRoom } from '../gate/gate.js';
import type { MapClient } from './map-requests.js';
import type { MapProgress, ToRequest } from './map-result.js';
import { prepareRequest, type PreparedRequest } from './request-spec.js';
import { ResultBuffer } from './result-buffer.js';
import { RunStop } from './run-stop.js';

/** What every result of a run has, whatever its shape otherwise. */
export interface Settled {
  index: number;
  ok: boolean;
  cancelled?: true;
}

/**
 * What the pull loop asks of the gates: a client, or the engine under one. The engine's `room()`
 * is read per item where there is one; a client's full `stats()` otherwise.
 */
export type GateAccess = Pick<MapClient, 'ready' | 'stats'> & Partial<Pick<Engine, 'room'>>;

/** The run, as an item's sender sees it. */
export interface RunControl {
  readonly stop: RunStop;
  /** Whether the run has stopped (a failure then is the stop's doing). */
  stopped(): boolean;
  /** The client was closed: the run must stop rather than fail every remaining item. */
  onClientClosed(error: unknown): void;
}

/** How a run sends its items and words a failure; `client.map` and `sluice run` differ here. */
export interface ItemSender<T, R extends Settled> {
  /** Sends one item; resolves with its result, never rejects. The run's stop aborts it. */
  send(item: T, index: number, prepared: PreparedRequest): Promise<R>;
  /** An item that failed before it was sent: `toRequest` threw, its key could not be told, the run stopped. */
  failed(item: T, index: number, error: unknown, cancelled: boolean): R;
}

export interface BulkRunOptions {
  concurrency: number;
  bufferSize: number;
  ordered: boolean;
  failFast: boolean;
  signal: AbortSignal | undefined;
}

/** The results of a run, as an async iterator you can also read progress from. */
export interface BulkResults<R> extends AsyncIterableIterator<R> {
  readonly progress: MapProgress;
}

export class BulkRun<T, R extends Settled> implements BulkResults<R> {
  readonly #buffer: ResultBuffer<R>;
  /** Requests in flight per gate key, so a key never gets more than its window from this run. */
  readonly #inFlightByKey = new Map<string, number>();
  #pulled = 0;
  #inFlight = 0;
  #yielded = 0;
  #pump: Promise<void> | undefined;
  readonly #stop = new RunStop();
  readonly #sender: ItemSender<T, R>;
  #changed: (() => void) | undefined;
  #detachSignal: () => void = () => {};

  constructor(
    readonly gates: GateAccess,
    readonly source: Iterable<T> | AsyncIterable<T>,
    readonly toRequest: ToRequest<T>,
    readonly options: BulkRunOptions,
    makeSender: (control: RunControl) => ItemSender<T, R>,
  ) {
    this.#buffer = new ResultBuffer(options.ordered);
    const stop = this.#stop;
    this.#sender = makeSender({
      stop,
      stopped: () => stop.stopped,
      onClientClosed: (error) => this.#halt(error),
    });
  }

  get progress(): MapProgress {
    return { pulled: this.#pulled, inFlight: this.#inFlight, buffered: this.#buffer.size, yielded: this.#yielded };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * A result already waiting, handed over without a promise; undefined when none is (then
   * await `next()`). For a consumer of a long run that wants one promise per wait, not per result.
   */
  takeReady(): R | undefined {
    if (this.#pump === undefined) return undefined;
    const result = this.#buffer.takeNow();
    if (result !== undefined) {
      this.#yielded++;
      this.#wake();
    }
    return result;
  }

  async next(): Promise<IteratorResult<R, undefined>> {
    this.#pump ??= this.#start();
    const result = await this.#buffer.take();
    if (result === undefined) return { done: true, value: undefined };
    this.#yielded++;
    this.#wake();
    return { done: false, value: result };
  }

  /** Called by `break` in a for-await loop: stop pulling, abort what is in flight, close the source. */
  async return(): Promise<IteratorResult<R, undefined>> {
    this.#halt(new DOMException('The results of the bulk run were no longer read', 'AbortError'));
    await this.#pump;
    return { done: true, value: undefined };
  }

  #start(): Promise<void> {
    const { signal } = this.options;
    if (signal) {
      const onAbort = () => this.#halt(signal.reason);
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#detachSignal = () => signal.removeEventListener('abort', onAbort);
    }
    return this.#run().finally(() => this.#detachSignal());
  }

  /** The pull loop: one item at a time, each only once there is room for it. */
  async #run(): Promise<void> {
    let iterator: Iterator<T> | AsyncIterator<T> | undefined;
    let failure: { error: unknown } | undefined;
    let exhausted = false;
    try {
      const source = this.source as Partial<AsyncIterable<T> & Iterable<T>>;
      iterator = source[Symbol.asyncIterator]?.() ?? source[Symbol.iterator]!();
      let lastTarget: string | URL | undefined;
      // Places the last item's key had left when it was sent, as far as its stats then told.
      let spare = 0;
      // Per item, the common case (room, a sync source, a sync toRequest) awaits nothing: a
      // promise per step per item is garbage a million-item run need not make.
      while (!this.#stop.stopped) {
        if (!this.#hasRoom() && !(await this.#until(this.#hasRoom))) break;
        // The item's key is unknown until it is pulled; the last item's key is the best guess
        // (right for single-origin sources), so capacity is there before the pull, not after.
        // Known spare room makes asking again needless (the key is asked after the pull anyway).
        if (lastTarget !== undefined && spare <= 0 && !this.#roomNow(lastTarget)) {
          if ((await this.#keyHasRoom(lastTarget)) === undefined) break;
        }
        const next = iterator.next();
        const step = isThenable(next) ? await this.#stop.orStop(next) : next;
        if (step === undefined) break;
        if (step.done) {
          exhausted = true;
          break;
        }
        const index = this.#pulled++;
        let prepared = this.#prepare(step.value, index);
        if (isThenable(prepared)) prepared = await prepared;
        if (prepared === undefined) continue;
        lastTarget = prepared.target;
        const room = this.#roomNow(prepared.target) ?? (await this.#keyHasRoom(prepared.target));
        if (room === undefined) {
          this.#settle(this.#sender.failed(step.value, index, this.#stop.reason, true));
          break;
        }
        if (room.error) {
          // The key could not be told (a throwing `key` option): this item fails, the run goes on.
          lastTarget = undefined;
          this.#settle(this.#sender.failed(step.value, index, room.error.reason, false));
          continue;
        }
        this.#send(step.value, index, prepared, room.key);
        // Not for a paced key: a pause can begin during its turn below, and the next pull must
        // see it.
        spare =
          room.limit === undefined || Number.isFinite(room.rate)
            ? 0
            : Math.min(room.limit - room.inFlight! - 1, room.limit - this.#inFlightByKey.get(room.key)!);
        // Admission happens a few microtasks into the send. While the key is paced, let it take
        // its token before `ready()` is asked about the next item, or that item would queue in
        // the gate. Unpaced, the window alone decides, and a turn per item would cost throughput.
        if (Number.isFinite(room.rate)) await nextTurn();
      }
    } catch (error) {
      // The source itself failed: what is in flight still settles, then the consumer gets it.
      exhausted = true;
      failure = { error };
    }
    if (!exhausted) closeQuietly(iterator);
    await this.#until(() => this.#inFlight === 0, false);
    this.#buffer.end(failure);
  }

  /** The run is under `concurrency` and holds fewer than `bufferSize` items. */
  readonly #hasRoom = (): boolean =>
    this.#inFlight < this.options.concurrency && this.#inFlight + this.#buffer.size < this.options.bufferSize;

  /**
   * Runs `toRequest`; a throw or a bad spec settles the item as failed (undefined returned). A
   * promise only when `toRequest` returned one.
   */
  #prepare(item: T, index: number): PreparedRequest | undefined | Promise<PreparedRequest | undefined> {
    try {
      const spec = this.toRequest(item, index);
      if (!isThenable(spec)) return prepareRequest(spec);
      return Promise.resolve(spec)
        .then(prepareRequest)
        .catch((error: unknown) => this.#failPrepare(item, index, error));
    } catch (error) {
      return this.#failPrepare(item, index, error);
    }
  }

  #failPrepare(item: T, index: number, error: unknown): undefined {
    this.#settle(this.#sender.failed(item, index, error, false));
    return undefined;
  }

  /**
   * The common case without a wait (or a promise): the key's gate is open — nothing queued, its
   * window not full, not paused, not paced — and this run is under the window too. That is what
   * `ready()` would answer at once; a paced key always asks `ready()`, which knows its tokens.
   * A key that cannot be told (the `key` option threw) is room with that error, for the item to fail.
   */
  #roomNow(target: string | URL): Room | undefined {
    let stats;
    try {
      stats = this.#room(target);
    } catch (reason) {
      return { key: '', rate: Infinity, error: { reason } };
    }
    if (!stats || this.#stop.stopped) return undefined;
    const open = stats.queued === 0 && stats.inFlight < stats.limit && stats.pausedUntil === undefined && stats.rate === Infinity;
    return open && (this.#inFlightByKey.get(stats.key) ?? 0) < stats.limit ? stats : undefined;
  }

  /**
   * Waits until `target`'s key is under its window for this run and its gate admits now, and
   * returns the key's stats then; undefined if the run stopped first. A key paused past what a
   * request may wait (`ready()` rejects with `RateLimitedError`) is room too: the gate fails
   * such a request at once, so the item becomes a failed result and the run goes on.
   */
  async #keyHasRoom(target: string | URL): Promise<Room | undefined> {
    for (;;) {
      if (this.#stop.stopped) return undefined;
      let stats;
      try {
        stats = this.#room(target);
      } catch (reason) {
        return { key: '', rate: Infinity, error: { reason } };
      }
      if (stats && (this.#inFlightByKey.get(stats.key) ?? 0) >= stats.limit) {
        await this.#nextChange();
        continue;
      }
      // The signal takes the wait out of the gate on a stop; the race also covers a client of
      // `mapRequests` whose ready() ignores it, so a stop is never stuck behind a long pause.
      try {
        await this.#stop.orStop(this.gates.ready(target, { signal: this.#stop.signal }));
      } catch (reason) {
        if (this.#stop.stopped) return undefined;
        if (isRateLimitedError(reason)) return { key: stats?.key ?? String(target), rate: Infinity };
        if ((reason as { code?: unknown } | null)?.code === 'SLUICE_CLIENT_CLOSED') {
          this.#halt(reason);
          return undefined;
        }
        return { key: '', rate: Infinity, error: { reason } };
      }
      if (this.#stop.stopped) return undefined;
      const after = this.#room(target);
      if (!after) return { key: String(target), rate: Infinity };
      if ((this.#inFlightByKey.get(after.key) ?? 0) < after.limit) return after;
    }
  }

  #room(target: string | URL): GateRoom | undefined {
    return this.gates.room === undefined ? this.gates.stats(target) : this.gates.room(target);
  }

  #send(item: T, index: number, prepared: PreparedRequest, key: string): void {
    this.#inFlight++;
    this.#inFlightByKey.set(key, (this.#inFlightByKey.get(key) ?? 0) + 1);
    void this.#sender.send(item, index, prepared).then((result) => {
      this.#inFlight--;
      const left = this.#inFlightByKey.get(key)! - 1;
      if (left === 0) this.#inFlightByKey.delete(key);
      else this.#inFlightByKey.set(key, left);
      this.#settle(result);
    });
  }

  #settle(result: R): void {
    this.#buffer.push(result);
    if (!result.ok && this.options.failFast) {
      this.#halt(new DOMException(`Stopped because item ${result.index} failed (failFast)`, 'AbortError'));
    }
    this.#wake();
  }

  /** Stops the run: no more pulling, items in flight aborted, every wait released. */
  #halt(reason: unknown): void {
    this.#stop.stop(reason);
    this.#wake();
  }

  /** Waits for `predicate`; false if the run stopped first (unless `stoppable` is false). */
  async #until(predicate: () => boolean, stoppable = true): Promise<boolean> {
    for (;;) {
      if (predicate()) return true;
      if (stoppable && this.#stop.stopped) return false;
      await this.#nextChange();
    }
  }

  /** Resolves at the next settle, read or stop; only the pull loop ever waits here. */
  #nextChange(): Promise<void> {
    return new Promise((resolve) => (this.#changed = resolve));
  }

  #wake(): void {
    const changed = this.#changed;
    this.#changed = undefined;
    changed?.();
  }
}

/** Room for an item's key: its stats (or their fields the loop reads), or why its key is unknown. */
interface Room {
  key: string;
  rate: number;
  /** The key's window and requests in flight, when its stats were read. */
  limit?: number;
  inFlight?: number;
  error?: { reason: unknown };
}

function isThenable<V>(value: V | PromiseLike<V>): value is PromiseLike<V> {
  return typeof (value as Partial<PromiseLike<V>> | null)?.then === 'function';
}

/** Lets the source release what it holds (a file, a cursor); a hanging or failing return is ignored. */
function closeQuietly(iterator: Iterator<unknown> | AsyncIterator<unknown> | undefined): void {
  try {
    const closing = iterator?.return?.();
    if (closing instanceof Promise) closing.catch(() => {});
  } catch {
    // The source's own cleanup failed; nothing left to do for it.
  }
}
