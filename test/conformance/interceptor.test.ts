// The interceptor's half of the drop-in contract: `undici.request` and undici's `fetch` over an
// Agent with `sluice()` composed in must be observed exactly as over the plain Agent.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, fetch as undiciFetch, type Dispatcher } from 'undici';
import { sluice } from '../../src/undici/index.js';
import { closedPort } from '../helpers/refused-once.js';
import { startEchoServer } from './echo-server.js';
import { fetchCases, type CaseEnv, type FetchLike } from './fetch-cases.js';
import { requestCases } from './request-cases.js';

let env: CaseEnv;
let plain: Agent;
let gated: Dispatcher & { close(): Promise<void> };

beforeAll(async () => {
  env = { echo: await startEchoServer(), other: await startEchoServer(), refused: `http://127.0.0.1:${await closedPort()}` };
  plain = new Agent();
  gated = new Agent().compose(sluice({ retry: { backoff: { base: 1, max: 5 } } }));
});

afterAll(async () => {
  await plain.close();
  await gated.close();
  await env.echo.close();
  await env.other.close();
});

describe('undici.request through sluice() and alone', () => {
  it.each(requestCases.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
    const alone = await testCase.run(plain, env);
    const through = await testCase.run(gated, env);
    expect(through).toEqual(alone);
  });
});

describe("undici's fetch through sluice() and alone", () => {
  const via = (dispatcher: Dispatcher): FetchLike => (input, init) =>
    undiciFetch(input as never, { ...(init as object), dispatcher } as never) as unknown as Promise<Response>;
  // Node's fetch compared with sluice's is the other file; here the same undici fetch, with and without the interceptor.
  const cases = Object.values(fetchCases).flat();
  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
    const alone = await testCase.run(via(plain), env);
    const through = await testCase.run(via(gated), env);
    expect(through).toEqual(alone);
  });
});
