// Type-checks code written against the published declarations under the settings users have:
// `tsc --init`'s defaults (whose lib includes the DOM) and `@types/node` alone (no DOM lib).

import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtPackage, repoRoot } from '../helpers/built-package.js';

const run = promisify(execFile);

/** What `tsc --init` (TypeScript 6) writes, less the emit settings: no `lib`, so the DOM is in. */
const tscInitDefaults = {
  module: 'nodenext',
  target: 'esnext',
  types: [],
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  strict: true,
  jsx: 'react-jsx',
  verbatimModuleSyntax: true,
  isolatedModules: true,
  noUncheckedSideEffectImports: true,
  moduleDetection: 'force',
  skipLibCheck: true,
};

/** A Node program's typical settings without the DOM: the web globals come from `@types/node`. */
const nodeOnly = {
  module: 'nodenext',
  target: 'es2023',
  lib: ['es2023'],
  types: ['node'],
  strict: true,
  exactOptionalPropertyTypes: true,
  skipLibCheck: true,
};

const fixtures = join(repoRoot, 'test/types/fixtures');
let pkg: string;

beforeAll(async () => {
  pkg = await builtPackage();
}, 180_000);

/** Runs tsc over `files` with `options`, resolving `sluice` to the built package; returns its output. */
async function typeCheck(name: string, options: Record<string, unknown>, files: string[]): Promise<string> {
  const dir = join(pkg, 'types', name);
  await mkdir(dir, { recursive: true });
  const tsconfig = {
    compilerOptions: {
      ...options,
      noEmit: true,
      // As a dependency is found in node_modules: the ESM declarations its exports map names.
      paths: {
        sluice: [join(pkg, 'dist/index.d.ts')],
        'sluice/undici': [join(pkg, 'dist/undici.d.ts')],
        'sluice/prometheus': [join(pkg, 'dist/prometheus.d.ts')],
        'sluice/otel': [join(pkg, 'dist/otel.d.ts')],
      },
    },
    files,
  };
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  try {
    await run(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: repoRoot, timeout: 120_000 });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

describe.each([
  ['tsc --init defaults (lib with the DOM)', 'dom', tscInitDefaults],
  ['@types/node alone (lib es2023)', 'node', nodeOnly],
])('under %s', (_, name, options) => {
  it('client.fetch and fetch are assignable to typeof globalThis.fetch; options do not collide', async () => {
    expect(await typeCheck(name, options, [join(fixtures, 'fetch-signature.ts')])).toBe('');
  }, 120_000);
});

describe('the README', () => {
  it("compiles every TypeScript snippet under tsc --init's defaults", async () => {
    const files = await readmeSnippets(join(pkg, 'types/readme'));
    expect(files.length).toBeGreaterThanOrEqual(5);
    expect(await typeCheck('readme', tscInitDefaults, files)).toBe('');
  }, 120_000);
});

/**
 * Writes each ```ts block of README.md to a module of its own. A snippet may use `url` without
 * defining it (the README's shorthand for "your URL"); it is declared for those that do.
 */
async function readmeSnippets(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
  const files: string[] = [];
  for (const [index, block] of blocks.entries()) {
    const prelude = /\b(const|let)\s+url\b/.test(block) ? '' : 'declare const url: string;\n';
    const file = join(dir, `snippet-${index + 1}.ts`);
    await writeFile(file, `${prelude}${block}`);
    files.push(file);
  }
  return files;
}
