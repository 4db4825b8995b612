// express 5 behind express-rate-limit 8 (its memory store), in one of its header modes: the
// fixed-window limiter as people deploy it, run by the benchmark's server process.

import { createServer } from 'node:http';
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import { serveOnLoopback, type RunningServer } from '../running-server.js';

/** How express-rate-limit announces its limit: a `standardHeaders` draft, or `legacyHeaders`. */
export type ExpressHeaderMode = 'draft-6' | 'draft-7' | 'draft-8' | 'legacy';

export interface ExpressRateLimitOptions {
  /** Requests per window (per client IP; all benchmark clients are 127.0.0.1). */
  limit: number;
  windowMs: number;
  /**
   * draft-6: `RateLimit-Policy: 100;w=1` + `RateLimit-Limit/-Remaining/-Reset`; draft-7: one
   * `RateLimit: limit=…, remaining=…, reset=…`; draft-8: `RateLimit: "…"; r=…; t=…` with a
   * `RateLimit-Policy`; legacy: `X-RateLimit-Limit/-Remaining/-Reset`, reset in epoch seconds.
   * Every 429 also carries `Retry-After` (whole seconds to the window's end).
   */
  headers: ExpressHeaderMode;
}

export async function startExpressRateLimit(options: ExpressRateLimitOptions): Promise<RunningServer> {
  const app = express();
  app.use(
    rateLimit({
      windowMs: options.windowMs,
      limit: options.limit,
      standardHeaders: options.headers === 'legacy' ? false : options.headers,
      legacyHeaders: options.headers === 'legacy',
    }),
  );
  app.use((_req, res) => {
    res.json({ ok: true });
  });
  return serveOnLoopback(createServer(app));
}
