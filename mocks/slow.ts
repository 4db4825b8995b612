// A server that is slow to answer and, optionally, slow to finish its body: exercises
// per-attempt timeouts, deadlines and aborting mid-body.

import { http, HttpResponse, type Path } from 'msw';
import { expectNumber, sleep, type MockServer } from './internal.js';

/** Options of {@link slow}. */
export interface SlowOptions {
  /** Delay before the status and headers are sent. */
  delayMs: number;
  /**
   * Number of body chunks to drip (`chunk 0\n`, `chunk 1\n`, …). When 0 the body is a small
   * JSON document sent with the headers. @default 0
   */
  bodyChunks?: number;
  /** Delay before each chunk, including the first. @default 0 */
  chunkDelayMs?: number;
  /** Which requests are slowed (any method). @default '*' */
  path?: Path;
}

/** Live counters of a slow server. */
export interface SlowCounters {
  received: number;
  /** Responses whose headers were sent. */
  headersSent: number;
  /** Responses whose body was produced to the end. */
  completed: number;
  /** Responses abandoned by the client: aborted while waiting or body stream cancelled. */
  cancelled: number;
}

/** What {@link slow} returns. */
export type SlowServer = MockServer<SlowCounters>;

/**
 * A slow server: waits `delayMs` before answering 200, then either sends a small JSON body or
 * drips `bodyChunks` text chunks `chunkDelayMs` apart. The body is produced only as the client
 * reads (a pull stream with no read-ahead), so a client that stops reading stops the drip, and
 * one that goes away cancels it (counted in `cancelled`).
 */
export function slow(options: SlowOptions): SlowServer {
  const delayMs = expectNumber('delayMs', options.delayMs, 0);
  const bodyChunks = expectNumber('bodyChunks', options.bodyChunks ?? 0, 0, true);
  const chunkDelayMs = expectNumber('chunkDelayMs', options.chunkDelayMs ?? 0, 0);
  const counters: SlowCounters = { received: 0, headersSent: 0, completed: 0, cancelled: 0 };

  const handler = http.all(options.path ?? '*', async ({ request }) => {
    counters.received++;
    await sleep(delayMs, request.signal);
    if (request.signal.aborted) {
      counters.cancelled++;
      return HttpResponse.error();
    }
    counters.headersSent++;
    if (bodyChunks === 0) {
      counters.completed++;
      return HttpResponse.json({ ok: true });
    }
    return new HttpResponse(drip(bodyChunks, chunkDelayMs, counters), {
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });
  });

  return {
    handlers: [handler],
    counters,
    reset() {
      counters.received = counters.headersSent = counters.completed = counters.cancelled = 0;
    },
  };
}

function drip(chunks: number, delayMs: number, counters: SlowCounters): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  // Aborted on cancel so a pending delay does not keep the process alive for nothing.
  const cancelled = new AbortController();
  let next = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        await sleep(delayMs, cancelled.signal);
        if (cancelled.signal.aborted) return;
        controller.enqueue(encoder.encode(`chunk ${next}\n`));
        next++;
        if (next === chunks) {
          counters.completed++;
          controller.close();
        }
      },
      cancel() {
        counters.cancelled++;
        cancelled.abort();
      },
    },
    { highWaterMark: 0 },
  );
}
