// The other processes' attempts on one shared key, replayed into this process's state through the
// same rules as its own: so the window and the pace learn from the whole fleet, and the window
// counts the fleet's attempts in flight. Each process's share of that count is a lease that lapses
// when the process falls silent (it died), or leaves the key.

import type { AttemptSignal } from '../../signal/attempt-signal.js';
import type { KeyState, OriginCounters } from '../key-state.js';
import { type Admission, admit, endAttempt } from '../learn.js';
import { createSenderClock, localTime, type SenderClock } from './sender-clock.js';

interface Source {
  /** Its attempts counted into the state's `inFlight`. */
  inFlight: number;
  /** Its attempts in flight as replayed here, by its id for them. */
  readonly admissions: Map<number, Admission>;
  lastHeard: number;
  /** Until when it said it was constrained itself (which keeps the key shared here too). */
  constrainedUntil: number;
  /** Its clock, to place its attempts where they happened. */
  readonly clock: SenderClock;
}

/** Longest list of remote attempts remembered per process: bounds memory if `end` messages are lost. */
const MAX_ADMISSIONS = 10_000;

export class FleetReplica {
  readonly #sources = new Map<string, Source>();
  #remoteInFlight = 0;

  constructor(private readonly state: KeyState) {}

  /** The fleet's attempts in flight other than this process's own. */
  get remoteInFlight(): number {
    return this.#remoteInFlight;
  }

  /**
   * Another process sent an attempt (at `at` on its clock): admitted here as well (its token
   * spent, its slot taken).
   */
  send(from: string, id: number, alone: boolean, abs: number, now: number, at?: number): void {
    const source = this.#source(from, now);
    const sentAt = localTime(source.clock, at, now);
    const admission = keepingCounters(this.state, undefined, () => admit(this.state, now, alone ? 0 : 1, sentAt));
    this.#track(source, 1);
    if (source.admissions.size >= MAX_ADMISSIONS) source.admissions.delete(source.admissions.keys().next().value!);
    source.admissions.set(id, admission);
    this.#settle(source, abs);
  }

  /**
   * Another process's attempt ended (at `at` on its clock): what it says is learned here as if it
   * were this process's own (`rated`: the state of the key its response named, when another key
   * open here).
   */
  end(from: string, id: number, rttMs: number, signal: AttemptSignal | undefined, abs: number, rated: KeyState | undefined, now: number, at?: number): void {
    const source = this.#source(from, now);
    // Placed even when its send was heard: every message teaches the sender's clock.
    const endedAt = localTime(source.clock, at, now);
    const admission = source.admissions.get(id) ?? this.#unseen(source, endedAt - rttMs);
    source.admissions.delete(id);
    // The sender's round trip is exact; placed after the send as replayed, the two stay paired.
    const answeredAt = Math.min(now, admission.sentAt + rttMs);
    keepingCounters(this.state, rated, () => endAttempt(this.state, admission, signal, now, rated ?? this.state, answeredAt));
    this.state.inFlight = Math.max(0, this.state.inFlight);
    this.#track(source, -1);
    this.#settle(source, abs);
  }

  /** The sender's own count in flight, and whether it is constrained (sent when it starts sharing, and every second). */
  sync(from: string, abs: number, constrained: boolean, now: number, lingerMs: number): void {
    const source = this.#source(from, now);
    if (constrained) source.constrainedUntil = now + lingerMs;
    this.#settle(source, abs);
  }

  /** The sender stopped sharing the key: its attempts no longer count here. */
  leave(from: string): void {
    const source = this.#sources.get(from);
    if (source === undefined) return;
    this.#count(source, -source.inFlight);
    this.#sources.delete(from);
  }

  /** Forgets processes not heard from for `silentMs` (they died); true when any was forgotten. */
  expire(now: number, silentMs: number): boolean {
    let dropped = false;
    for (const [from, source] of this.#sources) {
      if (now - source.lastHeard < silentMs) continue;
      this.leave(from);
      dropped = true;
    }
    return dropped;
  }

  /** Forgets every other process (Redis is out of reach: this process is on its own). */
  clear(): void {
    for (const from of [...this.#sources.keys()]) this.leave(from);
  }

  /** Some other process said it was constrained within the linger. */
  constrainedAt(now: number): boolean {
    for (const source of this.#sources.values()) if (source.constrainedUntil > now) return true;
    return false;
  }

  /**
   * An attempt sent before this process heard of it (before it shared the key): learnt from all
   * the same, as one more attempt that was out.
   */
  #unseen(source: Source, sentAt: number): Admission {
    this.#count(source, 1);
    return { sentAt, inFlight: this.state.inFlight, alone: false, waiting: 0 };
  }

  #source(from: string, now: number): Source {
    let source = this.#sources.get(from);
    if (source === undefined) {
      source = { inFlight: 0, admissions: new Map(), lastHeard: now, constrainedUntil: 0, clock: createSenderClock() };
      this.#sources.set(from, source);
    }
    source.lastHeard = now;
    return source;
  }

  /** Brings the count of `source`'s attempts to what it said it has: a lost message costs nothing lasting. */
  #settle(source: Source, abs: number): void {
    if (abs !== source.inFlight) this.#count(source, abs - source.inFlight);
  }

  /** Moves `source`'s count and the state's `inFlight` with it. */
  #count(source: Source, delta: number): void {
    this.#track(source, delta);
    this.state.inFlight = Math.max(0, this.state.inFlight + delta);
  }

  /** Moves `source`'s count only: the rules (admit, endAttempt) moved the state's already. */
  #track(source: Source, delta: number): void {
    source.inFlight += delta;
    this.#remoteInFlight += delta;
  }
}

/**
 * Runs a replay without touching the counters: they say what this process sent and saw (its
 * stats), while everything else in the state is the fleet's.
 */
function keepingCounters<T>(s: KeyState, rated: KeyState | undefined, replay: () => T): T {
  const own: OriginCounters = { ...s.counters };
  const ratedOwn: OriginCounters | undefined = rated && rated !== s ? { ...rated.counters } : undefined;
  try {
    return replay();
  } finally {
    Object.assign(s.counters, own);
    if (ratedOwn !== undefined) Object.assign(rated!.counters, ratedOwn);
  }
}
