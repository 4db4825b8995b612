// A loopback origin that answers each attempt with a fault drawn from a seeded plan — resets
// before and mid-body, truncations, hangs, slow drips, 429s in four dialects, 5 MB 503s — and
// keeps a ledger of every attempt, so a run can prove what the client did: nothing lost, no
// non-idempotent request sent twice, no body corrupted either way, no retry before its time.

import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FaultKind =
  | 'ok'
  | 'slow-drip'
  | 'reset-before'
  | 'reset-mid-body'
  | 'truncated'
  | 'hang'
  | '429-retry-after-ms'
  | '429-retry-after-s'
  | '429-discord'
  | '429-openai'
  | '503'
  | '503-huge'
  | '500';

/** Per-attempt probability of each fault; whatever is left over is answered 200 at once. */
export type FaultMix = Partial<Record<Exclude<FaultKind, 'ok'>, number>>;

/**
 * About one attempt in six faults. Transport faults dominate and explicit refusals (429, 503) are
 * rarer, as on a real origin that mostly answers: sluice yields to every refusal (it paces and
 * pauses the key), so refusals at the rate of the transport faults would measure mostly its
 * patience (see "Faults that are not about load" in the README).
 */
export const defaultMix: FaultMix = {
  'slow-drip': 0.03,
  'reset-before': 0.04,
  'reset-mid-body': 0.02,
  truncated: 0.015,
  hang: 0.005,
  '500': 0.03,
  '503': 0.01,
  '503-huge': 0.002,
  '429-retry-after-ms': 0.008,
  '429-retry-after-s': 0.0005,
  '429-discord': 0.004,
  '429-openai': 0.004,
};

/** One attempt as the server received it. */
export interface AttemptRecord {
  at: number;
  method: string;
  idempotencyKey: boolean;
  /** The request body was exactly the one this id must carry (true when it has none). */
  bodyIntact: boolean;
  fault: FaultKind;
  /** When the server finished its answer's head (performance.now()), and the time it asked the client to wait. */
  answeredAt?: number;
  serverTimeMs?: number;
}

export interface ChaosServer {
  readonly origin: string;
  /** Every attempt per request id, in arrival order. */
  readonly ledger: ReadonlyMap<string, AttemptRecord[]>;
  readonly faults: Readonly<Record<FaultKind, number>>;
  close(): Promise<void>;
}

/** The body a request id must get back (and, for PUT/POST, send): its id, then filler to a size that varies with it. */
export function bodyFor(id: string): string {
  const n = hash(id);
  // Most bodies are small; one in 50 is 128 KiB, past any buffer a client might rely on.
  const size = n % 50 === 0 ? 128 * 1024 : 64 + (n % 4000);
  const unit = `${id};`;
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

/**
 * A stable 32-bit hash (FNV-1a, then murmur3's finaliser): the plan must not depend on timing or
 * order. Without the finaliser, keys that differ in their last character (attempt 0, 1, 2 of one
 * request) hash within a few percent of each other, and a request that drew a hang drew it again
 * on every retry.
 */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const HUGE_BYTES = 5 * 1024 * 1024;

export async function startChaosServer(seed: string, mix: FaultMix = defaultMix): Promise<ChaosServer> {
  const ledger = new Map<string, AttemptRecord[]>();
  const faults = Object.fromEntries(['ok', ...Object.keys(defaultMix)].map((k) => [k, 0])) as Record<FaultKind, number>;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const server: Server = createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => {});
    res.on('error', () => {});
    req.on('end', () => {
      const id = (req.url ?? '').split('?')[0]!.replace(/^\/c\//, '');
      const attempts = ledger.get(id) ?? [];
      ledger.set(id, attempts);
      const sent = Buffer.concat(chunks).toString('latin1');
      const fault = pick(`${seed}/${id}/${attempts.length}`, mix);
      faults[fault]++;
      const record: AttemptRecord = {
        at: performance.now(),
        method: req.method ?? '',
        idempotencyKey: req.headers['idempotency-key'] !== undefined,
        bodyIntact: sent === '' ? req.method === 'GET' || req.method === 'DELETE' || req.method === 'HEAD' : sent === bodyFor(id),
        fault,
      };
      attempts.push(record);
      answer(fault, id, req, res, record);
    });
  });

  const answer = (fault: FaultKind, id: string, req: IncomingMessage, res: ServerResponse, record: AttemptRecord) => {
    const body = bodyFor(id);
    const head = (status: number, headers: Record<string, string | number>, serverTimeMs?: number) => {
      res.writeHead(status, headers);
      res.flushHeaders();
      record.answeredAt = performance.now();
      record.serverTimeMs = serverTimeMs;
    };
    const wait = 10 + (hash(`${id}/${record.at}`) % 40);
    switch (fault) {
      case 'ok':
        head(200, { 'content-length': Buffer.byteLength(body) });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      case 'slow-drip': {
        head(200, { 'content-type': 'text/plain' });
        const quarter = Math.ceil(body.length / 4);
        let i = 0;
        const next = () => {
          if (res.destroyed) return;
          if (i >= 4) return void res.end();
          res.write(body.slice(i * quarter, ++i * quarter));
          later(15, next);
        };
        next();
        return;
      }
      case 'reset-before':
        req.socket.resetAndDestroy();
        return;
      case 'reset-mid-body':
        head(200, { 'content-length': Buffer.byteLength(body) });
        res.write(body.slice(0, body.length >> 1), () => req.socket.resetAndDestroy());
        return;
      case 'truncated':
        head(200, { 'content-length': Buffer.byteLength(body) });
        res.write(body.slice(0, body.length >> 1), () => req.socket.end());
        return;
      case 'hang':
        return;
      case '429-retry-after-ms':
        head(429, { 'retry-after-ms': wait, 'content-length': 4 }, wait);
        res.end('slow');
        return;
      case '429-retry-after-s':
        head(429, { 'retry-after': 1, 'content-length': 4 }, 1000);
        res.end('slow');
        return;
      case '429-discord':
        head(429, { 'x-ratelimit-limit': 50, 'x-ratelimit-remaining': 0, 'x-ratelimit-reset-after': (wait / 1000).toFixed(3), 'content-length': 4 }, wait);
        res.end('slow');
        return;
      case '429-openai':
        head(429, { 'x-ratelimit-limit-requests': 50, 'x-ratelimit-remaining-requests': 0, 'x-ratelimit-reset-requests': `${wait}ms`, 'content-length': 4 }, wait);
        res.end('slow');
        return;
      case '503':
        head(503, { 'retry-after-ms': wait, 'content-length': 4 }, wait);
        res.end('busy');
        return;
      case '503-huge': {
        head(503, { 'retry-after-ms': wait, 'content-length': HUGE_BYTES }, wait);
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let written = 0;
        const pump = () => {
          while (!res.destroyed && written < HUGE_BYTES) {
            written += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          if (!res.destroyed) res.end();
        };
        pump();
        return;
      }
      case '500':
        head(500, { 'content-length': 4 });
        res.end('oops');
        return;
    }
  };

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;

  return {
    origin: `http://127.0.0.1:${port}`,
    ledger,
    faults,
    close() {
      closing ??= (async () => {
        for (const timer of timers) clearTimeout(timer);
        const closed = once(server, 'close');
        server.close();
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}

/** The fault for one attempt, from its key alone. */
function pick(key: string, mix: FaultMix): FaultKind {
  let u = hash(key) / 2 ** 32;
  for (const [fault, p] of Object.entries(mix) as [FaultKind, number][]) {
    if (u < p) return fault;
    u -= p;
  }
  return 'ok';
}
