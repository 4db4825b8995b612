import { defineConfig } from 'tsup';

// Two library entries share one engine chunk (`splitting`), so `sluice` and `sluice/undici`
// loaded together hold one copy of the engine and `instanceof` works across them.
export default defineConfig({
  entry: { index: 'src/index.ts', undici: 'src/undici/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  splitting: true,
  target: 'node22',
  external: ['undici', 'p-retry', 'structured-headers'],
});
