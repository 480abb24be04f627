import { installSchema, schemaStatus } from '@helios/core/db';
import type { Command } from 'commander';
import { resolveTarget } from './db-commands';
import { type Output, withDb } from './output';

/**
 * `helios start`: what `npm start` runs. For now it installs the schema into the configured
 * database (the embedded default without DATABASE_URL) and prints its status; the reference
 * server will be served from here.
 */
export function registerStartCommand(program: Command, makeOutput: (json: boolean) => Output): void {
  program
    .command('start')
    .description('install the schema on first run and report the database status')
    .option('--database-url <url>', 'PostgreSQL URL (default: $DATABASE_URL, else the embedded database in .helios/data)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { databaseUrl?: string; json?: boolean }) => {
      const out = makeOutput(Boolean(opts.json));
      const target = resolveTarget(opts);
      await withDb(out, target, async (db) => {
        const install = await installSchema(db);
        const status = await schemaStatus(db);
        out.result({ database: target.label, install, status }, [`Database: ${target.label}`, install.message, status.message].join('\n'));
        return 0;
      });
    });
}
