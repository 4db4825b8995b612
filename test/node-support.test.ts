// Loading the built package on a Node older than it supports must fail with a message naming the
// Node it needs. The machines' system Node (20) is that old Node: the test runs the package on it.

import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { isSupportedNode, minimumNodeVersion, unsupportedNodeError } from '../src/node-support.js';
import { builtPackage } from './helpers/built-package.js';

const run = promisify(execFile);

describe('isSupportedNode', () => {
  it.each([
    ['20.20.2', false],
    ['22.18.9', false],
    ['22.19.0', true],
    ['22.20.0', true],
    ['24.21.0', true],
    ['100.0.0', true],
  ])('%s: %s', (version, supported) => {
    expect(isSupportedNode(version)).toBe(supported);
  });

  it('agrees with engines.node in package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${minimumNodeVersion}`);
  });

  it('names both versions in its error, with a stable code', () => {
    const error = unsupportedNodeError('20.20.2');
    expect(error.message).toMatch(/^sluice needs Node\.js 22\.19\.0 or later .*; this is Node\.js 20\.20\.2\./);
    expect(error).toMatchObject({ code: 'SLUICE_UNSUPPORTED_NODE' });
  });
});

// The system Node, when it is one sluice does not support (as on these machines: v20).
const oldNode = '/usr/bin/node';
const oldVersion = existsSync(oldNode) ? (await run(oldNode, ['--version'])).stdout.trim().slice(1) : undefined;
const haveOldNode = oldVersion !== undefined && !isSupportedNode(oldVersion);

describe.skipIf(!haveOldNode)(`the built package on Node ${oldVersion ?? '(none older installed)'}`, () => {
  let pkg: string;
  beforeAll(async () => {
    pkg = await builtPackage();
  }, 180_000);

  // Each entry, loaded both ways; undici 8 would otherwise die while loading with
  // "Cannot read properties of undefined (reading 'bind')".
  it.each([
    ['import', 'index.js'],
    ['import', 'undici.js'],
    ['require', 'index.cjs'],
    ['require', 'undici.cjs'],
    ['import', 'redis.js'],
    ['require', 'redis.cjs'],
  ])('%s of dist/%s fails first, with a message naming the Node it needs', async (how, file) => {
    const path = join(pkg, 'dist', file);
    const script =
      how === 'import'
        ? `import(${JSON.stringify(path)}).then(() => console.log('loaded'), (e) => { console.error(e.code + ': ' + e.message); process.exit(3); })`
        : `try { require(${JSON.stringify(path)}); console.log('loaded'); } catch (e) { console.error(e.code + ': ' + e.message); process.exit(3); }`;
    const result = await run(oldNode, ['-e', script]).then(
      ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(result.code).toBe(3);
    expect(result.stderr.trim()).toBe(`SLUICE_UNSUPPORTED_NODE: ${unsupportedNodeError(oldVersion!).message}`);
  });
});
