// Pacing from rate-limit headers: a stated policy paces at q / w; `remaining` without a window
// teaches the refill rate; either way the client's bucket is kept in step with what is left.

import type { RateLimitObservation } from '../ratelimit/types.js';
import { inFlightAt, sendsAfter } from './attempt-history.js';
import { onFixedWindow, weighRefill } from './fixed-window.js';
import { applyRate, jitterMs, withJitter } from './pace-rate.js';
import type { PacerState } from './pacer-state.js';
import { setMaxDepth, setTokens, tokensAt } from './token-bucket.js';

/** What a header sync needs besides `remaining`. */
interface SyncContext {
  uncounted: number;
  reserve: number;
  sentAt: number;
}

/**
 * How many tokens the client should hold after a response that reported `remaining`, or
 * `undefined` to leave the bucket alone (IETF point of RATE-DISCOVERY: r minus the attempts sent
 * since, one token in reserve).
 *
 * The server answered at an unknown moment between the release and now, so which of our other
 * attempts it had counted is unknown: at most none of those unanswered when this one left or
 * released since (`uncounted`), at least all. Hence the server's tokens for us lie between
 * `remaining − uncounted` (no refill since) and `remaining + 1 + accrualMax` (a fraction hidden by
 * the integer, refill over the whole round trip). Raise the bucket to the lower bound when below
 * it (spend what the server grants); lower it to the lower bound only when above the upper bound
 * (the client is ahead of the server). Correcting inside the band would trust stale answers —
 * responses overtake each other — and keep the client a token behind forever, which starves a
 * burst-1 server.
 */
export function syncTokens(
  current: number,
  s: { remaining: number; uncounted: number; reserve: number; accrualMax: number; raise?: boolean },
): number | undefined {
  const lower = s.remaining - s.uncounted - s.reserve;
  const upper = s.remaining + 1 + s.accrualMax - s.reserve;
  if ((s.raise ?? true) && lower > current) return lower;
  if (current > upper) return lower;
  return undefined;
}

/** What the server may not yet have counted, and the reserve, for a response released at `sentAt`. */
function syncContext(s: PacerState, sentAt: number): SyncContext {
  const { sends } = s.traffic;
  const { header } = s;
  // One token in reserve absorbs timing noise, but a server whose burst is 1 or 2 has no room for
  // it: there the reserve alone would stop every release.
  const reserve = header.maxRemaining >= 2 ? 1 : 0;
  // The server may not yet have counted any attempt unanswered when this one left (responses
  // overtake each other), nor any sent since, at the same instant included.
  const uncounted = inFlightAt(sends, sentAt) + Math.max(0, sendsAfter(sends, sentAt, true) - 1);
  return { uncounted, reserve, sentAt };
}

/** What a response's headers decided: whether they drive the rate, and a hold until a window's edge. */
export interface HeaderVerdict {
  paced: boolean;
  holdUntil?: number | undefined;
}

const NOT_PACED: HeaderVerdict = Object.freeze({ paced: false });
const PACED: HeaderVerdict = Object.freeze({ paced: true });

export function onRateLimit(s: PacerState, now: number, obs: RateLimitObservation, sentAt: number, decidedAt: number, throttled: boolean): HeaderVerdict {
  const { header } = s;
  if (obs.remaining !== undefined) header.maxRemaining = Math.max(header.maxRemaining, obs.remaining);
  if (header.maxRemaining >= 1) s.bucket.keepPace = true;
  weighRefill(s, now, obs, sentAt, resetUnitMs(obs));
  if (s.mode === 'fixed-window') return { paced: true, holdUntil: onFixedWindow(s, now, obs, sentAt, throttled, resetUnitMs(obs)) };
  const ctx = syncContext(s, sentAt);
  if (obs.limit !== undefined && obs.windowMs !== undefined && obs.windowMs > 0) {
    // A stated policy: pace at q / w from the first response.
    s.mode = 'header';
    // A burst of 1 (remaining never above 0) has no token to spare for two arrivals bunched by
    // the network: space releases by the jitter on top of 1/rate.
    const statedRate = (obs.limit / obs.windowMs) * 1000;
    const stated = Math.max(s.o.minRate, statedRate);
    header.policyRate = header.maxRemaining <= 0 ? withJitter(stated, jitterMs(s)) : stated;
    applyRate(s, now);
    limitDepth(s, now);
    if (obs.remaining !== undefined) {
      const accrualMax = (header.policyRate * (now - ctx.sentAt)) / 1000;
      sync(s, now, { remaining: obs.remaining, uncounted: ctx.uncounted, reserve: ctx.reserve, accrualMax });
    }
    // Caps, not hangs: a spent quota under a policy slower than the pacer's floor has no token
    // before 1 / rate (or its reset, if sooner); hold until then rather than send at the floor.
    if (!throttled && obs.remaining === 0 && statedRate < s.o.minRate) {
      return { paced: true, holdUntil: now + Math.min(1000 / statedRate, obs.resetMs ?? Infinity) };
    }
    return PACED;
  }
  if (obs.remaining === undefined) return NOT_PACED;
  return onRemaining(s, now, obs, decidedAt, ctx, throttled);
}

