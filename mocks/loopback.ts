// A real HTTP server on 127.0.0.1 that answers with msw handlers, so connection pools, resets,
// keep-alive and benchmarks behave as they do against a real server (unlike interception).

import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { getResponse, isPassthroughResponse, type RequestHandler } from 'msw';
import { trackConnections } from './internal.js';

/** A running loopback server; close it before the test ends. */
export interface LoopbackServer {
  /** The server's root, `http://127.0.0.1:<port>/`. */
  readonly url: string;
  /** `http://127.0.0.1:<port>`, for building request URLs and as a gate key. */
  readonly origin: string;
  readonly port: number;
  /** TCP connections: `total` ever accepted, `open` right now. Keep-alive reuse shows here. */
  readonly connections: { readonly total: number; readonly open: number };
  /** Closes every connection, idle keep-alive ones included; resolves once fully closed. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts an HTTP/1.1 server on 127.0.0.1 on a free port that turns each request into a Fetch
 * `Request` (body included) and answers with msw's `getResponse(handlers, request)`, streaming
 * the response body with backpressure. `HttpResponse.error()` and a handler that throws destroy
 * the socket (a connection reset to the client); no matching handler gives 404. The request's
 * `signal` aborts when the client goes away before the response is finished.
 */
export async function startLoopbackServer(handlers: readonly RequestHandler[]): Promise<LoopbackServer> {
  const list = [...handlers];
  let origin = '';

  const server = createServer((req, res) => {
    serve(list, origin, req, res).catch(() => res.destroy());
  });
  const { counts: connections, sockets } = trackConnections(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');

  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // The server's 'close' comes when its connection count reaches zero, a tick before the
      // sockets' own 'close' events; wait for both so `connections.open` reads 0 afterwards.
      const pending = [once(server, 'close'), ...[...sockets].map((socket) => once(socket, 'close'))];
      server.close();
      server.closeAllConnections();
      await Promise.all(pending);
    })();
    return closing;
  };

  return {
    url: `${origin}/`,
    origin,
    port,
    connections,
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function serve(handlers: RequestHandler[], origin: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const aborted = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) aborted.abort(new Error('The client closed the connection'));
  });

  let response: Response | undefined;
  try {
    response = await getResponse(handlers, await toFetchRequest(origin, req, aborted.signal));
  } catch {
    // A handler that throws is a server that crashed mid-request: the client sees a reset.
    res.destroy();
    return;
  }
  if (res.destroyed) {
    // The client left while the handler worked; let a streamed body know it will not be read.
    await response?.body?.cancel().catch(() => {});
    return;
  }
  if (response?.type === 'error') {
    res.destroy();
    return;
  }
  if (response === undefined || isPassthroughResponse(response)) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`No handler for ${req.method} ${req.url}\n`);
    return;
  }

  const headers: string[] = [];
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers.push(name, value);
  });
  for (const cookie of response.headers.getSetCookie()) headers.push('set-cookie', cookie);
  res.writeHead(response.status, response.statusText || undefined, headers);

  if (response.body === null || req.method === 'HEAD') {
    await response.body?.cancel();
    res.end();
    return;
  }
  // Node holds headers back until the first body write; a slow body must not delay them.
  res.flushHeaders();
  // pipeline waits for the client's reads (backpressure) and cancels the body stream if the
  // client goes away, which is how a slow-drip mock learns it was abandoned.
  await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), res).catch(() => res.destroy());
}

async function toFetchRequest(origin: string, req: IncomingMessage, signal: AbortSignal): Promise<Request> {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  // Buffered rather than streamed: handlers may answer without reading the body, and a fully
  // read request leaves the connection clean for keep-alive.
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && chunks.length > 0;
  return new Request(`${origin}${req.url ?? '/'}`, {
    method: req.method ?? 'GET',
    headers,
    body: hasBody ? Buffer.concat(chunks) : null,
    signal,
  });
}
