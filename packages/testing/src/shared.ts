import { createHash } from 'node:crypto';
import { readSchemaSql } from '@helios/core/db';

/** What the global setup hands to each test file (through vitest's provide/inject). */
export type TestDatabaseConfig =
  | { backend: 'postgres'; adminUrl: string; template: string; runId: string }
  | { backend: 'embedded'; installedDump: string; emptyDump: string; runId: string };

export const PROVIDE_KEY = 'heliosTestDatabase';

/** Template databases are named after the schema they hold, so a changed schema gets a new one. */
export function templateName(): string {
  const hash = createHash('sha256').update(readSchemaSql()).digest('hex').slice(0, 16);
  return `helios_tpl_${hash}`;
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
