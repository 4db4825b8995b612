// One key's handle in the Redis store: the in-memory handle does all the deciding, on a state that
// also counts and learns from the rest of the fleet (replayed from its messages); Redis adds the
// shared pause and leases of send times. Without Redis it is exactly the in-memory handle.

import { paceMode, paceRate, paceWaitsForShare } from '../../pacing/pacer.js';
import { inSlowStart } from '../../limits/aimd-limit.js';
import { setTokens, tokensAt } from '../../pacing/token-bucket.js';
import type { AttemptSignal } from '../../signal/attempt-signal.js';
import type { KeyState } from '../key-state.js';
import { type Admission, type AttemptFeedback, pause } from '../learn.js';
import type { KeyChange, KeyHandle } from '../store.js';
import { decodeSignal, encodeSignal, type FleetMessage } from './fleet-messages.js';
import { FleetReplica } from './fleet-replica.js';
import { replayDeposit, replayWithdrawal } from './shared-budget.js';
import { announcePause, readPause, SAME_PAUSE_MS } from './shared-pause.js';
import type { StoreLink } from './store-link.js';
import { TokenLease } from './token-lease.js';

/** What a key needs from its store. */
export interface RedisKeyContext {
  readonly link: StoreLink;
  now(): number;
  /** The Redis key of `part` of gate key `key` (with the prefix and the key's hash tag). */
  redisKey(key: string, part: 'pause' | 'pace'): string;
  /** The state of another key open here, for a response that named it. */
  stateOf(key: string): KeyState | undefined;
  /** How long another process's "constrained" keeps this one sharing. */
  readonly lingerMs: number;
  closed(handle: RedisKey): void;
}

/** An admission with the id the fleet knows it by. */
interface SharedAdmission extends Admission {
  readonly id: number;
}

/** How long the pace's cell outlives its last lease in Redis. */
const PACE_TTL_MS = 60_000;
/** A process's rate counts towards the fleet's pace this long after it last asked for a lease. */
const RATE_FRESH_MS = 2_000;

export class RedisKey implements KeyHandle {
  readonly key: string;
  readonly local: KeyHandle;
  readonly #s: KeyState;
  readonly #replica: FleetReplica;
  readonly #lease = new TokenLease();
  readonly #view: Readonly<KeyState>;
  /** This process's own attempts in flight (the state counts the fleet's). */
  #own = 0;
  #nextId = 0;
  /** This key's attempts and changes go to the fleet. */
  #shared = false;
  #lastNow = 0;
  #replaying = false;
  /** Attempts that wanted to go at the last admission (it and those still queued). */
  #demand = 1;
  /** The lease was dropped for a pause: the next one asks for a single time. */
  #afterPause = false;
  /** Changes heard while a batch is being applied, told to the gate after it. */
  #held: KeyChange[] | undefined;

  constructor(
    local: KeyHandle,
    private readonly context: RedisKeyContext,
    private readonly onChange: (change: KeyChange) => void,
  ) {
    this.key = local.key;
    this.local = local;
    this.#s = local.state as KeyState;
    this.#replica = new FleetReplica(this.#s);
    this.#view = ownView(this.#s, () => this.#own);
  }

  /** The key's state as this process sees it: the fleet's, but its own attempts in flight and counters. */
  get state(): Readonly<KeyState> {
    return this.#view;
  }

  get shared(): boolean {
    return this.#shared;
  }

