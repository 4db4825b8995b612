import { afterAll, describe, expectTypeOf, it } from 'vitest';
import { createClient } from '../../src/client.js';
import type { MapResult } from '../../src/bulk/map-result.js';
import { mapRequests } from '../../src/bulk/map-requests.js';

// Runs are created but never iterated, so nothing is sent.
const client = createClient();
afterAll(() => client.close());
type ResultOf<R> = R extends AsyncIterable<infer X> ? X : never;

describe('client.map types', () => {
  it('types each result body after the body option', () => {
    const urls = ['https://a.example'];
    expectTypeOf<ResultOf<ReturnType<typeof text>>>().toEqualTypeOf<MapResult<string, string>>();
    function text() {
      return client.map(urls, (url) => url);
    }
    expectTypeOf(client.map(urls, (url) => url, { body: 'json' })).toExtend<AsyncIterable<MapResult<string, unknown>>>();
    expectTypeOf(client.map(urls, (url) => url, { body: 'bytes' })).toExtend<AsyncIterable<MapResult<string, Uint8Array>>>();
    expectTypeOf(client.map(urls, (url) => url, { body: false })).toExtend<AsyncIterable<MapResult<string, undefined>>>();
    const read = client.map(urls, (url) => url, { body: async (response, { index }) => ({ index, size: (await response.arrayBuffer()).byteLength }) });
    expectTypeOf<ResultOf<typeof read>['body']>().toEqualTypeOf<{ index: number; size: number } | undefined>();
  });

  it('keeps the source item type as input, from sync and async sources', () => {
    async function* ids() {
      yield 1;
    }
    const run = client.map(ids(), (id) => ({ input: `https://a.example/${id}`, init: { method: 'DELETE' } }), { ordered: true });
    expectTypeOf<ResultOf<typeof run>['input']>().toEqualTypeOf<number>();
    expectTypeOf(run.progress.inFlight).toBeNumber();
  });

  it('gives the standalone mapRequests the same types', () => {
    const json = mapRequests(client, [1, 2], (n) => `https://a.example/${n}`, { body: 'json' });
    expectTypeOf<ResultOf<typeof json>>().toEqualTypeOf<MapResult<number, unknown>>();
    const read = mapRequests(client, ['a'], (s) => s, { body: async (response) => response.status });
    expectTypeOf<ResultOf<typeof read>['body']>().toEqualTypeOf<number | undefined>();
    const text = mapRequests(client, ['a'], (s) => s);
    expectTypeOf<ResultOf<typeof text>['body']>().toEqualTypeOf<string | undefined>();
  });
});
