// One gate per key, created on first use and evicted once idle, so memory follows the keys in
// use rather than every origin the process ever called.

import { Gate, type GateBuckets, type GateParts } from './gate.js';

export interface GateRegistryOptions {
  /** Builds the parts of a new key's gate (fresh limit, pacer, queue, budget). */
  makeParts: () => GateParts;
  /** ms a gate may stay idle before it is dropped (its learned state goes with it). */
  idleMs: number;
  now: () => number;
}

export class GateRegistry {
  readonly #gates = new Map<string, Gate>();
  #lastSweep: number;

  constructor(readonly options: GateRegistryOptions) {
    this.#lastSweep = options.now();
  }

  /** The gate of `key`, created on first use; `buckets` places a new gate among its base key's buckets. */
  get(key: string, buckets?: () => GateBuckets): Gate {
    let gate = this.#gates.get(key);
    if (gate === undefined) {
      this.#sweep();
      gate = new Gate(key, this.options.makeParts(), buckets?.());
      this.#gates.set(key, gate);
    }
    return gate;
  }

  find(key: string): Gate | undefined {
    return this.#gates.get(key);
  }

  all(): Gate[] {
    return [...this.#gates.values()];
  }

  get size(): number {
    return this.#gates.size;
  }

  close(): void {
    for (const gate of this.#gates.values()) gate.close();
  }

  /** Drops idle gates at most twice per idle period, so the cost is amortised over new keys. */
  #sweep(): void {
    const now = this.options.now();
    if (now - this.#lastSweep < this.options.idleMs / 2) return;
    this.#lastSweep = now;
    for (const [key, gate] of this.#gates) {
      if (gate.idle && now - gate.lastActive >= this.options.idleMs) this.#gates.delete(key);
    }
  }
}
