// Ctrl-C and SIGTERM for a command that sends requests: the first signal stops taking new work
// and gives requests in flight a moment to finish; a second one (or the end of the grace) aborts.

import { ExitCode } from './exit-codes.js';

/** How long requests in flight may finish after the first Ctrl-C before they are aborted. */
export const graceMs = 2000;

export interface Interruption {
  /** True once a signal came: take no new work. */
  readonly requested: boolean;
  /** Aborts at the end of the grace, on a second signal, or on `abortNow()`. */
  readonly signal: AbortSignal;
  /** 130 after SIGINT, 143 after SIGTERM; undefined when no signal came. */
  readonly exitCode: number | undefined;
  /** Aborts at once (the output went away, say). */
  abortNow(reason?: unknown): void;
  /** Stops taking new work as a first Ctrl-C would, without its exit code (a write failed, say). */
  stopTaking(): void;
  /** Removes the signal handlers, restoring Node's default (exit on Ctrl-C). */
  dispose(): void;
}

/** `onRequest` is told about the first signal, to tell the user what happens next. */
export function watchInterrupts(onRequest: (signal: NodeJS.Signals) => void, grace = graceMs): Interruption {
  const controller = new AbortController();
  let requested = false;
  let exitCode: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const abort = () => controller.abort(new DOMException('Interrupted', 'AbortError'));

  const stopTaking = () => {
    if (requested) return;
    requested = true;
    timer = setTimeout(abort, grace).unref();
  };
  const handler = (signal: NodeJS.Signals) => {
    if (exitCode !== undefined) {
      abort();
      return;
    }
    exitCode = signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
    onRequest(signal);
    if (requested) abort();
    else stopTaking();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);

  return {
    get requested() {
      return requested;
    },
    signal: controller.signal,
    get exitCode() {
      return exitCode;
    },
    abortNow(reason) {
      requested = true;
      controller.abort(reason ?? new DOMException('Stopped', 'AbortError'));
    },
    stopTaking,
    dispose() {
      clearTimeout(timer);
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
