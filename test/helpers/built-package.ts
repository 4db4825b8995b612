// The package as users install it (tsup's build of src/), for the tests that must check what is
// published — its type declarations, what loading it does on an old Node. Built once per source.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Builds the package into `node_modules/.cache/sluice-package/<hash of the sources>/dist` (not the
 * repo's own dist/, which a benchmark may be rebuilding meanwhile) and returns that directory's
 * parent, laid out like the installed package: `package.json` and `dist/`. Test files running in
 * parallel share one build: the first takes a lock directory, the others wait for the result.
 */
export async function builtPackage(): Promise<string> {
  const hash = await sourceHash();
  const root = join(repoRoot, 'node_modules/.cache/sluice-package');
  const dir = join(root, hash);
  if (existsSync(join(dir, 'dist/index.d.ts'))) return dir;
  await mkdir(root, { recursive: true });
  const lock = join(root, `${hash}.lock`);
  for (let waited = 0; ; waited += 200) {
    try {
      await mkdir(lock);
      break;
    } catch {
      if (existsSync(join(dir, 'dist/index.d.ts'))) return dir;
      // A build that crashed leaves its lock behind; a real build takes well under a minute.
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 120_000) await rm(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    const staging = `${dir}.staging`;
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    // The pinned Node runs tsup (it needs Node 22+); its config is the published build's.
    await run(process.execPath, [join(repoRoot, 'node_modules/tsup/dist/cli-default.js'), '--silent', '--out-dir', join(staging, 'dist')], {
      cwd: repoRoot,
      timeout: 120_000,
    });
    await writeFile(join(staging, 'package.json'), await readFile(join(repoRoot, 'package.json')));
    await rename(staging, dir);
    // Builds of older sources are of no further use.
    for (const entry of await readdir(root)) {
      if (entry !== hash && !entry.endsWith('.lock')) await rm(join(root, entry), { recursive: true, force: true });
    }
    return dir;
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** What the build depends on: the sources, the build config and the manifest (its exports). */
async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  const files = [...(await listFiles(join(repoRoot, 'src'))), join(repoRoot, 'tsup.config.ts'), join(repoRoot, 'package.json')];
  for (const file of files.sort()) {
    hash.update(file.slice(repoRoot.length));
    hash.update(await readFile(file));
  }
  return hash.digest('hex').slice(0, 16);
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}
