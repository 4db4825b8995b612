// Small pieces the mock servers share: the default clock, a bounded request log, an abortable
// sleep and option validation. Not exported from the barrel; the mocks' own types are.

import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpHandler } from 'msw';

/** A clock in milliseconds. The mocks only ever subtract two readings, except where noted. */
export type Clock = () => number;

/**
 * Epoch milliseconds that never go backwards. Epoch, because some dialects send absolute reset
 * times; monotonic, because a wall-clock step (NTP) would otherwise refill a bucket at once.
 */
export const monotonicEpochNow: Clock = () => performance.timeOrigin + performance.now();

/**
 * What every mock factory returns: handlers to serve, and counters that update in place so a
 * test can hold the object and read it after the requests settle.
 */
export interface MockServer<Counters extends object> {
  /** The msw handlers; pass them to `startLoopbackServer` or `interceptNetwork`. */
  readonly handlers: HttpHandler[];
  /** Live counters, updated as requests arrive and finish. */
  readonly counters: Readonly<Counters>;
  /** Zero the counters and return the simulated server to its initial state. */
  reset(): void;
}

/** Default number of entries a request log keeps before dropping the oldest. */
export const DEFAULT_LOG_LIMIT = 10_000;

/**
 * Appends to `log`, dropping the oldest entry past `limit`, so a long benchmark cannot grow a
 * mock's memory without bound. A limit of 0 keeps nothing.
 */
export function appendBounded<T>(log: T[], entry: T, limit: number): void {
  if (limit <= 0) return;
  log.push(entry);
  if (log.length > limit) log.splice(0, log.length - limit);
}

/**
 * Resolves after `ms`, or at once when `signal` aborts, so a held request releases its slot as
 * soon as the client goes away instead of when the timer would have fired.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function show(value: unknown): string {
  return `\`${String(value)}\` (${typeof value})`;
}

/** Throws unless `value` is a finite number >= `min` (one message shape for every option). */
export function expectNumber(name: string, value: unknown, min: number, integer = false): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= min &&
    (!integer || Number.isInteger(value));
  if (!ok) {
    const kind = integer ? 'an integer' : 'a number';
    throw new TypeError(`Expected \`${name}\` to be ${kind} from ${min} and up, got ${show(value)}`);
  }
  return value as number;
}

/** Throws unless `value` is a number in [0, 1]. */
export function expectFraction(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new TypeError(`Expected \`${name}\` to be a number from 0 to 1, got ${show(value)}`);
  }
  return value;
}

/** Throws unless `value` is one of `allowed`. */
export function expectOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    const list = allowed.map((a) => `'${a}'`).join(', ');
    throw new TypeError(`Expected \`${name}\` to be one of ${list}, got ${show(value)}`);
  }
  return value as T;
}

/** Throws unless `value` is an HTTP status a server may answer with (100-599). */
export function expectStatus(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 100 || value > 599) {
    throw new TypeError(`Expected \`${name}\` to be an HTTP status from 100 to 599, got ${show(value)}`);
  }
  return value;
}

/**
 * Counts a server's TCP connections (`total` ever accepted, `open` now) and keeps the open
 * sockets, so a close can wait for each one; keep-alive reuse shows in `total`.
 */
export function trackConnections(server: Server): { counts: { total: number; open: number }; sockets: Set<Socket> } {
  const counts = { total: 0, open: 0 };
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    counts.total++;
    counts.open++;
    sockets.add(socket);
    socket.once('close', () => {
      counts.open--;
      sockets.delete(socket);
    });
  });
  return { counts, sockets };
}
