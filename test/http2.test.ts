// HTTP/2 through sluice: an undici Agent with `allowH2` (the user's dispatcher) against a local
// node:http2 server with a certificate made for the test, through both adapters.

import { once } from 'node:events';
import { createSecureServer, type Http2SecureServer, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { createClient } from '../src/client.js';
import { sluice } from '../src/undici/index.js';

interface Seen {
  method: string;
  path: string;
  protocol: string;
  body: string;
}

let server: Http2SecureServer;
let origin: string;
let ca: string;
const seen: Seen[] = [];
/** How many requests to each path are answered 503 before a 200. */
const refusals = new Map<string, number>();

beforeAll(async () => {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    curve: 'P-256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  ca = pems.cert;
  server = createSecureServer({ key: pems.private, cert: pems.cert });
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const path = String(headers[':path']);
      seen.push({ method: String(headers[':method']), path, protocol: stream.session?.alpnProtocol ?? '', body: Buffer.concat(chunks).toString() });
      const left = refusals.get(path) ?? 0;
      if (left > 0) {
        refusals.set(path, left - 1);
        stream.respond({ ':status': 503, 'retry-after-ms': '5' });
        stream.end('busy');
        return;
      }
      stream.respond({ ':status': 200, 'content-type': 'text/plain' });
      stream.end(`h2 ok ${path}`);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.close();
  await once(server, 'close');
});

describe('HTTP/2 (an Agent with allowH2)', () => {
  it('serves client.fetch over h2 and retries a 503 with the body replayed', async () => {
    const agent = new Agent({ allowH2: true, connect: { ca } });
    const client = createClient({ dispatcher: agent, retry: { backoff: { base: 1 } } });
    refusals.set('/fetch', 1);
    try {
      const response = await client.fetch(`${origin}/fetch`, { method: 'PUT', body: 'payload' });
      expect([response.status, await response.text()]).toEqual([200, 'h2 ok /fetch']);
      expect(seen.filter((request) => request.path === '/fetch')).toEqual([
        { method: 'PUT', path: '/fetch', protocol: 'h2', body: 'payload' },
        { method: 'PUT', path: '/fetch', protocol: 'h2', body: 'payload' },
      ]);
    } finally {
      await client.close();
      await agent.close();
    }
  });

  it('serves the interceptor over h2, with a streamed body replayed', async () => {
    const agent = new Agent({ allowH2: true, connect: { ca } }).compose(sluice({ retry: { backoff: { base: 1 } } }));
    refusals.set('/intercepted', 1);
    try {
      async function* chunks() {
        yield 'streamed ';
        yield 'over h2';
      }
      const { statusCode, body } = await request(`${origin}/intercepted`, { dispatcher: agent, method: 'PUT', body: chunks() as never });
      expect([statusCode, await body.text()]).toEqual([200, 'h2 ok /intercepted']);
      expect(seen.filter((request) => request.path === '/intercepted').map((request) => [request.protocol, request.body])).toEqual([
        ['h2', 'streamed over h2'],
        ['h2', 'streamed over h2'],
      ]);
    } finally {
      await agent.close();
    }
  });
});
