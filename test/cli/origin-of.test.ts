import { describe, expect, it } from 'vitest';
import { OriginCache } from '../../src/cli/origin-of.js';

describe('OriginCache', () => {
  it('gives the URL standard origin: default ports dropped, host lower-cased, no credentials', () => {
    const origins = new OriginCache();
    expect(origins.of('https://API.example.com:443/users/1?page=2')).toBe('https://api.example.com');
    expect(origins.of('http://user:secret@127.0.0.1:8080/x')).toBe('http://127.0.0.1:8080');
    expect(origins.of('http://[::1]:9000?q=1')).toBe('http://[::1]:9000');
    expect(origins.of('http://example.com#frag')).toBe('http://example.com');
    expect(origins.of('not a url')).toBe('(invalid URL)');
  });

  it('answers for later URLs of a known authority from what it remembers, whatever their path', () => {
    const origins = new OriginCache();
    for (let i = 0; i < 3; i++) expect(origins.of(`https://a.example/${i}`)).toBe('https://a.example');
    // Same authority text, so the same origin; a different spelling of it is parsed on its own.
    expect(origins.of('https://a.example:443/z')).toBe('https://a.example');
  });

  it('keeps answering correctly past the number of authorities it remembers', () => {
    const origins = new OriginCache();
    for (let i = 0; i < 1100; i++) expect(origins.of(`http://h${i}.example/p`)).toBe(`http://h${i}.example`);
    expect(origins.of('http://h1099.example/q')).toBe('http://h1099.example');
  });
});
