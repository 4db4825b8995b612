// `sluice run --report`, the per-origin end-of-run summary and `--live`, against loopback mocks:
// the HTML page parsed for the run's numbers, checked against the result lines and the server.

import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli.js';
import { sequence } from '../../mocks/sequence.js';
import { tokenBucket } from '../../mocks/token-bucket.js';
import { cliFixtures } from '../helpers/cli-fixtures.js';
import { memoryIo } from '../helpers/cli-io.js';
import { records } from '../helpers/run-cli.js';

const { serve, tempDir } = cliFixtures('sluice-report-');

/** The exact nearest-rank percentile of `values`. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}
/** A figure as the report prints it (`5.0 ms`, `37 ms`, `12.3 s`) in ms. */
function parseMs(text: string): number {
  const match = /^([\d.]+) (ms|s)$/.exec(text.trim());
  if (!match) throw new Error(`not a duration: ${text}`);
  return Number(match[1]) * (match[2] === 's' ? 1000 : 1);
}
/** The histogram reports a bucket's upper edge (≤ 2 % above the true value), then rounds it to print. */
function expectNear(printed: number, exact: number): void {
  expect(printed).toBeGreaterThanOrEqual(exact - 0.05);
  expect(printed).toBeLessThanOrEqual(exact * 1.02 + 0.5);
}

interface Table {
  caption: string;
  tr: { th?: string | number; td?: string | number | (string | number)[] }[];
}
/** The report's tables as {caption: {row heading: value}}; "Results" rows are [outcome, count]. */
function tablesOf(html: string): Record<string, Record<string, string>> {
  const page = new XMLParser({ ignoreAttributes: true, parseTagValue: false }).parse(html) as {
    html: { body: { section: { h2: string; div: { table: Table[] } } } };
  };
  const tables: Record<string, Record<string, string>> = { origin: { name: page.html.body.section.h2 } };
  for (const table of page.html.body.section.div.table) {
    const caption = table.caption.replace(/ \(.*\)$/, '');
    const rows: Record<string, string> = {};
    for (const row of table.tr) {
      if (Array.isArray(row.td)) rows[String(row.td[0])] = String(row.td[1]);
      else if (row.th !== undefined && row.td !== undefined) rows[String(row.th)] = String(row.td);
    }
    tables[caption] = rows;
  }
  return tables;
}

