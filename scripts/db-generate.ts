/**
 * Regenerates the two files derived from database/schema_organization.sql:
 *   database/schema-snapshot.json                 the facts `helios db verify` compares against
 *   packages/core/src/db/database.generated.ts    the Kysely Database types
 * by installing the schema into a scratch database (DATABASE_URL's server, else embedded in memory).
 * Run: npm run db:generate
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import {
  createDb,
  generateDatabaseTypes,
  installSchema,
  introspectSchema,
} from '../packages/core/src/db';

const root = join(import.meta.dirname, '..');
// Always generate from the schema in database/, never from a stale built copy in packages/core/sql.
process.env.HELIOS_SCHEMA_DIR = join(root, 'database');
const url = process.env.DATABASE_URL;
let db: Kysely<any>;
let cleanup = async () => {};
if (url) {
  const admin = createDb({ connectionString: url });
  const name = `helios_generate_${process.pid}`;
  await sql`drop database if exists ${sql.id(name)}`.execute(admin);
  await sql`create database ${sql.id(name)} template template0`.execute(admin);
  const u = new URL(url);
  u.pathname = `/${name}`;
  db = createDb({ connectionString: u.toString() });
  cleanup = async () => {
    await db.destroy();
    await sql`drop database if exists ${sql.id(name)}`.execute(admin);
    await admin.destroy();
  };
} else {
  db = createDb({ embedded: {} });
  cleanup = () => db.destroy();
}
try {
  await installSchema(db);
  const facts = await introspectSchema(db);
  writeFileSync(
    join(root, 'database', 'schema-snapshot.json'),
    `${JSON.stringify(facts, null, 1)}\n`,
  );
  writeFileSync(
    join(root, 'packages', 'core', 'src', 'db', 'database.generated.ts'),
    generateDatabaseTypes(facts),
  );
  console.log(
    `wrote database/schema-snapshot.json (${Object.keys(facts.tables).length} tables, ${Object.keys(facts.views).length} views) and database.generated.ts`,
  );
} finally {
  await cleanup();
}
