// How long to wait before a retry when the server gave no time: capped exponential growth with
// a selectable jitter. Pure functions with injectable `random`, so they can be tested exactly.

/** Jitter kinds; `full` is the default because it spreads a herd of clients best (AWS analysis). */
export type Jitter = 'full' | 'equal' | 'decorrelated' | 'none';

export const jitterKinds: readonly Jitter[] = ['full', 'equal', 'decorrelated', 'none'];

export interface BackoffOptions {
  /**
   * Delay in ms before the first retry, before jitter.
   * @default 200
   */
  base: number;
  /**
   * Largest delay in ms, before jitter.
   * @default 30000
   */
  max: number;
  /**
   * How the exponential delay is randomised.
   * @default 'full'
   */
  jitter: Jitter;
}

/** The un-jittered delay before retry `retry` (1-based): `min(max, base · 2^(retry-1))`. */
export function exponentialDelay(retry: number, base: number, max: number): number {
  // The exponent is bounded so a huge retry count cannot overflow to Infinity or NaN.
  return Math.min(max, base * 2 ** Math.min(Math.max(retry - 1, 0), 52));
}

/** `random() · delay`: anywhere from 0 to the delay. */
export function fullJitter(delay: number, random: () => number = Math.random): number {
  return random() * delay;
}

/** Half fixed, half random: never shorter than `delay / 2`. */
export function equalJitter(delay: number, random: () => number = Math.random): number {
  return delay / 2 + (random() * delay) / 2;
}

/** AWS "decorrelated jitter": `min(max, random between base and 3 · previous)`. */
export function decorrelatedJitter(
  previous: number,
  base: number,
  max: number,
  random: () => number = Math.random,
): number {
  const upper = Math.max(base, previous * 3);
  return Math.min(max, base + random() * (upper - base));
}

/**
 * The delay before retry `retry` (1-based) under `options`. `previous` is the last delay taken,
 * which only decorrelated jitter reads. Always finite, `>= 0` and `<= max`.
 */
export function backoffDelay(
  retry: number,
  options: BackoffOptions,
  random: () => number = Math.random,
  previous = 0,
): number {
  const { base, max, jitter } = options;
  const delay = exponentialDelay(retry, base, max);
  switch (jitter) {
    case 'full':
      return fullJitter(delay, random);
    case 'equal':
      return equalJitter(delay, random);
    case 'decorrelated':
      return decorrelatedJitter(previous || base, base, max, random);
    case 'none':
      return delay;
  }
}
