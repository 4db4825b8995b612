// A loopback server whose answers the test releases by hand, so tests of the bulk runner can
// hold requests in flight and assert what was pulled meanwhile — no timing involved.

import { http, HttpResponse } from 'msw';
import { startLoopbackServer, type LoopbackServer } from '../../mocks/loopback.js';

export interface HeldServer {
  readonly server: LoopbackServer;
  readonly origin: string;
  /** Requests waiting for `release`. */
  readonly held: number;
  readonly counters: { received: number; answered: number; cancelled: number };
  /** Path of every request received, in arrival order. */
  readonly log: readonly string[];
  /** Answers the oldest `count` held requests (200, body = the request path). */
  release(count?: number): void;
  /** From now on, answer every request at once (and release those held). */
  releaseAll(): void;
  /** Resolves once `predicate` holds; checked on every arrival and answer. */
  until(predicate: () => boolean): Promise<void>;
  close(): Promise<void>;
}

/**
 * Every request is held until released, except paths starting with `/now/` (answered at once
 * with 200) and `/fail/` (answered at once with 500).
 */
export async function startHeldServer(): Promise<HeldServer> {
  const waiting: (() => void)[] = [];
  const watchers = new Set<() => void>();
  const counters = { received: 0, answered: 0, cancelled: 0 };
  const log: string[] = [];
  let open = false;
  const changed = () => {
    for (const watcher of watchers) watcher();
  };

  const handler = http.all('*', async ({ request }) => {
    counters.received++;
    const path = new URL(request.url).pathname;
    log.push(path);
    if (path.startsWith('/fail/')) return answer(HttpResponse.text(path, { status: 500 }));
    if (!open && !path.startsWith('/now/')) {
      const released = new Promise<boolean>((resolve) => {
        const release = () => resolve(true);
        waiting.push(release);
        request.signal.addEventListener('abort', () => {
          const at = waiting.indexOf(release);
          if (at >= 0) waiting.splice(at, 1);
          counters.cancelled++;
          resolve(false);
          changed();
        });
        changed();
      });
      if (!(await released)) return HttpResponse.error();
    }
    return answer(HttpResponse.text(path));
  });

  function answer(response: Response): Response {
    counters.answered++;
    queueMicrotask(changed);
    return response;
  }

  const server = await startLoopbackServer([handler]);
  return {
    server,
    origin: server.origin,
    get held() {
      return waiting.length;
    },
    counters,
    log,
    release(count = 1) {
      for (const release of waiting.splice(0, count)) release();
    },
    releaseAll() {
      open = true;
      for (const release of waiting.splice(0)) release();
    },
    until(predicate) {
      if (predicate()) return Promise.resolve();
      return new Promise((resolve) => {
        const watcher = () => {
          if (!predicate()) return;
          watchers.delete(watcher);
          resolve();
        };
        watchers.add(watcher);
      });
    },
    close: () => server.close(),
  };
}
