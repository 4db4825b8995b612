// `NODE_DEBUG=sluice`: one stderr line per pause, window or rate change, retry and refusal, with
// the key and the numbers — a subscriber of sluice's channels, so it costs nothing when off.

import diagnostics from 'node:diagnostics_channel';
import { debuglog } from 'node:util';
import type { SluiceEventName, SluiceEvents } from '../gate/gate-events.js';
import { channels } from './channels.js';

type Formatters = { [E in DebugEvent]: (event: SluiceEvents[E]) => string };
type DebugEvent = 'pause' | 'limit' | 'rate' | 'retry' | 'reject';

/** The lines, by event. The per-request events (queued, admitted, end) are left out: too many. */
const formatters: Formatters = {
  pause: ({ key, ms, until, status }) => `${key} paused ${ms} ms, until ${new Date(until).toISOString()}${status === undefined ? '' : `, by a ${status}`}`,
  limit: ({ key, previous, limit }) => `${key} window ${previous} -> ${limit}`,
  rate: ({ key, previous, previousMode, rate, mode }) =>
    `${key} rate ${perSecond(previous)} -> ${perSecond(rate)}${mode === previousMode ? ` (${mode})` : ` (${previousMode} -> ${mode})`}`,
  retry: ({ key, attempt, delay, source, status, error }) =>
    `${key} attempt ${attempt} failed (${status ?? errorName(error)}), retry in ${Math.round(delay)} ms (${source === 'server' ? "the server's time" : 'backoff'})`,
  reject: ({ key, method, reason, error }) => `${key} refused ${method ?? 'a request'}: ${reason} (${errorMessage(error)})`,
};

/**
 * Writes one line per gate event to `write` until the returned function is called. Every
 * client in the process is heard (it listens on the channels, not to one client).
 */
export function subscribeDebugLog(write: (line: string) => void): () => void {
  const subscriptions = (Object.keys(formatters) as DebugEvent[]).map((event) => {
    const format = formatters[event] as (message: SluiceEvents[SluiceEventName]) => string;
    const onMessage = (message: unknown) => write(format(message as SluiceEvents[SluiceEventName]));
    diagnostics.subscribe(channels[event], onMessage);
    return () => diagnostics.unsubscribe(channels[event], onMessage);
  });
  return () => {
    for (const unsubscribe of subscriptions) unsubscribe();
  };
}

let installed = false;

/** Turns the debug log on when `NODE_DEBUG` names `sluice`; the first client created calls it. */
export function installDebugLog(): void {
  if (installed) return;
  installed = true;
  const log = debuglog('sluice');
  if (log.enabled) subscribeDebugLog((line) => log('%s', line));
}

function perSecond(rate: number): string {
  if (!Number.isFinite(rate)) return 'unpaced';
  return `${rate < 10 ? rate.toFixed(2) : rate.toFixed(1)}/s`;
}

function errorName(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.name} ${code}` : error.name;
  }
  return String(error);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
