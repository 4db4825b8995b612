// The pause a fleet shares: stored in Redis with its TTL and announced on the channel when it
// grows, so every process stops at once and wakes at its end without polling; read on joining.

import type { FleetMessage } from './fleet-messages.js';
import { encodeBatch } from './fleet-messages.js';
import type { StoreLink } from './store-link.js';

/** A pause heard within this many ms of one already set is the same pause (heard twice: from its script and from the attempt's replay). */
export const SAME_PAUSE_MS = 5;

/**
 * Stores the pause of `key` for `ms` from now (Redis's now) and, if it grew, announces it and
 * takes back from the pace's cell what it reserved past the pause (see the pause script).
 */
export function announcePause(link: StoreLink, redisKeys: { pause: string; pace: string }, key: string, ms: number, status: number | undefined): void {
  if (!link.joined || !(ms > 0)) return;
  const whole = Math.ceil(ms);
  const announce = encodeBatch({ from: link.id, messages: [['pause', key, whole, status ?? null]] });
  // A failure drops the store to local state (the link's doing); the pause holds here regardless.
  link.run('pause', [redisKeys.pause, redisKeys.pace], [whole, status ?? 0, link.channel, announce]).catch(() => {});
}

/** The pause Redis holds for a key, as the message that would have announced it; `undefined` when none. */
export async function readPause(link: StoreLink, redisKey: string, key: string): Promise<FleetMessage | undefined> {
  const [left, status] = ((await link.run('readPause', [redisKey], [])) as unknown[]).map(Number) as [number, number];
  return left > 0 ? ['pause', key, left, status > 0 ? status : null] : undefined;
}
