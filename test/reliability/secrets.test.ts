// Credentials written into a URL must not come back out of sluice: not in a result, an error's
// message, stack or cause, an event, a stats() key, nor anything else the scan can reach — over
// every adapter and the faults that make sluice talk (retries, pauses, timeouts, refusals) — nor
// in what the CLI prints (results, progress, errors) or writes (state and output files).

import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request as undiciRequest } from 'undici';
import { createClient } from '../../src/client.js';
import type { ClientOptions } from '../../src/client-options.js';
import { sluice } from '../../src/undici/index.js';
import { runCli } from '../../src/cli/cli.js';
import { memoryIo } from '../helpers/cli-io.js';
import { activeResources, leftoverResources } from '../helpers/active-resources.js';
import { behaviours, response, startRawServer, type RawBehaviour } from '../helpers/raw-http-server.js';
import { expectNoSecrets, findSecrets, secretsOf } from '../helpers/secret-scan.js';
import { settle } from '../helpers/reliability-harness.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const USER = 'alice-SECRET-user';
const PASSWORD = 'p%40ss-SECRET-word';

/** A server whose answer depends on the path, so one origin shows every fault. */
const faulty: RawBehaviour = (socket, request) => {
  const path = request.path.split('?')[0];
  if (path === '/429') socket.write(response(429, { 'retry-after-ms': 5 }));
  else if (path === '/long-429') socket.write(response(429, { 'Retry-After': 3600 }));
  else if (path === '/503') socket.write(response(503, { 'Retry-After': 0 }));
  else if (path === '/reset') socket.resetAndDestroy();
  else if (path === '/silent') return;
  else behaviours.ok(socket, request);
};

async function origin() {
  const server = await startRawServer(faulty);
  cleanup.push(() => server.close());
  const secretOrigin = `http://${USER}:${PASSWORD}@127.0.0.1:${server.port}`;
  return { server, secretOrigin, secrets: secretsOf(secretOrigin) };
}

/** Everything sluice told the caller about one run: events of every kind, stats, and the outcomes. */
function observe(target: { on: ReturnType<typeof createClient>['on'] }) {
  const events: unknown[] = [];
  for (const name of ['pause', 'limit', 'retry', 'reject'] as const) target.on(name, (event) => events.push({ name, event }));
  return events;
}

const options: ClientOptions = { retry: { maxRetries: 2, backoff: { base: 1, max: 5 }, maxRetryAfter: 1000 }, timeout: { attempt: 150 } };

describe('the secret scan', () => {
  it('finds a credential wherever it hides (so a clean result means something)', () => {
    const secrets = secretsOf(`http://${USER}:${PASSWORD}@host/`);
    expect(secrets).toEqual(expect.arrayContaining([USER, PASSWORD, 'p@ss-SECRET-word', `${USER}:p@ss-SECRET-word`]));
    const hidden = new Error('outer', { cause: Object.assign(new TypeError('inner'), { input: `http://x:${PASSWORD}@h` }) });
    expect(findSecrets(hidden, secrets).map((f) => f.path)).toEqual(['$.cause.input']);
    expect(findSecrets(new Headers({ authorization: `Basic ${Buffer.from(`${USER}:p@ss-SECRET-word`).toString('base64')}` }), secrets)).toHaveLength(1);
    expect(findSecrets(new Map([['k', [{ deep: Buffer.from(USER) }]]]), secrets)).toHaveLength(1);
    expect(findSecrets({ ok: 'nothing here' }, secrets)).toEqual([]);
  });
});

describe('client.fetch with credentials in the URL', () => {
  it('refuses the request as fetch does, with the credentials masked and the query kept', async () => {
    const { server, secretOrigin, secrets } = await origin();
    const client = createClient(options);
    cleanup.push(() => client.close());
    const events = observe(client);
    const outcome = await settle(client.fetch(`${secretOrigin}/ok?visible=query`));
    const error = (outcome as { error: Error }).error;
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe(
      `Request cannot be constructed from a URL that includes credentials: http://***:***@127.0.0.1:${server.port}/ok?visible=query`,
    );
    const unparsable = await settle(client.fetch(`http://${USER}:${PASSWORD}@127.0.0.1:99999/?visible=query`));
    expect((unparsable as { error: Error }).error.message).toBe('Failed to parse URL from http://***:***@127.0.0.1:99999/?visible=query');
    expectNoSecrets({ outcome, unparsable, events, stats: client.stats() }, secrets, 'client.fetch');
    // Nothing was sent: the refusal came before the queue.
    expect(server.counters.requests).toBe(0);
  });

  it('keeps them out of ready(), stats() and a key given as a URL', async () => {
    const { server, secretOrigin, secrets } = await origin();
    const client = createClient(options);
    cleanup.push(() => client.close());
    await client.ready(secretOrigin);
    const answer = await client.fetch(`http://127.0.0.1:${server.port}/ok`, { sluice: { key: `${secretOrigin}/ok` } });
    await answer.text();
    expectNoSecrets({ stats: client.stats(), one: client.stats(secretOrigin) }, secrets, 'stats');
    expect(client.stats(secretOrigin)?.key).toBe(`http://127.0.0.1:${server.port}`);
  });
});

