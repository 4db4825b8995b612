// The store's Lua scripts run on a real redis-server (started by the test, on a free loopback
// port): what a pause does to the pace's cell, and how a fixed window's cell counts its quota.

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptRunner } from '../../../src/state/redis/lua-scripts.js';
import { connectionOf } from '../../../src/state/redis/redis-connection.js';
import { type RedisServer, redisUnavailable, startRedisServer } from '../../helpers/redis-server.js';

const unavailable = redisUnavailable();

describe.skipIf(unavailable !== undefined)('the store’s Lua scripts', () => {
  let server: RedisServer;
  let client: Redis;
  let scripts: ScriptRunner;
  let keyNo = 0;

  beforeAll(async () => {
    server = await startRedisServer();
    client = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    scripts = new ScriptRunner(connectionOf(client));
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  /** A fresh key's cell and pause, and the calls on them (the lease's reply: pause left, then µs offsets). */
  function key() {
    const k = `lua${++keyNo}`;
    const cell = `{${k}}:pace`;
    const pauseKey = `{${k}}:pause`;
    return {
      lease: async (want: number, rate: number, depth: number, window: boolean) =>
        ((await scripts.run('lease', [cell, pauseKey], [want, rate, depth, 50_000, 60_000, 'p1', 2000, window ? 1 : 0])) as unknown[]).map(Number),
      // Announced on a channel nobody hears: only what the script stores is seen.
      pause: (ms: number) => scripts.run('pause', [pauseKey, cell], [ms, 429, `nobody:${k}`, '{}']),
    };
  }

  it('a lease taken while a pause is recorded reserves nothing and says how long the pause has left', async () => {
    const k = key();
    await k.pause(5000);
    const [left, ...times] = await k.lease(3, 100, 3, false);
    expect(left).toBeGreaterThan(4000);
    expect(left).toBeLessThanOrEqual(5000);
    expect(times).toEqual([]);
  });

  it('a pause gives back the times the cell reserved past its end: the first after it is not delayed by them', async () => {
    const k = key();
    // 10/s, no burst: five times reserve the next half second.
    const [, ...reserved] = await k.lease(5, 10, 1, false);
    expect(reserved.at(-1)).toBeGreaterThan(350_000);
    // A pause of 50 ms drops them all (every process clears its lease on a pause).
    await k.pause(50);
    await new Promise((resolve) => setTimeout(resolve, 80));
    const [left, first] = await k.lease(1, 10, 1, false);
    expect(left).toBe(0);
    expect(first).toBe(0);
  });

  it("a fixed window's cell grants its quota at once and the next time only in the next window", async () => {
    const k = key();
    // 3 per 1 s window: rate 3/s, depth 3.
    const [, ...first] = await k.lease(3, 3, 3, true);
    expect(first).toEqual([0, 0, 0]);
    // A bucket refilled at the window's average rate would grant one within a third of a second.
    const [, ...next] = await k.lease(2, 3, 3, true);
    expect(next).toHaveLength(2);
    for (const offset of next) expect(offset).toBeGreaterThan(900_000);
  });

  it("a pause opens a fixed window's next window at its end", async () => {
    const k = key();
    await k.lease(3, 3, 3, true);
    await k.pause(50);
    await new Promise((resolve) => setTimeout(resolve, 80));
    const [left, ...times] = await k.lease(3, 3, 3, true);
    expect(left).toBe(0);
    expect(times).toEqual([0, 0, 0]);
  });
});
