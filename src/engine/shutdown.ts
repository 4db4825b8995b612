// How a client or an interceptor closes: refuse and reject what waits at once, give what is in
// flight a grace period, then abort it — and resolve only once nothing of sluice's is left.

import { expectDuration } from '../duration.js';
import { expectBoolean, expectKnownKeys, expectObject } from '../validate.js';
import type { Engine } from './engine.js';

export interface CloseOptions {
  /**
   * ms that attempts in flight (and, on the client's own Agent, response bodies still being
   * read) may take to finish before they are aborted. Overrides the client's `closeGrace`; a
   * second `close()` may shorten the grace period, never lengthen it.
   */
  grace?: number;
  /** Aborts everything at once, as `grace: 0` does. @default false */
  force?: boolean;
}

/** The Agent a client created, which it closes and, when the grace period ends, destroys. */
export interface OwnedDispatcher {
  close(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * One per client or interceptor; `close()` may be called any number of times and returns the
 * same promise. The grace timer is unref'd: closing never keeps a process alive by itself, and
 * whatever is in flight keeps it alive only until the grace period ends.
 */
export class Shutdown {
  #done: Promise<void> | undefined;
  #deadline = Infinity;
  #timer: NodeJS.Timeout | undefined;
  #aborted = false;

  constructor(
    private readonly engine: Engine,
    private readonly defaultGrace: number,
    private readonly owned?: OwnedDispatcher | undefined,
  ) {}

  close(options?: CloseOptions): Promise<void> {
    let grace: number;
    try {
      grace = readGrace(options, this.defaultGrace);
    } catch (error) {
      return Promise.reject(error);
    }
    this.engine.close();
    this.#done ??= Promise.all([this.engine.drained(), this.owned?.close().catch(() => {})]).then(() => {
      clearTimeout(this.#timer);
    });
    this.#limit(grace);
    return this.#done;
  }

  /** Sets the end of the grace period to `grace` ms from now, unless it already ends sooner. */
  #limit(grace: number): void {
    if (this.#aborted) return;
    const at = performance.now() + grace;
    if (at >= this.#deadline) return;
    this.#deadline = at;
    clearTimeout(this.#timer);
    if (grace === 0) this.#abort();
    else if (Number.isFinite(grace)) this.#timer = setTimeout(() => this.#abort(), grace).unref();
  }

  #abort(): void {
    this.#aborted = true;
    this.engine.abortInFlight();
    // Destroying the Agent ends what is left on its sockets: attempts and bodies alike.
    void this.owned?.destroy().catch(() => {});
  }
}

/** Throws `InvalidOptionError` for options `close()` would refuse, before anything is closed. */
export function checkCloseOptions(options: CloseOptions | undefined): void {
  readGrace(options, 0);
}

function readGrace(options: CloseOptions | undefined, defaultGrace: number): number {
  if (options === undefined) return defaultGrace;
  const o = expectObject('options', options) as CloseOptions;
  expectKnownKeys('options', o as Record<string, unknown>, ['grace', 'force']);
  if (o.force !== undefined && expectBoolean('options.force', o.force)) return 0;
  return o.grace === undefined ? defaultGrace : expectDuration('options.grace', o.grace);
}
