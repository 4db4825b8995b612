// The options of a key's adaptive pacer, with their defaults in one place and eager validation;
// each names the measurement (RATE-DISCOVERY.md) its default comes from.

import { InvalidOptionError } from '../errors.js';
import { withoutUndefined } from '../validate.js';
import type { TokenBucketOptions } from './token-bucket.js';

export interface PacerOptions {
  /**
   * Rate of the slow start at first contact, per second (RATE-DISCOVERY point 4: ≈ 20/s).
   * @default 20
   */
  initialRate?: number;
  /**
   * The slow start doubles the rate every this many ms. 50–100 ms makes the first episode a
   * measurement of the server's rate; a window that doubles per round trip alone does not
   * (RATE-DISCOVERY point 4). Lower is cheaper on a healthy origin, higher measures better.
   * @default 50
   */
  rampDoublingMs?: number;
  /**
   * When the slow start passes this rate without a throttle, pacing stops (rate `Infinity`): a
   * healthy origin sees no limiter. In header modes the ramp stops here instead (finite), since
   * the headers keep the bucket in step anyway.
   * @default 10000
   */
  unboundedAbove?: number;
  /**
   * Tokens in the bucket at first contact. One request goes first; its answer (headers or not)
   * arrives a round trip later, long before the ramp's next token.
   * @default 1
   */
  initialTokens?: number;
  /**
   * Once estimated from throttles, the rate creeps up by at least this fraction per second
   * until a throttle ends a paced episode (RATE-DISCOVERY point 7: 1–2 %/s).
   * @default 0.02
   */
  creepPerSecond?: number;
  /**
   * When a throttle leaves the rate uncertain, the controller tests the middle of the possible
   * range and creeps fast enough to cross the rest in about this many seconds (never slower
   * than `creepPerSecond`).
   * @default 4
   */
  creepSpanS?: number;
  /**
   * When the fit pins the rate (range narrower than `tightWithin`), pace at this fraction of it
   * and stop creeping; creeping without holding throttled every 4.4 s (RATE-DISCOVERY point 7).
   * @default 0.99
   */
  holdFactor?: number;
  /**
   * A held rate (or one capped by a fit) grows again after it has bound sending this long
   * without a throttle — slowly at first, then faster the longer no throttle comes, up to twice
   * itself, then reopened — so a server that raised its limit, a hold fitted too low, or the
   * share other clients of the same bucket left before they finished, is noticed. The cost is at
   * most one throttle per probe against an unchanged server (measured in simulation: +0–10 % on
   * long runs at 5–500/s); time when demand, not the pace, limited sending does not count (it
   * says nothing about the server). At 60 s, a process held at what another left it stayed there
   * for a minute after the other finished (2 processes on one 100/s bucket: 3.1–3.5 × ideal).
   * @default 20000
   */
  probeAfterMs?: number;
  /**
   * A cap that was never tested reopens after the pace has bound sending at it this long without
   * a throttle: the cap of an estimate made while demand, not the pace, limited sending (the
   * throttle may have been the server's passing trouble, or a limit since raised), and the top of
   * a probe. Reopened, the rate doubles every `probeDoublingMs` until a throttle or
   * `unboundedAbove`.
   * @default 1000
   */
  reopenAfterMs?: number;
  /**
   * Doubling period of a reopened rate: a slow start twenty times slower than the first one, so
   * the throttle that ends it lands in a long, paced episode that measures the server.
   * @default 1000
   */
  probeDoublingMs?: number;
  /**
   * Relative width of the fitted rate interval below which the estimate counts as exact.
   * @default 0.05
   */
  tightWithin?: number;
  /**
   * Attempts remembered (send times and outcomes) for fitting: memory per key is bounded by
   * about 32 bytes × this (64 KB at the default), allocated as needed. A fit runs once per
   * episode that ends in a throttle and costs about 5 µs per remembered attempt (measured: 10 ms
   * for 2048), up to three times when timing noise forces a wider tolerance.
   * @default 2048
   */
  historySize?: number;
  /**
   * X-RateLimit without a stated window: learn the refill rate from how `remaining` changes over
   * at least this span while the bucket never reported full (RATE-DISCOVERY, header modes: ≥ 0.5
   * s). Shorter here because the estimate also waits for three times its own doubt (answers
   * overtaking each other) in tokens and counts that doubt against itself; 0.5 s let a ramp
   * frozen at 1.7 × R earn a 429 against 500/s, B = 10 before the estimate arrived.
   * @default 100
   */
  learnSpanMs?: number;
  /**
   * A key that sent nothing for this long while unpaced (or still in slow start) starts over
   * from slow start, like TCP's restart after idle: the origin may have changed meanwhile.
   * @default 30000
   */
  idleResetMs?: number;
  /**
   * Slowest rate the controller will pace at or consider in fits, per second.
   * @default 0.05
   */
  minRate?: number;
  /** Depth options of the token bucket the controller steers. */
  bucket?: Pick<TokenBucketOptions, 'minDepth' | 'depthMs' | 'catchUpMs'>;
}

