// Typed events from the gates, for logs, metrics and progress displays: a listener sees every
// admission, pause, window or rate change, retry and refusal as it happens, with its key.

import type { SignalKind } from '../signal/attempt-signal.js';
import { channelOf } from '../observe/channels.js';

/** Why the gate refused a request (`reject` event, `stats().refused`, `sluice_dropped_total{reason}`). */
export type RefusalReason =
  /** The queue was full (`QueueFullError`). */
  | 'queue-full'
  /** Evicted from a full queue to make room for a newcomer (`overflow: 'drop-oldest'`, or outranked). */
  | 'drop-oldest'
  /** Shed as the queue filled, being among the least important waiting (`LoadShedError`). */
  | 'shed'
  /** Waited longer than `limits.queueTimeout` (`QueueTimeoutError`). */
  | 'queue-timeout'
  /** The key is paused longer than the request may wait (`RateLimitedError`). */
  | 'rate-limited'
  /** The caller aborted the request while it waited in the queue. */
  | 'aborted';

/** How an admitted attempt ended: the attempt's signal kind, or `aborted` (ended with no outcome). */
export type AttemptEnd = SignalKind | 'aborted';

/** What every request event says about the request: no path, no query, no headers. */
export interface RequestEventFacts {
  /** The gate key (the origin unless the `key` option says otherwise; `key [bucket]` on a bucket's gate). */
  key: string;
  /** The rate-limit bucket whose gate this is, when the server named several (see `stats().bucket`). */
  bucket: string | undefined;
  /** The request's origin (`https://host:port`, never credentials). */
  origin: string | undefined;
  /** Upper-case method. */
  method: string | undefined;
}

export interface SluiceEvents {
  /** A request could not be admitted at once and waits in the key's queue (`queued`: its size now). */
  queued: RequestEventFacts & { priority: number; queued: number };
  /**
   * An attempt was admitted and goes out now; `wait` is how long it waited in the queue, in ms (0
   * when admitted at once). One per attempt: a retried request is admitted again.
   */
  admitted: RequestEventFacts & { wait: number; inFlight: number; queued: number };
  /**
   * An admitted attempt ended: `outcome` is how the gate read it (`served`, `rate-refusal`,
   * `capacity-refusal`, `transport-error`, or `aborted`), `status` the response's status if any,
   * `durationMs` the time from admission to the response headers (or the error).
   */
  end: RequestEventFacts & { outcome: AttemptEnd; status: number | undefined; durationMs: number };
  /** A key was paused until `until` (epoch ms), `ms` from now, by a response with `status`. */
  pause: { key: string; until: number; ms: number; status: number | undefined };
  /** A key's concurrency window moved from `previous` to `limit`. */
  limit: { key: string; limit: number; previous: number };
  /**
   * A key's pacing rate (requests per second; Infinity when unpaced) moved markedly: its mode
   * changed, or it moved by more than 10 % since the last `rate` event (smaller moves are only in
   * `stats().rate`). `mode` says what drives it (`slow-start`, `learned`, `headers`, …).
   */
  rate: { key: string; rate: number; mode: string; previous: number; previousMode: string };
  /** An attempt failed and another follows after `delay` ms. */
  retry: { key: string; attempt: number; delay: number; source: 'server' | 'backoff'; status?: number; error?: unknown };
  /** A request was refused by the gate, for `reason`; `error` is what it rejects with. */
  reject: RequestEventFacts & { reason: RefusalReason; error: unknown };
}

export type SluiceEventName = keyof SluiceEvents;
export type SluiceListener<E extends SluiceEventName> = (event: SluiceEvents[E]) => void;

/**
 * One client's events. Each is also published on its `diagnostics_channel` (see
 * observe/channels.ts), for tools that watch every client in the process.
 */
export class GateEvents {
  readonly #listeners = new Map<SluiceEventName, Set<(event: never) => void>>();

  /** Subscribes; returns the unsubscribe function. */
  on<E extends SluiceEventName>(name: E, listener: SluiceListener<E>): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(name) === set) this.#listeners.delete(name);
    };
  }

  /**
   * True when someone hears `name`: a listener here or a subscriber of its channel. The hot
   * events (admitted, end, queued) are only built when this says so: nobody listening costs
   * one lookup, not an object per request.
   */
  wants(name: SluiceEventName): boolean {
    return this.#listeners.has(name) || channelOf(name).hasSubscribers;
  }

  emit<E extends SluiceEventName>(name: E, event: SluiceEvents[E]): void {
    const channel = channelOf(name);
    if (channel.hasSubscribers) channel.publish(event);
    const set = this.#listeners.get(name) as Set<SluiceListener<E>> | undefined;
    if (!set) return;
    for (const listener of set) {
      // A throwing listener must not break admission for everyone else.
      try {
        listener(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
