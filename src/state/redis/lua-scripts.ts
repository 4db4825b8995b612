// The Lua scripts that change shared state atomically, and how they are run: loaded once with
// SCRIPT LOAD, then called by EVALSHA (reloaded if the server forgot them, as after a restart).

import type { RedisConnection } from './redis-connection.js';

/**
 * A pause longer than the one stored replaces it (a shorter one never shortens it), and only then
 * is it announced. Times are the Redis server's own (TIME), so processes on machines whose clocks
 * disagree still agree on when it ends; what is stored and sent is a duration. The stored value
 * is "until status" (status 0: none), so a process that opens the key later learns both.
 *
 * The pace's cell gives back what it reserved beyond the pause's end: every process drops its
 * leased times when it hears of a pause, so those times will never be used, yet the cell counted
 * them (measured: its first times after each pause lay 170–190 ms ahead, idling the fleet that
 * long after every pause, and after every fixed window's edge). Capped at the pause's end, the
 * cell is full when the pause ends, as the server's bucket is after a pause (a fixed window's cell
 * opens a new window then).
 * KEYS[1] the key's pause, KEYS[2] its pace's cell; ARGV: ms, status, channel, the message announcing it.
 */
const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ms = tonumber(ARGV[1])
local untilAt = now + ms
local current = redis.call('GET', KEYS[1])
if current and untilAt <= tonumber(string.match(current, '^%d+')) then return 0 end
redis.call('SET', KEYS[1], string.format('%.0f', untilAt) .. ' ' .. ARGV[2], 'PX', ms)
local cell = redis.call('HMGET', KEYS[2], 'tat', 'ws', 'w')
if cell[1] and tonumber(cell[1]) > untilAt then redis.call('HSET', KEYS[2], 'tat', string.format('%.0f', untilAt)) end
if cell[2] and tonumber(cell[2]) + tonumber(cell[3]) > untilAt then redis.call('HSET', KEYS[2], 'ws', string.format('%.0f', untilAt - tonumber(cell[3]))) end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`;

/** ms left of the key's pause (negative when none) and its status. KEYS[1] the key's pause. */
const READ_PAUSE = `
local left = redis.call('PTTL', KEYS[1])
if left <= 0 then return {left, 0} end
local value = redis.call('GET', KEYS[1]) or ''
return {left, tonumber(string.match(value, ' (%d+)$') or '0')}
`;

/**
 * Reserves up to `want` send times from the fleet's pace, a GCRA cell (a token bucket of `depth`
 * refilled at `rate` per second, kept as its theoretical arrival time). The first reservation is
 * granted however far ahead it falls, so requests are served in the order they reach Redis; the
 * rest only within `horizon` ms of the first, so a process never sits on times it may not use.
 * Of the first, not of now: counted from now, a request that found the cell's queue long got one
 * time where one that found it short got several, and the processes settled into unequal turns
 * (measured: two at 33/s, two at 17/s, against one 100/s bucket).
 *
 * The rate: each process's own copy of the key learns from the whole fleet's attempts, but the
 * copies drift apart (measured at one moment: 96, 102, 104 and 140/s), so the cell keeps every
 * process's latest rate with when it said it and paces at the median of those said within the
 * last `fresh` ms: one process that missed a refusal, or cut deeper than the rest, moves nothing.
 * While the key's pause lasts nothing is reserved, and the reply says how long it has left: a
 * process that has not yet heard of a pause (the notice is a pub/sub message away) learns of it
 * from its next lease instead of sending, so no time is leased after a pause is recorded.
 *
 * A fixed window's cell (`window` 1) counts instead: `depth` (the quota) per window of
 * depth / rate, opened by the first time granted after the last one ended, as the limiters
 * themselves open them. A bucket refilled at the window's average rate grants its depth at the
 * edge and then refills while the quota goes out, so the fleet sent a few past the quota in
 * every window and paid a refusal's whole Retry-After for each (measured: 116 of 2,000 refused).
 * Granted past the quota, a time falls in the next window.
 *
 * Returns the pause's ms left (0: none), then the reserved times as µs after the server's now.
 * KEYS[1] the key's cell, KEYS[2] its pause; ARGV: want, rate, depth, horizon ms, ttl ms, process
 * id, fresh ms, window (1 for a fixed window's cell).
 */
const LEASE = `
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return {paused} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local want = tonumber(ARGV[1])
local fresh = tonumber(ARGV[7])
redis.call('HSET', KEYS[1], 'r:' .. ARGV[6], ARGV[2] .. ' ' .. string.format('%.0f', now))
local fields = redis.call('HGETALL', KEYS[1])
local rates = {}
for i = 1, #fields, 2 do
  local name = fields[i]
  if string.sub(name, 1, 2) == 'r:' then
    local space = string.find(fields[i + 1], ' ')
    local at = tonumber(string.sub(fields[i + 1], space + 1))
    if now - at > fresh then
      redis.call('HDEL', KEYS[1], name)
    else
      rates[#rates + 1] = tonumber(string.sub(fields[i + 1], 1, space - 1))
    end
  end
end
table.sort(rates)
local middle = (#rates + 1) / 2
local rate = (rates[math.floor(middle)] + rates[math.ceil(middle)]) / 2
local depth = math.max(1, tonumber(ARGV[3]))
local out = {0}
if ARGV[8] == '1' then
  local windowMs = depth * 1000 / rate
  local opened = tonumber(redis.call('HGET', KEYS[1], 'ws') or '-1e300')
  local granted = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
  if now >= opened + windowMs then opened = now granted = 0 end
  if granted >= depth then opened = opened + windowMs granted = 0 end
  local at = math.floor((math.max(opened, now) - now) * 1000)
  for i = 1, math.min(want, depth - granted) do out[#out + 1] = at end
  redis.call('HSET', KEYS[1], 'ws', string.format('%.3f', opened), 'n', tostring(granted + #out - 1), 'w', string.format('%.3f', windowMs), 'rate', tostring(rate))
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return out
end
local interval = 1000 / rate
local tolerance = (depth - 1) * interval
local horizon = tonumber(ARGV[4])
local tat = tonumber(redis.call('HGET', KEYS[1], 'tat') or '0')
if tat < now then tat = now end
local first = nil
for i = 1, want do
  local at = tat - tolerance
  if at < now then at = now end
  if first == nil then first = at end
  if at - first > horizon then break end
  out[#out + 1] = math.floor((at - now) * 1000)
  if at > tat then tat = at end
  tat = tat + interval
end
redis.call('HSET', KEYS[1], 'tat', string.format('%.3f', tat), 'rate', tostring(rate))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return out
`;

export const scripts = { pause: PAUSE, readPause: READ_PAUSE, lease: LEASE } as const;
export type ScriptName = keyof typeof scripts;

/** Runs the scripts by their SHA1, loading each on first use and again after a NOSCRIPT. */
export class ScriptRunner {
  readonly #shas = new Map<ScriptName, string>();

  constructor(private readonly connection: Pick<RedisConnection, 'command'>) {}

  async run(name: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const sha = this.#shas.get(name) ?? (await this.#load(name));
    try {
      return await this.connection.command(['EVALSHA', sha, keys.length, ...keys, ...args]);
    } catch (error) {
      // A restarted (or flushed) server forgot the script: load it again, once.
      if (!String((error as Error)?.message ?? error).includes('NOSCRIPT')) throw error;
      const reloaded = await this.#load(name);
      return this.connection.command(['EVALSHA', reloaded, keys.length, ...keys, ...args]);
    }
  }

  /** Loads every script (at connect and rejoin, so the first real call is one round trip). */
  async loadAll(): Promise<void> {
    await Promise.all((Object.keys(scripts) as ScriptName[]).map((name) => this.#load(name)));
  }

  async #load(name: ScriptName): Promise<string> {
    const sha = String(await this.connection.command(['SCRIPT', 'LOAD', scripts[name]]));
    this.#shas.set(name, sha);
    return sha;
  }
}
