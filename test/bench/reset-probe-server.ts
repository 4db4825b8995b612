// The server of `bench:reset`: refuses the first request with a 429 that carries only a reset
// header, serves the rest, and reports (epoch ms) when it refused, the reset it meant, and the retry.

import { createServer } from 'node:http';
import { serveOnLoopback, type RunningServer } from './running-server.js';

/**
 * `delta`: `RateLimit-Reset: 1` alone (no Remaining, no Retry-After), meaning 1 s after the 429.
 * `epoch`: `X-RateLimit-Limit` and an epoch `X-RateLimit-Reset` (no Remaining, no Retry-After).
 */
export type ResetProbeMode = 'delta' | 'epoch';

/** How far past a whole second the epoch 429 is sent: the reset it names is then ≈ 1 s away. */
const PAST_WHOLE_SECOND_MS = 5;

/**
 * Counters: `received`, `rejected`, and epoch ms `refusedAt` (the 429 written), `resetAt` (the
 * instant the reset header means), `retryAt` (the next request's arrival; 0 until it comes).
 * An epoch reset is whole seconds, so the 429 is held until just past a whole second S and names
 * S + 1: it means exactly (S + 1) × 1000 ms, about 995 ms after it was sent — never a rounded-away
 * half second either way.
 */
export async function startResetProbe(mode: ResetProbeMode): Promise<RunningServer> {
  const counters = { received: 0, rejected: 0, refusedAt: 0, resetAt: 0, retryAt: 0 };
  const server = createServer((_req, res) => {
    counters.received++;
    if (counters.received > 1) {
      counters.retryAt ||= Date.now();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    counters.rejected++;
    if (mode === 'delta') {
      counters.refusedAt = Date.now();
      counters.resetAt = counters.refusedAt + 1000;
      res.writeHead(429, { 'RateLimit-Reset': '1', 'content-length': 0 }).end();
      return;
    }
    const wait = (1000 - (Date.now() % 1000) + PAST_WHOLE_SECOND_MS) % 1000;
    setTimeout(() => {
      counters.refusedAt = Date.now();
      const resetSeconds = Math.floor(counters.refusedAt / 1000) + 1;
      counters.resetAt = resetSeconds * 1000;
      res.writeHead(429, { 'X-RateLimit-Limit': '100', 'X-RateLimit-Reset': String(resetSeconds), 'content-length': 0 }).end();
    }, wait);
  });
  return serveOnLoopback(server, () => ({ ...counters }));
}
