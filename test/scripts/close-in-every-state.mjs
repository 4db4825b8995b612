// A process that leaves a sluice client with a request in every state — queued, backing off
// after a 429, waiting for a response, uploading a body that stalls, streaming a response — then
// closes it, reports what each request got and when close() resolved, and must exit by itself.
// Usage: close-in-every-state.mjs <silent-url> <429-url> <drip-url> <upload-url> <grace-ms>
// (each URL on its own origin: the client admits one request at a time per origin).

import { writeSync } from 'node:fs';

const { createClient, isClientClosedError } = await import(process.env.SLUICE_ENTRY ?? 'sluice');
const [silent, refusing, dripping, uploading, graceArg] = process.argv.slice(2);
const grace = Number(graceArg);
process.on('exit', () => writeSync(1, `${JSON.stringify({ exitEventAt: performance.now() + performance.timeOrigin })}\n`));

const client = createClient({ limits: { concurrency: 1 }, closeGrace: grace });
const retried = new Promise((resolve) => client.on('retry', resolve));
const outcome = (promise) =>
  promise.then(
    () => 'resolved',
    (error) => (isClientClosedError(error) ? 'ClientClosedError' : `${error?.name}: ${error?.message}`),
  );

const inFlight = outcome(client.fetch(`${silent}/in-flight`));
const queued = outcome(client.fetch(`${silent}/queued`));
const backingOff = outcome(client.fetch(refusing));
let sent = false;
const stalled = new ReadableStream({
  pull(controller) {
    if (sent) return new Promise(() => {});
    sent = true;
    controller.enqueue(new TextEncoder().encode('the only chunk'));
  },
});
const upload = outcome(client.fetch(uploading, { method: 'POST', body: stalled, duplex: 'half' }));
const response = await client.fetch(dripping);
const reader = response.body.getReader();
await reader.read();
const streaming = (async () => {
  try {
    for (;;) if ((await reader.read()).done) return 'ended';
  } catch (error) {
    return `body: ${error.name}`;
  }
})();
await retried;

const started = performance.now();
await client.close();
const closeMs = performance.now() - started;
const outcomes = { inFlight: await inFlight, queued: await queued, backingOff: await backingOff, upload: await upload, streaming: await streaming };
console.log(JSON.stringify({ closeMs, outcomes, closedAt: performance.now() + performance.timeOrigin }));
