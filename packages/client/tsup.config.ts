import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  // No source maps in the published package (as @helios/core and @helios/testing): the output is not minified.
  sourcemap: false,
  target: 'node20',
});
