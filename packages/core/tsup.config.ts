import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    db: 'src/db.ts',
    auth: 'src/auth.ts',
    internal: 'src/internal.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  // No source maps in the published package: the output is not minified (stack traces read as the
  // source), and maps would carry the whole source again (3.6 MB with sourcesContent).
  sourcemap: false,
  shims: true,
  target: 'node20',
});
