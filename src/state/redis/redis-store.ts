// `redisStore()`: a StateStore whose keys are shared by every process that uses the same Redis
// (and prefix) — one pause, one learned pace and window, one retry budget per key for the fleet.

import { randomBytes } from 'node:crypto';
import { expectFunction, expectKnownKeys, expectNumber, expectObject } from '../../validate.js';
import { InvalidOptionError } from '../../errors.js';
import type { KeyState } from '../key-state.js';
import { createMemoryStore } from '../memory-store.js';
import type { StateStore } from '../store.js';
import type { FleetBatch, FleetMessage } from './fleet-messages.js';
import { connectionOf } from './redis-connection.js';
import { RedisKey } from './redis-key.js';
import { type LinkState, StoreLink } from './store-link.js';

export interface RedisStoreOptions {
  /**
   * Your connected client: ioredis (`new Redis(…)`) or node-redis (`createClient(…)`, connected).
   * The store sends its commands on it and subscribes on a duplicate of it, which it closes once
   * no key is open (so a process that closed its sluice client can exit).
   */
  client: unknown;
  /**
   * Prefix of every Redis key and of the pub/sub channel: processes with the same prefix share.
   * @default 'sluice:'
   */
  prefix?: string;
  /**
   * ms a Redis call may take before the store counts Redis as lost and every key goes on alone.
   * @default 250
   */
  timeout?: number;
  /**
   * ms between attempts to rejoin Redis after it was lost.
   * @default 1000
   */
  retryInterval?: number;
  /** Clock in epoch ms: the same as the client's `now` (tests inject one). @default Date.now */
  now?: () => number;
}

/** What the store reports when Redis is lost and when it is back. */
export type StoreEvent = { type: 'fallback'; error: unknown } | { type: 'rejoin' };

export interface RedisStore extends StateStore {
  /** `joined` while shared; `local` while Redis is out of reach; `idle` with no key open. */
  readonly status: LinkState;
  /** Hears each fallback to local state and each rejoin; returns the unsubscribe function. */
  on(event: 'store', listener: (event: StoreEvent) => void): () => void;
  /** Redis commands sent so far (the cost of sharing, for benchmarks and metrics). */
  readonly commands: number;
}

export const redisStoreDefaults = { prefix: 'sluice:', timeout: 250, retryInterval: 1000 } as const;

/** Every this many ms a shared key says it is alive; one silent three times as long is forgotten. */
const HEARTBEAT_MS = 1000;
const SILENT_MS = 3 * HEARTBEAT_MS + 500;
/** Another process's "constrained" keeps a key shared here this long. */
const LINGER_MS = 2 * HEARTBEAT_MS;

export function redisStore(options: RedisStoreOptions): RedisStore {
  const o = expectObject('options', options) as unknown as RedisStoreOptions;
  expectKnownKeys('options', o as unknown as Record<string, unknown>, ['client', 'prefix', 'timeout', 'retryInterval', 'now']);
  const connection = connectionOf(o.client);
  const prefix = o.prefix ?? redisStoreDefaults.prefix;
  // A brace would end the key's hash tag early (Redis Cluster keeps each key's parts on one slot).
  if (typeof prefix !== 'string' || /[{}]/.test(prefix)) throw new InvalidOptionError('prefix', 'a string without { or }', prefix);
  const timeoutMs = expectNumber('timeout', o.timeout ?? redisStoreDefaults.timeout, 1, 60_000);
  const probeMs = expectNumber('retryInterval', o.retryInterval ?? redisStoreDefaults.retryInterval, 1, 3_600_000);
  const now = o.now === undefined ? Date.now : expectFunction<() => number>('now', o.now);
  const channel = `${prefix}fleet`;

  const keys = new Map<string, Set<RedisKey>>();
  const listeners = new Set<(event: StoreEvent) => void>();
  let link: StoreLink | undefined;
  let commandsBefore = 0;
  let heartbeat: NodeJS.Timeout | undefined;
  let reported: 'joined' | 'local' | undefined;

  const each = (visit: (key: RedisKey) => void) => {
    for (const set of keys.values()) for (const key of set) visit(key);
  };
  const emit = (event: StoreEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  };

  const onState = (state: 'joined' | 'local', error?: unknown) => {
    const at = now();
    if (state === 'joined') each((key) => key.joined(at));
    else each((key) => key.lost());
    // One event and one warning per change, not one per failed probe.
    if (state === reported || (state === 'joined' && reported === undefined)) {
      reported = state;
      return;
    }
    reported = state;
    if (state === 'local') {
      emit({ type: 'fallback', error });
      process.emitWarning(`Redis is out of reach (${describe(error)}): every key goes on with this process's own state until it answers again`, {
        code: 'SLUICE_STORE_FALLBACK',
      });
    } else {
      emit({ type: 'rejoin' });
    }
  };

  const onBatch = (batch: FleetBatch) => {
    const at = now();
    // Each key takes its messages of the batch at once (see RedisKey.receiveBatch).
    const byKey = new Map<string, FleetMessage[]>();
    for (const message of batch.messages) {
      if (!Array.isArray(message) || typeof message[1] !== 'string' || !keys.has(message[1])) continue;
      const list = byKey.get(message[1]);
      if (list === undefined) byKey.set(message[1], [message]);
      else list.push(message);
    }
    for (const [name, messages] of byKey) for (const key of keys.get(name) ?? []) key.receiveBatch(batch.from, messages, at);
  };

  const start = () => {
    link = new StoreLink(connection, { channel, timeoutMs, probeMs, id: randomBytes(6).toString('hex'), onBatch, onState });
    link.start();
    heartbeat = setInterval(() => {
      if (!link?.joined) return;
      const at = now();
      each((key) => key.heartbeat(at, SILENT_MS));
    }, HEARTBEAT_MS).unref();
  };

  const stop = () => {
    clearInterval(heartbeat);
    if (link !== undefined) commandsBefore += link.commands;
    link?.close();
    link = undefined;
    reported = undefined;
  };

  return {
    open(key, create, onChange) {
      if (link === undefined) start();
      const context = {
        link: link!,
        now,
        lingerMs: LINGER_MS,
        redisKey: (gateKey: string, part: 'pause' | 'pace') => `${prefix}{${gateKey}}:${part}`,
        stateOf: (other: string) => {
          const set = keys.get(other);
          return set === undefined ? undefined : ((set.values().next().value as RedisKey | undefined)?.local.state as KeyState | undefined);
        },
        closed: (handle: RedisKey) => {
          const set = keys.get(handle.key);
          set?.delete(handle);
          if (set?.size === 0) keys.delete(handle.key);
          if (keys.size === 0) stop();
        },
      };
      let handle: RedisKey | undefined;
      const local = createMemoryStore().open(key, create, (change) => handle!.localChange(change));
      handle = new RedisKey(local, context, onChange);
      let set = keys.get(key);
      if (set === undefined) keys.set(key, (set = new Set()));
      set.add(handle);
      if (link!.joined) handle.joined(now());
      return handle;
    },
    get status() {
      return link?.state ?? 'idle';
    },
    get commands() {
      return commandsBefore + (link?.commands ?? 0);
    },
    on(event, listener) {
      if (event !== 'store') throw new InvalidOptionError('event', "'store'", event);
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
