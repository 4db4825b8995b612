// The client-side pacer of one key: a token bucket whose rate the pacing modes steer, and whose
// token count header modes may overwrite with what the server says is left.

import { InvalidOptionError } from '../errors.js';
import { withoutUndefined } from '../validate.js';

/** Tokens short of a whole one that still count as one (float rounding, not policy). */
const TOKEN_EPSILON = 1e-9;
/** A late timer's credit stays this far below a whole extra token (see `#settle`). */
const SUB_TOKEN_MARGIN = 1e-6;

export interface TokenBucketOptions {
  /**
   * Tokens per second. `Infinity` means unpaced: a token is always available.
   * @default Infinity
   */
  rate?: number;
  /**
   * Least depth in tokens. A little depth absorbs timer lateness: with depth 1 a late timer's
   * token is simply lost, which delivered 85/s against a 98/s target (RATE-DISCOVERY point 6).
   * @default 3
   */
  minDepth?: number;
  /**
   * Depth expressed as time at the current rate, used when it gives more than `minDepth`
   * (≈ 20 ms, RATE-DISCOVERY point 6): at 500/s the bucket holds 10 tokens, not 3.
   * @default 20
   */
  depthMs?: number;
  /**
   * Upper bound on the depth, whatever `minDepth` and `depthMs` say. The rate controller lowers
   * it to the server's burst once known, so a bucket refilled during a pause never releases
   * more at once than the server can take.
   * @default Infinity
   */
  maxDepth?: number;
  /**
   * A waiter's timer that fires late keeps what accrued past its token's due time, short of one
   * whole token beyond the depth, so timer lateness never slows the pace (see `#settle`). The
   * next release may then follow a late one by less than 1/rate, which a server whose burst is 1
   * refuses: the rate controller turns this off until it knows the burst is 2 or more.
   * @default true
   */
  keepPace?: boolean;
  /**
   * More credit for a late timer than `keepPace` gives: up to this many ms worth past the depth
   * (never past `maxDepth`, the server's burst once known), so a timer tens of ms late under load
   * can release the tokens it missed. Only lateness counts — the time after a token the caller was told to wait for
   * (`delayUntilToken` > 0) became due — so demand that was idle earns nothing.
   *
   * Off by default: measured over loopback (2 cores, load 1.5–3), 30 ms made no difference with
   * Retry-After only (100/s, B = 10: 1.15–1.30 × ideal with it, 1.15–1.34 × without), and at
   * 300/s, B = 20 with headers the credited bunches outran the server in some runs (up to 145 ×
   * 429 and 2.4 × ideal, against ≤ 24 and 1.22 × without).
   * @default 0
   */
  catchUpMs?: number;
  /**
   * Tokens at creation. Fewer than the depth makes first contact careful.
   * @default the depth
   */
  initialTokens?: number;
}

export interface NormalizedTokenBucketOptions {
  rate: number;
  minDepth: number;
  depthMs: number;
  maxDepth: number;
  catchUpMs: number;
  keepPace: boolean;
  initialTokens: number | undefined;
}

export const tokenBucketDefaults: Readonly<Omit<NormalizedTokenBucketOptions, 'initialTokens'>> = Object.freeze({
  rate: Infinity,
  minDepth: 3,
  depthMs: 20,
  maxDepth: Infinity,
  catchUpMs: 0,
  keepPace: true,
});