describe('the interceptor, sent to an origin with credentials', () => {
  it('says nothing of them in results, errors, events or stats, through retries, pauses, timeouts and resets', async () => {
    const baseline = activeResources();
    const { secretOrigin, secrets } = await origin();
    const interceptor = sluice(options);
    const agent = new Agent().compose(interceptor);
    const events = observe(interceptor);
    const outcomes = [];
    for (const path of ['/ok?visible=query', '/429', '/503', '/reset', '/silent', '/long-429', '/ok']) {
      outcomes.push(
        await settle(
          undiciRequest(`${secretOrigin}${path}`, { dispatcher: agent }).then(async ({ statusCode, headers, body }) => ({ statusCode, headers, body: await body.text() })),
        ),
      );
    }
    // The long Retry-After paused the key: the last request was refused with RateLimitedError.
    expect((outcomes.at(-1) as { error: Error }).error.name).toBe('RateLimitedError');
    expect(events.some((e) => (e as { name: string }).name === 'retry')).toBe(true);
    expect(events.some((e) => (e as { name: string }).name === 'pause')).toBe(true);
    expectNoSecrets({ outcomes, events, stats: interceptor.stats() }, secrets, 'the interceptor');
    await interceptor.close();
    await agent.close();
    expect(await leftoverResources(baseline)).toEqual([]);
  });
});

describe('client.map over URLs with credentials', () => {
  it('reports each item without repeating them (the caller’s own item aside)', async () => {
    const { secretOrigin, secrets } = await origin();
    const client = createClient(options);
    cleanup.push(() => client.close());
    const events = observe(client);
    const results = [];
    for await (const result of client.map(['/ok?visible=query', '/429', '/reset', '/long-429'], (path) => `${secretOrigin}${path}`)) {
      const { input: _callerOwn, ...reported } = result;
      results.push(reported);
    }
    expect(results).toHaveLength(4);
    expectNoSecrets({ results, events, stats: client.stats() }, secrets, 'client.map');
  });
});

describe('the sluice CLI, given URLs with credentials', () => {
  it('says nothing of them in results, progress on a TTY, errors, the state file or the output file', async () => {
    const { secretOrigin, secrets } = await origin();
    const dir = await mkdtemp(join(tmpdir(), 'sluice-secrets-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const input = join(dir, 'in.txt');
    const state = join(dir, 'state');
    const output = join(dir, 'out.ndjson');
    const paths = ['/ok?visible=query', '/429', '/503', '/reset', '/silent', '/long-429', '/ok'];
    writeFileSync(input, paths.map((path) => `${secretOrigin}${path}\n`).join(''));
    const run = memoryIo('', { tty: true });
    await runCli(['run', '--max-retries', '2', '--timeout', '150ms', '--max-retry-after', '1s', '--state', state, '--output', output, input], run);
    const results = readFileSync(output, 'utf8');
    // Every line was answered or failed, and each result names its URL, masked.
    expect(results.trim().split('\n')).toHaveLength(paths.length);
    expect(results).toContain('http://***:***@127.0.0.1');
    const get = memoryIo('', { tty: true });
    await runCli(['get', '--max-retries', '0', `${secretOrigin}/reset`], get);
    const long = memoryIo('', { tty: true });
    await runCli(['get', '--max-retry-after', '1s', `${secretOrigin}/long-429`], long);
    expectNoSecrets(
      { run: { out: run.out, err: run.err }, results, state: readFileSync(state, 'utf8'), get: [get.out, get.err, long.out, long.err] },
      secrets,
      'the CLI',
    );
    // What the scan read is not empty: progress was drawn and get explained its failures.
    expect(run.err).not.toBe('');
    expect(get.err).toContain('http://***:***@127.0.0.1');
    expect(long.err).toContain('longer than --max-retry-after');
  });
});
