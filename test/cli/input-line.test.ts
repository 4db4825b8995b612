import { describe, expect, it } from 'vitest';
import { parseInputLine } from '../../src/cli/input-line.js';

describe('parseInputLine', () => {
  it('reads a plain URL as a GET', () => {
    expect(parseInputLine('  https://api.example.com/a?b=1  ', 3)).toEqual({
      line: 3,
      url: 'https://api.example.com/a?b=1',
      method: 'GET',
      headers: [],
      body: undefined,
    });
  });

  it('skips blank lines and # comments', () => {
    expect(parseInputLine('', 1)).toBeUndefined();
    expect(parseInputLine('   ', 1)).toBeUndefined();
    expect(parseInputLine('# https://skipped.example', 1)).toBeUndefined();
  });

  it('reads an NDJSON request, sending a non-string body as JSON', () => {
    const request = parseInputLine(
      JSON.stringify({ url: 'https://x.example/u', method: 'post', headers: { 'X-A': 'b' }, body: { n: 1 }, id: 7 }),
      2,
    );
    expect(request).toEqual({
      line: 2,
      url: 'https://x.example/u',
      method: 'POST',
      headers: [
        ['X-A', 'b'],
        ['content-type', 'application/json'],
      ],
      body: '{"n":1}',
      id: 7,
    });
  });

  it('keeps a string body as is, and a content type the line sets', () => {
    const request = parseInputLine(
      JSON.stringify({ url: 'https://x.example/', method: 'PUT', headers: { 'Content-Type': 'text/csv' }, body: 'a,b' }),
      1,
    );
    expect(request?.body).toBe('a,b');
    expect(request?.headers).toEqual([['Content-Type', 'text/csv']]);
  });

  it.each([
    ['{"url": 5}', 'line 7: "url" must be a string'],
    ['{"method": "GET"}', 'line 7: "url" is missing'],
    ['{"url": "/relative"}', 'line 7: "url" must be an absolute http(s) URL, got "/relative"'],
    ['{"url": "ftp://x.example/"}', 'line 7: "url" must be an absolute http(s) URL'],
    ['{"url": "https://x.example", "method": 7}', 'line 7: "method" must be a string'],
    ['{"url": "https://x.example", "method": "GE T"}', 'line 7: "method" is not an HTTP method: "GE T"'],
    ['{"url": "https://x.example", "headers": ["a"]}', 'line 7: "headers" must be an object of names to string values'],
    ['{"url": "https://x.example", "headers": {"a": 1}}', 'line 7: "headers.a" must be a string'],
    ['{"url": "https://x.example", "headers": {"bad name": "v"}}', 'line 7: "headers" has an invalid header: "bad name"'],
    ['{"url": "https://x.example", "body": "x"}', 'line 7: "body" is not allowed with method GET'],
    ['{"uri": "https://x.example"}', 'line 7: unknown field "uri" (known fields: url, method, headers, body, id)'],
    ['{"url": "https://x.example",}', 'line 7: invalid JSON'],
    ['{', 'line 7: invalid JSON'],
    ['www.example.com/a', 'line 7: expected a URL or a JSON object, got "www.example.com/a"'],
  ])('rejects %s naming the line and field', (text, message) => {
    expect(() => parseInputLine(text, 7)).toThrow(message);
  });

  it('rejects a JSON array: a line is a URL or an object', () => {
    expect(() => parseInputLine('["https://x.example"]', 1)).toThrow('line 1: expected a URL or a JSON object');
  });
});

describe('input errors and credentials', () => {
  it('never repeat the credentials of a URL they quote', () => {
    expect(() => parseInputLine(JSON.stringify({ url: 'ftp://ada:s3cret@files.test/x' }), 4)).toThrow(
      'line 4: "url" must be an absolute http(s) URL, got "ftp://***@files.test/x"',
    );
  });
});