  /**
   * While the key is shared and paced, a leased send time stands for the pace's token: it is the
   * fleet's token, taken in turn, where every process's copy of the pace would offer the same
   * token to all of them at once. The pause and the window are checked as always, and so is the
   * pace while the server says what is left (rate-limit headers, a fixed window's quota): what
   * the server counts (after a restart of Redis, say) is something a fresh lease cannot know.
   */
  admissible(now: number): boolean {
    if (!this.#needsLease()) return this.local.admissible(now);
    const s = this.#s;
    if (this.#serverCounts() ? !this.local.admissible(now) : s.pausedUntil > now || s.inFlight >= s.window.limit) return false;
    if (this.#lease.ready(now)) return true;
    // Held by the fleet's pace, not by demand: what makes this copy of the pace count as binding.
    paceWaitsForShare(s.pace!, now);
    // A time already reserved comes when it comes (the gate's timer, from admissionIn).
    if (this.#lease.held === 0) this.#refill();
    return false;
  }

  admissionIn(now: number): number | undefined {
    if (!this.#needsLease()) return this.local.admissionIn(now);
    const s = this.#s;
    if (s.pausedUntil > now) return s.pausedUntil - now;
    if (s.inFlight >= s.window.limit) return undefined;
    const local = this.#serverCounts() ? this.local.admissionIn(now) : 0;
    if (local === undefined) return undefined;
    const leased = this.#lease.nextIn(now);
    if (leased !== undefined) return Math.max(local, leased);
    // The refill's answer (or the loss of Redis) wakes the gate.
    this.#refill();
    return local > 0 ? local : undefined;
  }

  admit(now: number, waiting: number): Admission {
    const leased = this.#needsLease();
    if (leased) this.#lease.take();
    const admission = this.local.admit(now, waiting);
    this.#own++;
    // The next lease is asked for as this one runs out, not sooner: each process holding a few
    // times at most, turns come round in the order processes ask, which keeps shares fair.
    this.#demand = waiting + 1;
    if (leased && waiting > 0 && this.#lease.held <= 1) this.#refill();
    if (!this.#shared) return admission;
    const id = this.#nextId++;
    this.context.link.send(['send', this.key, id, admission.alone ? 1 : 0, this.#own, now]);
    const shared: SharedAdmission = { ...admission, id };
    return shared;
  }

  end(admission: Admission, signal: AttemptSignal | undefined, now: number, rated: KeyHandle = this): AttemptFeedback {
    this.#lastNow = now;
    const ratedKey = rated instanceof RedisKey ? rated : this;
    const feedback = this.local.end(admission, signal, now, ratedKey.local);
    this.#own = Math.max(0, this.#own - 1);
    if (this.#shared) {
      const id = (admission as Partial<SharedAdmission>).id ?? -1;
      const rttMs = Math.max(0, now - admission.sentAt);
      this.context.link.send(['end', this.key, id, rttMs, signal ? encodeSignal(signal) : null, this.#own, ratedKey === this ? null : ratedKey.key, now]);
    }
    this.review(now);
    return feedback;
  }

  pause(until: number, status: number | undefined, now: number): void {
    this.#lastNow = now;
    this.local.pause(until, status, now);
  }

  deposit(now: number): void {
    this.local.deposit(now);
    if (this.#shared) this.context.link.send(['deposit', this.key]);
  }

  tryRetry(feedback: AttemptFeedback, now: number): boolean {
    const allowed = this.local.tryRetry(feedback, now);
    // Only a retry the budget paid for is the fleet's business (a window-held one costs nothing).
    if (allowed && this.#shared && !feedback.windowHeld && this.#s.budget !== undefined) this.context.link.send(['withdraw', this.key]);
    return allowed;
  }

  close(): void {
    if (this.#shared) this.context.link.send(['leave', this.key]);
    this.#shared = false;
    this.local.close();
    this.context.closed(this);
  }

  /** A change of the local handle's state: a pause of its own is announced to the fleet. */
  localChange(change: KeyChange): void {
    if (change.type === 'pause') {
      this.#lease.clear();
      this.#afterPause = true;
      if (!this.#replaying) announcePause(this.context.link, this.#redisKeys(), this.key, change.until - this.#lastNow, change.status);
    }
    this.onChange(change);
  }

  /**
   * One batch of another process's messages about this key, applied whole before the gate looks:
   * a batch often says "an attempt ended" and then "another took its place", and a gate woken
   * between the two took the same slot (measured: 943 refusals from a 16-slot server, 55 without
   * the store). A message that cannot be read (another program, a newer sluice) is skipped.
   */
  receiveBatch(from: string, messages: readonly FleetMessage[], now: number): void {
    const held: KeyChange[] = [];
    this.#held = held;
    try {
      for (const message of messages) {
        try {
          this.receive(from, message, now);
        } catch {}
      }
    } finally {
      this.#held = undefined;
    }
    // Every change pumps the gate; a wake only matters when nothing else was said.
    const changes: KeyChange[] = held.filter((change) => change.type !== 'wake');
    if (changes.length === 0 && held.length > 0) changes.push({ type: 'wake' });
    for (const change of changes) this.onChange(change);
  }

  /** A message of another process about this key. */
  receive(from: string, message: FleetMessage, now: number): void {
    const s = this.#s;
    switch (message[0]) {
      case 'send':
        this.#replica.send(from, message[2], message[3] === 1, message[4], now, message[5]);
        return;
      case 'end': {
        const [, , id, rttMs, signal, abs, rated, at] = message;
        const ratedState = rated === null ? undefined : this.context.stateOf(rated);
        this.#replay(now, () => this.#replica.end(from, id, rttMs, signal === null ? undefined : decodeSignal(signal), abs, ratedState, now, at));
        break;
      }
      case 'deposit':
        replayDeposit(s, now);
        return;
      case 'withdraw':
        replayWithdrawal(s, now);
        return;
      case 'sync':
        this.#replica.sync(from, message[2], message[3] === 1, now, this.context.lingerMs);
        this.review(now);
        break;
      case 'leave':
        this.#replica.leave(from);
        break;
      case 'pause': {
        const until = now + message[2];
        if (until > s.pausedUntil + SAME_PAUSE_MS && pause(s, until)) {
          this.#lease.clear();
          this.#afterPause = true;
          this.#tell({ type: 'pause', until, status: message[3] ?? undefined });
        }
        return;
      }
      default:
        return;
    }
    // Room may have opened (an attempt ended, a process left).
    this.#tell({ type: 'wake' });
  }

  /** Shares the key while it (or another process's) is constrained and Redis is joined; stops once healthy. */
  review(now: number): void {
    const { link } = this.context;
    if (!link.joined) return;
    const constrained = this.#constrained(now);
    const shared = constrained || this.#replica.constrainedAt(now);
    if (shared === this.#shared) return;
    this.#shared = shared;
    if (shared) {
      link.send(['sync', this.key, this.#own, constrained ? 1 : 0]);
    } else {
      link.send(['leave', this.key]);
      this.#forgetFleet();
    }
  }

  /** Every second while shared: this process is alive, with this many in flight; the silent are forgotten. */
  heartbeat(now: number, silentMs: number): void {
    if (this.#replica.expire(now, silentMs)) this.onChange({ type: 'wake' });
    this.review(now);
    if (this.#shared) this.context.link.send(['sync', this.key, this.#own, this.#constrained(now) ? 1 : 0]);
  }

  /** Redis joined (at start or again): picks up a pause the fleet holds, and shares if constrained. */
  joined(now: number): void {
    readPause(this.context.link, this.#redisKeys().pause, this.key).then(
      (message) => message && this.receive('redis', message, this.context.now()),
      () => {},
    );
    this.review(now);
  }

  /** Redis was lost: this process is on its own, exactly as without a store. */
  lost(): void {
    this.#shared = false;
    // Leased sends spent the pace's tokens without asking it: a debt run up that way is forgiven.
    const pace = this.#s.pace;
    if (pace !== undefined) {
      const bucket = pace.kind === 'fixed' ? pace.bucket : pace.state.bucket;
      const now = this.context.now();
      if (tokensAt(bucket, now) < 0) setTokens(bucket, 0, now);
    }
    this.#forgetFleet();
  }

  /** The key's pause and pace cell in Redis. */
  #redisKeys(): { pause: string; pace: string } {
    return { pause: this.context.redisKey(this.key, 'pause'), pace: this.context.redisKey(this.key, 'pace') };
  }

  /** Tells the gate of a change now, or once the batch being received is applied. */
  #tell(change: KeyChange): void {
    if (this.#held !== undefined) this.#held.push(change);
    else this.onChange(change);
  }

  #forgetFleet(): void {
    this.#replica.clear();
    this.#lease.clear();
    this.onChange({ type: 'wake' });
  }

  /**
   * The key holds back its traffic: a pause, a finite pace (slow start included), or a window that
   * a refusal bounded (or the user fixed). A healthy key is not shared, so it costs Redis nothing.
   */
  #constrained(now: number): boolean {
    const s = this.#s;
    if (s.pausedUntil > now) return true;
    if (s.pace !== undefined && Number.isFinite(paceRate(s.pace))) return true;
    return s.window.kind === 'static' || !inSlowStart(s.window);
  }

  /**
   * Every finite pace is leased. A fixed window's too: each process's copy grants the whole quota
   * at the window's edge, so unleased the fleet sent it once per process (measured: 4 processes,
   * 61 % of requests refused, 757 of 2,000 failed). Its cell counts the quota per window (see the
   * lease script), so the quota goes at once and is divided among the processes.
   */
  #needsLease(): boolean {
    const pace = this.#s.pace;
    return this.#shared && pace !== undefined && Number.isFinite(paceRate(pace));
  }

  /** The pace follows what the server says is left (headers, a fixed window's quota). */
  #serverCounts(): boolean {
    const pace = this.#s.pace;
    const mode = pace === undefined ? undefined : paceMode(pace);
    return mode === 'header' || mode === 'fixed-window';
  }

  #refill(): void {
    const pace = this.#s.pace;
    if (this.#lease.refilling || pace === undefined || !this.context.link.joined) return;
    const bucket = pace.kind === 'fixed' ? pace.bucket : pace.state.bucket;
    const rate = paceRate(pace);
    // The first lease after a pause is of one time only: every process asks at once as the pause
    // ends, and the first to ask would otherwise take the whole refilled burst — the one that saw
    // the refusal first, every time (measured: two processes at twice the others' share). From
    // then on each asks again as it spends, so turns come round.
    const demand = this.#afterPause ? 1 : this.#demand;
    this.#afterPause = false;
    // A fixed window's cell is as deep as its quota (the bucket's cap), so the quota may go at once;
    // once the window's length is bounded, the cell counts the quota per window of that length
    // (its rate is the quota over it). Unbounded, the rate is the pacer's floor, and a "window" of
    // quota ÷ floor (2,000 s for 100 at 0.05/s) would hold the fleet that long should the cell
    // count times that were never sent.
    const fixedWindow = paceMode(pace) === 'fixed-window' && Number.isFinite(bucket.maxDepth);
    const window = fixedWindow && pace.kind === 'adaptive' && Number.isFinite(pace.state.fixed.windowHigh);
    const cellDepth = fixedWindow ? bucket.maxDepth : bucket.depth;
    const { want, depth, horizonMs } = this.#lease.request(demand, rate, cellDepth);
    this.#lease.startRefill();
    const { link } = this.context;
    const { pace: paceKey, pause: pauseKey } = this.#redisKeys();
    link.run('lease', [paceKey, pauseKey], [want, rate, depth, horizonMs, PACE_TTL_MS, link.id, RATE_FRESH_MS, window ? 1 : 0]).then(
      (reply) => {
        const [pausedMs = 0, ...times] = (reply as unknown[]).map(Number);
        // Refused for a pause recorded since this process last heard: it holds here from now on.
        if (pausedMs > 0) this.receive('redis', ['pause', this.key, pausedMs, null], this.context.now());
        this.#lease.endRefill(times, this.context.now());
        this.onChange({ type: 'wake' });
      },
      // A failure drops the store to local, which wakes every key.
      () => this.#lease.endRefill(undefined, 0),
    );
  }

  /** Replays another process's attempt, telling the gate what moved (as the memory store does for its own). */
  #replay(now: number, replay: () => void): void {
    const s = this.#s;
    const { pausedUntil, window } = s;
    const limit = window.limit;
    this.#replaying = true;
    try {
      replay();
    } finally {
      this.#replaying = false;
    }
    // The pause the refusal caused arrives from its process too; heard twice, it is one pause.
    if (s.pausedUntil !== pausedUntil && s.pausedUntil - pausedUntil <= SAME_PAUSE_MS && pausedUntil > now) s.pausedUntil = pausedUntil;
    if (s.pausedUntil !== pausedUntil) {
      this.#lease.clear();
      this.#afterPause = true;
      this.#tell({ type: 'pause', until: s.pausedUntil, status: undefined });
    }
    if (s.window.limit !== limit) this.#tell({ type: 'limit', limit: s.window.limit });
  }
}

/** The state as the gate reads it: the fleet's, except the attempts in flight, which are this process's. */
function ownView(s: KeyState, own: () => number): Readonly<KeyState> {
  return {
    get key() {
      return s.key;
    },
    get pausedUntil() {
      return s.pausedUntil;
    },
    get inFlight() {
      return own();
    },
    get window() {
      return s.window;
    },
    get pace() {
      return s.pace;
    },
    get budget() {
      return s.budget;
    },
    get counters() {
      return s.counters;
    },
    get remaining() {
      return s.remaining;
    },
    get lastServedAt() {
      return s.lastServedAt;
    },
    get lastServedRttMs() {
      return s.lastServedRttMs;
    },
    get heldPauseUntil() {
      return s.heldPauseUntil;
    },
    get transportFailureShare() {
      return s.transportFailureShare;
    },
  };
}
