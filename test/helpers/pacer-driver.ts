// The pacer's functions bound to one state, for tests and simulations that drive a key's pacer by
// hand: a sequence of calls on explicit time, as the gate makes them.

import { paceDelay, paceOnNoResponse, paceOnResponse, paceOnSend, type Pace } from '../../src/pacing/pacer.js';
import type { PacerOptions } from '../../src/pacing/pacer-options.js';
import { createPacerState, type PacerResponse, type PacerState, type RateEstimate } from '../../src/pacing/pacer-state.js';
import { tokensAt } from '../../src/pacing/token-bucket.js';

export interface PacerDriver {
  readonly pace: Pace;
  readonly stateData: PacerState;
  readonly rate: number;
  readonly state: string;
  readonly estimate: RateEstimate | undefined;
  readonly bucket: { tokens(now: number): number };
  delayUntilToken(now: number): number;
  /** `waiting`: attempts queued behind this one (omitted: unknown, a long backlog). */
  onSend(now: number, waiting?: number): void;
  onNoResponse(now: number): void;
  /** Returns when to hold the key until (a spent fixed window's edge), as the gate pauses it. */
  onResponse(now: number, info: PacerResponse): number | undefined;
}

export function createPacerDriver(options: PacerOptions = {}, now = 0): PacerDriver {
  const state = createPacerState(options, now);
  const pace: Pace = { kind: 'adaptive', state };
  return {
    pace,
    stateData: state,
    get rate() {
      return state.rate;
    },
    get state() {
      return state.mode;
    },
    get estimate() {
      return state.throttle.estimate;
    },
    bucket: { tokens: (at) => tokensAt(state.bucket, at) },
    delayUntilToken: (at) => paceDelay(pace, at),
    onSend: (at, waiting) => paceOnSend(pace, at, waiting),
    onNoResponse: (at) => paceOnNoResponse(pace, at),
    onResponse: (at, info) => paceOnResponse(pace, at, info),
  };
}
