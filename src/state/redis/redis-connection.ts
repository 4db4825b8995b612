// The few Redis operations the shared store needs, over either client people already run:
// ioredis or node-redis (`redis`). The user's connected client sends; a duplicate subscribes.

import { InvalidOptionError } from '../../errors.js';

/** What the store asks of Redis: scripts, publish, one subscription, ping. */
export interface RedisConnection {
  /** Which client library this is, for messages. */
  readonly library: 'ioredis' | 'node-redis';
  /** Any command, as Redis spells it (`['EVALSHA', sha, '1', key, …]`). */
  command(args: readonly (string | number)[]): Promise<unknown>;
  /**
   * Subscribes a duplicate of the client to `channel`. `onLost` hears the subscription's connection
   * fail (so the store falls back at once, not at its next timeout). `ready` settles once
   * subscribed; `close` ends the duplicate whether or not it ever got there.
   */
  subscribe(channel: string, onMessage: (message: string) => void, onLost: (error: unknown) => void): Subscription;
}

export interface Subscription {
  readonly ready: Promise<void>;
  close(): void;
}

/** The shape of an ioredis client that the store uses. */
interface IoredisLike {
  status: string;
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  duplicate(): IoredisLike;
  subscribe(channel: string): Promise<unknown>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  disconnect(): void;
}

/** The shape of a node-redis (v4 and up) client that the store uses. */
interface NodeRedisLike {
  sendCommand(args: string[]): Promise<unknown>;
  duplicate(): NodeRedisLike;
  connect(): Promise<unknown>;
  SUBSCRIBE(channel: string, listener: (message: string) => void): Promise<unknown>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  destroy(): void;
  readonly isOpen: boolean;
}

/** Wraps the user's client; a client of neither library is refused with a clear error. */
export function connectionOf(client: unknown): RedisConnection {
  if (isIoredis(client)) return ioredisConnection(client);
  if (isNodeRedis(client)) return nodeRedisConnection(client);
  throw new InvalidOptionError('client', 'an ioredis client or a node-redis client (from `redis` or `@redis/client`)', client);
}

function isIoredis(client: unknown): client is IoredisLike {
  const c = client as Partial<IoredisLike> | null;
  return typeof c === 'object' && c !== null && typeof c.call === 'function' && typeof c.duplicate === 'function' && typeof c.status === 'string';
}

function isNodeRedis(client: unknown): client is NodeRedisLike {
  const c = client as Partial<NodeRedisLike> | null;
  return typeof c === 'object' && c !== null && typeof c.sendCommand === 'function' && typeof c.SUBSCRIBE === 'function' && typeof c.duplicate === 'function';
}

function ioredisConnection(client: IoredisLike): RedisConnection {
  return {
    library: 'ioredis',
    command: ([name, ...args]) => client.call(String(name), ...args),
    subscribe(channel, onMessage, onLost) {
      const subscriber = client.duplicate();
      let closing = false;
      // Without an 'error' listener a lost connection would throw from the emitter.
      subscriber.on('error', (error: never) => !closing && onLost(error));
      subscriber.on('close', () => !closing && onLost(new Error('the Redis subscription closed')));
      subscriber.on('message', ((from: string, message: string) => from === channel && onMessage(message)) as never);
      return {
        ready: handled(subscriber.subscribe(channel).then(() => undefined)),
        close() {
          closing = true;
          subscriber.disconnect();
        },
      };
    },
  };
}

function nodeRedisConnection(client: NodeRedisLike): RedisConnection {
  return {
    library: 'node-redis',
    command: (args) => client.sendCommand(args.map(String)),
    subscribe(channel, onMessage, onLost) {
      const subscriber = client.duplicate();
      let closing = false;
      subscriber.on('error', (error: never) => !closing && onLost(error));
      subscriber.on('end', () => !closing && onLost(new Error('the Redis subscription closed')));
      return {
        ready: handled(subscriber.connect().then(() => subscriber.SUBSCRIBE(channel, onMessage)).then(() => undefined)),
        close() {
          closing = true;
          if (subscriber.isOpen) subscriber.destroy();
        },
      };
    },
  };
}

/** `promise`, marked as handled: the store may stop waiting for it (past its timeout) before it settles. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}