export function normalizeTokenBucketOptions(options: TokenBucketOptions = {}): NormalizedTokenBucketOptions {
  const o = { ...tokenBucketDefaults, initialTokens: undefined, ...withoutUndefined(options) };
  assertRate('rate', o.rate);
  if (typeof o.minDepth !== 'number' || !Number.isFinite(o.minDepth) || o.minDepth < 1) {
    throw new InvalidOptionError('minDepth', 'a finite number from 1 and up', o.minDepth);
  }
  if (typeof o.depthMs !== 'number' || !Number.isFinite(o.depthMs) || o.depthMs < 0) {
    throw new InvalidOptionError('depthMs', 'a finite number from 0 and up', o.depthMs);
  }
  if (typeof o.maxDepth !== 'number' || Number.isNaN(o.maxDepth) || o.maxDepth < 1) {
    throw new InvalidOptionError('maxDepth', 'a number from 1 and up (Infinity allowed)', o.maxDepth);
  }
  if (typeof o.catchUpMs !== 'number' || !Number.isFinite(o.catchUpMs) || o.catchUpMs < 0) {
    throw new InvalidOptionError('catchUpMs', 'a finite number from 0 and up', o.catchUpMs);
  }
  if (typeof o.keepPace !== 'boolean') throw new InvalidOptionError('keepPace', 'a boolean', o.keepPace);
  if (o.initialTokens !== undefined && (typeof o.initialTokens !== 'number' || !Number.isFinite(o.initialTokens))) {
    throw new InvalidOptionError('initialTokens', 'a finite number', o.initialTokens);
  }
  return o;
}

/**
 * Depth for a rate: the larger of `minDepth` and `depthMs` worth of tokens, capped by `maxDepth`
 * (never below 1, so a token can always accrue).
 */
export function depthFor(rate: number, minDepth: number, depthMs: number, maxDepth: number): number {
  if (rate === Infinity) return Infinity;
  return Math.max(1, Math.min(maxDepth, Math.max(minDepth, (rate * depthMs) / 1000)));
}

/**
 * Tokens after `elapsedMs` of accrual. Accrual stops at the depth, but a level already above the
 * depth (set from a server's `remaining`) is kept until spent: it is an allowance the server
 * granted, not something the client saved up.
 */
export function accrue(level: number, rate: number, depth: number, elapsedMs: number): number {
  if (level >= depth) return level;
  return Math.min(depth, level + (rate * Math.max(0, elapsedMs)) / 1000);
}

/**
 * A token bucket on explicit time (`now` in ms, any monotonic origin), as plain data: no timers,
 * no clock reads. The gate asks `tokenDelay(bucket, now)`; at 0 it may release an attempt and
 * `takeToken(bucket, now)`. The level may go negative through `setTokens` (the server says fewer
 * are left than the client thought), which simply pushes the next token further out.
 */
export interface TokenBucketState {
  /** Tokens per second; `Infinity` when unpaced. */
  rate: number;
  readonly minDepth: number;
  readonly depthMs: number;
  maxDepth: number;
  readonly catchUpMs: number;
  keepPace: boolean;
  /** Current depth in tokens (`Infinity` when unpaced). */
  depth: number;
  level: number;
  last: number;
  /** When the token a caller was last told to wait for became due (see `catchUpMs`). */
  dueAt: number | undefined;
}

export function createTokenBucket(options: TokenBucketOptions = {}, now = 0): TokenBucketState {
  const o = normalizeTokenBucketOptions(options);
  const depth = depthFor(o.rate, o.minDepth, o.depthMs, o.maxDepth);
  return {
    rate: o.rate,
    minDepth: o.minDepth,
    depthMs: o.depthMs,
    maxDepth: o.maxDepth,
    catchUpMs: o.catchUpMs,
    keepPace: o.keepPace,
    depth,
    level: o.initialTokens ?? (depth === Infinity ? o.minDepth : depth),
    last: now,
    dueAt: undefined,
  };
}

/** Tokens available at `now` (fractional; negative while in debt; `Infinity` when unpaced). */
export function tokensAt(b: TokenBucketState, now: number): number {
  if (b.rate === Infinity) return Infinity;
  return accrue(b.level, b.rate, b.depth, now - b.last);
}

/** ms until one whole token is available: 0 if one is, `Infinity` at rate 0. */
export function tokenDelay(b: TokenBucketState, now: number): number {
  const tokens = tokensAt(b, now);
  // The tolerance stops a caller that sleeps exactly the returned delay from waking to
  // 0.9999999999 tokens (float rounding) and sleeping again for a nanosecond.
  if (tokens >= 1 - TOKEN_EPSILON) return 0;
  if (b.rate === 0) return Infinity;
  const delay = ((1 - tokens) * 1000) / b.rate;
  b.dueAt = now + delay;
  return delay;
}

/**
 * Spend one token. Call it only after `tokenDelay` returned 0; taking without a token puts the
 * bucket in debt rather than failing, so a caller that races never loses count.
 */
