// Where per-key state lives. The gate reaches a key's state only through a handle from a store:
// in memory by default; a store shared by processes can stand behind the same interface.

import type { AttemptSignal } from '../signal/attempt-signal.js';
import type { KeyState } from './key-state.js';
import type { Admission, AttemptFeedback } from './learn.js';

/** A change of a key's state that its gate acts on (and reports as an event). */
export type KeyChange =
  /** `at`: the clock reading the pause was decided at (the gate's clock when absent), for its length. */
  | { type: 'pause'; until: number; status: number | undefined; at?: number }
  | { type: 'limit'; limit: number }
  | { type: 'rate'; rate: number; mode: string }
  /** The state changed from outside (another process): look again. */
  | { type: 'wake' };

export interface StateStore {
  /**
   * The state of `key`, made by `create` when the store has none. `onChange` hears every change
   * the gate should act on, including those that come from outside this process.
   */
  open(key: string, create: () => KeyState, onChange: (change: KeyChange) => void): KeyHandle;
}

/** One key's state as a store hands it to the gate. Every method takes the time it happens at. */
export interface KeyHandle {
  readonly key: string;
  /** A read-only view for stats and metrics. */
  readonly state: Readonly<KeyState>;
  /** True when an attempt may be admitted now. */
  admissible(now: number): boolean;
  /** ms until an attempt may be admitted, or `undefined` while only an ending attempt makes room. */
  admissionIn(now: number): number | undefined;
  /** Admits an attempt; `waiting`: how many more wait in the gate's queue. */
  admit(now: number, waiting: number): Admission;
  /** An admitted attempt ended; `rated` is the handle of the bucket its response named, if another. */
  end(admission: Admission, signal: AttemptSignal | undefined, now: number, rated?: KeyHandle): AttemptFeedback;
  pause(until: number, status: number | undefined, now: number): void;
  deposit(now: number): void;
  tryRetry(feedback: AttemptFeedback, now: number): boolean;
  /** The gate no longer uses the key (idle, evicted, or the client closed). */
  close(): void;
}
