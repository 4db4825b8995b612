// The conformance suite's server: raw HTTP/1.1 on a loopback socket, so it sees a request exactly
// as sent (any method spelling, framing, header order) and can answer, redirect, stall or reset.

import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';

/** One request as it arrived on the wire. */
export interface WireRequest {
  method: string;
  target: string;
  /** Header lines in order, names as sent. */
  headers: [string, string][];
  /** How the body was framed. */
  framing: 'content-length' | 'chunked' | 'none';
  body: Buffer;
}

export interface EchoServer {
  readonly origin: string;
  /** Every request received, oldest first. */
  readonly requests: readonly WireRequest[];
  close(): Promise<void>;
}

const statusText: Record<number, string> = { 200: 'OK', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 307: 'Temporary Redirect', 308: 'Permanent Redirect' };

/**
 * Routes (by path):
 * - `/echo`: 200, JSON of the request (method, headers, framing, body as text).
 * - `/redirect?status=302&to=URL`: a redirect to `to` (absolute or relative).
 * - `/status?code=418&text=...&body=...`: that status line and body.
 * - `/headers`: repeated `Set-Cookie` and `X-Dup` headers, mixed-case names.
 * - `/encoded?as=gzip|br|deflate`: a compressed text body.
 * - `/empty`: 204; `/big?bytes=N`: N bytes of 'a'.
 * - `/hang`: never answers; `/drip`: headers and one chunk, then nothing.
 * - `/reset`: RST before any byte; `/reset-mid-body`: headers, part of the body, then RST.
 * - `/short`: a Content-Length longer than the body, then close.
 */
export async function startEchoServer(): Promise<EchoServer> {
  const requests: WireRequest[] = [];
  const sockets = new Set<Socket>();
  let origin = '';
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const parsed = parseRequest(buffered);
        if (parsed === undefined) return;
        buffered = buffered.subarray(parsed.consumed);
        requests.push(parsed.request);
        answer(socket, parsed.request, origin);
        if (socket.destroyed) return;
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    async close() {
      const closed = once(server, 'close');
      server.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function answer(socket: Socket, request: WireRequest, origin: string): void {
  const url = new URL(request.target, origin);
  const query = url.searchParams;
  const write = (status: number, headers: [string, string | number][], body: Buffer | string = '', text = statusText[status] ?? 'Status') => {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const lines = [...headers, ['Content-Length', bytes.byteLength] as [string, number]].map(([name, value]) => `${name}: ${value}`);
    socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 ${status} ${text}\r\n${lines.join('\r\n')}\r\n\r\n`, 'latin1'), request.method === 'HEAD' ? Buffer.alloc(0) : bytes]));
  };
  switch (url.pathname) {
    case '/echo':
      return write(200, [['Content-Type', 'application/json']], JSON.stringify(echoOf(request)));
    case '/redirect':
      return write(Number(query.get('status') ?? 302), [['Location', query.get('to') ?? '/echo']]);
    case '/status':
      return write(Number(query.get('code')), [['Content-Type', 'text/plain']], query.get('body') ?? '', query.get('text') ?? 'Status');
    case '/headers':
      return write(200, [
        ['Set-Cookie', 'a=1; Path=/'],
        ['Set-Cookie', 'b=2; HttpOnly'],
        ['X-Dup', 'one'],
        ['x-dup', 'two'],
        ['X-MiXeD-CaSe', 'value'],
        ['Content-Type', 'text/plain; charset=utf-8'],
      ], 'headers');
    case '/encoded': {
      const text = 'compressed text '.repeat(50);
      const as = query.get('as') ?? 'gzip';
      const body = as === 'br' ? brotliCompressSync(text) : as === 'deflate' ? deflateSync(text) : gzipSync(text);
      return write(200, [['Content-Encoding', as], ['Content-Type', 'text/plain']], body);
    }
    case '/empty':
      return void socket.write('HTTP/1.1 204 No Content\r\nX-Empty: yes\r\n\r\n');
    case '/big':
      return write(200, [['Content-Type', 'text/plain']], 'a'.repeat(Number(query.get('bytes') ?? 1_000_000)));
    case '/hang':
      return;
    case '/drip':
      return void socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n');
    case '/reset':
      return void socket.resetAndDestroy();
    case '/reset-mid-body':
      return void socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial', () => socket.resetAndDestroy());
    case '/short':
      return void socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort');
    default:
      return write(404, [], 'not found');
  }
}

/**
 * What `/echo` answers: the request as the server saw it, multipart made comparable. Boundaries
 * are random, and the epilogue after the closing delimiter (which RFC 2046 says to ignore) varies
 * between undici releases — Node 22's fetch ends with a CRLF there, undici 8's does not — so the
 * body is cut at the closing delimiter and its length reported for that cut body.
 */
export function echoOf(request: WireRequest) {
  const boundary = /boundary=(\S+)/.exec(headerOf(request, 'content-type') ?? '')?.[1];
  const mask = (text: string) => (boundary ? text.split(boundary).join('<boundary>') : text);
  let body = request.body;
  if (boundary) {
    const close = body.indexOf(`--${boundary}--`);
    if (close !== -1) body = body.subarray(0, close + boundary.length + 4);
  }
  const lengthOf = (name: string, value: string) =>
    boundary && name === 'content-length' && request.framing === 'content-length' ? String(body.length) : mask(value);
  return {
    method: request.method,
    target: request.target,
    headers: request.headers.map(([name, value]) => [name.toLowerCase(), lengthOf(name.toLowerCase(), value)]),
    framing: request.framing,
    body: mask(body.toString('utf8')),
  };
}

function headerOf(request: WireRequest, name: string): string | undefined {
  return request.headers.find(([key]) => key.toLowerCase() === name)?.[1];
}

/** One complete request at the start of `data`, or undefined when more bytes are needed. */
function parseRequest(data: Buffer): { request: WireRequest; consumed: number } | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [requestLine = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const [method = '', target = ''] = requestLine.split(' ');
  const headers = lines.map((line): [string, string] => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  const request: WireRequest = { method, target, headers, framing: 'none', body: Buffer.alloc(0) };
  let offset = end + 4;
  const length = headerOf(request, 'content-length');
  if (headerOf(request, 'transfer-encoding')?.toLowerCase() === 'chunked') {
    request.framing = 'chunked';
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = data.indexOf('\r\n', offset);
      if (lineEnd === -1) return undefined;
      const size = Number.parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
      if (size === 0) {
        const trailerEnd = data.indexOf('\r\n\r\n', lineEnd);
        if (trailerEnd === -1) return undefined;
        request.body = Buffer.concat(parts);
        return { request, consumed: trailerEnd + 4 };
      }
      if (data.length < lineEnd + 2 + size + 2) return undefined;
      parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
      offset = lineEnd + 2 + size + 2;
    }
  }
  if (length !== undefined) {
    request.framing = 'content-length';
    const size = Number(length);
    if (data.length < offset + size) return undefined;
    request.body = Buffer.from(data.subarray(offset, offset + size));
    offset += size;
  }
  return { request, consumed: offset };
}
