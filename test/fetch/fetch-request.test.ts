import { describe, expect, it } from 'vitest';
import { toFetchRequest } from '../../src/fetch/fetch-request.js';
import { normalizeMethod } from '../../src/fetch/fetch-method.js';
import { InvalidOptionError } from '../../src/errors.js';

const url = 'http://a.test/x';
const read = (init?: Record<string, unknown>, input: unknown = url) => toFetchRequest(input, init, 1024);

describe('methods, as fetch normalises them', () => {
  it.each([
    ['get', 'GET'],
    ['Post', 'POST'],
    ['pUt', 'PUT'],
    ['delete', 'DELETE'],
    ['head', 'HEAD'],
    ['options', 'OPTIONS'],
    ['patch', 'patch'],
    ['PATCH', 'PATCH'],
    ['mKcOl', 'mKcOl'],
    ['query', 'query'],
  ])('sends %s as %s', (method, sent) => {
    expect(normalizeMethod(method)).toBe(sent);
    expect(read({ method }).method).toBe(sent);
  });

  it('sends `method: null` as the method "null", as fetch does (not as GET)', () => {
    expect(read({ method: null }).method).toBe('null');
  });

  it('takes a missing method from the Request, else GET', () => {
    expect(read({ method: undefined }).method).toBe('GET');
    expect(read(undefined, new Request(url, { method: 'delete' })).method).toBe('DELETE');
  });

  it.each([
    ['CONNECT', "'CONNECT' HTTP method is unsupported."],
    ['trace', "'trace' HTTP method is unsupported."],
    ['Track', "'Track' HTTP method is unsupported."],
    ['bad method', "'bad method' is not a valid HTTP method."],
    ['', "'' is not a valid HTTP method."],
  ])('refuses %j with the TypeError fetch throws', (method, message) => {
    expect(() => read({ method })).toThrow(new TypeError(message));
  });

  it('refuses a body on GET and HEAD', () => {
    expect(() => read({ body: 'x' })).toThrow(new TypeError('Request with GET/HEAD method cannot have body.'));
    expect(() => read({ method: 'head', body: '' })).toThrow(TypeError);
  });
});

describe('sluice options live in init.sluice', () => {
  it("passes fetch's own priority through and maps it to a gate priority", () => {
    expect(read({ priority: 'high' })).toMatchObject({ rest: { priority: 'high' }, options: { priority: 1 } });
    expect(read({ priority: 'low' })).toMatchObject({ rest: { priority: 'low' }, options: { priority: -1 } });
    expect(read({ priority: 'auto' })).toMatchObject({ rest: { priority: 'auto' }, options: undefined });
  });

  it("lets init.sluice.priority win over fetch's hint", () => {
    expect(read({ priority: 'low', sluice: { priority: 5 } }).options).toEqual({ priority: 5 });
  });

  it('reads retry, timeout, priority and key from init.sluice and nothing from the top level', () => {
    const sluice = { retry: false, timeout: { total: 10 }, priority: 2, key: 'k' };
    expect(read({ sluice }).options).toEqual(sluice);
    // Members fetch does not know are ignored by fetch, and so by sluice (a node-fetch `timeout`, say).
    expect(read({ retry: false, timeout: 30_000, key: 'k' })).toMatchObject({ options: undefined, rest: { retry: false, timeout: 30_000, key: 'k' } });
  });

  it('names a misspelt or misshapen init.sluice', () => {
    expect(() => read({ sluice: { retries: 3 } })).toThrow('Expected `init.sluice.retries` to be one of the known options');
    expect(() => read({ sluice: 'fast' })).toThrow(InvalidOptionError);
    expect(() => read({ sluice: { key: 7 } })).toThrow('Expected `init.sluice.key` to be a string (a gate key), got `7` (number)');
  });
});
