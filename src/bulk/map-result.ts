// What `mapRequests` takes from the caller per item (a request spec) and what it hands back per
// item (a result): the types shared by the bulk runner, its buffer and its callers.

import type { SluiceRequestInit } from '../client.js';

/** A request as `toRequest` may describe it: what `fetch` accepts, or its two arguments. */
export type RequestSpec =
  | string
  | URL
  | Request
  | {
      input: string | URL | Request;
      /** fetch's init plus sluice's per-request options; `signal` is combined with the run's. */
      init?: SluiceRequestInit;
    };

/** Turns one source item into its request; may be async. A throw fails that item only. */
export type ToRequest<T> = (item: T, index: number) => RequestSpec | Promise<RequestSpec>;

/** One settled item. Exactly one result is produced for every item pulled from the source. */
export interface MapResult<T, B = string> {
  /** The source item this result is for. */
  input: T;
  /** 0-based position of the item in the source. */
  index: number;
  /**
   * A response arrived with a status below 400 and its body (when `body` reads it) was read.
   * Anything else is a failure, which is what `failFast` stops on.
   */
  ok: boolean;
  /** Present whenever a response arrived, whatever its status. */
  response?: Response;
  /** The body as `body` asked for it; absent when not read or when reading failed. */
  body?: B;
  /**
   * Why the item failed without a usable response: a transport error, a sluice refusal
   * (`RateLimitedError`, `QueueFullError`, …), a throw from `toRequest`, a body that could not be
   * read, or the abort reason when the run stopped before the item finished.
   */
  error?: unknown;
  /**
   * True when the run stopped (abort, `failFast`, `break`) before this item finished: `error`
   * is the stop's reason. The request may or may not have reached the server.
   */
  cancelled?: true;
  /** Attempts sent (1 + retries), when the runner could count them. */
  attempts?: number;
  /** ms from the item's admission by the runner to its settlement (body read included). */
  ms: number;
}

/** Live figures of a run, for progress displays and for tests asserting backpressure. */
export interface MapProgress {
  /** Items taken from the source so far. */
  readonly pulled: number;
  /** Items whose request is under way (sent, waiting for admission, or reading its body). */
  readonly inFlight: number;
  /** Results not yet read by the consumer (when ordered, including those waiting for an earlier item). */
  readonly buffered: number;
  /** Results handed to the consumer. */
  readonly yielded: number;
}
