// Records when each request reached a mock server, on a clock the test shares with sluice, so a
// test can check lower bounds such as "nothing arrived before the origin's pause ended".

import { http } from 'msw';

/** Epoch ms that never go backwards; give the same clock to sluice (`now`) and to `arrivals`. */
export const monotonicClock = (): number => performance.timeOrigin + performance.now();

export interface Arrival {
  at: number;
  method: string;
  path: string;
}

/**
 * An msw handler to put first in a server's handler list: it logs each request's arrival and
 * answers nothing, so msw goes on to the handlers after it.
 */
export function arrivals(clock: () => number = monotonicClock) {
  const log: Arrival[] = [];
  const handler = http.all('*', ({ request }) => {
    log.push({ at: clock(), method: request.method, path: new URL(request.url).pathname });
  });
  return { handler, log };
}
