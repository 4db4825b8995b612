// The limit a benchmark server really enforces — what the informed client is told — and the
// ideal wall time it implies for N requests fired at once, with the derivation printed in tables.

/** A server's true limit, in one of the three shapes the benchmark's servers have. */
export type TrueLimit =
  /** `rate` tokens per second into a bucket of `burst`, full at the start. */
  | { kind: 'token-bucket'; rate: number; burst: number }
  /**
   * `limit` requests per window of `windowMs`; a window opens at the first request after the
   * previous one ended (express-rate-limit's and @fastify/rate-limit's memory stores, per client).
   */
  | { kind: 'fixed-window'; limit: number; windowMs: number }
  /** `slots` requests served at once, each for `latencyMs`. */
  | { kind: 'slots'; slots: number; latencyMs: number };

/** The first B go at once, then one per 1 / R: the last is admitted at (N − B) / R. */
export function tokenBucketIdealMs(n: number, rate: number, burst: number): number {
  return (Math.max(0, n - burst) / rate) * 1000;
}

/** Each wave of `slots` requests holds its slots `latencyMs`: ⌈N / slots⌉ waves. */
export function concurrencyIdealMs(n: number, slots: number, latencyMs: number): number {
  return Math.ceil(n / slots) * latencyMs;
}

/**
 * `limit` go in the first window, which opens with them; each further window opens the moment
 * the previous one ends: the last batch is admitted when window ⌈N / limit⌉ opens.
 */
export function fixedWindowIdealMs(n: number, limit: number, windowMs: number): number {
  return Math.max(0, Math.ceil(n / limit) - 1) * windowMs;
}

export function idealMs(limit: TrueLimit, n: number): number {
  switch (limit.kind) {
    case 'token-bucket':
      return tokenBucketIdealMs(n, limit.rate, limit.burst);
    case 'fixed-window':
      return fixedWindowIdealMs(n, limit.limit, limit.windowMs);
    case 'slots':
      return concurrencyIdealMs(n, limit.slots, limit.latencyMs);
  }
}

/** How {@link idealMs} was derived for this limit, in the words printed under a table. */
export function idealDerivation(limit: TrueLimit): string {
  switch (limit.kind) {
    case 'token-bucket':
      return `token bucket: (N − B) / R with R = ${limit.rate}/s, B = ${limit.burst} (the first B at once, then one per 1/R)`;
    case 'fixed-window':
      return `fixed window: (⌈N / L⌉ − 1) × W with L = ${limit.limit}, W = ${limit.windowMs} ms (each window opens as the previous one ends; the last batch is admitted as window ⌈N / L⌉ opens)`;
    case 'slots':
      return `slots: ⌈N / S⌉ × T with S = ${limit.slots}, T = ${limit.latencyMs} ms (every slot always busy; a request's own round trip not counted)`;
  }
}

/** A short label for tables: `100 per 1000 ms`, `50/s burst 11`, `20 slots × 400 ms`. */
export function describeLimit(limit: TrueLimit): string {
  switch (limit.kind) {
    case 'token-bucket':
      return `${limit.rate}/s, burst ${limit.burst}`;
    case 'fixed-window':
      return `${limit.limit} per ${limit.windowMs} ms window`;
    case 'slots':
      return `${limit.slots} slots × ${limit.latencyMs} ms`;
  }
}
