import { adoptSchema, createDb, defaultEmbeddedDataDir, type InstallerProgress, installSchema, redactUrl, schemaStatus, verifySchema } from '@helios/core/db';
import type { Command } from 'commander';
import { type Output, withDb } from './output';

interface DbOptions {
  databaseUrl?: string;
  json?: boolean;
}

/** Where a command connects: --database-url, else DATABASE_URL, else the embedded default. */
export function resolveTarget(options: DbOptions): { label: string; open: () => ReturnType<typeof createDb> } {
  const url = options.databaseUrl ?? process.env.DATABASE_URL;
  if (url) return { label: redactUrl(url), open: () => createDb({ connectionString: url, max: 2 }) };
  const dataDir = defaultEmbeddedDataDir();
  return { label: `embedded (${dataDir})`, open: () => createDb({ embedded: { dataDir } }) };
}

function progress(out: Output) {
  return (p: InstallerProgress) => out.progress(p.step, p.done, p.total);
}

export function registerDbCommands(program: Command, makeOutput: (json: boolean) => Output): void {
  const db = program.command('db').description('install, verify, adopt and inspect the Helios database schema');
  const common = (cmd: Command) =>
    cmd
      .option('--database-url <url>', 'PostgreSQL URL (default: $DATABASE_URL, else the embedded database in .helios/data)')
      .option('--json', 'machine-readable output');

  common(db.command('install').description('install the schema into an empty database (a second run changes nothing)')).action(async (opts: DbOptions) => {
    const out = makeOutput(Boolean(opts.json));
    await withDb(out, resolveTarget(opts), async (handle) => {
      const result = await installSchema(handle, { onProgress: progress(out) });
      out.result(result, `${result.message} in ${(result.durationMs / 1000).toFixed(2)} s`);
      return 0;
    });
  });

  common(db.command('verify').description('compare the database with the expected schema and list every drift')).action(async (opts: DbOptions) => {
    const out = makeOutput(Boolean(opts.json));
    await withDb(out, resolveTarget(opts), async (handle) => {
      const result = await verifySchema(handle);
      const lines = result.drifts.map((d) => `  - ${d.message}`);
      out.result(result, [result.message, ...lines].join('\n'));
      return result.compatible ? 0 : 1;
    });
  });

  common(db.command('adopt').description('upgrade a predecessor installation (live schema) in place, keeping every row')).action(async (opts: DbOptions) => {
    const out = makeOutput(Boolean(opts.json));
    await withDb(out, resolveTarget(opts), async (handle) => {
      const result = await adoptSchema(handle, { onProgress: progress(out) });
      const lines =
        result.action === 'adopted'
          ? [
              `  renamed: ${result.renamedColumns.join(', ')}`,
              `  added columns: ${result.addedColumns.length} (${result.addedColumns.join(', ')})`,
              `  added indexes: ${result.addedIndexes.length}`,
              `  added checks: ${result.addedConstraints.length}`,
              `  seeded feature flags: ${result.seededFeatureFlags}`,
            ]
          : [];
      out.result(result, [`${result.message} in ${(result.durationMs / 1000).toFixed(2)} s`, ...lines].join('\n'));
      return 0;
    });
  });

  common(db.command('status').description('what is installed, which version, when')).action(async (opts: DbOptions) => {
    const out = makeOutput(Boolean(opts.json));
    await withDb(out, resolveTarget(opts), async (handle) => {
      const result = await schemaStatus(handle);
      const lines = result.versions.map((v) => `  version ${v.version} ${v.name}: ${v.method} at ${v.appliedAt.toISOString()}`);
      out.result(result, [result.message, ...lines].join('\n'));
      return 0;
    });
  });
}
