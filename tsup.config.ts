import { defineConfig } from 'tsup';

// prom-client and @opentelemetry/api are optional peers: the user's copy must be the one used.
const shared = { sourcemap: true, target: 'node22' as const, external: ['undici', 'p-retry', 'structured-headers', 'prom-client', '@opentelemetry/api'] };

export default defineConfig([
  // The library entries share one engine chunk (`splitting`), so `sluice` and `sluice/undici`
  // loaded together hold one copy of the engine and `instanceof` works across them.
  // src/node-support.ts (imported first by both entries) throws on a Node too old for undici 8.
  // It is an entry of its own so that it gets a chunk of its own: in the shared engine chunk, the
  // engine's static imports of undici would be evaluated before it. test/node-support.test.ts
  // loads the build on Node 20 to check. (package.json's `sideEffects` lists it, or esbuild would
  // drop the bare import.)
  {
    ...shared,
    entry: { index: 'src/index.ts', undici: 'src/undici/index.ts', prometheus: 'src/metrics/prometheus.ts', otel: 'src/metrics/otel.ts', 'node-support': 'src/node-support.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    splitting: true,
  },
  // The CLI uses top-level await, so it can only be ESM; tsup keeps its #! line and exec bit.
  { ...shared, entry: { cli: 'src/cli/main.ts' }, format: ['esm'], dts: false },
]);
