import { defineConfig } from 'tsup';

const shared = { sourcemap: true, target: 'node22' as const, external: ['undici', 'p-retry', 'structured-headers'] };

export default defineConfig([
  // Two library entries share one engine chunk (`splitting`), so `sluice` and `sluice/undici`
  // loaded together hold one copy of the engine and `instanceof` works across them.
  {
    ...shared,
    entry: { index: 'src/index.ts', undici: 'src/undici/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    splitting: true,
  },
  // The CLI uses top-level await, so it can only be ESM; tsup keeps its #! line and exec bit.
  { ...shared, entry: { cli: 'src/cli/main.ts' }, format: ['esm'], dts: false },
]);
