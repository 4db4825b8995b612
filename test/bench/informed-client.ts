// The informed client: bottleneck told the server's true limit, around undici.request, with a
// plain retry that honours Retry-After — the best a client can do when it knows the limit.

import Bottleneck from 'bottleneck';
import { Agent, request } from 'undici';
import type { BenchClient, Outcome } from './clients.js';
import type { TrueLimit } from './true-limit.js';

/** When a refusal carries no Retry-After (nginx's 503): wait this long and try again. */
const RETRY_WITHOUT_SERVER_TIME_MS = 100;

/**
 * A fixed window opens when the server sees our first request of it, a little after our own
 * clock starts; refreshing exactly every window would send the next batch just before the
 * server's edge. This much later is enough on loopback and costs 2 % of a 1 s window.
 */
const FIXED_WINDOW_MARGIN_MS = 20;

/** How often the token bucket is refilled; tokens are owed by elapsed time, so ticks never drift. */
const REFILL_TICK_MS = 2;

export const informedConfiguration =
  'bottleneck 2 told the true limit — token bucket: reservoir B, refilled R/s by elapsed time (bottleneck’s own reservoirIncrease adds once per late heartbeat and drifts ~10 % slow); ' +
  `fixed window: reservoir L refreshed every W + ${FIXED_WINDOW_MARGIN_MS} ms; slots: maxConcurrent S — around undici.request (own Agent), ` +
  `retrying every refusal after its Retry-After (or ${RETRY_WITHOUT_SERVER_TIME_MS} ms without one), ahead of new work, until it succeeds`;

export function informedClient(limit: TrueLimit): BenchClient {
  const agent = new Agent();
  const { limiter, stop } = limiterFor(limit);
  let retries = 0;

  const attempt = async (url: string): Promise<{ status: number; retryAfterMs: number | undefined }> => {
    const { statusCode, headers, body } = await request(url, { dispatcher: agent });
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

function limiterFor(limit: TrueLimit): { limiter: Bottleneck; stop(): void } {
  switch (limit.kind) {
    case 'slots':
      return { limiter: new Bottleneck({ maxConcurrent: limit.slots }), stop() {} };
    case 'fixed-window':
      return {
        limiter: new Bottleneck({
          reservoir: limit.limit,
          reservoirRefreshAmount: limit.limit,
          reservoirRefreshInterval: limit.windowMs + FIXED_WINDOW_MARGIN_MS,
          heartbeatInterval: 5,
        }),
        stop() {},
      };
    case 'token-bucket': {
      const limiter = new Bottleneck({ reservoir: limit.burst });
      const startedAt = performance.now();
      let credited = 0;
      const tick = setInterval(() => {
        const owed = Math.floor(((performance.now() - startedAt) * limit.rate) / 1000) - credited;
        if (owed <= 0) return;
        credited += owed;
        // Tokens past a full bucket are lost, as they are on the server.
        void limiter.currentReservoir().then((now) => {
          const add = Math.min(owed, limit.burst - (now ?? 0));
          if (add > 0) return limiter.incrementReservoir(add);
        });
      }, REFILL_TICK_MS);
      tick.unref();
      return { limiter, stop: () => clearInterval(tick) };
    }
  }
}
