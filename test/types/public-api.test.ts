// Type tests of the public API against the source, checked by `tsc` in `npm test` (the project's
// own settings: @types/node, no DOM). lib-settings.test.ts checks the built declarations too.

import { describe, expectTypeOf, it } from 'vitest';
import type { Dispatcher } from 'undici';
import {
  createClient,
  createRetryPolicy,
  fetch as sluiceFetch,
  type BeforeRetryContext,
  type BeforeRetryHook,
  type RequestOptions,
  type RetryContext,
  type RetryDecision,
  type RetryPolicy,
  type SluiceRequestInit,
} from '../../src/index.js';
import { sluice, type SluiceDispatchOptions } from '../../src/undici/index.js';

describe('fetch', () => {
  it('client.fetch and fetch have the global fetch type', () => {
    expectTypeOf(createClient().fetch).toExtend<typeof globalThis.fetch>();
    expectTypeOf(sluiceFetch).toExtend<typeof globalThis.fetch>();
    expectTypeOf(sluiceFetch).returns.toEqualTypeOf<Promise<Response>>();
  });

  it("takes fetch's own init, fetch's priority included, and sluice's options under `sluice`", () => {
    expectTypeOf<RequestInit>().toExtend<SluiceRequestInit>();
    expectTypeOf<{ priority: 'high'; sluice: { priority: 2; key: 'k' } }>().toExtend<SluiceRequestInit>();
    expectTypeOf<{ priority: 1 }>().not.toExtend<SluiceRequestInit>();
    expectTypeOf<SluiceRequestInit['sluice']>().toEqualTypeOf<RequestOptions | undefined>();
  });

  it('takes the same per-request options on undici dispatch options', () => {
    expectTypeOf<SluiceDispatchOptions>().toExtend<RequestOptions>();
    expectTypeOf<Dispatcher.DispatchOptions['sluice']>().toEqualTypeOf<SluiceDispatchOptions | undefined>();
  });
});

describe('retry', () => {
  it('lets a policy decide asynchronously, while the default one decides at once', () => {
    expectTypeOf<RetryPolicy['decide']>().returns.toEqualTypeOf<RetryDecision | Promise<RetryDecision>>();
    expectTypeOf(createRetryPolicy().decide).returns.toEqualTypeOf<RetryDecision>();
    expectTypeOf<{ decide(context: RetryContext): Promise<RetryDecision> }>().toExtend<RetryPolicy>();
  });

  it('types the beforeRetry hook for the client, the interceptor and one request', () => {
    expectTypeOf<BeforeRetryHook>().parameter(0).toEqualTypeOf<BeforeRetryContext>();
    expectTypeOf<BeforeRetryHook>().returns.toEqualTypeOf<void | Promise<void>>();
    expectTypeOf<BeforeRetryContext>().toHaveProperty('response').toEqualTypeOf<Response | undefined>();
    expectTypeOf<BeforeRetryContext>().toHaveProperty('signal').toEqualTypeOf<AbortSignal>();
    expectTypeOf<BeforeRetryContext['headers']>().toEqualTypeOf<Headers>();
    expectTypeOf<BeforeRetryContext['url']>().toEqualTypeOf<URL>();
    expectTypeOf(createClient).parameter(0).toExtend<{ beforeRetry?: BeforeRetryHook } | undefined>();
    expectTypeOf(sluice).parameter(0).toExtend<{ beforeRetry?: BeforeRetryHook } | undefined>();
    expectTypeOf<RequestOptions['beforeRetry']>().toEqualTypeOf<BeforeRetryHook | undefined>();
  });
});
