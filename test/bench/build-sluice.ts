// Builds sluice from src/ the way the published package is built (esbuild, as tsup does; no
// keepNames), into .bench-results/build/, so the benchmark measures what users run. Running src/
// through tsx instead wraps every named closure in esbuild's `__name()`, which gives each one a
// 256-byte property store: +2.3 KB per queued request and extra CPU per call, none of it
// sluice's own. The peers come from node_modules untransformed, so that would be unfair.

import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** What a client imports: the built bundle, or src/ under tsx when SLUICE_BENCH_SOURCE=src. */
export type SluiceModule = typeof import('../../src/index.js');
/** The `sluice/undici` entry (the interceptor). */
export type SluiceUndiciModule = typeof import('../../src/undici/index.js');

const undiciEntry = `${root}src/undici/index.ts`;

/**
 * Bundles src/index.ts (and src/undici/index.ts) to ESM files, dependencies external like the
 * package, sharing chunks as tsup does; returns their paths.
 */
export async function buildSluice(): Promise<{ main: string; undici: string | undefined }> {
  const outdir = `${root}.bench-results/build`;
  const hasUndici = existsSync(undiciEntry);
  await build({
    entryPoints: { sluice: `${root}src/index.ts`, ...(hasUndici ? { 'sluice-undici': undiciEntry } : {}) },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
  return { main: `${outdir}/sluice.js`, undici: hasUndici ? `${outdir}/sluice-undici.js` : undefined };
}

/**
 * Makes this process and the children it starts load the built sluice (built now), unless
 * SLUICE_BENCH_SOURCE=src asks for src/ under tsx. Returns what will be loaded, for the report.
 */
export async function useBuiltSluice(): Promise<string> {
  if (process.env.SLUICE_BENCH_SOURCE === 'src') {
    delete process.env.SLUICE_BENCH_ENTRY;
    return 'src/ under tsx (SLUICE_BENCH_SOURCE=src)';
  }
  if (process.env.SLUICE_BENCH_ENTRY === undefined) {
    const built = await buildSluice();
    process.env.SLUICE_BENCH_ENTRY = built.main;
    if (built.undici) process.env.SLUICE_BENCH_UNDICI_ENTRY = built.undici;
  }
  return `a fresh esbuild bundle of src/ (${process.env.SLUICE_BENCH_ENTRY.replace(root, '')})`;
}

/** The sluice a benchmark process should load: SLUICE_BENCH_ENTRY (set by the runner) or src/. */
export async function loadSluice(): Promise<SluiceModule> {
  const entry = process.env.SLUICE_BENCH_ENTRY;
  return (await import(entry ?? '../../src/index.js')) as SluiceModule;
}

/** The interceptor entry, built like `loadSluice`'s. */
export async function loadSluiceUndici(): Promise<SluiceUndiciModule> {
  const entry = process.env.SLUICE_BENCH_UNDICI_ENTRY;
  return (await import(entry ?? '../../src/undici/index.js')) as SluiceUndiciModule;
}
