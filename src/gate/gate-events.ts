// Typed events from the gates, for logs, metrics and progress displays: a listener sees every
// limit change, pause, retry and refusal as it happens, with the key it happened to.

export interface SluiceEvents {
  /** A key was paused until `until` (epoch ms), by a response with `status`. */
  pause: { key: string; until: number; status: number | undefined };
  /** A key's concurrency window moved to `limit`. */
  limit: { key: string; limit: number };
  /** An attempt failed and another follows after `delay` ms. */
  retry: { key: string; attempt: number; delay: number; source: 'server' | 'backoff'; status?: number; error?: unknown };
  /** A request was refused by the gate (queue full, shed, timed out in queue, paused too long). */
  reject: { key: string; error: unknown };
}

export type SluiceEventName = keyof SluiceEvents;
export type SluiceListener<E extends SluiceEventName> = (event: SluiceEvents[E]) => void;

export class GateEvents {
  readonly #listeners = new Map<SluiceEventName, Set<(event: never) => void>>();

  /** Subscribes; returns the unsubscribe function. */
  on<E extends SluiceEventName>(name: E, listener: SluiceListener<E>): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<E extends SluiceEventName>(name: E, event: SluiceEvents[E]): void {
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
