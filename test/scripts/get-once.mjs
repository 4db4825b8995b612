// One GET through sluice's default `fetch`, run as its own process: proves that a retried
// request resolves after the server's time and that nothing keeps the process alive after it.
// SLUICE_ENTRY picks the module (src under tsx in tests; the built package by default).

const { fetch } = await import(process.env.SLUICE_ENTRY ?? 'sluice');

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
