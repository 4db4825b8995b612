// Writes the HTML report of a 300-request run against a rate-limited server (its own process),
// built from the same pieces `sluice run --report` uses: `tsx test/demo/run-report-sample.ts FILE`.

import { writeFile } from 'node:fs/promises';
import { createClient } from '../../src/index.js';
import { renderRunReportHtml } from '../../src/report/run-report-html.js';
import { RunRecorder } from '../../src/report/run-recorder.js';
import { formatRunSummary } from '../../src/report/run-summary.js';
import { startServer } from '../bench/processes.js';

const [file = 'run-report.html', requests = '300'] = process.argv.slice(2);
const server = await startServer({ kind: 'tokenBucket', options: { rate: 100, burst: 10, dialect: 'retry-after-only' } });
const client = createClient();
const recorder = new RunRecorder();
const detach = recorder.attach(client);
await Promise.all(
  Array.from({ length: Number(requests) }, async (_, i) => {
    const asked = performance.now();
    try {
      const response = await client.fetch(`${server.origin}/item/${i}`);
      await response.body?.cancel();
      recorder.request(server.origin, { status: response.status, latencyMs: performance.now() - asked });
    } catch (error) {
      recorder.request(server.origin, { error: error instanceof Error ? error.name : 'error', latencyMs: performance.now() - asked });
    }
  }),
);
recorder.end();
detach();
await client.close();
const { counters } = await server.stop();
const report = recorder.report();
await writeFile(file, renderRunReportHtml(report, { title: `${requests} requests → token bucket 100/s, burst 10` }));
for (const line of formatRunSummary(report)) console.error(line);
console.error(`server: ${counters.received} received, ${counters.rejected} × 429; report: ${file}`);
