// Adaptive concurrency limit with TCP's slow start: a new key starts small and doubles its window
// per round trip while healthy; a refusal sets the window to what the origin accepted, and the
// level that was refused is probed again rarely, less often each time it is refused again.

import { InvalidOptionError } from '../errors.js';
import { withoutUndefined } from '../validate.js';
import type { LimitSample } from './limit.js';

export interface AimdLimitOptions {
  /**
   * Window of a new key. Small on purpose ("careful at first contact"): like TCP's IW10, ten
   * requests find out whether the origin pushes back before a burst of thousands can.
   * @default 10
   */
  initial?: number;
  /**
   * Floor the window never drops below; 1 still serves an origin that takes one at a time.
   * @default 1
   */
  min?: number;
  /**
   * Ceiling, a safety cap so a healthy origin cannot attract an unbounded number of sockets.
   * @default 1000
   */
  max?: number;
  /**
   * Longest wait, in round trips of a full window, before a level the origin refused is tried
   * again. The wait doubles from one round trip each time a retry of the same level is refused,
   * so against a fixed capacity the probes (each costs a refusal, and a pause when the refusal
   * carries Retry-After) become rare; this bounds how late a grown capacity is noticed.
   * @default 64
   */
  maxProbeRounds?: number;
}

export type NormalizedAimdLimitOptions = Required<AimdLimitOptions>;

export const aimdLimitDefaults: Readonly<NormalizedAimdLimitOptions> = Object.freeze({
  initial: 10,
  min: 1,
  max: 1000,
  maxProbeRounds: 64,
});

export function normalizeAimdLimitOptions(options: AimdLimitOptions = {}): NormalizedAimdLimitOptions {
  const o = { ...aimdLimitDefaults, ...withoutUndefined(options) };
  if (!isInteger(o.min) || o.min < 1) throw new InvalidOptionError('min', 'an integer from 1 and up', o.min);
  if (!isInteger(o.max) || o.max < o.min) {
    throw new InvalidOptionError('max', `an integer from \`min\` (${o.min}) and up`, o.max);
  }
  if (!isInteger(o.initial) || o.initial < o.min || o.initial > o.max) {
    throw new InvalidOptionError('initial', `an integer from ${o.min} to ${o.max} (\`min\` to \`max\`)`, o.initial);
  }
  if (!isInteger(o.maxProbeRounds) || o.maxProbeRounds < 1) {
    throw new InvalidOptionError('maxProbeRounds', 'an integer from 1 and up', o.maxProbeRounds);
  }
  return o;
}

/** The adaptive window's state. */
export interface AimdWindow {
  readonly kind: 'aimd';
  readonly o: NormalizedAimdLimitOptions;
  /** Fractional, so probing can add 1/(limit · probeRounds) per sample; `limit` is its floor. */
  window: number;
  limit: number;
  /** The level refused at the last cut, one above the window it set; Infinity in slow start. */
  ceiling: number;
  /** The ceiling before the origin last shrank; 0 for none. */
  recall: number;
  probeRounds: number;
  /** Epoch ms before which the ceiling is not probed. */
  probeAt: number;
  /** Healthy samples sent at or above the ceiling; a full window of them lifts it. */
  servedAtCeiling: number;
  /** Healthy samples since the last cut; a full window of them makes the ceiling established. */
  servedSinceCut: number;
  lastCut: number;
  /** ms the request refused at the last cut had to wait (its server time): what a refused probe costs. */
  probeCost: number;
  /**
   * The shortest round trip of healthy samples lately (the lesser of this and the last epoch of
   * `RTT_EPOCH` samples), so a server that became slower for good moves the baseline within two
   * epochs. Queueing at the origin shows as round trips above it.
   */
  rttFloor: number;
  rttEpochMin: number;
  rttEpochSamples: number;
}

/** Healthy samples per epoch of the round-trip floor. */
const RTT_EPOCH = 256;
/**
 * Once a refusal has bounded the window, it probes upward only on samples whose round trip is
 * within this factor of the floor (plus `QUEUE_SLACK_MS`): a longer one waited in the origin's
 * queue, and the level above is where it sheds. Measured against a server with 20 slots × 400 ms
 * and a queue that sheds at 27 with 503 + Retry-After: 2, probing past the queue cost a refusal
 * every few seconds, each a request held 2 s (the run's tail), 1.27 × the informed client's time.
 */
const QUEUE_FACTOR = 1.1;
const QUEUE_SLACK_MS = 10;

/** True while no refusal bounds the window (first contact, or since a refused level was served). */
export function inSlowStart(w: AimdWindow): boolean {
  return w.ceiling === Infinity;
}

/**
 * How the window moves, per sample:
 * - Only a key that uses its window grows (`inFlight · 2 >= limit`, as Netflix AIMDLimit):
 *   otherwise serial traffic would inflate an idle key's window for the next burst to hit.
 * - *Slow start* (no ceiling known): +1 per healthy sample — a full window returns `limit`
 *   samples per round trip, so it doubles per round trip.
 * - *Decrease* on a drop: to `outstanding − 1`, what the origin held when it refused. A fixed
 *   ratio (Netflix's 0.9) is wrong both ways: after slow start overshot 16 slots it stayed above
 *   them, and it took 13 cuts to follow a brownout from 32 slots to 8. Evidence also needs no
 *   once-per-round-trip rule: a drop from a level already cut away (`outstanding − 1 >= limit`)
 *   changes nothing, and each refusal with fewer outstanding lowers the window to match.
 * - *Probe*: the refused level, `ceiling`, is tried again after `probeRounds` round trips (+1
 *   per `limit · probeRounds` healthy samples). Reno's +1 per round trip re-tried it every few
 *   round trips: 2 % of requests refused against 16 slots, 15 % against 4. Each refused probe
 *   doubles `probeRounds` (to `maxProbeRounds`). A refusal whose request must wait D (its server
 *   time) makes a failed probe cost D, so the next probe waits `(1 + probeRounds) · D`.
 * - A probe the origin serves for a full window lifts the ceiling: capacity grew back. The window
 *   then grows at slow-start speed up to the highest ceiling it had before it shrank (`recall`,
 *   TCP's ssthresh), not past it: that level cost a refusal (and a pause) to find the first time.
 * - Successes of requests sent before the last cut were sent under the old window and are
 *   ignored (`now - rttMs < lastCut`): they neither grow the window nor prove a ceiling.
 */
