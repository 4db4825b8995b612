// Another process's clock, mapped onto this one's. Its messages carry the time of each event and
// arrive some delay later (its batching, Redis, this process's own event loop: 1–20 ms under
// load). The least delay seen is the transit plus the difference of the clocks; an event placed
// at its own time plus that is replayed where it happened, in order with this process's own, so
// every copy of the pace fits the same history (heard late, the copies disagreed by up to 40 %).

/** The least delay is taken over the last one to two of these (ms), so a clock step is forgotten. */
const WINDOW_MS = 10_000;
/** A delay beyond the least by more than this is a clock's step, not transit: placed at most this far back. */
const MAX_LAG_MS = 250;

export interface SenderClock {
  least: number;
  previousLeast: number;
  windowStart: number;
}

export function createSenderClock(): SenderClock {
  return { least: Infinity, previousLeast: Infinity, windowStart: -Infinity };
}

/** When an event the sender timed `at` happened on this process's clock (`now` without a time). */
export function localTime(clock: SenderClock, at: number | undefined, now: number): number {
  if (typeof at !== 'number' || !Number.isFinite(at)) return now;
  if (now - clock.windowStart >= WINDOW_MS) {
    clock.previousLeast = clock.least;
    clock.least = Infinity;
    clock.windowStart = now;
  }
  clock.least = Math.min(clock.least, now - at);
  const offset = Math.min(clock.least, clock.previousLeast);
  return Math.min(now, Math.max(now - MAX_LAG_MS, at + offset));
}
