// What the processes of a fleet tell each other over pub/sub, and its encoding: every attempt of a
// shared key (its send and how it ended), budget moves, pauses and heartbeats, as compact JSON.

import type { AttemptSignal, SignalKind } from '../../signal/attempt-signal.js';
import type { RateLimitObservation } from '../../ratelimit/types.js';

/**
 * One message, tagged by its first element; `key` is the gate key, `abs` the sender's own
 * attempts in flight to it after the event (so a lost message is corrected by the next one), `at`
 * the sender's clock at the event (absent from older senders), so it is replayed where it happened.
 */
export type FleetMessage =
  /** An attempt was sent; `alone`: nothing else of the sender's was out or waiting. */
  | ['send', key: string, id: number, alone: 0 | 1, abs: number, at?: number]
  /** An attempt ended (`signal` null: abandoned); `rated` names another key that learns its rate. */
  | ['end', key: string, id: number, rttMs: number, signal: WireSignal | null, abs: number, rated: string | null, at?: number]
  /** A logical request counted into the retry budget. */
  | ['deposit', key: string]
  /** A retry taken from the retry budget. */
  | ['withdraw', key: string]
  /** The key is shared by the sender from now on (or still is): its attempts in flight and whether it is constrained. */
  | ['sync', key: string, abs: number, constrained: 0 | 1]
  /** The sender stops sharing the key (healthy, or closed): forget its attempts. */
  | ['leave', key: string]
  /** The key was paused for `ms` from when this was sent (by the process that saw the refusal). */
  | ['pause', key: string, ms: number, status: number | null]
  /** A probe of the sender's own subscription (ignored by others). */
  | ['echo', token: string];

/** Messages from one sender (`from`: its handle or store id) in one PUBLISH. */
export interface FleetBatch {
  from: string;
  messages: FleetMessage[];
}

/** An AttemptSignal without its headers: kind, status, server delay, rate-limit reading, capacity error, sent. */
export type WireSignal = [kind: number, status: number, serverDelay: number | null, rateLimit: RateLimitObservation | null, capacityError: 0 | 1, sent: 0 | 1];

const KINDS: readonly SignalKind[] = ['served', 'rate-refusal', 'capacity-refusal', 'transport-error'];
const NO_HEADERS = { get: () => null };
const REMOTE_ERROR = new Error('an attempt of another process failed');

export function encodeSignal(signal: AttemptSignal): WireSignal {
  const { outcome } = signal;
  return [
    KINDS.indexOf(signal.kind),
    outcome.type === 'response' ? outcome.status : 0,
    signal.serverDelay ?? null,
    signal.rateLimit ?? null,
    signal.capacityError ? 1 : 0,
    outcome.type === 'error' && !outcome.sent ? 0 : 1,
  ];
}

/** The signal as the rules read it; the headers were already read by the sender. */
export function decodeSignal([kind, status, serverDelay, rateLimit, capacityError, sent]: WireSignal): AttemptSignal {
  const signalKind = KINDS[kind] ?? 'served';
  return {
    kind: signalKind,
    outcome: signalKind === 'transport-error' ? { type: 'error', error: REMOTE_ERROR, sent: sent === 1 } : { type: 'response', status, headers: NO_HEADERS },
    serverDelay: serverDelay ?? undefined,
    rateLimit: rateLimit ?? undefined,
    capacityError: capacityError === 1,
  };
}

export function encodeBatch(batch: FleetBatch): string {
  return JSON.stringify(batch);
}

/** A batch, or `undefined` for anything that is not one (another program's message on the channel). */
export function decodeBatch(text: string): FleetBatch | undefined {
  try {
    const batch = JSON.parse(text) as FleetBatch;
    return typeof batch?.from === 'string' && Array.isArray(batch.messages) ? batch : undefined;
  } catch {
    return undefined;
  }
}