export function takeToken(b: TokenBucketState, now: number): void {
  if (b.rate === Infinity) return;
  settle(b, now);
  b.level -= 1;
}

/**
 * Change the rate from `now` on. Tokens accrued so far at the old rate are kept (clamped to the
 * new depth if they were within the old one); leaving unpaced starts from a full bucket.
 */
export function setRate(b: TokenBucketState, rate: number, now: number): void {
  assertRate('rate', rate);
  if (rate === b.rate) return;
  const wasUnpaced = b.rate === Infinity;
  settle(b, now);
  const oldDepth = b.depth;
  b.rate = rate;
  b.depth = depthFor(rate, b.minDepth, b.depthMs, b.maxDepth);
  if (wasUnpaced) b.level = b.depth === Infinity ? b.minDepth : b.depth;
  else if (b.level <= oldDepth) b.level = Math.min(b.level, b.depth);
}

/** Lower (or raise) the depth cap, e.g. to the server's burst once it is known. */
export function setMaxDepth(b: TokenBucketState, maxDepth: number, now: number): void {
  if (typeof maxDepth !== 'number' || Number.isNaN(maxDepth) || maxDepth < 1) {
    throw new InvalidOptionError('maxDepth', 'a number from 1 and up (Infinity allowed)', maxDepth);
  }
  settle(b, now);
  const oldDepth = b.depth;
  b.maxDepth = maxDepth;
  b.depth = depthFor(b.rate, b.minDepth, b.depthMs, maxDepth);
  if (b.level <= oldDepth) b.level = Math.min(b.level, b.depth);
}

/**
 * Overwrite the token count at `now` — header modes sync the bucket with the server's
 * `remaining`. May be negative (debt) or above the depth (a granted allowance, kept until spent).
 */
export function setTokens(b: TokenBucketState, tokens: number, now: number): void {
  if (typeof tokens !== 'number' || Number.isNaN(tokens)) {
    throw new InvalidOptionError('tokens', 'a number', tokens);
  }
  settle(b, now);
  b.level = tokens;
  // What the owner set replaces whatever a late timer had accrued.
  b.dueAt = undefined;
}

function settle(b: TokenBucketState, now: number): void {
  if (b.rate !== Infinity) {
    const elapsed = now - b.last;
    let level = accrue(b.level, b.rate, b.depth, elapsed);
    const due = b.dueAt;
    if (due !== undefined && now > due) {
      // A late timer keeps what accrued past the due time, short of one whole token beyond the
      // depth: the next token falls due when it would have had the timer been on time, and no
      // more whole tokens leave at once than the depth allows. Capped at the depth, a timer a
      // millisecond late every 10 ms lost a tenth of the pace (measured: 88/s at a pace of
      // 100/s, at the depth of 1 a Retry-After-only server leaves). `catchUpMs` credits more.
      const lateMs = now - due;
      // Only a timer's lateness, not a wait that something else prolonged (a pause, a full
      // window): there the server's bucket refilled too, and a credit would only bunch the
      // first releases after it (measured: collisions, and 33 × ideal against a burst of 1).
      const timerLate = b.keepPace && lateMs * b.rate <= 1000;
      const onPace = timerLate
        ? Math.floor(b.depth + TOKEN_EPSILON) + Math.min(1 - SUB_TOKEN_MARGIN, (b.rate * lateMs) / 1000)
        : 0;
      const catchUp = Math.min(b.maxDepth, b.depth + (b.rate * Math.min(lateMs, b.catchUpMs)) / 1000);
      const uncapped = b.level + (b.rate * Math.max(0, elapsed)) / 1000;
      level = Math.max(level, Math.min(uncapped, Math.max(onPace, catchUp)));
      b.dueAt = undefined;
    }
    b.level = level;
  }
  b.last = Math.max(b.last, now);
}

function assertRate(option: string, rate: unknown): asserts rate is number {
  if (typeof rate !== 'number' || Number.isNaN(rate) || rate < 0) {
    throw new InvalidOptionError(option, 'a number from 0 and up (Infinity = unpaced)', rate);
  }
}
