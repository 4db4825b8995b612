// The fleet's messages on the wire: a signal survives the trip without its headers, and anything
// that is not a batch of sluice's is ignored rather than thrown.

import { describe, expect, it } from 'vitest';
import { classifyAttempt } from '../../../src/signal/attempt-signal.js';
import { decodeBatch, decodeSignal, encodeBatch, encodeSignal } from '../../../src/state/redis/fleet-messages.js';

describe('fleet messages', () => {
  it('a 429 with Retry-After and rate-limit headers keeps its kind, status, server time and reading', () => {
    const signal = classifyAttempt(
      { type: 'response', status: 429, headers: new Headers({ 'retry-after': '3', 'ratelimit-policy': '"d";q=100;w=60', ratelimit: '"d";r=0;t=3' }) },
      0,
    );
    const back = decodeSignal(JSON.parse(JSON.stringify(encodeSignal(signal))));
    expect(back.kind).toBe('rate-refusal');
    expect(back.serverDelay).toBe(3000);
    expect(back.rateLimit).toEqual(signal.rateLimit);
    expect(back.outcome).toMatchObject({ type: 'response', status: 429 });
  });

  it('a transport error keeps whether it was sent and whether it means short of capacity', () => {
    const error = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    const back = decodeSignal(encodeSignal(classifyAttempt({ type: 'error', error, sent: false }, 0)));
    expect(back).toMatchObject({ kind: 'transport-error', capacityError: true, outcome: { type: 'error', sent: false } });
  });

  it('decodes its own batches and ignores anything else on the channel', () => {
    const text = encodeBatch({ from: 'a', messages: [['leave', 'k']] });
    expect(decodeBatch(text)).toEqual({ from: 'a', messages: [['leave', 'k']] });
    expect(decodeBatch('hello')).toBeUndefined();
    expect(decodeBatch('{"x":1}')).toBeUndefined();
  });
});
