// A scripted server: answers a fixed list of responses in order and records every request it
// saw — the workhorse for unit tests of retry decisions, delays and body replay.

import { http, HttpResponse, type JsonBodyType, type Path } from 'msw';
import { appendBounded, DEFAULT_LOG_LIMIT, expectNumber, expectStatus, sleep, type MockServer } from './internal.js';

/** One scripted answer. */
export type SequenceEntry =
  | 'network-error'
  | {
      /** @default 200 */
      status?: number;
      headers?: Record<string, string>;
      /** A string is sent as is; anything else as JSON. @default no body */
      body?: string | JsonBodyType;
      /** Delay before answering (a held request; honours the client going away). @default 0 */
      delayMs?: number;
    };

/** Options of {@link sequence}. */
export interface SequenceOptions {
  /** Which requests are answered (any method). @default '*' */
  path?: Path;
  /** How many entries `log` keeps (oldest dropped first). @default 10000 */
  logLimit?: number;
}

/** Live counters of a scripted server. */
export interface SequenceCounters {
  received: number;
}

/** One request as the server received it. */
export interface SequenceLogEntry {
  method: string;
  url: string;
  /** Lower-case header names, as `Headers` iterates them. */
  headers: Record<string, string>;
  /** The request body as text ('' when none). */
  body: string;
  /** Index of the entry that answered it (the last entry repeats). */
  answeredWith: number;
}

/** What {@link sequence} returns: handlers, live counters and the request log. */
export interface SequenceServer extends MockServer<SequenceCounters> {
  /** Every request received, oldest first, bounded by `logLimit`. */
  readonly log: readonly SequenceLogEntry[];
}

/**
 * Answers `entries` in order, one per request; once they run out, the last entry repeats (so
 * `[429, 200]` means "one 429, then healthy"). `'network-error'` resets the connection.
 * @example sequence([{ status: 429, headers: { 'Retry-After': '1' } }, { status: 200 }])
 */
export function sequence(entries: readonly SequenceEntry[], options: SequenceOptions = {}): SequenceServer {
  if (entries.length === 0) throw new TypeError('Expected `entries` to hold at least one response, got `[]`');
  entries.forEach((entry, i) => {
    if (entry === 'network-error') return;
    if (entry.status !== undefined) expectStatus(`entries[${i}].status`, entry.status);
    if (entry.delayMs !== undefined) expectNumber(`entries[${i}].delayMs`, entry.delayMs, 0);
  });
  const script = [...entries];
  const logLimit = expectNumber('logLimit', options.logLimit ?? DEFAULT_LOG_LIMIT, 0, true);
  const counters: SequenceCounters = { received: 0 };
  const log: SequenceLogEntry[] = [];

  const handler = http.all(options.path ?? '*', async ({ request }) => {
    const index = Math.min(counters.received, script.length - 1);
    counters.received++;
    appendBounded(
      log,
      {
        method: request.method,
        url: request.url,
        headers: Object.fromEntries(request.headers),
        body: await request.text(),
        answeredWith: index,
      },
      logLimit,
    );
    const entry = script[index]!;
    if (entry === 'network-error') return HttpResponse.error();
    await sleep(entry.delayMs ?? 0, request.signal);
    return respond(entry);
  });

  return {
    handlers: [handler],
    counters,
    log,
    reset() {
      counters.received = 0;
      log.length = 0;
    },
  };
}

function respond(entry: Exclude<SequenceEntry, 'network-error'>): Response {
  const init = { status: entry.status ?? 200, headers: entry.headers ?? {} };
  if (entry.body === undefined) return new HttpResponse(null, init);
  if (typeof entry.body === 'string') return new HttpResponse(entry.body, init);
  return HttpResponse.json(entry.body, init);
}