describe('sluice run --report', () => {
  it('writes an HTML page of a 300-request run whose numbers match the results, the server and the summary', async () => {
    // A bucket smaller than the run's pace: some attempts are refused with 429 and retried.
    const bucket = tokenBucket({ rate: 100, burst: 5, dialect: 'retry-after-only', retryAfter: 'ms' });
    const server = await serve(bucket.handlers);
    const dir = await tempDir();
    const report = join(dir, 'run.html');
    const input = join(dir, 'urls.txt');
    await writeFile(input, Array.from({ length: 300 }, (_, i) => `${server.origin}/item/${i}?token=secret`).join('\n'));
    const io = memoryIo();
    // On failure, the run's own summary says which requests failed and how.
    expect(await runCli(['run', '--concurrency', '16', '--report', report, input], io), io.err).toBe(0);

    const results = records(io.out);
    expect(results).toHaveLength(300);
    const latencies = results.map((r) => r.ms as number);
    const html = readFileSync(report, 'utf8');
    expect(XMLValidator.validate(html)).toBe(true);
    // Self-contained, and no path, query or secret of any request in it.
    expect(html).not.toMatch(/<script|<link|src="|href="/);
    expect(html).not.toMatch(/\/item\/|token=|secret/);
    expect(html).toContain(`<title>sluice run ${input}</title>`);
    expect(html).toMatch(/300 requests to 1 origin in \d+\.\d s/);

    const tables = tablesOf(html);
    expect(tables.origin!.name).toBe(server.origin);
    expect(tables.Results).toEqual({ 200: '300' });
    expect(Number(tables.Attempts!.sent)).toBe(bucket.counters.received);
    expect(Number(tables.Attempts!['429'])).toBe(bucket.counters.rejected);
    expect(Number(tables.Attempts!['2xx'])).toBe(300);
    expect(bucket.counters.rejected).toBeGreaterThan(0);
    for (const p of [50, 90, 99] as const) expectNear(parseMs(tables.Latency![`p${p}`]!), percentile(latencies, p));
    expect(parseMs(tables.Latency!.max!)).toBe(Math.max(...latencies));

    // The summary on stderr gives the same figures.
    const lines = io.err.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^sluice: 300 requests in [\d.]+s .*; 300 ok; \d+ × 429, \d+ retries$/);
    expect(lines.slice(1)).toEqual([
      `  ${server.origin}:`,
      `    latency  p50 ${tables.Latency!.p50} · p90 ${tables.Latency!.p90} · p99 ${tables.Latency!.p99} · max ${tables.Latency!.max}`,
      '    results  200 × 300',
      `    attempts ${bucket.counters.received} sent, ${bucket.counters.rejected} × 429, 0 × 503`,
    ]);
  });

  it('counts each status and each error per origin, one section per origin', async () => {
    const ok = await serve(sequence([{ status: 200 }]).handlers);
    const missing = await serve(sequence([{ status: 404 }]).handlers);
    // A port nothing listens on: its requests end without a response.
    const gone = await serve(sequence([{ status: 200 }]).handlers);
    await gone.close();
    const dir = await tempDir();
    const report = join(dir, 'run.html');
    const lines = [...Array.from({ length: 3 }, () => `${ok.origin}/a`), `${missing.origin}/b`, `${missing.origin}/c`, `${gone.origin}/d`];
    const io = memoryIo(`${lines.join('\n')}\n`);
    expect(await runCli(['run', '--max-retries', '0', '--report', report, '-'], io)).toBe(1);

    const html = readFileSync(report, 'utf8');
    expect(XMLValidator.validate(html)).toBe(true);
    const sections = (new XMLParser({ parseTagValue: false }).parse(html) as { html: { body: { section: { h2: string }[] } } }).html.body.section;
    expect(sections.map((s) => s.h2).sort()).toEqual([ok.origin, missing.origin, gone.origin].sort());
    expect(html).toContain('<title>sluice run (stdin)</title>');
    expect(io.err).toContain(`  ${ok.origin}:\n    latency  p50 `);
    expect(io.err).toContain('    results  200 × 3\n');
    expect(io.err).toContain(`  ${missing.origin}:\n`);
    expect(io.err).toContain('    results  404 × 2\n');
    expect(io.err).toContain(`  ${gone.origin}:\n`);
    expect(io.err).toContain('    results  ECONNREFUSED × 1\n');
    // Busiest origin first.
    expect(io.err.indexOf(ok.origin)).toBeLessThan(io.err.indexOf(missing.origin));
    expect(io.err.indexOf(missing.origin)).toBeLessThan(io.err.indexOf(gone.origin));
  });

  it('refuses a report file it cannot create before sending anything, and one that is the --output file', async () => {
    const script = sequence([{ status: 200 }]);
    const server = await serve(script.handlers);
    const dir = await tempDir();
    const io = memoryIo(`${server.origin}/a\n`);
    expect(await runCli(['run', '--report', join(dir, 'no/such/dir/run.html'), '-'], io)).toBe(3);
    expect(io.err).toMatch(/^sluice: cannot open --report ".*no\/such\/dir\/run\.html": ENOENT/);
    const same = memoryIo(`${server.origin}/a\n`);
    expect(await runCli(['run', '--report', join(dir, 'x'), '--output', join(dir, 'x'), '-'], same)).toBe(2);
    expect(same.err).toContain('--report must be a file of its own, not the --output file');
    expect(script.log).toHaveLength(0);
  });

  it('prints no summary with --quiet, and still writes the report', async () => {
    const server = await serve(sequence([{ status: 200 }]).handlers);
    const dir = await tempDir();
    const io = memoryIo(`${server.origin}/a\n${server.origin}/b\n`);
    expect(await runCli(['run', '--quiet', '--report', join(dir, 'r.html'), '-'], io)).toBe(0);
    expect(io.err).toBe('');
    expect(tablesOf(readFileSync(join(dir, 'r.html'), 'utf8')).Results).toEqual({ 200: '2' });
  });
});

describe('sluice run --live', () => {
  it('draws a row per origin under the progress line on a terminal, and erases them at the end', async () => {
    // Slow responses keep the run going across several redraws.
    const server = await serve(sequence([{ status: 200, delayMs: 100 }]).handlers);
    const io = memoryIo(`${Array.from({ length: 8 }, (_, i) => `${server.origin}/${i}`).join('\n')}\n`, { tty: true });
    expect(await runCli(['run', '--live', '--concurrency', '2', '-'], io)).toBe(0);
    expect(io.err).toMatch(/origin {2,}in flight {2}window {2}rate {2}queued {2}paused {2}429s\x1b\[K\n/);
    expect(io.err).toMatch(new RegExp(`${server.origin.replace(/[.]/g, '\\.')} +[0-2] +2 +`));
    // Redrawn from its first line (cursor up over the table), erased below before the summary.
    expect(io.err).toContain('\r\x1b[2A');
    expect(io.err).toMatch(/\r\x1b\[2A\x1b\[Jsluice: 8 requests in/);
  });

  it('is the plain progress line without --live, and nothing at all off a terminal', async () => {
    const server = await serve(sequence([{ status: 200, delayMs: 30 }]).handlers);
    const urls = `${Array.from({ length: 4 }, (_, i) => `${server.origin}/${i}`).join('\n')}\n`;
    const tty = memoryIo(urls, { tty: true });
    expect(await runCli(['run', '-'], tty)).toBe(0);
    expect(tty.err).not.toContain('in flight  window');
    const pipe = memoryIo(urls);
    expect(await runCli(['run', '--live', '-'], pipe)).toBe(0);
    expect(pipe.err).not.toContain('\x1b[');
    expect(pipe.err).toMatch(/^sluice: 4 requests in /);
  });
});
