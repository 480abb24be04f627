import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { uuid_ossp } from '@electric-sql/pglite/contrib/uuid_ossp';
import { createDb, installSchema } from '@helios/core/db';
import pg from 'pg';
import { startPostgresContainer } from './container';
import { randomRunId, type TestDatabaseConfig, templateName, withDatabase } from './shared';

/**
 * Prepares the template every test database is cloned from: on the PostgreSQL server of
 * `databaseUrl` a template database (created once per schema version, under an advisory lock so
 * parallel runs agree), or, without a URL, two dumps of the embedded database (installed, empty).
 * Returns the config to hand to test files and a teardown.
 */
export async function prepareTestDatabases(
  databaseUrl: string | undefined = process.env.DATABASE_URL,
): Promise<{
  /** What each test file needs to clone its own database from the template. */
  config: TestDatabaseConfig;
  /** Drops what this run created (its test databases, the container or the dumps). */
  teardown: () => Promise<void>;
}> {
  if (!databaseUrl) {
    // No DATABASE_URL: PostgreSQL in a container when Docker answers and testcontainers is installed.
    const choice = await startPostgresContainer();
    if ('container' in choice) {
      const { container } = choice;
      try {
        const prepared = await prepareTestDatabases(container.url);
        return {
          config: prepared.config,
          teardown: () => prepared.teardown().finally(() => container.stop()),
        };
      } catch (error) {
        await container.stop();
        throw error;
      }
    }
    if (choice.reason === 'not-installed') {
      console.warn(
        '@helios/testing: a Docker engine answers; `npm install -D @testcontainers/postgresql` to test on PostgreSQL in a container (embedded for now)',
      );
    }
  }
  const runId = randomRunId();
  if (databaseUrl) {
    const template = templateName();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query('select pg_advisory_lock(hashtext($1))', ['helios:test-template']);
      const exists = await client.query('select 1 from pg_database where datname = $1', [template]);
      if (exists.rowCount === 0) {
        const building = `${template}_building`;
        await client.query(`drop database if exists "${building}"`);
        await client.query(`create database "${building}" template template0`);
        const db = createDb({ connectionString: withDatabase(databaseUrl, building), max: 1 });
        try {
          await installSchema(db);
        } finally {
          await db.destroy();
        }
        await client.query(`alter database "${building}" rename to "${template}"`);
        await client.query(`alter database "${template}" with is_template true`);
        await client.query(
          `comment on database "${template}" is ${pg.escapeLiteral(`helios test template, created ${new Date().toISOString()}`)}`,
        );
        // Older templates belong to older schema versions. Another run (another checkout) may still be
        // cloning one, so only those unused for a day go.
        const stale = await client.query(
          `select d.datname, shobj_description(d.oid, 'pg_database') as note from pg_database d
            where d.datname like 'helios\\_tpl\\_%' and d.datname <> $1 and d.datname not like '%\\_building'`,
          [template],
        );
        const dayAgo = Date.now() - 24 * 3600_000;
        stale.rows = stale.rows.filter((row: { note: string | null }) => {
          const created = Date.parse(/created (\S+)$/.exec(row.note ?? '')?.[1] ?? '');
          return Number.isNaN(created) || created < dayAgo;
        });
        for (const row of stale.rows) {
          await client
            .query(`alter database "${row.datname}" with is_template false`)
            .catch(() => {});
          await client.query(`drop database if exists "${row.datname}"`).catch(() => {});
        }
      }
    } finally {
      await client
        .query('select pg_advisory_unlock(hashtext($1))', ['helios:test-template'])
        .catch(() => {});
      await client.end();
    }
    return {
      config: { backend: 'postgres', adminUrl: databaseUrl, template, runId },
      teardown: async () => {
        const c = new pg.Client({ connectionString: databaseUrl });
        await c.connect();
        try {
          const left = await c.query(`select datname from pg_database where datname like $1`, [
            `helios_test_${runId}_%`,
          ]);
          for (const row of left.rows)
            await c.query(`drop database if exists "${row.datname}" with (force)`);
        } finally {
          await c.end();
        }
      },
    };
  }
  const dir = join(tmpdir(), `helios-test-${runId}`);
  mkdirSync(dir, { recursive: true });
  const pglite = await PGlite.create({ extensions: { pgcrypto, uuid_ossp } });
  try {
    const emptyDump = join(dir, 'empty.tar.gz');
    await writeDump(pglite, emptyDump);
    const db = createDb({ embedded: { pglite } });
    try {
      await installSchema(db);
    } finally {
      await db.destroy();
    }
    const installedDump = join(dir, 'installed.tar.gz');
    await writeDump(pglite, installedDump);
    return {
      config: { backend: 'embedded', installedDump, emptyDump, runId },
      teardown: async () => rmSync(dir, { recursive: true, force: true }),
    };
  } finally {
    await pglite.close();
  }
}

async function writeDump(pglite: PGlite, file: string): Promise<void> {
  const dump = await pglite.dumpDataDir('gzip');
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
}
