// The default store: each key's state is a plain object in this process, changed by the rules in
// learn.ts; changes the gate must act on are found by comparing before and after.

import { paceMode, paceRate } from '../pacing/pacer.js';
import type { AttemptSignal } from '../signal/attempt-signal.js';
import type { KeyState } from './key-state.js';
import { type Admission, type AttemptFeedback, admissible, admissionIn, admit, deposit, endAttempt, pause, tryRetry } from './learn.js';
import type { KeyChange, KeyHandle, StateStore } from './store.js';

export function createMemoryStore(): StateStore {
  return { open: (key, create, onChange) => new MemoryKey(key, create(), onChange) };
}

class MemoryKey implements KeyHandle {
  constructor(
    readonly key: string,
    readonly state: KeyState,
    private readonly onChange: (change: KeyChange) => void,
  ) {}

  admissible(now: number): boolean {
    return admissible(this.state, now);
  }

  admissionIn(now: number): number | undefined {
    return admissionIn(this.state, now);
  }

  admit(now: number, waiting: number): Admission {
    return admit(this.state, now, waiting);
  }

  end(admission: Admission, signal: AttemptSignal | undefined, now: number, rated: KeyHandle = this): AttemptFeedback {
    const s = this.state;
    const other = rated === this ? undefined : (rated as MemoryKey);
    const limit = s.window.limit;
    const pausedUntil = s.pausedUntil;
    const ratedPausedUntil = other?.state.pausedUntil ?? 0;
    const rate = other === undefined && s.pace !== undefined ? paceRate(s.pace) : undefined;
    const feedback = endAttempt(s, admission, signal, now, other?.state);
    if (s.pausedUntil !== pausedUntil) this.#paused(signal, now);
    if (other !== undefined && other.state.pausedUntil !== ratedPausedUntil) other.#paused(signal, now);
    if (s.window.limit !== limit) this.onChange({ type: 'limit', limit: s.window.limit });
    if (rate !== undefined && paceRate(s.pace!) !== rate) this.onChange({ type: 'rate', rate: paceRate(s.pace!), mode: paceMode(s.pace!) });
    return feedback;
  }

  pause(until: number, status: number | undefined, now: number): void {
    if (pause(this.state, until)) this.onChange({ type: 'pause', until, status, at: now });
  }

  deposit(now: number): void {
    deposit(this.state, now);
  }

  tryRetry(feedback: AttemptFeedback, now: number): boolean {
    return tryRetry(this.state, feedback, now);
  }

  close(): void {}

  #paused(signal: AttemptSignal | undefined, now: number): void {
    const status = signal?.outcome.type === 'response' ? signal.outcome.status : undefined;
    this.onChange({ type: 'pause', until: this.state.pausedUntil, status, at: now });
  }
}
