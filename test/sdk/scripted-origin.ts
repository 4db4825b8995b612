// A loopback origin for the SDK tests: answers a vendor's script in order, logs arrival times on
// the clock the test gives sluice, and counts the requests each logical SDK call cost.

import { startLoopbackServer, type LoopbackServer } from '../../mocks/loopback.js';
import { sequence, type SequenceEntry, type SequenceServer } from '../../mocks/sequence.js';
import { arrivals, monotonicClock, type Arrival } from '../helpers/arrivals.js';

export interface ScriptedOrigin {
  server: LoopbackServer;
  script: SequenceServer;
  arrivals: Arrival[];
  /** Requests received per value of the `x-call` header each SDK call is tagged with. */
  requestsPerCall(): Record<string, number>;
  close(): Promise<void>;
}

export async function scriptedOrigin(entries: SequenceEntry[], clock: () => number = monotonicClock): Promise<ScriptedOrigin> {
  const script = sequence(entries);
  const seen = arrivals(clock);
  const server = await startLoopbackServer([seen.handler, ...script.handlers]);
  return {
    server,
    script,
    arrivals: seen.log,
    requestsPerCall() {
      const counts: Record<string, number> = {};
      for (const entry of script.log) {
        const call = entry.headers['x-call'] ?? 'untagged';
        counts[call] = (counts[call] ?? 0) + 1;
      }
      return counts;
    },
    close: () => server.close(),
  };
}