function onRemaining(s: PacerState, now: number, obs: RateLimitObservation, decidedAt: number, ctx: SyncContext, throttled: boolean): HeaderVerdict {
  const remaining = obs.remaining!;
  const { header, traffic: t, o } = s;
  const r = header.remaining;
  const limit = obs.limit ?? header.maxRemaining + 1;
  const full = remaining >= limit - 1;

  // Learn R from how remaining changes over ≥ learnSpanMs while never full (header modes of
  // RATE-DISCOVERY): (r₂ − r₁ + successes in between) / Δt.
  if (full) r.anchor = undefined;
  else if (r.anchor === undefined) {
    r.anchor = { at: decidedAt, remaining, successes: t.successes, inFlight: t.inFlight };
  } else if (decidedAt - r.anchor.at >= o.learnSpanMs) {
    // Successes are counted as their answers arrive, not as the server decided them: up to the
    // attempts in flight at the anchor may belong before it (answers overtake each other), and
    // remaining hides a fraction. Count against the estimate: a rate learnt too high would let
    // the bucket run ahead of the server between answers; one too low the sync makes up for.
    const span = decidedAt - r.anchor.at;
    const gained = remaining - r.anchor.remaining + (t.successes - r.anchor.successes);
    const doubt = 1 + r.anchor.inFlight;
    if (gained >= 3 * doubt) r.learned = Math.max(o.minRate, ((gained - doubt) / span) * 1000);
  }
  const drained = remaining <= ctx.reserve + 1;
  // The reset is rounded up to its unit (whole seconds in most dialects), so the true time to
  // full lies up to one unit below it, and (limit − remaining) / reset is only a lower bound on
  // R: a reset of "1" at B = 5 read 5/s against 50/s and held the pace there (4 × ideal). As a
  // cap only the upper bound is sound: (limit − remaining) / (reset − unit), none when the reset
  // is a single unit.
  const certainMs = obs.resetMs === undefined ? 0 : obs.resetMs - resetUnitMs(obs);
  const hint = drained && certainMs >= 500 ? ((limit - remaining) / certainMs) * 1000 : undefined;
  r.hint = hint === undefined ? undefined : Math.max(o.minRate, hint);
  // Ramp only while remaining shows spare tokens (RATE-DISCOVERY). A bucket whose full
  // `remaining` is no more than "drained" (a burst up to 2, or 3 with the token in reserve) never
  // shows spare tokens, so there the ramp runs as without headers (a burst of 3 held the ramp at
  // its first rate: 20/s against 50/s).
  const open = r.learned === undefined && (limit - 1 <= ctx.reserve + 1 || !drained);
  // The first drain ends the doubling with the ramp up to 2 × past R (and a deep bucket drains
  // late): step back by half, as TCP sets ssthresh.
  if (s.ramp.open && !open && r.learned === undefined && !r.halved) {
    s.ramp.rate = Math.max(o.initialRate, s.ramp.rate / 2);
    r.halved = true;
  }
  s.ramp.open = open;
  // A learned rate beats an estimate from throttles; until then a throttle (burst too small for
  // remaining to say anything) hands over to the Retry-After logic, which keeps it.
  if (r.learned !== undefined || (s.mode !== 'estimated' && s.mode !== 'held')) s.mode = 'header';
  applyRate(s, now);
  limitDepth(s, now);
  // Unknown refill counts as none: the upper bound must stay an upper bound.
  const accrualMax = r.learned === undefined ? 0 : (r.learned * (now - ctx.sentAt)) / 1000;
  sync(s, now, { remaining, uncounted: ctx.uncounted, reserve: ctx.reserve, accrualMax });
  // Only a learned rate lets the headers answer a throttle; the ramp does not know better than
  // the Retry-After logic.
  const paced = r.learned !== undefined;
  // Caps, not hangs (issue 16): a served answer that says the quota is spent (remaining 0) with a
  // reset so far off that even the fastest refill it allows (the hint, an upper bound on R) is
  // below the slowest pace, gives no token before 1 / hint. Pacing at the floor instead sent
  // into a spent quota every 20 s (a reset in the year 3000: neither sent nor refused, at
  // 0.05/s); holding the key as a pause until then lets requests that cannot wait that long
  // fail fast with RateLimitedError. A refusal is left to its own server time (learnRate).
  if (!throttled && remaining === 0 && r.learned === undefined && hint !== undefined && hint < o.minRate) {
    return { paced, holdUntil: now + 1000 / hint };
  }
  return paced ? PACED : NOT_PACED;
}

/** The bucket never holds more at once than the server's largest reported remaining + 1. */
export function limitDepth(s: PacerState, now: number): void {
  if (s.header.maxRemaining >= 0) setMaxDepth(s.bucket, Math.max(1, s.header.maxRemaining + 1), now);
}

export function sync(s: PacerState, now: number, server: Parameters<typeof syncTokens>[1]): void {
  if (s.rate === Infinity) return;
  const tokens = syncTokens(tokensAt(s.bucket, now), server);
  if (tokens !== undefined) setTokens(s.bucket, tokens, now);
}

/**
 * The unit a dialect's reset is rounded up to: Discord (seconds with millisecond decimals) and
 * OpenAI (Go durations such as `12ms`) to the millisecond; the others to the whole second (delta
 * seconds, epoch seconds, RFC 3339 without fraction).
 */
export function resetUnitMs(obs: RateLimitObservation): number {
  return obs.dialect === 'discord' || obs.dialect === 'openai' ? 1 : 1000;
}
