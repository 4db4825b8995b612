// The options of `mapRequests()` / `client.map()`, their defaults in one object and eager
// validation, so a bad option fails when the run is created rather than halfway through it.

import { InvalidOptionError } from '../errors.js';
import { expectBoolean, expectInteger, expectKnownKeys, expectObject, expectOneOf, expectOptionalSignal } from '../validate.js';
import { bodyModes, type BodyMode } from './body-mode.js';

export interface MapOptions {
  /**
   * Most requests in flight at once across all keys. Beneath this cap each key's gate decides
   * (its adaptive window, pause and pacing): the runner never has more requests to a key in
   * flight than the key's window.
   *
   * The cap is what keeps a healthy origin from being given the gate's full adaptive window:
   * a fast server sends no overload signal, so the window grows to its maximum (1000), and a
   * run that filled it would hold 1000 requests (and undici ~2000 sockets) that only wait on
   * each other — each request's objects then outlive V8's young-generation collections and
   * are promoted, so peak memory grows with the window while throughput does not (the client's
   * own CPU, 0.06–0.1 ms per request on the dispatcher path, is the limit long before). 128 in
   * flight still fills a server with 40 ms latency at ~3000 requests per second. Raise it for
   * slower servers; `Infinity` leaves it to the gate alone.
   * @default 128, or `Infinity` on a client with a fixed `limits.concurrency` (its window decides)
   */
  concurrency?: number;
  /**
   * Yield results in source order instead of as they complete. Results that finish early wait in
   * the buffer for the ones before them; a full buffer stops pulling, so one slow item holds the
   * run back rather than letting memory grow.
   * @default false
   */
  ordered?: boolean;
  /**
   * Most items the run holds at once: requests in flight plus results not yet read (when
   * `ordered`, including those waiting for an earlier item). At the bound the source is not
   * pulled, so a slow consumer slows the requests instead of growing memory. It also caps
   * concurrency, so keep it above the window you expect (the adaptive window stops at 1000).
   * @default 1024
   */
  bufferSize?: number;
  /**
   * Stop the run at the first item that is not `ok` (a failed request or a status of 400 and
   * above): nothing more is pulled, requests in flight are aborted, and the iteration ends
   * after their results (errors carrying the abort reason) are yielded. Off, a failed item is
   * just a result and the run goes on.
   * @default false
   */
  failFast?: boolean;
  /**
   * Aborting stops pulling and aborts the requests in flight; their results (with the abort
   * reason as `error`) are still yielded, then the iteration ends without throwing.
   */
  signal?: AbortSignal;
  /**
   * How each response body is read before the item settles: `'text'`, `'json'` (a parse failure
   * fails the item), `'bytes'` (a `Uint8Array`), a function `(response, { input, index, signal })
   * => Promise<B>` run inside the item's slot (to stream it somewhere), or `false` to leave the
   * body unread in `result.response` — then the consumer must read or cancel it, since an unread
   * body keeps its connection busy.
   * @default 'text'
   */
  body?: BodyMode;
  /**
   * Largest body `'text'`, `'json'` and `'bytes'` read; a larger one fails the item with
   * `BodyTooLargeError` and its connection is dropped. Bounds memory at `bufferSize` results.
   * @default 16777216 (16 MiB)
   */
  maxBodyBytes?: number;
}

export const mapDefaults = {
  concurrency: 128,
  ordered: false,
  bufferSize: 1024,
  failFast: false,
  body: 'text',
  maxBodyBytes: 16 * 1024 * 1024,
} as const;

export interface NormalizedMapOptions {
  concurrency: number;
  ordered: boolean;
  bufferSize: number;
  failFast: boolean;
  signal: AbortSignal | undefined;
  body: BodyMode;
  maxBodyBytes: number;
}

const mapKeys = ['concurrency', 'ordered', 'bufferSize', 'failFast', 'signal', 'body', 'maxBodyBytes'] as const;

export function normalizeMapOptions(input: MapOptions = {}): NormalizedMapOptions {
  const options = expectObject('options', input) as MapOptions;
  expectKnownKeys('options', options as Record<string, unknown>, mapKeys);
  const signal = expectOptionalSignal('signal', options.signal);
  return {
    concurrency: expectInteger('concurrency', options.concurrency ?? mapDefaults.concurrency, 1),
    ordered: expectBoolean('ordered', options.ordered ?? mapDefaults.ordered),
    bufferSize: expectInteger('bufferSize', options.bufferSize ?? mapDefaults.bufferSize, 1, 1e9),
    failFast: expectBoolean('failFast', options.failFast ?? mapDefaults.failFast),
    signal,
    body: normalizeBody(options.body ?? mapDefaults.body),
    maxBodyBytes: expectInteger('maxBodyBytes', options.maxBodyBytes ?? mapDefaults.maxBodyBytes, 0),
  };
}

function normalizeBody(body: unknown): BodyMode {
  if (body === false || typeof body === 'function') return body as BodyMode;
  if (typeof body !== 'string') {
    throw new InvalidOptionError('body', "one of 'text', 'json', 'bytes', false or a function", body);
  }
  return expectOneOf('body', body, bodyModes);
}
