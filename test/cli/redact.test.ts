import { describe, expect, it } from 'vitest';
import { redactSecrets, redactUrl } from '../../src/cli/redact.js';

describe('credentials in URLs', () => {
  it('are replaced by *** while the rest of the URL, query string included, stays', () => {
    expect(redactUrl('https://ada:pw@api.test/x?token=q')).toBe('https://***:***@api.test/x?token=q');
    expect(redactUrl('https://tok3n@api.test/')).toBe('https://***@api.test/');
    expect(redactUrl('https://api.test/a@b')).toBe('https://api.test/a@b');
    expect(redactUrl('https://api.test/')).toBe('https://api.test/');
  });

  it('are taken out of any message that repeats them, encoded or not', () => {
    const url = 'https://ada:p%40ss@api.test/x';
    expect(redactSecrets(`failed ${url}: bad password p@ss for ada`, url)).toBe('failed https://***:***@api.test/x: bad password *** for ***');
  });
});
