// Counts what a `sluice run` did — finished, failed, throttled, retried — for the progress line
// and the summary; fed by results and by the client's retry events.

import type { SluiceEvents } from '../gate/gate-events.js';

export class RunTally {
  /** Finished in earlier runs (resumed from --state). */
  resumed = 0;
  /** Finished in this run: a result line was printed. */
  done = 0;
  ok = 0;
  /** Finished with a status of 400 or above. */
  httpFailed = 0;
  /** Finished without a usable response (connection, timeout, refusal, body). */
  errors = 0;
  /** 429 responses seen, retried ones included. */
  throttled = 0;
  retries = 0;
  readonly startedAt: number;

  constructor(readonly now: () => number = Date.now) {
    this.startedAt = now();
  }

  get failed(): number {
    return this.httpFailed + this.errors;
  }

  finished(outcome: { ok: boolean; status?: number | undefined; error?: unknown }): void {
    this.done++;
    if (outcome.status === 429) this.throttled++;
    if (outcome.ok) this.ok++;
    else if (outcome.error === undefined && outcome.status !== undefined) this.httpFailed++;
    else this.errors++;
  }

  retried(event: SluiceEvents['retry']): void {
    this.retries++;
    if (event.status === 429) this.throttled++;
  }
}
