// A tiny HTTP/1.1 server on raw `node:net` sockets, for the faults msw cannot express: resets
// before or inside the response head, lying Content-Length, silence, drips, floods of headers
// or body. Each request head is handed to a behaviour that writes (or does not write) bytes.

import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** One request as the server parsed it (head only; these tests send no request bodies). */
export interface RawRequest {
  method: string;
  path: string;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** 0-based index over the whole server's life. */
  index: number;
  /** performance.now() when the head was complete. */
  at: number;
}

/**
 * Decides what the server does with one request. It owns `socket` from here: write a response
 * and return to keep the connection for the next request, or reset, close, stall or drip.
 */
export type RawBehaviour = (socket: Socket, request: RawRequest) => void;

export interface RawServerCounters {
  connections: number;
  /** Connections open right now. */
  open: number;
  requests: number;
  /** Bytes the kernel accepted from this server, summed over every socket (closed ones too). */
  bytesWritten: number;
}

export interface RawServer {
  readonly port: number;
  readonly origin: string;
  readonly counters: Readonly<RawServerCounters>;
  readonly requests: readonly RawRequest[];
  /** Destroys every connection and stops listening. Idempotent. */
  close(): Promise<void>;
  /** Listens again on the same port once `close()` finished: the server restarted. */
  restart(): Promise<void>;
}

export async function startRawServer(behaviour: RawBehaviour, port = 0): Promise<RawServer> {
  const counters: RawServerCounters = { connections: 0, open: 0, requests: 0, bytesWritten: 0 };
  const requests: RawRequest[] = [];
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let closing: Promise<void> | undefined;

  const listen = async (on: number) => {
    server = createServer((socket) => {
      counters.connections++;
      counters.open++;
      sockets.add(socket);
      socket.on('error', () => {});
      socket.once('close', () => {
        counters.open--;
        counters.bytesWritten += socket.bytesWritten;
        sockets.delete(socket);
      });
      let buffered = '';
      const onData = (chunk: Buffer) => {
        buffered += chunk.toString('latin1');
        for (let end = buffered.indexOf('\r\n\r\n'); end !== -1; end = buffered.indexOf('\r\n\r\n')) {
          const head = buffered.slice(0, end);
          buffered = buffered.slice(end + 4);
          const request = parseHead(head, counters.requests++);
          requests.push(request);
          behaviour(socket, request);
          if (socket.destroyed) return;
        }
      };
      socket.on('data', onData);
    });
    server.listen(on, '127.0.0.1');
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  };

  const boundPort = await listen(port);
  const close = () => {
    closing ??= (async () => {
      const closed = server ? once(server, 'close') : Promise.resolve();
      const socketsClosed = [...sockets].map((socket) => (socket.closed ? undefined : once(socket, 'close')));
      server?.close();
      for (const socket of sockets) socket.destroy();
      await Promise.all([closed, ...socketsClosed]);
    })();
    return closing;
  };

  return {
    port: boundPort,
    origin: `http://127.0.0.1:${boundPort}`,
    counters,
    requests,
    close,
    async restart() {
      await closing;
      closing = undefined;
      await listen(boundPort);
    },
  };
}

function parseHead(head: string, index: number): RawRequest {
  const [requestLine = '', ...lines] = head.split('\r\n');
  const [method = '', path = ''] = requestLine.split(' ');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { method, path, headers, index, at: performance.now() };
}

/** A complete response head plus body, as bytes on the wire. */
export function response(status: number, headers: Record<string, string | number> = {}, body = ''): string {
  const all = { 'Content-Length': Buffer.byteLength(body), ...headers };
  const lines = Object.entries(all).map(([name, value]) => `${name}: ${value}`);
  return `HTTP/1.1 ${status} ${reason(status)}\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
}

function reason(status: number): string {
  return ({ 200: 'OK', 429: 'Too Many Requests', 503: 'Service Unavailable' } as Record<number, string>)[status] ?? 'Status';
}

/** Behaviours used by several tests. */
export const behaviours: Record<'ok' | 'resetBeforeResponse' | 'resetMidHeaders' | 'silent', RawBehaviour> = {
  /** 200 with a short body, keeping the connection. */
  ok: (socket) => void socket.write(response(200, {}, 'ok')),
  /** TCP RST once the request arrived, before a byte of response. */
  resetBeforeResponse: (socket) => void socket.resetAndDestroy(),
  /** Half a status line and header, then RST. */
  resetMidHeaders: (socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/pl', () => socket.resetAndDestroy());
  },
  /** Accepts and never answers; the connection stays open until someone closes it. */
  silent: () => {},
};

/**
 * Writes `total` bytes of zeros after `head`, as fast as the peer reads (never more than the
 * socket accepts: it waits for 'drain'), and stops when the socket closes.
 */
export function flood(socket: Socket, head: string, total: number, chunkSize = 64 * 1024): void {
  const chunk = Buffer.alloc(chunkSize);
  let sent = 0;
  const pump = () => {
    while (!socket.destroyed && sent < total) {
      const size = Math.min(chunkSize, total - sent);
      sent += size;
      if (!socket.write(size === chunkSize ? chunk : chunk.subarray(0, size))) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  socket.write(head);
  pump();
}

/** Writes `head`, then one `piece` every `everyMs` until the socket closes (chunked encoding). */
export function drip(socket: Socket, head: string, everyMs: number, piece = 'x'): { stop(): void; sent(): number } {
  let sent = 0;
  socket.write(head);
  const timer = setInterval(() => {
    if (socket.destroyed || socket.writableEnded) return stop();
    socket.write(`${piece.length.toString(16)}\r\n${piece}\r\n`);
    sent++;
  }, everyMs);
  const stop = () => clearInterval(timer);
  socket.once('close', stop);
  return { stop, sent: () => sent };
}
