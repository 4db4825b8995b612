import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { http, HttpResponse } from 'msw';
import { runCli } from '../../src/cli/cli.js';
import { packageVersion } from '../../src/cli/version.js';
import { sequence } from '../../mocks/sequence.js';
import { startLoopbackServer } from '../../mocks/loopback.js';
import { cliFixtures } from '../helpers/cli-fixtures.js';
import { memoryIo } from '../helpers/cli-io.js';
import { records, recordsByLine } from '../helpers/run-cli.js';

const { serve, tempDir } = cliFixtures('sluice-flags-');

describe('sluice run: retry flags', () => {
  it('retries a POST that got 429 only with --retry-method POST', async () => {
    const post = JSON.stringify({ url: 'URL', method: 'POST', body: 'x' });
    for (const [flags, attempts, status] of [
      [[], 1, 429],
      [['--retry-method', 'post'], 2, 200],
    ] as const) {
      const script = sequence([{ status: 429, headers: { 'retry-after-ms': '1' } }, { status: 200 }]);
      const server = await serve(script.handlers);
      const io = memoryIo(`${post.replace('URL', `${server.origin}/p`)}\n`);
      await runCli(['run', ...flags, '-'], io);
      expect(records(io.out)).toMatchObject([{ method: 'POST', status, attempts }]);
      expect(script.counters.received).toBe(attempts);
    }
  });

  it('retries an extra status with --retry-status', async () => {
    const script = sequence([{ status: 409 }, { status: 200 }]);
    const server = await serve(script.handlers);
    const io = memoryIo(`${server.origin}/a\n`);
    expect(await runCli(['run', '--retry-status', '409', '-'], io)).toBe(0);
    expect(records(io.out)).toMatchObject([{ status: 200, attempts: 2 }]);
  });

  it('with --max-retry-after, fails the lines of an origin that asks for longer and sends the rest (exit 1, not 70)', async () => {
    const refusing = await serve([http.all('*', () => new HttpResponse(null, { status: 429, headers: { 'retry-after': '600' } }))]);
    const healthy = await serve(sequence([{ status: 200, body: 'ok' }]).handlers);
    const lines = [1, 2, 3, 4].map((n) => (n % 2 ? `${refusing.origin}/${n}` : `${healthy.origin}/${n}`));
    const io = memoryIo(`${lines.join('\n')}\n`);
    expect(await runCli(['run', '--concurrency', '1', '--max-retry-after', '2s', '-'], io)).toBe(1);
    const results = recordsByLine(io.out);
    expect(results.map((r) => r.ok)).toEqual([false, true, false, true]);
    expect(results[0]).toMatchObject({ status: 429, attempts: 1 });
    expect(results[2]).toMatchObject({ errorCode: 'SLUICE_RATE_LIMITED' });
  });
});

describe('sluice run: flags a newcomer types', () => {
  it.each([
    [['run', '--concurency', '4', '-'], 'unknown option --concurency (did you mean --concurrency?)'],
    [['run', '--stat', 'x', '-'], 'unknown option --stat (did you mean --state?)'],
    [['run', '--no-bdy', '-'], 'unknown option --no-bdy (did you mean --no-body?)'],
    [['get', '--verbse', 'http://x.test'], 'unknown option --verbse (did you mean --verbose?)'],
    [['run', '--timeout=-5s', '-'], '--timeout must be a duration above 0'],
    [['run', '--max-retry-after', '1y', '-'], '--max-retry-after must be a duration from 0'],
    [['run', '--retry-status', '42', '-'], '--retry-status must be a whole number from 100 to 599'],
    [['run', '--timeout', '9999h', '-'], '--timeout must be at most 596h'],
  ])('sluice %j says what was meant', async (argv, message) => {
    const io = memoryIo();
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err).toContain(message);
  });

  it('suggests the command meant', async () => {
    const io = memoryIo();
    expect(await runCli(['rn', 'x'], io)).toBe(2);
    expect(io.err).toContain('unknown command "rn" (did you mean run?)');
  });

  it('takes Go-style durations everywhere: --timeout 1m30s', async () => {
    const server = await serve(sequence([{ status: 200 }]).handlers);
    const io = memoryIo(`${server.origin}/a\n`);
    expect(await runCli(['run', '--timeout', '1m30s', '--max-retry-after', '0', '-'], io)).toBe(0);
  });
});

