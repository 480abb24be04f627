import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'vitest-setup': 'src/vitest-setup.ts',
    'simulator-bin': 'src/simulator-bin.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  // No source maps in the published package: the output is not minified (stack traces read as the
  // source), and maps would carry the whole source again (3.6 MB with sourcesContent).
  sourcemap: false,
  shims: true,
  target: 'node20',
  external: ['@helios/core', 'vitest'],
});
