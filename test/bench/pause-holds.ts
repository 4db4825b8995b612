// Acceptance figure for the shared pause: 100 requests in flight when the first 429 with
// `Retry-After: 2` arrives, and 100 more sent during the pause. Counts what the server receives
// while the pause lasts (the target: nothing, at most one probe). Loopback only, ~3 s.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from '../../src/index.js';

let firstRefusalAt = 0;
const arrivals: number[] = [];
let served = 0;
const server = createServer((req, res) => {
  const now = performance.now();
  arrivals.push(now);
  const n = served++;
  req.resume();
  if (n === 0) {
    // The first request is refused once the other 99 are in flight.
    setTimeout(() => {
      firstRefusalAt = performance.now();
      res.writeHead(429, { 'retry-after': '2' }).end();
    }, 50);
  } else setTimeout(() => res.writeHead(200).end('ok'), 100);
});
server.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

// A fixed window of 200 and no pacing, so all 100 really are in flight at once.
const client = createClient({ limits: { concurrency: 200 }, rate: false });
const send = () => client.fetch(url).then((r) => r.text());
const first = Array.from({ length: 100 }, send);
await new Promise((resolve) => setTimeout(resolve, 300)); // inside the 2 s pause
const second = Array.from({ length: 100 }, send);
await Promise.all([...first, ...second]);

const during = arrivals.filter((t) => t > firstRefusalAt && t < firstRefusalAt + 2000).length;
const inFlightAtRefusal = arrivals.filter((t) => t <= firstRefusalAt).length;
console.log(`requests in flight when the 429 (Retry-After: 2) arrived: ${inFlightAtRefusal}`);
console.log(`requests the server received during the 2 s pause: ${during} (target: 0, at most 1 probe)`);
console.log(`first request after the pause: ${((arrivals.find((t) => t >= firstRefusalAt + 2000)! - firstRefusalAt) / 1000).toFixed(3)} s after the 429`);
console.log(`total received: ${arrivals.length} for 200 logical requests`);
await client.close();
server.close();
