import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type SluiceClient } from '../src/client.js';
import { InvalidOptionError } from '../src/errors.js';
import { sequence } from '../mocks/sequence.js';
import { startLoopbackServer, type LoopbackServer } from '../mocks/loopback.js';

const open: { server: LoopbackServer; client: SluiceClient }[] = [];
afterEach(async () => {
  for (const { server, client } of open.splice(0)) {
    await client.close();
    await server.close();
  }
});

/** A key paused for a minute by a 429 the client returned at once (maxRetryAfter is longer). */
async function pausedKey() {
  const script = sequence([{ status: 429, headers: { 'retry-after': '60' } }]);
  const server = await startLoopbackServer(script.handlers);
  const client = createClient({ retry: { maxRetries: 0, maxRetryAfter: 120_000 } });
  open.push({ server, client });
  expect((await client.fetch(`${server.origin}/x`)).status).toBe(429);
  return { server, client };
}

describe('client.ready', () => {
  it('waits while the key is paused and stops when its signal aborts', async () => {
    const { server, client } = await pausedKey();
    const controller = new AbortController();
    const waiting = client.ready(server.origin, { signal: controller.signal });
    const settled = { done: false };
    void waiting.then(
      () => (settled.done = true),
      () => (settled.done = true),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled.done).toBe(false);
    controller.abort(new Error('enough'));
    await expect(waiting).rejects.toThrow('enough');
  });

  it('rejects an already aborted signal at once, and bad options by name', async () => {
    const { server, client } = await pausedKey();
    await expect(client.ready(server.origin, { signal: AbortSignal.abort(new Error('no')) })).rejects.toThrow('no');
    await expect(client.ready(server.origin, { signal: 'soon' as never })).rejects.toThrow(InvalidOptionError);
    await expect(client.ready(server.origin, { timeout: 5 } as never)).rejects.toThrow('options.timeout');
  });
});