describe('sluice run: what is sent', () => {
  it('sends User-Agent sluice/<version> unless a header sets one', async () => {
    const script = sequence([{ status: 200 }]);
    const server = await serve(script.handlers);
    const io = memoryIo(`${server.origin}/a\n${JSON.stringify({ url: `${server.origin}/b`, headers: { 'User-Agent': 'line/1' } })}\n`);
    expect(await runCli(['run', '-'], io)).toBe(0);
    const agents = Object.fromEntries(script.log.map((entry) => [new URL(entry.url).pathname, entry.headers['user-agent']]));
    expect(agents).toEqual({ '/a': `sluice/${packageVersion()}`, '/b': 'line/1' });
    const flagged = memoryIo(`${server.origin}/c\n`);
    expect(await runCli(['run', '-H', 'User-Agent: flag/2', '-'], flagged)).toBe(0);
    expect(script.log.at(-1)!.headers['user-agent']).toBe('flag/2');
  });

  it('sends credentials in a URL as Basic authentication and never prints them', async () => {
    const script = sequence([{ status: 200, body: 'ok' }]);
    const server = await serve(script.handlers);
    const dir = await tempDir();
    const state = join(dir, 'state');
    const input = join(dir, 'in.txt');
    writeFileSync(input, `http://ada:s3cr3t-pw@127.0.0.1:${server.port}/private?q=1\n`);
    const io = memoryIo('', { tty: true });
    expect(await runCli(['run', '--state', state, input], io)).toBe(0);
    expect(script.log[0]!.headers.authorization).toBe(`Basic ${Buffer.from('ada:s3cr3t-pw').toString('base64')}`);
    expect(records(io.out)[0]!.url).toBe(`http://***:***@127.0.0.1:${server.port}/private?q=1`);
    for (const text of [io.out, io.err, readFileSync(state, 'utf8')]) {
      expect(text).not.toContain('s3cr3t');
      expect(text).not.toContain('ada:');
    }
  });

  it('keeps credentials out of error results too', async () => {
    const gone = await startLoopbackServer([]);
    await gone.close();
    const io = memoryIo(`http://ada:s3cr3t-pw@127.0.0.1:${gone.port}/x\n`);
    expect(await runCli(['run', '--max-retries', '0', '-'], io)).toBe(1);
    expect(records(io.out)[0]).toMatchObject({ errorCode: 'ECONNREFUSED' });
    expect(io.out + io.err).not.toContain('s3cr3t');
  });
});

