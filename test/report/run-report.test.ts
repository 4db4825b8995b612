import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import type { GateStats } from '../../src/gate/gate.js';
import { formatLiveTable } from '../../src/report/live-table.js';
import { renderRunReportHtml } from '../../src/report/run-report-html.js';
import { OTHER_ORIGINS, RunRecorder } from '../../src/report/run-recorder.js';
import { formatRunSummary } from '../../src/report/run-summary.js';
import { startLoopbackServer } from '../../mocks/loopback.js';
import { tokenBucket } from '../../mocks/token-bucket.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

describe('a run report', () => {
  it('records a 300-request run from the client events and renders it with its numbers', async () => {
    const bucket = tokenBucket({ rate: 3000, burst: 20, dialect: 'retry-after-only', retryAfter: 'ms' });
    const server = await startLoopbackServer(bucket.handlers);
    const client = createClient({ retry: { maxRetries: 10 } });
    cleanup.push(() => server.close(), () => client.close());
    const recorder = new RunRecorder();
    const detach = recorder.attach(client);
    await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const asked = performance.now();
        const response = await client.fetch(`${server.origin}/item/${i}`);
        await response.body?.cancel();
        recorder.request(server.origin, { status: response.status, latencyMs: performance.now() - asked });
      }),
    );
    recorder.end();
    detach();
    const report = recorder.report();
    expect(report.requests).toBe(300);
    const [origin] = report.origins;
    expect(origin!.origin).toBe(server.origin);
    expect(origin!.attempts.sent).toBe(bucket.counters.received);
    expect(origin!.attempts['429']).toBe(bucket.counters.rejected);
    expect(origin!.outcomes).toEqual({ 200: 300 });
    expect(origin!.latency.p50).toBeLessThanOrEqual(origin!.latency.p90);
    expect(origin!.latency.p90).toBeLessThanOrEqual(origin!.latency.p99);

    const html = renderRunReportHtml(report, { title: 'sluice run urls.txt' });
    expect(XMLValidator.validate(html)).toBe(true);
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
    const text = JSON.stringify(new XMLParser().parse(html));
    expect(text).toContain('300 requests to 1 origin');
    expect(text).toContain(`sent ${bucket.counters.received}`);

    const summary = formatRunSummary(report);
    expect(summary[0]).toMatch(/^300 requests in \d+\.\d s$/);
    expect(summary).toContain(`${server.origin}:`);
    expect(summary).toContain('  results  200 × 300');
    expect(summary.find((line) => line.startsWith('  latency'))).toMatch(/^ {2}latency {2}p50 [\d.]+ ms · p90 [\d.]+ ms · p99 [\d.]+ ms · max [\d.]+ m?s$/);
  });

  it('bounds the origins it keeps apart', () => {
    const recorder = new RunRecorder({ maxOrigins: 2, now: () => 0 });
    for (const origin of ['http://a', 'http://b', 'http://c', 'http://d']) recorder.request(origin, { status: 200, latencyMs: 1 });
    recorder.request('http://a', { error: 'TypeError', latencyMs: 5 });
    expect(recorder.report().origins.map((o) => [o.origin, o.outcomes])).toEqual([
      ['http://a', { 200: 1, TypeError: 1 }],
      ['http://b', { 200: 1 }],
      [OTHER_ORIGINS, { 200: 2 }],
    ]);
  });
});

describe('formatLiveTable', () => {
  const stats = (key: string, overrides: Partial<GateStats>): GateStats =>
    ({ key, inFlight: 0, queued: 0, limit: 10, rate: Infinity, pausedUntil: undefined, responses: { 429: 0, 503: 0, 529: 0 }, ...overrides }) as GateStats;

  it('shows one aligned row per origin, busiest first, with the pause left and the 429s', () => {
    const lines = formatLiveTable(
      [
        stats('https://quiet.test', {}),
        stats('https://busy.test', { inFlight: 8, limit: 16, rate: 97.4, queued: 120, pausedUntil: 12_500, responses: { 429: 3, 503: 0, 529: 0 } }),
      ],
      10_000,
    );
    expect(lines).toEqual([
      'origin              in flight  window  rate  queued  paused  429s',
      'https://busy.test           8      16  97/s     120   2.5 s     3',
      'https://quiet.test          0      10     –       0       –     0',
    ]);
  });

  it('cuts to the width and counts the origins left out', () => {
    const many = Array.from({ length: 4 }, (_, i) => stats(`https://${i}.test`, {}));
    const lines = formatLiveTable(many, 0, 20, 2);
    expect(lines.every((line) => line.length <= 20)).toBe(true);
    expect(lines.at(-1)).toBe('… and 2 more origins');
  });
});
