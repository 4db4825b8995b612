// The concurrency window of one key as plain data: a fixed limit, or an adaptive one that moves
// with what the origin accepts. The gate admits while in flight < `limit` and feeds samples.

import { type AimdWindow, aimdSample } from './aimd-limit.js';

/** One finished request, as the window sees it. */
export interface LimitSample {
  /** Requests in flight to the key when this one was admitted, itself included. */
  inFlight: number;
  /**
   * Requests in flight to the key when this one ended, itself included. For a refusal this is the
   * evidence: the origin said no with this many of ours outstanding.
   */
  outstanding: number;
  /** How long the request took, in ms (admission to outcome). */
  rttMs: number;
  /** A capacity signal: 503, timeout, connection refused. Not a 4xx or an ordinary 5xx. */
  dropped: boolean;
  /** ms the refused request must wait before its retry (its server time); absent when none. */
  pausedMs?: number | undefined;
  /** Attempts waiting in the key's queue when this one was admitted: how much work the window still holds back. */
  waiting: number;
}

/** A limit the user fixed (`limits.concurrency: n`); it learns nothing. */
export interface StaticWindow {
  readonly kind: 'static';
  limit: number;
}

export type WindowState = StaticWindow | AimdWindow;

export function createStaticWindow(limit: number): StaticWindow {
  return { kind: 'static', limit };
}

/**
 * Feeds one finished request at `now`; may move `limit`. Returns true for a drop the window
 * absorbed: it now excludes the level that was refused and the requests still out fill it, so the
 * gate itself holds a retry back until one of them ends. False otherwise, and always for a static
 * limit — where the window has room, only a backoff keeps a retry from going straight back.
 */
export function windowSample(window: WindowState, sample: LimitSample, now: number): boolean {
  return window.kind === 'aimd' ? aimdSample(window, sample, now) : false;
}