export function createAimdWindow(options?: AimdLimitOptions): AimdWindow {
  const o = normalizeAimdLimitOptions(options);
  return {
    kind: 'aimd',
    o,
    window: o.initial,
    limit: o.initial,
    ceiling: Infinity,
    recall: 0,
    probeRounds: 1,
    probeAt: -Infinity,
    servedAtCeiling: 0,
    servedSinceCut: 0,
    lastCut: -Infinity,
    probeCost: 0,
    rttFloor: Infinity,
    rttEpochMin: Infinity,
    rttEpochSamples: 0,
  };
}

/** Feeds one finished request at `now` (see `windowSample`). */
export function aimdSample(w: AimdWindow, { inFlight, outstanding, rttMs, dropped, pausedMs, waiting }: LimitSample, now: number): boolean {
  if (dropped) return drop(w, outstanding, pausedMs, now);
  // A wall clock stepped backwards puts the last cut "in the future"; without this check it would
  // silence every sample (and every probe) until the clock caught up.
  const steppedBack = w.lastCut > now;
  if ((now - rttMs < w.lastCut && !steppedBack) || inFlight * 2 < w.limit) return false;
  const queued = rttMs > w.rttFloor * QUEUE_FACTOR + QUEUE_SLACK_MS;
  observeRtt(w, rttMs);
  w.servedSinceCut++;
  if (inFlight >= w.ceiling && ++w.servedAtCeiling >= w.ceiling) {
    w.ceiling = w.recall > w.ceiling ? w.recall : Infinity;
    w.recall = 0;
    w.servedAtCeiling = 0;
    w.probeRounds = Math.max(1, w.probeRounds / 2);
  }
  if (w.limit + 1 < w.ceiling) set(w, w.window + 1);
  else if ((now >= w.probeAt || steppedBack) && !queued && backlogOutlasts(w, waiting, rttMs)) {
    set(w, w.window + 1 / (w.limit * w.probeRounds));
  }
  return false;
}

/**
 * A probe is worth its risk only while the backlog outlasts what a refusal costs: the refused
 * request waits `probeCost` and is sent again, so if the queue drains first that request finishes
 * last — one refusal became the whole run's tail (measured: a probe 2.4 s into a 2.5 s burst
 * against 16 slots with Retry-After: 1 made it 3.5 s). With no backlog the window holds nothing
 * back, so there is nothing to gain either. `waiting` was the queue when this sample was admitted;
 * a window's worth has been admitted since, and the rest drains at `limit` per round trip.
 */
function backlogOutlasts(w: AimdWindow, waiting: number, rttMs: number): boolean {
  if (w.probeCost === 0) return true;
  return (Math.max(0, waiting - w.limit) * rttMs) / w.limit >= w.probeCost;
}

function observeRtt(w: AimdWindow, rttMs: number): void {
  w.rttEpochMin = Math.min(w.rttEpochMin, rttMs);
  w.rttFloor = Math.min(w.rttFloor, rttMs);
  if (++w.rttEpochSamples < RTT_EPOCH) return;
  w.rttFloor = w.rttEpochMin;
  w.rttEpochMin = Infinity;
  w.rttEpochSamples = 0;
}

function set(w: AimdWindow, next: number): void {
  w.window = Math.min(w.o.max, Math.max(w.o.min, next));
  // The epsilon absorbs float error: nine additions of 1/9 must reach the next integer.
  w.limit = Math.floor(w.window + 1e-9);
}

function drop(w: AimdWindow, outstanding: number, pausedMs = 0, now: number): boolean {
  const fits = outstanding - 1;
  if (fits < w.limit && w.limit > w.o.min) cut(w, fits, pausedMs, now);
  // The others still out fill the window: a retry waits in the gate until one of them ends.
  return fits >= w.limit;
}

function cut(w: AimdWindow, fits: number, pausedMs: number, now: number): void {
  if (w.limit >= w.ceiling) w.probeRounds = Math.min(w.o.maxProbeRounds, w.probeRounds * 2);
  const next = Math.max(w.o.min, fits);
  // Refused below a ceiling the window had settled under (a full window served since its cut):
  // the origin shrank, so remember where it was. Cuts in a row are one burst still converging,
  // and the levels they pass (slow start's overshoot) were never served.
  if (next + 1 < w.ceiling && w.servedSinceCut >= w.limit && w.ceiling !== Infinity) w.recall = Math.max(w.recall, w.ceiling);
  w.ceiling = next + 1;
  if (pausedMs > 0) w.probeAt = Math.max(w.probeAt, now + pausedMs * (1 + w.probeRounds));
  w.probeCost = pausedMs;
  w.servedAtCeiling = 0;
  w.servedSinceCut = 0;
  w.lastCut = now;
  set(w, next);
}

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}
