// The other processes' attempts replayed into one key's state: counted in flight, learned from,
// kept out of this process's counters, and forgotten when their process leaves or falls silent.

import { describe, expect, it } from 'vitest';
import { createAimdWindow } from '../../../src/limits/aimd-limit.js';
import { ringAt } from '../../../src/pacing/attempt-history.js';
import { createPace } from '../../../src/pacing/pacer.js';
import { classifyAttempt } from '../../../src/signal/attempt-signal.js';
import { emptyCounters, type KeyState } from '../../../src/state/key-state.js';
import { admit } from '../../../src/state/learn.js';
import { FleetReplica } from '../../../src/state/redis/fleet-replica.js';
import { testKeyState } from '../../helpers/key-state.js';

function state(): KeyState {
  return testKeyState('k', { window: createAimdWindow() });
}

const response = (status: number, headers: Record<string, string> = {}) =>
  classifyAttempt({ type: 'response', status, headers: new Headers(headers) }, 0);

describe('FleetReplica', () => {
  it("counts another process's attempts in flight until they end, without touching this process's counters", () => {
    const s = state();
    const replica = new FleetReplica(s);
    replica.send('p1', 1, false, 1, 100);
    replica.send('p1', 2, false, 2, 100);
    expect(s.inFlight).toBe(2);
    expect(replica.remoteInFlight).toBe(2);
    replica.end('p1', 1, 20, response(200), 1, undefined, 120);
    expect(s.inFlight).toBe(1);
    expect(s.lastServedAt).toBe(120);
    expect(s.counters).toEqual(emptyCounters());
  });

  it('learns what the attempt said: a 503 with others still served cuts the window to what the origin held', () => {
    const s = state();
    const replica = new FleetReplica(s);
    for (let id = 0; id < 8; id++) replica.send('p1', id, false, id + 1, 100);
    replica.end('p1', 0, 10, response(200), 7, undefined, 110);
    replica.end('p1', 1, 10, response(503), 6, undefined, 111);
    expect(s.window.limit).toBe(6);
    expect(s.pausedUntil).toBe(0);
  });

  it('a 429 with Retry-After pauses the key here too', () => {
    const s = state();
    const replica = new FleetReplica(s);
    replica.send('p1', 0, true, 1, 100);
    replica.end('p1', 0, 10, response(429, { 'retry-after': '2' }), 0, undefined, 110);
    expect(s.pausedUntil).toBe(2110);
  });

  it("corrects its count to what the process says it has (a lost message costs nothing lasting)", () => {
    const s = state();
    const replica = new FleetReplica(s);
    replica.send('p1', 0, false, 1, 100);
    replica.sync('p1', 5, true, 200, 2000);
    expect(s.inFlight).toBe(5);
    expect(replica.constrainedAt(1000)).toBe(true);
    expect(replica.constrainedAt(2300)).toBe(false);
  });

  it('forgets a process that leaves, and one that falls silent', () => {
    const s = state();
    const replica = new FleetReplica(s);
    replica.send('p1', 0, false, 1, 100);
    replica.send('p2', 0, false, 1, 100);
    replica.leave('p1');
    expect(s.inFlight).toBe(1);
    expect(replica.expire(3000, 3500)).toBe(false);
    expect(replica.expire(3700, 3500)).toBe(true);
    expect(s.inFlight).toBe(0);
  });

  it("learns from an attempt it never saw sent (sent before this process shared the key)", () => {
    const s = state();
    const replica = new FleetReplica(s);
    replica.end('p1', 42, 30, response(200), 0, undefined, 500);
    expect(s.inFlight).toBe(0);
    expect(s.lastServedAt).toBe(500);
    expect(s.lastServedRttMs).toBe(30);
  });

  it("places another process's attempts where its clock says they happened, not where they were heard", () => {
    const s = testKeyState('k', { window: createAimdWindow(), pace: createPace('adaptive', 0) });
    const replica = new FleetReplica(s);
    // The sender's clock runs 1,000 ms behind; its first message took 1 ms to arrive.
    replica.send('p1', 0, false, 1, 101, -900);
    // Its next send was heard 25 ms late, after one of this process's own at 110.
    admit(s, 110, 0);
    replica.send('p1', 1, false, 2, 135, -890);
    const pace = s.pace!;
    if (pace.kind !== 'adaptive') throw new Error('adaptive pace expected');
    const { sends } = pace.state.traffic;
    expect([0, 1, 2].map((i) => ringAt(sends, i, 0))).toEqual([101, 110, 111]);
    // Its round trip is what the sender measured (20 ms), however late the end is heard.
    replica.end('p1', 1, 20, response(200), 1, undefined, 160, -870);
    expect(pace.state.traffic.srtt).toBe(20);
    expect(s.lastServedRttMs).toBe(20);
  });
});

