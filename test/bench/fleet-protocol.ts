// The shapes the fleet benchmark's orchestrator and its worker processes agree on.

export interface FleetWorkerConfig {
  url: string;
  /** Requests this process sends. */
  n: number;
  /** Loops that each await a request before the next; absent: all `n` at once. */
  workers?: number | undefined;
  store: 'none' | 'ioredis' | 'node-redis';
  redisPort?: number | undefined;
  /** Redis key prefix of this run, so runs never see each other's state. */
  prefix?: string | undefined;
  /** The built sluice modules to import (what users run, not src/ under tsx). */
  bundle: { main: string; redis: string };
}

/** The request header that names the sending worker's pid. */
export const SENDER_HEADER = 'x-fleet-sender';

export interface FleetWorkerResult {
  pid: number;
  /** Epoch ms when the workload started (all processes start together). */
  startedAt: number;
  wallMs: number;
  ok: number;
  failed: number;
  statuses: Record<string, number>;
  /** Rejections by error code (or name). */
  errors: Record<string, number>;
  /** Epoch ms of each success. */
  successAt: number[];
  /** Epoch ms of each 429 the client retried. */
  throttledAt: number[];
  /** Epoch ms of each pause the client's gates heard of (its own or the fleet's). */
  pausedAt: number[];
  /** The store's fallbacks and rejoins, with when. */
  storeEvents: { at: number; type: 'fallback' | 'rejoin' }[];
  /** CPU (user + system) of the workload, ms. */
  cpuMs: number;
  /** Redis commands the store sent during the workload. */
  commands: number;
  /** Attempts the client sent (retries included). */
  attempts: number;
}
