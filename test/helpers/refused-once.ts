// A dispatcher whose first attempt goes to a port nobody listens on, so it is refused for real:
// undici connects (and pulls a stream body's first chunk) exactly as it would against a dead host.

import { createServer } from 'node:net';
import { Agent, type Dispatcher } from 'undici';

/** A loopback port that was free a moment ago and is closed now: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** An Agent that sends its first `refusals` dispatches to a closed port, the rest where they were going. */
export async function refusedFirst(refusals = 1): Promise<{ agent: Dispatcher & { close(): Promise<void> }; dispatched: () => number }> {
  const dead = `http://127.0.0.1:${await closedPort()}`;
  let count = 0;
  const agent = new Agent().compose((dispatch) => (opts, handler) => {
    count++;
    return dispatch(count <= refusals ? { ...opts, origin: dead } : opts, handler);
  });
  return { agent, dispatched: () => count };
}
