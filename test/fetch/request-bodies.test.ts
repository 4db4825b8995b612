import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type SluiceClient } from '../../src/client.js';
import type { ClientOptions } from '../../src/client-options.js';
import { startLoopbackServer, type LoopbackServer } from '../../mocks/loopback.js';
import { sequence, type SequenceEntry } from '../../mocks/sequence.js';
import { refusedFirst } from '../helpers/refused-once.js';

// A refusal the policy retries at once (5 ms server time), then a 200.
const busyThenOk: SequenceEntry[] = [{ status: 503, headers: { 'retry-after-ms': '5' } }, { status: 200, body: 'ok' }];
const open: { server?: LoopbackServer; client?: SluiceClient; agent?: { close(): Promise<void> } }[] = [];

afterEach(async () => {
  for (const { server, client, agent } of open.splice(0)) {
    await client?.close();
    await agent?.close();
    await server?.close();
  }
});

async function serve(entries: SequenceEntry[], options: ClientOptions = {}) {
  const script = sequence(entries);
  const server = await startLoopbackServer(script.handlers);
  const client = createClient({ retry: { backoff: { base: 1 } }, ...options });
  open.push({ server, client });
  return { script, client, url: `${server.origin}/upload` };
}

/** A stream that counts what happened to it. */
function trackedStream(parts: string[]) {
  const events: string[] = [];
  let index = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (index < parts.length) controller.enqueue(new TextEncoder().encode(parts[index++]!));
      else controller.close();
    },
    cancel(reason) {
      events.push(`cancel: ${(reason as Error)?.message ?? String(reason)}`);
    },
  });
  return { stream, events };
}

describe('request bodies of the global realm', () => {
  it("sends a global FormData as multipart on every attempt, as Node's fetch does", async () => {
    const { client, url, script } = await serve(busyThenOk);
    const form = new FormData();
    form.append('name', 'sluice');
    form.append('file', new File(['file body'], 'notes.txt', { type: 'text/plain' }));
    const response = await client.fetch(url, { method: 'PUT', body: form });
    expect(response.status).toBe(200);
    expect(script.log).toHaveLength(2);
    for (const { headers, body } of script.log) {
      expect(headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      expect(body).toContain('Content-Disposition: form-data; name="name"\r\n\r\nsluice\r\n');
      expect(body).toContain('Content-Disposition: form-data; name="file"; filename="notes.txt"\r\nContent-Type: text/plain\r\n\r\nfile body\r\n');
      expect(body).not.toContain('[object FormData]');
    }
  });

  it('sends a global Request with a value body with its Content-Length, and replays it', async () => {
    const { client, url, script } = await serve(busyThenOk);
    const request = new Request(url, { method: 'PUT', body: 'exact bytes', headers: { 'content-type': 'text/x-test' } });
    expect((await client.fetch(request)).status).toBe(200);
    expect(script.log.map((entry) => [entry.method, entry.body, entry.headers['content-length'], entry.headers['content-type']])).toEqual([
      ['PUT', 'exact bytes', '11', 'text/x-test'],
      ['PUT', 'exact bytes', '11', 'text/x-test'],
    ]);
  });

  it("streams a Request's value body past maxReplayBytes whole, and does not re-send it", async () => {
    const { client, url, script } = await serve(busyThenOk, { maxReplayBytes: 8 });
    const response = await client.fetch(new Request(url, { method: 'PUT', body: 'twenty bytes of body' }));
    expect(response.status).toBe(503);
    expect(script.log.map((entry) => [entry.body, entry.headers['transfer-encoding']])).toEqual([['twenty bytes of body', 'chunked']]);
  });

  it("streams a global Request's own stream body chunked, as Node's fetch does", async () => {
    const { client, url, script } = await serve([{ status: 200 }]);
    const { stream } = trackedStream(['a', 'b']);
    await client.fetch(new Request(url, { method: 'POST', body: stream, duplex: 'half' } as RequestInit));
    expect(script.log[0]).toMatchObject({ body: 'ab', headers: { 'transfer-encoding': 'chunked' } });
  });
});

describe('stream bodies', () => {
  it('retries a small stream body after a refused connection and sends it whole', async () => {
    const refusing = await refusedFirst();
    const { client, url, script } = await serve([{ status: 200, body: 'ok' }], { dispatcher: refusing.agent });
    open.push({ agent: refusing.agent });
    const { stream } = trackedStream(['first,', 'second']);
    const response = await client.fetch(url, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(200);
    expect(refusing.dispatched()).toBe(2);
    expect(script.log.map((entry) => entry.body)).toEqual(['first,second']);
  });

  it("cancels and unlocks the caller's stream when a refused request is not retried", async () => {
    const refusing = await refusedFirst(10);
    const { client, url } = await serve([{ status: 200 }], { dispatcher: refusing.agent, retry: false });
    open.push({ agent: refusing.agent });
    const { stream, events } = trackedStream(['a', 'b', 'c']);
    const error = await client.fetch(url, { method: 'POST', body: stream, duplex: 'half' } as RequestInit).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    await expect.poll(() => stream.locked).toBe(false);
    expect(events).toEqual(['cancel: fetch failed']);
  });

  it('keeps an async iterable of strings for replay and sends it as UTF-8 each time', async () => {
    const { client, url, script } = await serve(busyThenOk);
    async function* parts() {
      yield 'grüße, ';
      yield 'world';
    }
    const response = await client.fetch(url, { method: 'PUT', body: parts(), duplex: 'half' } as unknown as RequestInit);
    expect(response.status).toBe(200);
    expect(script.log.map((entry) => entry.body)).toEqual(['grüße, world', 'grüße, world']);
  });

  it('does not retry a stream larger than maxReplayBytes once it was sent', async () => {
    const { client, url, script } = await serve(busyThenOk, { maxReplayBytes: 4 });
    const { stream } = trackedStream(['12345', '678']);
    const response = await client.fetch(url, { method: 'PUT', body: stream, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(503);
    expect(script.log.map((entry) => entry.body)).toEqual(['12345678']);
    expect(stream.locked).toBe(false);
  });

  it('locks the stream at once, and refuses one locked or already read, as fetch does', async () => {
    const { client, url, script } = await serve([{ status: 200 }]);
    const { stream } = trackedStream(['a']);
    const pending = client.fetch(url, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(stream.locked).toBe(true);
    await (await pending).text();
    // Read to its end and given back: unlocked, but disturbed.
    expect(stream.locked).toBe(false);
    await expect(client.fetch(url, { method: 'POST', body: stream, duplex: 'half' } as RequestInit)).rejects.toThrow(
      new TypeError('Response body object should not be disturbed or locked'),
    );
    const locked = trackedStream(['b']).stream;
    locked.getReader();
    await expect(client.fetch(url, { method: 'POST', body: locked, duplex: 'half' } as RequestInit)).rejects.toThrow(TypeError);
    expect(script.counters.received).toBe(1);
  });
});
