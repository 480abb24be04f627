import { createHash } from 'node:crypto';
import { loadMigrations, readSchemaSql } from '@helios/core/db';

/** What the global setup hands to each test file (through vitest's provide/inject). */
export type TestDatabaseConfig =
  | { backend: 'postgres'; adminUrl: string; template: string; runId: string }
  | { backend: 'embedded'; installedDump: string; emptyDump: string; runId: string };

export const PROVIDE_KEY = 'heliosTestDatabase';

/**
 * Template databases are named after the schema they hold (the consolidated file and every migration),
 * so a changed schema or a new or edited migration gets a new one.
 */
export function templateName(): string {
  const hash = createHash('sha256').update(readSchemaSql());
  for (const migration of loadMigrations())
    hash.update(`\n${migration.version}:${migration.checksum}`);
  return `helios_tpl_${hash.digest('hex').slice(0, 16)}`;
}

/** The URL of another database on the same server. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export function randomRunId(): string {
  return `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
