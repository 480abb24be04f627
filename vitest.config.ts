import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';
import { databaseFreeTests } from './scripts/database-free-tests.ts';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// CI's embedded pass (HELIOS_TEST_DATABASE_ONLY=1, after the PostgreSQL pass ran everything) skips
// the files that never touch a database; a plain `npm test` runs every file.
const skipped = process.env.HELIOS_TEST_DATABASE_ONLY === '1' ? databaseFreeTests(src('.')) : [];
if (skipped.length > 0)
  console.log(`Database-free test files, run by the PostgreSQL pass only: ${skipped.length}`);

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
    exclude: [...configDefaults.exclude, ...skipped],
    globalSetup: ['./packages/testing/src/vitest-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { HELIOS_SCHEMA_DIR: src('./database') },
  },
});