describe('sluice run: output and state files', () => {
  it('appends to --output and never truncates what an earlier run wrote', async () => {
    const server = await serve(sequence([{ status: 200, body: 'ok' }]).handlers);
    const dir = await tempDir();
    const output = join(dir, 'results.ndjson');
    writeFileSync(output, '{"line":0,"kept":true}\n');
    const io = memoryIo(`${server.origin}/a\n`);
    expect(await runCli(['run', '--output', output, '-'], io)).toBe(0);
    expect(io.out).toBe('');
    expect(readFileSync(output, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line).line)).toEqual([0, 1]);
  });

  it('never writes the state through a symlink planted at <state>.tmp', async () => {
    const server = await serve(sequence([{ status: 200 }]).handlers);
    const dir = await tempDir();
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    const state = join(dir, 'run.state');
    symlinkSync(victim, `${state}.tmp`);
    expect(await runCli(['run', '--state', state, '-'], memoryIo(`${server.origin}/a\n`))).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(readFileSync(state, 'utf8')).toMatch(/^sluice-state 2 /);
  });

  it('on a full disk for stdout, exits 74 with a sentence; the finished lines are not sent again, and their results are reported on resume', async () => {
    const script = sequence([{ status: 200, body: 'ok' }]);
    const server = await serve(script.handlers);
    const dir = await tempDir();
    const state = join(dir, 'run.state');
    const input = join(dir, 'in.txt');
    writeFileSync(input, `${[1, 2, 3].map((n) => `${server.origin}/${n}`).join('\n')}\n`);
    const io = memoryIo();
    const full = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' }));
      },
    });
    expect(await runCli(['run', '--state', state, input], { ...io, stdin: io.stdin, stdout: full, stderr: io.stderr })).toBe(74);
    expect(io.err).toContain('sluice: cannot write results to stdout: no space left on the device (ENOSPC); stopped sending');
    expect(io.err).not.toMatch(/\n\s+at /);
    const sent = script.counters.received;
    expect(sent).toBeGreaterThan(0);

    const resumed = memoryIo();
    await runCli(['run', '--state', state, input], resumed);
    // Nothing answered before is sent again; each line has exactly one result across the runs.
    expect(script.counters.received).toBe(3);
    const lost = recordsByLine(resumed.out).filter((r) => r.errorCode === 'RESULT_LOST');
    expect(lost.length).toBe(sent);
    expect(recordsByLine(resumed.out).map((r) => r.line)).toEqual([1, 2, 3]);
  });
});

describe('sluice get', () => {
  it('says when the server asked to wait longer than --max-retry-after', async () => {
    const server = await serve([http.all('*', () => new HttpResponse(null, { status: 429, statusText: 'Too Many Requests', headers: { 'retry-after': '7200' } }))]);
    const io = memoryIo();
    expect(await runCli(['get', '-v', '--max-retry-after', '30s', `${server.origin}/x`], io)).toBe(1);
    expect(io.err).toMatch(
      /^sluice: 429 Too Many Requests from http:\/\/127\.0\.0\.1:\d+\/x; the server asks to wait 2h00m \(until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\), longer than --max-retry-after \(30s\), so it was not retried\n$/,
    );
  });

  it('sends URL credentials as Basic authentication, and prints neither them nor a stack', async () => {
    const script = sequence([{ status: 401, body: 'no' }]);
    const server = await serve(script.handlers);
    const io = memoryIo();
    expect(await runCli(['get', `http://ada:s3cr3t-pw@127.0.0.1:${server.port}/me`], io)).toBe(1);
    expect(script.log[0]!.headers.authorization).toBe(`Basic ${Buffer.from('ada:s3cr3t-pw').toString('base64')}`);
    expect(io.err).toBe(`sluice: 401 Unauthorized from http://***:***@127.0.0.1:${server.port}/me\n`);
  });

  it('has a help with a usable $TOKEN example and only the exit codes get can return', async () => {
    const io = memoryIo();
    expect(await runCli(['get', '--help'], io)).toBe(0);
    expect(io.out).toContain('-H "Authorization: Bearer $TOKEN"');
    expect(io.out).not.toContain("'Authorization: Bearer $TOKEN'");
    expect(io.out).not.toMatch(/^\s+3\s/m);
    expect(io.out).not.toContain('--state');
    expect(io.out).not.toContain('--concurrency');
    expect(io.out).toContain('74   could not write the body to stdout');
    const run = memoryIo();
    expect(await runCli(['run', '--help'], run)).toBe(0);
    expect(run.out).toContain("use --output rather than '> results.ndjson'");
  });

  it('exits 74 with a sentence when stdout cannot be written (disk full)', async () => {
    const server = await serve(sequence([{ status: 200, body: 'body' }]).handlers);
    const io = memoryIo();
    const full = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' }));
      },
    });
    expect(await runCli(['get', `${server.origin}/x`], { stdin: io.stdin, stdout: full, stderr: io.stderr })).toBe(74);
    expect(io.err).toBe('sluice: cannot write results to stdout: no space left on the device (ENOSPC)\n');
  });
});
