// Tests of `install()` / `uninstall()`: the global dispatcher gets sluice composed over what the
// program had set, every fetch goes through it, and uninstall puts back exactly what was there.

import { afterEach, describe, expect, it } from 'vitest';
import { Agent, fetch as undiciFetch, getGlobalDispatcher, request, setGlobalDispatcher, type Dispatcher } from 'undici';
import { startLoopbackServer, type LoopbackServer } from '../../mocks/loopback.js';
import { sequence } from '../../mocks/sequence.js';
import { InvalidOptionError } from '../../src/errors.js';
import { install, uninstall } from '../../src/undici/index.js';

const slots = [Symbol.for('undici.globalDispatcher.2'), Symbol.for('undici.globalDispatcher.1')];
const readSlots = () => slots.map((slot) => (globalThis as Record<symbol, unknown>)[slot]);
const fast = { 'retry-after-ms': '5' };

// Each test starts from a program dispatcher of its own and puts the process back afterwards.
let restore: (() => Promise<void>) | undefined;
let server: LoopbackServer | undefined;
afterEach(async () => {
  uninstall();
  await restore?.();
  restore = undefined;
  await server?.close();
  server = undefined;
});

/** Sets `dispatcher` as the program's global dispatcher, as an app with a ProxyAgent would. */
function programDispatcher(dispatcher: Dispatcher & { close(): Promise<void> }): void {
  const before = readSlots();
  setGlobalDispatcher(dispatcher);
  restore = async () => {
    slots.forEach((slot, i) => ((globalThis as Record<symbol, unknown>)[slot] = before[i]));
    await dispatcher.close();
  };
}

/** An Agent that counts what reaches it: the dispatcher the program had before install(). */
function countingAgent() {
  const seen: string[] = [];
  const agent = new Agent().compose((dispatch) => (opts, handler) => {
    seen.push(`${opts.method} ${opts.path}`);
    return dispatch(opts, handler);
  });
  return { agent: agent as Dispatcher & { close(): Promise<void> }, seen };
}

describe('install()', () => {
  it('gives Node’s global fetch, undici.fetch and undici.request sluice, over the program’s dispatcher', async () => {
    const script = sequence([{ status: 429, headers: fast }, { status: 200, body: 'ok' }]);
    server = await startLoopbackServer(script.handlers);
    const { agent, seen } = countingAgent();
    programDispatcher(agent);
    const interceptor = install({ rate: false });

    expect((await globalThis.fetch(`${server.origin}/global`)).status).toBe(200);
    script.reset();
    expect((await undiciFetch(`${server.origin}/undici-fetch`)).status).toBe(200);
    script.reset();
    const { statusCode, body } = await request(`${server.origin}/request`);
    await body.dump();
    expect(statusCode).toBe(200);

    // Every attempt went through the program's dispatcher, and sluice retried each 429 once.
    expect(seen).toEqual(['/global', '/undici-fetch', '/request'].flatMap((path) => [`GET ${path}`, `GET ${path}`]));
    expect(interceptor.stats(server.origin)?.counters).toMatchObject({ sent: 6, throttled: 3, retried: 3 });
  });

  it('throws when installed twice, keeping the first installation', () => {
    const { agent } = countingAgent();
    programDispatcher(agent);
    const first = install();
    const installed = getGlobalDispatcher();
    expect(() => install()).toThrow(/already installed/);
    expect(getGlobalDispatcher()).toBe(installed);
    expect(first.stats()).toEqual([]);
  });

  it('validates its options before touching the global dispatcher', () => {
    const before = readSlots();
    expect(() => install({ rate: -1 })).toThrow(InvalidOptionError);
    expect(readSlots()).toEqual(before);
    // A failed install leaves nothing installed.
    expect(() => install()).not.toThrow();
  });
});

describe('uninstall()', () => {
  it('restores exactly the global dispatcher that was there, in both of undici’s slots', () => {
    const { agent } = countingAgent();
    programDispatcher(agent);
    const before = readSlots();
    install();
    expect(readSlots()[0]).not.toBe(before[0]);
    uninstall();
    expect(readSlots()).toEqual(before);
    expect(readSlots()[0]).toBe(before[0]);
    expect(readSlots()[1]).toBe(before[1]);
  });

  it('does nothing when sluice is not installed, and may be called twice', () => {
    const before = readSlots();
    uninstall();
    uninstall();
    expect(readSlots()).toEqual(before);
  });

  it('leaves a dispatcher set after install in place, and stops gating what is composed over it', async () => {
    const script = sequence([{ status: 503, headers: fast }, { status: 200 }]);
    server = await startLoopbackServer(script.handlers);
    const { agent } = countingAgent();
    programDispatcher(agent);
    const interceptor = install({ rate: false });
    // Another library wraps whatever is global at the time it loads.
    const wrapped = getGlobalDispatcher().compose((dispatch) => dispatch);
    setGlobalDispatcher(wrapped);

    uninstall();
    expect(getGlobalDispatcher()).toBe(wrapped);
    const { statusCode, body } = await request(`${server.origin}/after`);
    await body.dump();
    expect(statusCode).toBe(503);
    expect(script.counters.received).toBe(1);
    expect(interceptor.stats(server.origin)).toBeUndefined();
  });
});
