import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { minimumNodeVersion, unsupportedNodeMessage } from '../../src/cli/node-version.js';

describe('unsupportedNodeMessage', () => {
  it('names both versions when Node is older than the minimum', () => {
    expect(unsupportedNodeMessage('20.20.2')).toMatch(/needs Node\.js 22\.19\.0 or later; this is Node\.js 20\.20\.2/);
    expect(unsupportedNodeMessage('22.18.9')).toBeDefined();
  });

  it('accepts the minimum and anything newer', () => {
    expect(unsupportedNodeMessage('22.19.0')).toBeUndefined();
    expect(unsupportedNodeMessage('22.20.0')).toBeUndefined();
    expect(unsupportedNodeMessage('24.1.0')).toBeUndefined();
    expect(unsupportedNodeMessage('100.0.0')).toBeUndefined();
  });

  it('agrees with engines.node in package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${minimumNodeVersion}`);
  });
});
