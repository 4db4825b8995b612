// The diagnostics_channel names sluice publishes on, like undici's `undici:request:*`: tools that
// watch every client in the process (APMs, debug logs) subscribe here instead of to one client.

import diagnostics from 'node:diagnostics_channel';
import type { SluiceEventName, SluiceEvents } from '../gate/gate-events.js';

/**
 * Each client event's channel. A message is the event's payload as `client.on` gets it (typed by
 * `SluiceEvents`); it is built and published only while the channel has subscribers.
 *
 * | channel | payload | when |
 * |---|---|---|
 * | `sluice:request:queued` | `SluiceEvents['queued']` | a request waits in a key's queue |
 * | `sluice:request:admitted` | `SluiceEvents['admitted']` | an attempt is admitted (`wait`: ms queued) |
 * | `sluice:request:end` | `SluiceEvents['end']` | an admitted attempt ended (`outcome`, `status`) |
 * | `sluice:request:retry` | `SluiceEvents['retry']` | a retry follows after `delay` ms |
 * | `sluice:request:rejected` | `SluiceEvents['reject']` | the gate refused a request (`reason`) |
 * | `sluice:gate:pause` | `SluiceEvents['pause']` | a key is paused until `until` |
 * | `sluice:gate:limit` | `SluiceEvents['limit']` | a key's concurrency window moved |
 * | `sluice:gate:rate` | `SluiceEvents['rate']` | a key's pacing rate moved markedly (mode, or > 10 %) |
 */
export const channels = Object.freeze({
  queued: 'sluice:request:queued',
  admitted: 'sluice:request:admitted',
  end: 'sluice:request:end',
  retry: 'sluice:request:retry',
  reject: 'sluice:request:rejected',
  pause: 'sluice:gate:pause',
  limit: 'sluice:gate:limit',
  rate: 'sluice:gate:rate',
} as const satisfies Record<SluiceEventName, `sluice:${string}`>);

export type SluiceChannelName = (typeof channels)[SluiceEventName];

/** The payload published on each channel, by channel name. */
export type SluiceChannelMessages = { [E in SluiceEventName as (typeof channels)[E]]: SluiceEvents[E] };

// Looked up once: `diagnostics.channel()` is a map lookup by string, and `wants()` runs per request.
const byEvent = Object.fromEntries(
  Object.entries(channels).map(([event, name]) => [event, diagnostics.channel(name)]),
) as Record<SluiceEventName, diagnostics.Channel>;

/** The channel an event is published on. */
export function channelOf(event: SluiceEventName): diagnostics.Channel {
  return byEvent[event];
}
