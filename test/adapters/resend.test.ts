// The shared adapter suite, re-sending: POST without an Idempotency-Key is never sent twice once it
// left; with a key it is, with the same body — for every adapter in the table.

import { afterEach, describe, expect, it } from 'vitest';
import type { RequestHandler } from 'msw';
import { startLoopbackServer, type LoopbackServer } from '../../mocks/loopback.js';
import { sequence } from '../../mocks/sequence.js';
import { adapters, type Adapter } from '../helpers/adapters.js';

// What may be sent twice: POST without an Idempotency-Key never is once it left; with a key it
// is, with the same body — whichever adapter the request came through.
const open: (Adapter | LoopbackServer)[] = [];
afterEach(async () => {
  for (const resource of open.splice(0).reverse()) await resource.close();
});

describe.each(adapters)('$name', (kind) => {
  async function setUp(handlers: RequestHandler[]) {
    const server = await startLoopbackServer(handlers);
    open.push(server);
    const adapter = kind.create({ rate: false, retry: { backoff: { base: 1 } } });
    open.push(adapter);
    return { adapter, url: `${server.origin}/charges` };
  }

  it('does not re-send a POST without an Idempotency-Key whose connection reset after it left', async () => {
    const script = sequence(['network-error', { status: 200 }]);
    const { adapter, url } = await setUp(script.handlers);
    const error = await adapter.send(url, { method: 'POST', body: 'once' }).catch((e: unknown) => e);
    expect(kind.isNetworkError(error)).toBe(true);
    expect(script.counters.received).toBe(1);
  });

  it('returns a 429 to a POST without an Idempotency-Key instead of re-sending it', async () => {
    const script = sequence([{ status: 429, headers: { 'retry-after-ms': '5' }, body: 'slow down' }, { status: 201 }]);
    const { adapter, url } = await setUp(script.handlers);
    expect(await adapter.send(url, { method: 'POST', body: 'once' })).toEqual({ status: 429, body: 'slow down' });
    expect(script.counters.received).toBe(1);
  });

  it('re-sends a POST carrying an Idempotency-Key, with the same body and key', async () => {
    const script = sequence(['network-error', { status: 201, body: 'created' }]);
    const { adapter, url } = await setUp(script.handlers);
    const response = await adapter.send(url, { method: 'POST', body: 'twice', headers: { 'Idempotency-Key': 'k1' } });
    expect(response).toEqual({ status: 201, body: 'created' });
    expect(script.log.map((entry) => [entry.body, entry.headers['idempotency-key']])).toEqual([
      ['twice', 'k1'],
      ['twice', 'k1'],
    ]);
  });
});
