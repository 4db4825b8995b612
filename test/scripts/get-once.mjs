// One GET through sluice's default `fetch`, run as its own process: proves that a retried
// request resolves after the server's time and that nothing keeps the process alive after it.
// SLUICE_ENTRY picks the module (src under tsx in tests; the built package by default), or
// `baseline`: Node's own fetch with a hand-written Retry-After wait, for a side-by-side figure.

import { writeSync } from 'node:fs';

const { fetch } =
  process.env.SLUICE_ENTRY === 'baseline' ? { fetch: baselineFetch } : await import(process.env.SLUICE_ENTRY ?? 'sluice');
// The moment the event loop ran dry and Node began to exit (before its own teardown).
process.on('exit', () => writeSync(1, `${JSON.stringify({ exitEventAt: Date.now() })}\n`));

const url = process.argv[2];
if (!url) {
  console.error('usage: get-once.mjs <url>');
  process.exit(2);
}
const started = Date.now();
const response = await fetch(url);
const body = await response.text();
const resolvedAt = Date.now();
console.log(JSON.stringify({ status: response.status, body, waitedMs: resolvedAt - started, resolvedAt }));

async function baselineFetch(url) {
  const first = await globalThis.fetch(url);
  if (first.status !== 429) return first;
  await first.arrayBuffer();
  await new Promise((resolve) => setTimeout(resolve, Number(first.headers.get('retry-after')) * 1000));
  return globalThis.fetch(url);
}