export type NormalizedPacerOptions = Required<Omit<PacerOptions, 'bucket'>> & {
  bucket: Pick<TokenBucketOptions, 'minDepth' | 'depthMs' | 'catchUpMs'>;
};

export const pacerDefaults: Readonly<NormalizedPacerOptions> = Object.freeze({
  initialRate: 20,
  rampDoublingMs: 50,
  unboundedAbove: 10_000,
  initialTokens: 1,
  creepPerSecond: 0.02,
  creepSpanS: 4,
  holdFactor: 0.99,
  probeAfterMs: 20_000,
  reopenAfterMs: 1000,
  probeDoublingMs: 1000,
  tightWithin: 0.05,
  historySize: 2048,
  learnSpanMs: 100,
  idleResetMs: 30_000,
  minRate: 0.05,
  bucket: {},
});

export function normalizePacerOptions(options: PacerOptions = {}): NormalizedPacerOptions {
  const o = { ...pacerDefaults, ...withoutUndefined(options) };
  positive('initialRate', o.initialRate);
  positive('rampDoublingMs', o.rampDoublingMs);
  if (!(o.unboundedAbove > o.initialRate)) {
    throw new InvalidOptionError('unboundedAbove', `a number above \`initialRate\` (${o.initialRate})`, o.unboundedAbove);
  }
  if (typeof o.initialTokens !== 'number' || !Number.isFinite(o.initialTokens) || o.initialTokens < 1) {
    throw new InvalidOptionError('initialTokens', 'a finite number from 1 and up', o.initialTokens);
  }
  fraction('creepPerSecond', o.creepPerSecond, true);
  positive('creepSpanS', o.creepSpanS);
  if (typeof o.holdFactor !== 'number' || !(o.holdFactor > 0 && o.holdFactor <= 1)) {
    throw new InvalidOptionError('holdFactor', 'a number above 0 and at most 1', o.holdFactor);
  }
  positive('probeAfterMs', o.probeAfterMs);
  positive('reopenAfterMs', o.reopenAfterMs);
  positive('probeDoublingMs', o.probeDoublingMs);
  fraction('tightWithin', o.tightWithin, false);
  if (!Number.isInteger(o.historySize) || o.historySize < 16) {
    throw new InvalidOptionError('historySize', 'an integer from 16 and up', o.historySize);
  }
  positive('learnSpanMs', o.learnSpanMs);
  positive('idleResetMs', o.idleResetMs);
  positive('minRate', o.minRate);
  if (typeof o.bucket !== 'object' || o.bucket === null) throw new InvalidOptionError('bucket', 'an object', o.bucket);
  return o;
}

function positive(option: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionError(option, 'a finite number above 0', value);
  }
}

function fraction(option: string, value: unknown, zeroOk: boolean): void {
  if (typeof value !== 'number' || !(zeroOk ? value >= 0 : value > 0) || !(value < 1)) {
    throw new InvalidOptionError(option, `a number from ${zeroOk ? '0' : 'above 0'} to below 1`, value);
  }
}
