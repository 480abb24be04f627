import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DB_ERRORS } from './db.errors';
import type { SchemaFacts } from './introspect';

/** The schema version that `database/schema_organization.sql` installs. */
export const BASELINE_VERSION = 1;

/** The sections of the schema file, in the order they run. */
export const SCHEMA_SECTIONS = ['extensions', 'tables', 'routines', 'seeds', 'meta'] as const;
export type SchemaSection = (typeof SCHEMA_SECTIONS)[number];

let cachedDir: string | undefined;

/**
 * The folder holding schema_organization.sql, schema-snapshot.json and schema-manifest.json:
 * `HELIOS_SCHEMA_DIR`, else the package's own `sql/` (published builds), else the repository's
 * `database/` (running from source).
 */
export function schemaDir(): string {
  if (cachedDir) return cachedDir;
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    process.env.HELIOS_SCHEMA_DIR,
    join(here, '..', 'sql'),
    join(here, '..', '..', 'sql'),
    // The repository's database/: from packages/core/src/db (source) or packages/core/dist (a build).
    join(here, '..', '..', '..', '..', 'database'),
    join(here, '..', '..', '..', 'database'),
  ].filter((c): c is string => Boolean(c));
  const found = candidates.find((dir) => existsSync(join(dir, 'schema_organization.sql')));
  if (!found) {
    throw DB_ERRORS.INSTALL_SCHEMA_FILE_MISSING({
      message: `schema_organization.sql not found (looked in ${candidates.join(', ')})`,
    });
  }
  cachedDir = found;
  return found;
}

/** The text of the consolidated schema file. */
export function readSchemaSql(): string {
  return readFileSync(join(schemaDir(), 'schema_organization.sql'), 'utf8');
}

/** The schema file cut into its `-- @section NAME` parts. */
export function readSchemaSections(): Record<SchemaSection, string> {
  const text = readSchemaSql();
  const parts: Partial<Record<SchemaSection, string>> = {};
  const marker = /^-- @section (\w+)\s*$/gm;
  const hits = [...text.matchAll(marker)];
  hits.forEach((hit, i) => {
    const name = hit[1] as SchemaSection;
    const end = i + 1 < hits.length ? hits[i + 1]!.index : text.length;
    parts[name] = text.slice(hit.index + hit[0].length, end);
  });
  for (const s of SCHEMA_SECTIONS) {
    if (parts[s] === undefined)
      throw DB_ERRORS.INSTALL_SCHEMA_FILE_INVALID({
        message: `schema_organization.sql lacks its "${s}" section`,
      });
  }
  return parts as Record<SchemaSection, string>;
}

/** The facts a Helios database must have (generated from a fresh install: `npm run db:generate`). */
export function readExpectedSchema(): SchemaFacts {
  return JSON.parse(readFileSync(join(schemaDir(), 'schema-snapshot.json'), 'utf8')) as SchemaFacts;
}

/** The live schema manifest: the facts of existing installations made by the predecessor. */
export function readLiveManifest(): SchemaFacts & {
  groups: Record<string, string[]>;
  seed_rows: Record<string, unknown>;
} {
  return JSON.parse(readFileSync(join(schemaDir(), 'schema-manifest.json'), 'utf8'));
}
