// The informed client: bottleneck told the server's true limit, around undici.request, with a
// plain retry that honours Retry-After — the best a client can do when it knows the limit.

import Bottleneck from 'bottleneck';
import { Agent, request } from 'undici';
import type { BenchClient, Outcome } from './clients.js';
import type { TrueLimit } from './true-limit.js';

/** When a refusal carries no Retry-After (nginx's 503): wait this long and try again. */
const RETRY_WITHOUT_SERVER_TIME_MS = 100;

/** How often the token bucket is refilled; tokens are owed by elapsed time, so ticks never drift. */
const REFILL_TICK_MS = 2;

export const informedConfiguration =
  'bottleneck 2 told the true limit — token bucket: reservoir B, refilled R/s by elapsed time (bottleneck’s own reservoirIncrease adds once per heartbeat, so every late timer is lost for good); ' +
  'fixed window: reservoir L, refilled W after the first answer to a request of the current window (the server opened its window between that request’s send and its answer; a timer from our own start refills before the server’s edge); ' +
  'slots: maxConcurrent S — around undici.request (own Agent), ' +
  `retrying every refusal after its Retry-After (or ${RETRY_WITHOUT_SERVER_TIME_MS} ms without one), ahead of new work, until it succeeds`;

/** A limiter, told when each attempt is sent and answered, and how to stop its timers. */
interface Pacing {
  limiter: Bottleneck;
  /** Called as an attempt is sent; returns what to call once it is answered. */
  sent(): () => void;
  stop(): void;
}

export function informedClient(limit: TrueLimit): BenchClient {
  const agent = new Agent();
  const { limiter, sent, stop } = pacingFor(limit);
  let retries = 0;

  const attempt = async (url: string): Promise<{ status: number; retryAfterMs: number | undefined }> => {
    const answered = sent();
    const { statusCode, headers, body } = await request(url, { dispatcher: agent }).finally(answered);
    await body.arrayBuffer();
    const seconds = Number(headers['retry-after']);
    return { status: statusCode, retryAfterMs: Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined };
  };

  return {
    async get(url): Promise<Outcome> {
      for (let priority = 5; ; priority = 0) {
        const answer = await limiter.schedule({ priority }, () => attempt(url)).catch(() => undefined);
        if (answer && answer.status >= 200 && answer.status < 300) return { ok: true };
        if (answer && answer.status < 500 && answer.status !== 429 && answer.status !== 408) return { ok: false, status: answer.status };
        retries++;
        await new Promise((resolve) => setTimeout(resolve, answer?.retryAfterMs ?? RETRY_WITHOUT_SERVER_TIME_MS));
      }
    },
    gate: () => ({ retried: retries }),
    async close() {
      stop();
      await limiter.stop({ dropWaitingJobs: true });
      await agent.close();
    },
  };
}

const nothing = () => {};

function pacingFor(limit: TrueLimit): Pacing {
  switch (limit.kind) {
    case 'slots':
      return { limiter: new Bottleneck({ maxConcurrent: limit.slots }), sent: () => nothing, stop: nothing };
    case 'fixed-window':
      return fixedWindow(limit.limit, limit.windowMs);
    case 'token-bucket':
      return tokenBucket(limit.rate, limit.burst);
  }
}

/**
 * The server opens a window at the first request it sees after the last one ended: the first
 * answer to a request sent since the last refill comes after that, so refilling `windowMs` after
 * it never sends the next batch before the server's edge, and is late by one round trip only.
 */
function fixedWindow(quota: number, windowMs: number): Pacing {
  const limiter = new Bottleneck({ reservoir: quota });
  let generation = 0;
  let timer: NodeJS.Timeout | undefined;
  return {
    limiter,
    sent() {
      const sentIn = generation;
      return () => {
        if (sentIn !== generation || timer) return;
        timer = setTimeout(() => {
          timer = undefined;
          generation++;
          void limiter.updateSettings({ reservoir: quota });
        }, windowMs);
      };
    },
    stop: () => clearTimeout(timer),
  };
}

function tokenBucket(rate: number, burst: number): Pacing {
  const limiter = new Bottleneck({ reservoir: burst });
  const startedAt = performance.now();
  let credited = 0;
  // Not unref'd: requests waiting for a token must keep the process alive.
  const tick = setInterval(() => {
    const owed = Math.floor(((performance.now() - startedAt) * rate) / 1000) - credited;
    if (owed <= 0) return;
    credited += owed;
    // Tokens past a full bucket are lost, as they are on the server.
    void limiter.currentReservoir().then((now) => {
      const add = Math.min(owed, burst - (now ?? 0));
      if (add > 0) return limiter.incrementReservoir(add);
    });
  }, REFILL_TICK_MS);
  return { limiter, sent: () => nothing, stop: () => clearInterval(tick) };
}
