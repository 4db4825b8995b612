// Loopback servers and temporary directories for CLI tests, each closed or removed after its
// test (in reverse order), so a test owns what it starts and leaks no handle.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { startLoopbackServer, type LoopbackServer } from '../../mocks/loopback.js';

export interface CliFixtures {
  serve(handlers: Parameters<typeof startLoopbackServer>[0]): Promise<LoopbackServer>;
  tempDir(): Promise<string>;
  /** Runs `close` after the test, with the rest. */
  defer(close: () => Promise<unknown>): void;
}

/** Registers the `afterEach` that cleans up; call once at the top of a test file. */
export function cliFixtures(prefix: string): CliFixtures {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of cleanup.splice(0).reverse()) await close();
  });
  return {
    async serve(handlers) {
      const server = await startLoopbackServer(handlers);
      cleanup.push(() => server.close());
      return server;
    },
    async tempDir() {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      return dir;
    },
    defer(close) {
      cleanup.push(close);
    },
  };
}
