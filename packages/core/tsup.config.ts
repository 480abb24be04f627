import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', db: 'src/db.ts', auth: 'src/auth.ts', internal: 'src/internal.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  shims: true,
  target: 'node20',
});
