// Builds sluice from src/ the way the published package is built (esbuild, as tsup does; no
// keepNames), into .bench-results/build/, so the benchmark measures what users run. Running src/
// through tsx instead wraps every named closure in esbuild's `__name()`, which gives each one a
// 256-byte property store: +2.3 KB per queued request and extra CPU per call, none of it
// sluice's own. The peers come from node_modules untransformed, so that would be unfair.

import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** What a client imports: the built bundle, or src/ under tsx when SLUICE_BENCH_SOURCE=src. */
export type SluiceModule = typeof import('../../src/index.js');
/** The `sluice/undici` entry (the interceptor). */
export type SluiceUndiciModule = typeof import('../../src/undici/index.js');
/** The `sluice/prometheus` entry. */
export type SluicePrometheusModule = typeof import('../../src/metrics/prometheus.js');

const undiciEntry = `${root}src/undici/index.ts`;
const prometheusEntry = `${root}src/metrics/prometheus.ts`;

/**
 * Bundles src/index.ts (and src/undici/index.ts) to ESM files, dependencies external like the
 * package, sharing chunks as tsup does; returns their paths.
 */
/** How both builds bundle sluice: one ESM file per entry (shared chunks split out), node_modules left outside. */
const bundleOptions = { bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node22', packages: 'external', logLevel: 'warning' } as const;

export async function buildSluice(): Promise<{ main: string; undici: string | undefined; prometheus: string | undefined }> {
  const outdir = `${root}.bench-results/build`;
  const hasUndici = existsSync(undiciEntry);
  const hasPrometheus = existsSync(prometheusEntry);
  await build({
    entryPoints: {
      sluice: `${root}src/index.ts`,
      ...(hasUndici ? { 'sluice-undici': undiciEntry } : {}),
      ...(hasPrometheus ? { 'sluice-prometheus': prometheusEntry } : {}),
    },
    outdir,
    ...bundleOptions,
    sourcemap: true,
  });
  return {
    main: `${outdir}/sluice.js`,
    undici: hasUndici ? `${outdir}/sluice-undici.js` : undefined,
    prometheus: hasPrometheus ? `${outdir}/sluice-prometheus.js` : undefined,
  };
}

/**
 * Bundles src/index.ts as it is at git `ref` (exported to .bench-results/baseline/, inside the
 * repository so its bare imports resolve to this node_modules), for a side-by-side run of the
 * code before a change (`npm run bench -- --only=1 --baseline=main`). Returns the bundle's path.
 */
export async function buildBaseline(ref: string): Promise<string> {
  const dir = `${root}.bench-results/baseline`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const archive = execFileSync('git', ['archive', '--format=tar', ref, 'src'], { cwd: root, maxBuffer: 256 * 2 ** 20 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  const commit = execFileSync('git', ['rev-parse', '--short', ref], { cwd: root, encoding: 'utf8' }).trim();
  await build({
    entryPoints: { sluice: `${dir}/src/index.ts` },
    outdir: `${dir}/build`,
    // package.json's `sideEffects` names ./src/node-support.ts, not this copy of it: keep it as the main build does.
    ignoreAnnotations: true,
    ...bundleOptions,
  });
  process.env.SLUICE_BENCH_BASELINE_ENTRY = `${dir}/build/sluice.js`;
  process.env.SLUICE_BENCH_BASELINE_REF = `${ref} (${commit})`;
  return `${ref} (${commit})`;
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
    if (built.prometheus) process.env.SLUICE_BENCH_PROMETHEUS_ENTRY = built.prometheus;
  }
  return `a fresh esbuild bundle of src/ (${process.env.SLUICE_BENCH_ENTRY.replace(root, '')})`;
}

/** The sluice a benchmark process should load: SLUICE_BENCH_ENTRY (set by the runner) or src/. */
export async function loadSluice(): Promise<SluiceModule> {
  const entry = process.env.SLUICE_BENCH_ENTRY;
  return (await import(entry ?? '../../src/index.js')) as SluiceModule;
}

/** The `sluice/prometheus` entry, built like `loadSluice`'s. */
export async function loadSluicePrometheus(): Promise<SluicePrometheusModule> {
  const entry = process.env.SLUICE_BENCH_PROMETHEUS_ENTRY;
  return (await import(entry ?? '../../src/metrics/prometheus.js')) as SluicePrometheusModule;
}

/** The sluice of `--baseline` (see `buildBaseline`). */
export async function loadSluiceBaseline(): Promise<SluiceModule> {
  const entry = process.env.SLUICE_BENCH_BASELINE_ENTRY;
  if (entry === undefined) throw new Error('sluice@baseline needs --baseline=REF (SLUICE_BENCH_BASELINE_ENTRY is not set)');
  return (await import(entry)) as SluiceModule;
}

/** The interceptor entry, built like `loadSluice`'s. */
export async function loadSluiceUndici(): Promise<SluiceUndiciModule> {
  const entry = process.env.SLUICE_BENCH_UNDICI_ENTRY;
  return (await import(entry ?? '../../src/undici/index.js')) as SluiceUndiciModule;
}
