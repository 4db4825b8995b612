// Tests of how the interceptor finds a request's gate key without parsing a URL for the common
// path: a path can only change the origin when it spells an authority, and then it is parsed.

import { describe, expect, it } from 'vitest';
import type { Dispatcher } from 'undici';
import { sluice } from '../../src/undici/index.js';

/** Dispatches once through a fresh interceptor whose next dispatcher never answers; returns the gate keys. */
function keysFor(opts: Partial<Dispatcher.DispatchOptions>, key?: (url: URL) => string): string[] {
  const interceptor = sluice({ rate: false, ...(key ? { key } : {}) });
  const dispatch = interceptor(() => true);
  dispatch({ method: 'GET', ...opts } as Dispatcher.DispatchOptions, { onResponseError() {} });
  const keys = interceptor.stats().map((stats) => stats.key);
  interceptor.close();
  return keys;
}

describe('the gate key of an intercepted request', () => {
  it('is the origin of opts.origin for a path that begins with one slash', () => {
    expect(keysFor({ origin: 'HTTP://Example.COM:80/base', path: '/items?q=1' })).toEqual(['http://example.com']);
  });

  it.each([
    ['//other.example/x'],
    ['/\\other.example/x'],
    ['/\t/other.example/x'],
    ['/\n/other.example/x'],
    ['http://other.example/x'],
  ])('is the origin the path spells when it spells one (%j)', (path) => {
    expect(keysFor({ origin: 'http://example.com', path })).toEqual(['http://other.example']);
  });

  it('is found from a URL origin as from a string', () => {
    expect(keysFor({ origin: new URL('http://example.com:8080'), path: '/x' })).toEqual(['http://example.com:8080']);
  });

  it('gives a custom key function the full URL', () => {
    const seen: string[] = [];
    const keys = keysFor({ origin: 'http://example.com', path: '/a/b?c=d' }, (url) => (seen.push(url.href), url.pathname));
    expect(seen).toEqual(['http://example.com/a/b?c=d']);
    expect(keys).toEqual(['/a/b']);
  });

  it('passes a request whose origin does not parse straight through, ungated', () => {
    const seen: Dispatcher.DispatchOptions[] = [];
    const interceptor = sluice({ rate: false });
    const dispatch = interceptor((opts) => (seen.push(opts), true));
    for (let i = 0; i < 2; i++) dispatch({ method: 'GET', origin: 'not a url', path: '/x' }, {});
    expect(seen).toHaveLength(2);
    expect(interceptor.stats()).toEqual([]);
  });
});
