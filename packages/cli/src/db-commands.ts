import {
  adoptSchema,
  createDb,
  defaultEmbeddedDataDir,
  type InstallerProgress,
  installJobsSchema,
  installSchema,
  JOBS_SCHEMA,
  redactUrl,
  schemaStatus,
  upgradeSchema,
  verifySchema,
} from '@helios/core/db';
import type { Command } from 'commander';
import { EXIT, type Output, withDb } from './output';

interface DbOptions {
  databaseUrl?: string;
  json?: boolean;
}

interface UpgradeCommandOptions extends DbOptions {
  dryRun?: boolean;
  lockTimeout?: string;
}

/** Where a command connects: --database-url, else DATABASE_URL, else the embedded default. */
export function resolveTarget(options: DbOptions): {
  label: string;
  open: () => ReturnType<typeof createDb>;
} {
  const url = options.databaseUrl ?? process.env.DATABASE_URL;
  if (url)
    return { label: redactUrl(url), open: () => createDb({ connectionString: url, max: 2 }) };
  const dataDir = defaultEmbeddedDataDir();
  return { label: `embedded (${dataDir})`, open: () => createDb({ embedded: { dataDir } }) };
}

/**
 * On PostgreSQL, installs or upgrades graphile-worker's own schema (`graphile_worker`, never
 * `public`) next to the Helios schema; the embedded database queues jobs in process and needs none.
 */
async function installJobsSchemaFor(
  options: DbOptions,
): Promise<{ jobsSchema: string | null; line: string | null }> {
  const url = options.databaseUrl ?? process.env.DATABASE_URL;
  if (!url) return { jobsSchema: null, line: null };
  await installJobsSchema({ connectionString: url });
  return {
    jobsSchema: JOBS_SCHEMA,
    line: `Job queue schema "${JOBS_SCHEMA}" (graphile-worker) installed and up to date`,
  };
}

function progress(out: Output) {
  return (p: InstallerProgress) => out.progress(p.step, p.done, p.total);
}

export function registerDbCommands(program: Command, makeOutput: (json: boolean) => Output): void {
  const db = program
    .command('db')
    .description('install, upgrade, verify, adopt and inspect the Helios database schema');
  const common = (cmd: Command) =>
    cmd
      .option(
        '--database-url <url>',
        'PostgreSQL URL (default: $DATABASE_URL, else the embedded database in .helios/data)',
      )
      .option('--json', 'machine-readable output');

  common(
    db
      .command('install')
      .description('install the schema into an empty database (a second run changes nothing)'),
  ).action(async (opts: DbOptions) => {
    const out = makeOutput(Boolean(opts.json));
    await withDb(out, resolveTarget(opts), async (handle) => {
      const result = await installSchema(handle, { onProgress: progress(out) });
      const jobs = await installJobsSchemaFor(opts);
      out.result(
        { ...result, jobsSchema: jobs.jobsSchema },
        [
          `${result.message} in ${(result.durationMs / 1000).toFixed(2)} s`,
          ...(jobs.line ? [jobs.line] : []),
        ].join('\n'),
      );
      return 0;
    });
  });

  common(
    db
      .command('verify')
      .description('compare the database with the expected schema and list every drift'),
  ).action(async (opts: DbOptions) => {
    const out = makeOutput(Boolean(opts.json));
    await withDb(out, resolveTarget(opts), async (handle) => {
      const result = await verifySchema(handle);
      const lines = result.drifts.map((d) => `  - ${d.message}`);
      out.result(result, [result.message, ...lines].join('\n'));
      return result.compatible ? 0 : 1;
    });
  });

  common(
    db
      .command('adopt')
      .description('upgrade a predecessor installation (live schema) in place, keeping every row'),
  ).action(async (opts: DbOptions) => {
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
      const jobs = await installJobsSchemaFor(opts);
      out.result(
        { ...result, jobsSchema: jobs.jobsSchema },
        [
          `${result.message} in ${(result.durationMs / 1000).toFixed(2)} s`,
          ...lines,
          ...(jobs.line ? [jobs.line] : []),
        ].join('\n'),
      );
      return 0;
    });
  });

  common(
    db
      .command('upgrade')
      .description(
        'apply the pending schema migrations, each under the installer lock (--dry-run lists them and changes nothing)',
      )
      .option('--dry-run', 'list the pending migrations and change nothing')
      .option(
        '--lock-timeout <ms>',
        'how long a step may wait for a table lock before it is retried (default 500)',
      ),
  ).action(async (opts: UpgradeCommandOptions) => {
    const out = makeOutput(Boolean(opts.json));
    const lockTimeoutMs = opts.lockTimeout === undefined ? undefined : Number(opts.lockTimeout);
    if (lockTimeoutMs !== undefined && !(Number.isInteger(lockTimeoutMs) && lockTimeoutMs > 0)) {
      out.error(
        new Error(
          `--lock-timeout must be a positive number of milliseconds, got "${opts.lockTimeout}"`,
        ),
      );
      process.exitCode = EXIT.usage;
      return;
    }
    await withDb(out, resolveTarget(opts), async (handle) => {
      const result = await upgradeSchema(handle, {
        dryRun: Boolean(opts.dryRun),
        ...(lockTimeoutMs ? { lockTimeoutMs } : {}),
        onProgress: (p) => out.progress(p.step, p.done, p.total),
      });
      const lines = result.migrations.map(
        (m) =>
          `  ${String(m.version).padStart(4, '0')}_${m.name} (${m.steps.join(', ')})${m.durationMs === undefined ? '' : `: ${(m.durationMs / 1000).toFixed(2)} s`}`,
      );
      const took =
        result.action === 'upgraded' ? ` in ${(result.durationMs / 1000).toFixed(2)} s` : '';
      out.result(result, [`${result.message}${took}`, ...lines].join('\n'));
      return 0;
    });
  });

  common(db.command('status').description('what is installed, which version, when')).action(
    async (opts: DbOptions) => {
      const out = makeOutput(Boolean(opts.json));
      await withDb(out, resolveTarget(opts), async (handle) => {
        const result = await schemaStatus(handle);
        const lines = result.versions.map(
          (v) => `  version ${v.version} ${v.name}: ${v.method} at ${v.appliedAt.toISOString()}`,
        );
        const pending = result.pending.map(
          (p) => `  pending: version ${p.version} ${p.name} (${p.steps.join(', ')})`,
        );
        out.result(result, [result.message, ...lines, ...pending].join('\n'));
        return 0;
      });
    },
  );
}
