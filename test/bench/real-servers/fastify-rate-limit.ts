// fastify 5 with @fastify/rate-limit 11 at its defaults but for the limit: a fixed window per
// client IP with X-RateLimit-* headers (reset in seconds to go), run by the server process.

import Fastify from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { serveOnLoopback, type RunningServer } from '../running-server.js';

export interface FastifyRateLimitOptions {
  /** Requests per window. */
  max: number;
  /** The window as the plugin takes it: ms, or a string such as '1 second'. */
  timeWindow: number | string;
}

export async function startFastifyRateLimit(options: FastifyRateLimitOptions): Promise<RunningServer> {
  const app = Fastify({ logger: false });
  await app.register(rateLimit, { max: options.max, timeWindow: options.timeWindow });
  app.all('/*', async () => ({ ok: true }));
  await app.ready();
  // fastify's own server, listened on by the shared helper so counting and closing are the same.
  return serveOnLoopback(app.server);
}
