// Discrete-event simulation, in virtual time (vitest fake timers), of a burst of requests sent
// through the real engine (gate, AIMD window, retry policy, budget) at a concurrency-limited server.

import { vi } from 'vitest';
import type { ClientOptions } from '../../src/client-options.js';
import { createEngine } from '../../src/engine/engine.js';
import type { AttemptResult } from '../../src/engine/attempt-loop.js';
import { mulberry32 } from './token-bucket-sim.js';

export interface ConcurrencySimParams {
  /** N: requests, all submitted at t = 0. */
  requests: number;
  /** Slots of the server; a function of virtual ms since the start models a brownout. */
  slots: number | ((t: number) => number);
  /** How long an accepted request holds its slot, in ms. */
  latencyMs: number;
  /** Retry-After (s) sent with refusals; none when absent. */
  retryAfter?: number;
  /** Extra hold time of an accepted request, drawn uniformly from [0, this] ms (a busy server's late timers). @default 0 */
  latencyJitterMs?: number;
  /** Round-trip time range of the network; each attempt draws uniformly. @default [0.2, 2] */
  rttMs?: readonly [number, number];
  /** Client options on top of the defaults (the seeded `retry.random` is added). */
  client?: ClientOptions;
  /** Seed of the run's pseudo-random numbers. @default 1 */
  seed?: number;
}

export interface ConcurrencySimResult {
  /** Virtual ms from the start to the last response. */
  wallMs: number;
  /** ⌈N / slots⌉ × latency (constant slots only). */
  idealMs: number;
  ratio: number;
  /** Attempts the server refused. */
  refused: number;
  /** Attempts the server received. */
  received: number;
  /** Requests whose final answer was not a 200. */
  failed: number;
  /** The window when the run ended. */
  finalLimit: number;
  /** The most requests the server held at once. */
  peak: number;
  /** Virtual ms and window at each change of the window. */
  limits: [number, number][];
}

const sleepVirtual = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs one burst; the caller must have enabled fake timers. */
export async function runConcurrencySim(params: ConcurrencySimParams): Promise<ConcurrencySimResult> {
  const { requests, latencyMs } = params;
  const [rttLo, rttHi] = params.rttMs ?? [0.2, 2];
  const random = mulberry32(params.seed ?? 1);
  const slots = typeof params.slots === 'function' ? params.slots : () => params.slots as number;
  const t0 = Date.now();
  const engine = createEngine({ ...params.client, retry: { ...(params.client?.retry as object), random: mulberry32((params.seed ?? 1) + 7) } });
  const limits: [number, number][] = [];
  engine.on('limit', ({ limit }) => limits.push([Date.now() - t0, limit]));
  let inFlight = 0;
  let peak = 0;
  let refused = 0;
  let received = 0;
  const headers = new Headers(params.retryAfter === undefined ? {} : { 'retry-after': String(params.retryAfter) });

  const send = async (): Promise<AttemptResult<number>> => {
    const rtt = rttLo + random() * (rttHi - rttLo);
    const up = rtt * random();
    await sleepVirtual(up);
    received++;
    if (inFlight >= slots(Date.now() - t0)) {
      refused++;
      await sleepVirtual(rtt - up);
      return { outcome: { type: 'response', status: 503, headers }, value: 503 };
    }
    inFlight++;
    peak = Math.max(peak, inFlight);
    await sleepVirtual(latencyMs + random() * (params.latencyJitterMs ?? 0));
    inFlight--;
    await sleepVirtual(rtt - up);
    return { outcome: { type: 'response', status: 200, headers: new Headers() }, value: 200 };
  };

  let done = 0;
  let failed = 0;
  let lastAt = t0;
  const url = new URL('http://sim.test/item');
  for (let i = 0; i < requests; i++) {
    void engine
      .run({ url, method: 'GET', idempotencyKey: false, replayable: () => true }, send)
      .then(
        (status) => status !== 200 && failed++,
        () => failed++,
      )
      .finally(() => {
        done++;
        lastAt = Date.now();
      });
  }
  while (done < requests) {
    await vi.advanceTimersToNextTimerAsync();
    if (Date.now() - t0 > 600_000) throw new Error(`simulation did not finish: ${done}/${requests}`);
  }
  const finalLimit = engine.stats(url)?.limit ?? 0;
  engine.close();
  const wallMs = lastAt - t0;
  const idealMs = typeof params.slots === 'number' ? Math.ceil(requests / params.slots) * latencyMs : Number.NaN;
  return { wallMs, idealMs, ratio: wallMs / idealMs, refused, received, failed, finalLimit, peak, limits };
}
