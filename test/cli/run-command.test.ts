import { readFileSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { http, HttpResponse } from 'msw';
import { runCli } from '../../src/cli/cli.js';
import { sequence } from '../../mocks/sequence.js';
import { cliFixtures } from '../helpers/cli-fixtures.js';
import { memoryIo } from '../helpers/cli-io.js';
import { startHeldServer } from '../helpers/held-server.js';
import { records, recordsByLine } from '../helpers/run-cli.js';

const { serve, tempDir, defer } = cliFixtures('sluice-run-');

describe('sluice run', () => {
  it('reads stdin with -, sends --header on every request, and lets a line override it', async () => {
    const script = sequence([{ status: 200, body: 'hi' }]);
    const server = await serve(script.handlers);
    const io = memoryIo(
      `${server.origin}/1\n${JSON.stringify({ url: `${server.origin}/2`, headers: { 'x-team': 'line' } })}\n`,
    );
    const code = await runCli(['run', '-H', 'X-Team: flag', '-H', 'Accept: text/plain', '-'], io);
    expect(code).toBe(0);
    expect(recordsByLine(io.out).map((r) => r.body)).toEqual(['hi', 'hi']);
    const teams = script.log.map((entry) => [entry.url.slice(-2), entry.headers['x-team'], entry.headers.accept]).sort();
    expect(teams).toEqual([
      ['/1', 'flag', 'text/plain'],
      ['/2', 'line', 'text/plain'],
    ]);
  });

  it('prints results in input order with --ordered', async () => {
    const server = await serve([
      http.get('*', async ({ request }) => {
        const n = Number(new URL(request.url).pathname.slice(1));
        await new Promise((resolve) => setTimeout(resolve, (5 - n) * 15));
        return HttpResponse.text(String(n));
      }),
    ]);
    const io = memoryIo([1, 2, 3, 4, 5].map((n) => `${server.origin}/${n}`).join('\n'));
    expect(await runCli(['run', '--ordered', '-'], io)).toBe(0);
    expect(records(io.out).map((r) => r.line)).toEqual([1, 2, 3, 4, 5]);
  });

  it('writes bodies to --output-dir and prints their paths', async () => {
    const server = await serve([http.get('*', () => HttpResponse.json({ big: 'x'.repeat(1000) }))]);
    const dir = await tempDir();
    const io = memoryIo(`${server.origin}/a\n${server.origin}/b\n`);
    expect(await runCli(['run', '--output-dir', join(dir, 'bodies'), '-'], io)).toBe(0);
    const results = recordsByLine(io.out);
    expect(results.map((r) => r.bodyFile)).toEqual([join(dir, 'bodies', '1.json'), join(dir, 'bodies', '2.json')]);
    expect(results[0]).not.toHaveProperty('body');
    expect(JSON.parse(readFileSync(join(dir, 'bodies', '2.json'), 'utf8')).big).toHaveLength(1000);
    expect(await readdir(join(dir, 'bodies'))).toHaveLength(2);
  });

  it('leaves bodies out with --no-body and embeds text and binary bodies otherwise', async () => {
    const server = await serve([
      http.get('*/text', () => HttpResponse.text('plain')),
      http.get('*/bin', () => new HttpResponse(new Uint8Array([0xff, 0xfe, 0x00]), { headers: { 'content-type': 'application/octet-stream' } })),
    ]);
    const input = `${server.origin}/text\n${server.origin}/bin\n`;
    const io = memoryIo(input);
    expect(await runCli(['run', '-'], io)).toBe(0);
    expect(recordsByLine(io.out)).toMatchObject([{ body: 'plain' }, { body: '//4A', bodyEncoding: 'base64' }]);
    const quiet = memoryIo(input);
    expect(await runCli(['run', '--no-body', '-'], quiet)).toBe(0);
    expect(recordsByLine(quiet.out).every((r) => !('body' in r))).toBe(true);
  });

  it('exits 1 when a request fails, and the summary counts it', async () => {
    const server = await serve([http.get('*/missing', () => HttpResponse.text('nope', { status: 404 })), http.get('*', () => HttpResponse.text('ok'))]);
    const io = memoryIo(`${server.origin}/ok\n${server.origin}/missing\n`);
    expect(await runCli(['run', '-'], io)).toBe(1);
    expect(recordsByLine(io.out)).toMatchObject([{ status: 200, ok: true }, { status: 404, ok: false, body: 'nope' }]);
    expect(io.err).toMatch(/2 requests in .*; 1 ok, 1 failed \(1 with status >= 400\)/);
  });

  it('stops at the first failure with --fail-fast', async () => {
    const script = sequence([{ status: 500 }]);
    const server = await serve(script.handlers);
    const lines = Array.from({ length: 50 }, (_, i) => `${server.origin}/${i}`).join('\n');
    const io = memoryIo(lines);
    expect(await runCli(['run', '--fail-fast', '--max-retries', '0', '--concurrency', '1', '-'], io)).toBe(1);
    expect(records(io.out)).toHaveLength(1);
    expect(script.counters.received).toBeLessThan(50);
  });

  it("keeps a fixed --concurrency above the bulk runner's default cap of 128", async () => {
    const server = await startHeldServer();
    defer(() => server.close());
    const io = memoryIo(Array.from({ length: 160 }, (_, i) => `${server.origin}/${i}`).join('\n'));
    const code = runCli(['run', '--concurrency', '150', '-'], io);
    // Without the flag reaching the runner, this would stop at 128 held.
    await server.until(() => server.held === 150);
    server.releaseAll();
    expect(await code).toBe(0);
    expect(records(io.out)).toHaveLength(160);
  });

  it('stops at a bad stdin line with exit 3, after printing what came before', async () => {
    const server = await serve(sequence([{ status: 200 }]).handlers);
    const io = memoryIo(`${server.origin}/1\n{"url":"${server.origin}/2","headers":{"x":1}}\n${server.origin}/3\n`);
    expect(await runCli(['run', '-'], io)).toBe(3);
    expect(records(io.out).map((r) => r.line)).toEqual([1]);
    expect(io.err).toContain('line 2: "headers.x" must be a string; stopped reading input there');
  });

  it('refuses a state file written for other input', async () => {
    const server = await serve(sequence([{ status: 200 }]).handlers);
    const dir = await tempDir();
    const input = join(dir, 'in.txt');
    const state = join(dir, 'state');
    writeFileSync(input, `${server.origin}/1\n`);
    expect(await runCli(['run', '--state', state, input], memoryIo())).toBe(0);
    writeFileSync(input, `${server.origin}/2\n`);
    const io = memoryIo();
    expect(await runCli(['run', '--state', state, input], io)).toBe(3);
    expect(io.err).toContain('was written for different input');
  });

  it('names a missing input file', async () => {
    const io = memoryIo();
    expect(await runCli(['run', '/nonexistent/requests.txt'], io)).toBe(3);
    expect(io.err).toBe('sluice: cannot read input "/nonexistent/requests.txt": no such file\n');
  });

  it('draws a progress line on a terminal and erases it at the end', async () => {
    const server = await serve(sequence([{ status: 200 }]).handlers);
    const io = memoryIo(`${server.origin}/1\n`, { tty: true });
    // The line is drawn on a timer; the erase sequence at the end is what is certain.
    expect(await runCli(['run', '-'], io)).toBe(0);
    expect(io.err).toMatch(/\r\x1b\[K(.|\n)*sluice: 1 request in/);
  });
});

describe('usage errors and help', () => {
  it.each([
    [['run'], 'missing the input: a file, or - for stdin'],
    [['run', 'a', 'b'], 'expected one input, got 2: a b'],
    [['run', '--rate', 'fast', '-'], '--rate must be requests per second above 0'],
    [['run', '--timeout', '10x', '-'], '--timeout must be a duration above 0 like 500ms, 30s, 2m or 1m30s, got "10x"'],
    [['run', '-H', 'no colon', '-'], "--header must look like 'Name: value'"],
    [['run', '--max-retries', '5000', '-'], '--max-retries must be a whole number from 0 to 1000'],
    [['run', '--state'], 'option --state needs a value'],
    [['run', '--ordered=yes', '-'], 'option --ordered takes no value'],
    [['get'], 'missing the URL'],
    [['get', 'example.com'], '"example.com" is not an http(s) URL'],
  ])('sluice %j exits 2 with a message', async (argv, message) => {
    const io = memoryIo();
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err).toContain(message);
  });

  it('prints the global help, and each command help', async () => {
    const io = memoryIo();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(io.out).toContain('Usage: sluice <command> [options]');
    expect(io.out).toMatch(/run\s+send one request per line/);
    for (const argv of [['run', '--help'], ['help', 'run']]) {
      const command = memoryIo();
      expect(await runCli(argv, command)).toBe(0);
      expect(command.out).toContain('Usage: sluice run [options] <file | ->');
      expect(command.out).toContain('130  interrupted by Ctrl-C');
    }
    const version = memoryIo();
    expect(await runCli(['--version'], version)).toBe(0);
    expect(version.out).toMatch(/^sluice \d+\.\d+\.\d+/);
    const none = memoryIo();
    expect(await runCli([], none)).toBe(2);
    expect(none.err).toContain('Commands:');
    const unknown = memoryIo();
    expect(await runCli(['fetch'], unknown)).toBe(2);
    expect(unknown.err).toBe('sluice: unknown command "fetch"; commands: run, get (see sluice --help)\n');
  });
});

describe('sluice get', () => {
  it('prints the body, and the status line and headers with -i', async () => {
    const server = await serve([http.get('*', () => HttpResponse.text('hello', { headers: { 'x-one': '1' } }))]);
    const io = memoryIo();
    expect(await runCli(['get', '-i', `${server.origin}/x`], io)).toBe(0);
    expect(io.out).toMatch(/^HTTP\/1.1 200 OK\r\n(.+\r\n)*x-one: 1\r\n(.+\r\n)*\r\nhello$/);
  });

  it('sends -X and -d, and exits 1 with the status on stderr for a 4xx', async () => {
    const script = sequence([{ status: 422, body: 'invalid' }]);
    const server = await serve(script.handlers);
    const io = memoryIo();
    expect(await runCli(['get', '-d', '{"a":1}', '-H', 'Content-Type: application/json', `${server.origin}/x`], io)).toBe(1);
    expect(io.out).toBe('invalid');
    expect(io.err).toBe(`sluice: 422 Unprocessable Entity from ${server.origin}/x\n`);
    expect(script.log[0]).toMatchObject({ method: 'POST', body: '{"a":1}' });
  });

  it('retries a 429 after the time the server asks, reporting it with -v', async () => {
    const script = sequence([{ status: 429, headers: { 'retry-after-ms': '5' } }, { status: 200, body: 'done' }]);
    const server = await serve(script.handlers);
    const io = memoryIo();
    expect(await runCli(['get', '-v', `${server.origin}/x`], io)).toBe(0);
    expect(io.out).toBe('done');
    expect(io.err).toMatch(/^sluice: status 429; retrying in \d+\.\ds \(attempt 2\)\n$/);
  });
});
