import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'vitest-setup': 'src/vitest-setup.ts', 'simulator-bin': 'src/simulator-bin.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  shims: true,
  target: 'node20',
  external: ['@helios/core', 'vitest'],
});
