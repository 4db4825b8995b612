// Setup shared by the reliability tests: a sluice client on an Agent the test owns, a raw server,
// and one teardown that closes all of it and reports what was left open.

import { Agent } from 'undici';
import { createClient, type SluiceClient } from '../../src/client.js';
import type { ClientOptions } from '../../src/client-options.js';
import { activeResources, leftoverResources } from './active-resources.js';
import { startRawServer, type RawBehaviour, type RawServer } from './raw-http-server.js';

export interface Rig {
  server: RawServer;
  agent: Agent;
  client: SluiceClient;
  url: string;
  /**
   * Closes client, Agent and server (in that order) and returns the event-loop resources left
   * beyond the test's starting point: `[]` when nothing leaked. The Agent's close must resolve.
   */
  finish(): Promise<string[]>;
}

const open: Rig[] = [];

/** Fast retries by default (1 ms backoff base) so fault tests take milliseconds, not seconds. */
export async function rig(behaviour: RawBehaviour, options: ClientOptions = {}, agent = new Agent()): Promise<Rig> {
  const baseline = activeResources();
  const server = await startRawServer(behaviour);
  const client = createClient({ retry: { backoff: { base: 1, max: 10 } }, ...options, dispatcher: agent });
  let finished: Promise<string[]> | undefined;
  const rig: Rig = {
    server,
    agent,
    client,
    url: `${server.origin}/thing`,
    finish() {
      finished ??= (async () => {
        await client.close();
        await agent.close();
        await server.close();
        return leftoverResources(baseline);
      })();
      return finished;
    },
  };
  open.push(rig);
  return rig;
}

/** For afterEach: finishes every rig a failed test left behind. */
export async function finishAll(): Promise<void> {
  await Promise.all(open.splice(0).map((r) => r.finish()));
}

/** Settles a promise into a value or the error, for asserting on either. */
export function settle<T>(promise: Promise<T>): Promise<{ value: T } | { error: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}
