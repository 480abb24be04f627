import { readFileSync } from 'node:fs';
import { createDb, type Database } from '@helios/core/db';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { prepareTestDatabases } from './prepare';
import { PROVIDE_KEY, type TestDatabaseConfig, withDatabase } from './shared';

/** A database of its own for one test file: real PostgreSQL, or the embedded default. */
export interface TestDatabase {
  /** Typed handle on the database. */
  db: Kysely<Database>;
  backend: 'postgres' | 'embedded';
  /** The database's URL on a PostgreSQL server (null when embedded). */
  connectionString: string | null;
  /** Drops the database (PostgreSQL) or closes it (embedded). */
  destroy(): Promise<void>;
}

/** Options of `createTestDatabase`. */
export interface CreateTestDatabaseOptions {
  /** An empty database (extensions available, no schema) instead of an installed one. */
  empty?: boolean;
}

let counter = 0;
let fallback: Promise<TestDatabaseConfig> | undefined;

async function config(): Promise<TestDatabaseConfig> {
  try {
    const vitest = await import('vitest');
    const provided = vitest.inject(PROVIDE_KEY as never) as TestDatabaseConfig | undefined;
    if (provided) return provided;
  } catch {
    // Not inside vitest, or no global setup: prepare for this process alone.
  }
  fallback ??= prepareTestDatabases().then((prepared) => {
    process.once('beforeExit', () => void prepared.teardown());
    return prepared.config;
  });
  return fallback;
}

/**
 * Creates a fresh database for a test: cloned from the installed template (or empty), on the
 * PostgreSQL server of DATABASE_URL, or embedded when there is none. Use with the global setup
 * `@helios/testing/vitest-setup`, which builds the template once per run.
 *
 * @example
 * ```ts
 * const t = await createTestDatabase();
 * afterAll(() => t.destroy());
 * await t.db.selectFrom('feature_flags').selectAll().execute();
 * ```
 */
export async function createTestDatabase(
  options: CreateTestDatabaseOptions = {},
): Promise<TestDatabase> {
  const cfg = await config();
  if (cfg.backend === 'postgres') {
    const name = `helios_test_${cfg.runId}_${process.pid}_${++counter}`;
    const admin = new pg.Client({ connectionString: cfg.adminUrl });
    await admin.connect();
    try {
      await admin.query(
        `create database "${name}" template "${options.empty ? 'template0' : cfg.template}"`,
      );
    } finally {
      await admin.end();
    }
    const connectionString = withDatabase(cfg.adminUrl, name);
    const db = createDb({ connectionString });
    return {
      db,
      backend: 'postgres',
      connectionString,
      destroy: async () => {
        await db.destroy();
        const c = new pg.Client({ connectionString: cfg.adminUrl });
        await c.connect();
        try {
          await c.query(`drop database if exists "${name}" with (force)`);
        } finally {
          await c.end();
        }
      },
    };
  }
  const dump = readFileSync(options.empty ? cfg.emptyDump : cfg.installedDump);
  const db = createDb({ embedded: { loadDataDir: new Blob([dump]) } });
  return { db, backend: 'embedded', connectionString: null, destroy: () => db.destroy() };
}
