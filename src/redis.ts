// The `sluice/redis` entry: a state store in Redis (or Valkey) that a fleet of processes shares,
// so they pause, pace and fill one window per origin together. Pass it as `createClient({ store })`.

// First, as in every entry: on a Node too old for undici this throws a clear error.
import './node-support.js';

export { redisStore, redisStoreDefaults } from './state/redis/redis-store.js';
export type { RedisStore, RedisStoreOptions, StoreEvent } from './state/redis/redis-store.js';
export type { StateStore } from './state/store.js';
