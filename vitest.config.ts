import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests run against the packages' sources; the global setup builds the template database once
// (on DATABASE_URL's server, else embedded) and every test file clones its own.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@helios\/core\/db$/, replacement: src('./packages/core/src/db.ts') },
      { find: /^@helios\/core\/auth$/, replacement: src('./packages/core/src/auth.ts') },
      { find: /^@helios\/core\/internal$/, replacement: src('./packages/core/src/internal.ts') },
      { find: /^@helios\/core$/, replacement: src('./packages/core/src/index.ts') },
      { find: /^@helios\/testing$/, replacement: src('./packages/testing/src/index.ts') },
      { find: /^@helios\/server$/, replacement: src('./packages/server/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts'],
    globalSetup: ['./packages/testing/src/vitest-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { HELIOS_SCHEMA_DIR: src('./database') },
  },
});
