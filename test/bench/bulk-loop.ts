// The hand-written baseline of `bench:bulk`: what one would write instead of `sluice run` — read
// the file line by line, `concurrency` workers sending `undici.request`, each result printed as
// an NDJSON line on stdout (with backpressure). No retries, no gate, no state.
//
//   node bulk-loop.mjs <input file> <concurrency>

import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';

const [input, concurrencyArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg ?? 128);
const agent = new Agent();
const lines = createInterface({ input: createReadStream(input!), crlfDelay: Infinity })[Symbol.asyncIterator]();
let lineNumber = 0;

async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

async function worker(): Promise<void> {
  for (;;) {
    const next = await lines.next();
    if (next.done) return;
    const line = ++lineNumber;
    const url = next.value;
    const started = performance.now();
    try {
      const response = await request(url, { dispatcher: agent });
      const body = await response.body.text();
      const ms = Math.round(performance.now() - started);
      await write(`${JSON.stringify({ line, url, status: response.statusCode, ok: response.statusCode < 400, ms, body })}\n`);
    } catch (error) {
      await write(`${JSON.stringify({ line, url, ok: false, error: String(error) })}\n`);
    }
  }
}

await Promise.all(Array.from({ length: concurrency }, worker));
await agent.close();
