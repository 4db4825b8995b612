// The drop-in contract, checked: every case is sent through Node's global fetch and through
// sluice — its fetch, and install() under the global fetch — and must be observed the same.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { createClient, type SluiceClient } from '../../src/client.js';
import { install, uninstall } from '../../src/undici/index.js';
import { closedPort } from '../helpers/refused-once.js';
import { startEchoServer } from './echo-server.js';
import { fetchCases, type CaseEnv, type FetchCase, type FetchLike } from './fetch-cases.js';

let env: CaseEnv;
let client: SluiceClient;
const nodeFetch: FetchLike = globalThis.fetch;

beforeAll(async () => {
  env = { echo: await startEchoServer(), other: await startEchoServer(), refused: `http://127.0.0.1:${await closedPort()}` };
  // Fast retries: a refused connection is retried (by design) before the same error surfaces.
  client = createClient({ retry: { backoff: { base: 1, max: 5 } } });
});

afterAll(async () => {
  await client.close();
  await env.echo.close();
  await env.other.close();
});

/** Node's answer first, then sluice's, each from a fresh run of the case. */
async function compare(testCase: FetchCase, sluiceFetch: FetchLike): Promise<void> {
  const node = await testCase.run(nodeFetch, env);
  const sluice = await testCase.run(sluiceFetch, env);
  if (testCase.differs) testCase.differs.check(node, sluice);
  else expect(sluice).toEqual(node);
}

describe.each(Object.entries(fetchCases))('sluice fetch and Node fetch: %s', (_, cases) => {
  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
    await compare(testCase, (input, init) => client.fetch(input, init));
  });
});

describe('install() under Node fetch and Node fetch alone', () => {
  let previous: ReturnType<typeof getGlobalDispatcher>;
  let programAgent: Agent;
  // install() gates Node's own fetch: the same call, through sluice. Each case is run alone, since
  // install() replaces the dispatcher the plain Node fetch would use.
  beforeAll(() => {
    previous = getGlobalDispatcher();
  });
  afterAll(async () => {
    setGlobalDispatcher(previous);
  });

  // Every case, those where sluice's own fetch differs included: under install() it is Node's
  // fetch that runs, so nothing may differ.
  const all = Object.values(fetchCases).flat();
  it.each(all.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
    const node = await testCase.run(nodeFetch, env);
    programAgent = new Agent();
    setGlobalDispatcher(programAgent);
    install({ retry: { backoff: { base: 1, max: 5 } } });
    let installed: unknown;
    try {
      installed = await testCase.run(nodeFetch, env);
    } finally {
      uninstall();
      setGlobalDispatcher(previous);
      await programAgent.close();
    }
    expect(installed).toEqual(node);
  });
});

describe('the conformance cases', () => {
  it('name why sluice differs wherever it does, and the README lists each reason', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const differing = Object.values(fetchCases).flat().filter((testCase) => testCase.differs);
    for (const testCase of differing) expect(readme).toContain(testCase.differs!.why);
  });
});
