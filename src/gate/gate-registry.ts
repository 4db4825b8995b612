// One gate per key, created on first use and evicted once idle, so memory follows the keys in
// use rather than every origin the process ever called.

import { type BucketRoutes, bucketKey } from './bucket-routes.js';
import { Gate, type GateParts } from './gate.js';

export interface GateRegistryOptions {
  /** Builds the parts of a new key's gate (its queue, and how its state is made). */
  makeParts: (key: string) => GateParts;
  /** ms a gate may stay idle before it is dropped (its learned state goes with it). */
  idleMs: number;
  now: () => number;
  /** Routes learned from bucket hints; without it, a gate never hands a response to a bucket's gate. */
  routes?: BucketRoutes | undefined;
}

export class GateRegistry {
  readonly #gates = new Map<string, Gate>();
  #lastSweep: number;

  constructor(readonly options: GateRegistryOptions) {
    this.#lastSweep = options.now();
  }

  /**
   * The gate of `key`, created on first use; with `bucket`, the gate of that rate-limit bucket
   * under `key`. The first bucket a key's server names is the key's own gate's, so a server with
   * one quota (or the main one, GitHub's `core`) keeps one gate and `stats(origin)` shows it.
   */
  get(key: string, bucket?: string): Gate {
    this.#sweep();
    const base = this.#gate(key, key, undefined);
    if (bucket === undefined || base.buckets === undefined) return base;
    base.buckets.bucket ??= bucket;
    if (base.buckets.bucket === bucket) return base;
    return this.#gate(bucketKey(key, bucket), key, bucket);
  }

  #gate(gateKey: string, baseKey: string, bucket: string | undefined): Gate {
    let gate = this.#gates.get(gateKey);
    if (gate === undefined) {
      const { routes } = this.options;
      const buckets = routes && { baseKey, bucket, routes, gateOf: (name: string) => this.get(baseKey, name) };
      gate = new Gate(gateKey, this.options.makeParts(gateKey), buckets);
      this.#gates.set(gateKey, gate);
    }
    return gate;
  }

  find(key: string): Gate | undefined {
    this.#sweep();
    return this.#gates.get(key);
  }

  all(): Gate[] {
    this.#sweep();
    return [...this.#gates.values()];
  }

  get size(): number {
    return this.#gates.size;
  }

  close(): void {
    for (const gate of this.#gates.values()) gate.close();
  }

  /**
   * Drops idle gates, at most twice per idle period: every lookup checks the clock, so a fixed set
   * of keys expires as documented too, and the cost is one comparison between sweeps.
   */
  #sweep(): void {
    const now = this.options.now();
    if (now - this.#lastSweep < this.options.idleMs / 2) return;
    this.#lastSweep = now;
    for (const [key, gate] of this.#gates) {
      if (gate.idle && now - gate.lastActive >= this.options.idleMs) {
        this.#gates.delete(key);
        gate.close();
      }
    }
  }
}
