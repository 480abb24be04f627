import {
  createHelios,
  type GoogleSyncResult,
  type Helios,
  type HeliosScope,
  integrationOptionsFromEnv,
  isHeliosError,
  type MicrosoftSyncResult,
  resolveEncryptionKey,
  type SyncProgress,
} from '@helios/core';
import { defaultEmbeddedDataDir } from '@helios/core/db';
import type { Command } from 'commander';
import { EXIT, type Output } from './output';

interface SyncOptions {
  databaseUrl?: string;
  json?: boolean;
  dryRun?: boolean;
  full?: boolean;
  allowLargeRemovals?: boolean;
}

/** Exit codes of `helios sync google|microsoft`: 0 done, 1 stopped by the safety limit (nothing written), 2 any other error. */
export const SYNC_EXIT = { ok: EXIT.ok, safetyLimit: 1, failed: EXIT.failed } as const;

type Counts = { created: number; updated: number; unchanged: number; deactivated?: number };
const line = (name: string, c: Counts) =>
  `  ${name.padEnd(12)} created ${c.created}, updated ${c.updated}, unchanged ${c.unchanged}, deactivated ${c.deactivated ?? 0}`;
const heading = (result: { dryRun: boolean; durationMs: number }) =>
  result.dryRun ? 'Plan (dry run, nothing written):' : `Sync completed in ${result.durationMs} ms:`;

function describeGoogle(result: GoogleSyncResult): string {
  const { counts, fetched } = result;
  return [
    heading(result),
    `  fetched      ${fetched.users} users, ${fetched.groups} groups, ${fetched.members} members, ${fetched.orgUnits} org units`,
    line('users', counts.users),
    line('groups', counts.groups),
    line('org units', counts.orgUnits),
    line('memberships', counts.memberships),
    `  links        ${counts.links.linked} linked, ${counts.links.unlinked} without a portal user`,
    ...warningLines(fetched.warnings),
  ].join('\n');
}

/** The run's warnings (values stored cleaned), when there are any. */
function warningLines(
  warnings:
    | { total: number; items: Array<{ entity: string; id: string; fields: string[] }> }
    | undefined,
): string[] {
  if (!warnings || warnings.total === 0) return [];
  return [
    `  warnings     ${warnings.total} fetched object(s) held text that cannot be stored (NUL, unpaired surrogates): stored cleaned (SYNC.TEXT_SANITIZED)`,
    ...warnings.items
      .slice(0, 5)
      .map((w) => `               ${w.entity} ${w.id}: ${w.fields.join(', ')}`),
  ];
}

function describeMicrosoft(result: MicrosoftSyncResult): string {
  const { counts, fetched } = result;
  const mode =
    result.mode === 'full'
      ? result.fellBackToFull
        ? 'full (the delta links had expired)'
        : 'full'
      : 'incremental (changes since the last run)';
  return [
    heading(result),
    `  mode         ${mode}`,
    `  fetched      ${fetched.users} users, ${fetched.groups} groups, ${fetched.members} members, ${fetched.licences} licences in ${fetched.pages} Graph requests`,
    line('users', counts.users),
    line('groups', counts.groups),
    line('memberships', counts.memberships),
    line('licences', counts.licences),
    `  links        ${counts.links.linked} linked, ${counts.links.unlinked} without a portal user`,
    ...warningLines(fetched.warnings),
  ].join('\n');
}

/**
 * What to do when no credentials are stored, said for the command line: the SDK's message says "run
 * configure first", and the CLI has no configure command. The hint points to what exists (the REST
 * route, the SDK call, the guide); the error and its code stay as they are.
 */
const NOT_CONFIGURED_HINTS: Record<string, string> = {
  'GOOGLE.NOT_CONFIGURED':
    'the CLI does not store credentials: as an admin, PUT /api/v1/integrations/google-workspace/credentials on the server ({ serviceAccountKey, adminEmail, domain }) or call helios.as(admin).google.credentials.configure(...) with the SDK, then run this again (see docs/google-workspace.md)',
  'MICROSOFT.NOT_CONFIGURED':
    'the CLI does not store credentials: as an admin, PUT /api/v1/integrations/microsoft-365/credentials on the server ({ tenantId, clientId, clientSecret }) or call helios.as(admin).microsoft.credentials.configure(...) with the SDK, then run this again (see docs/microsoft-365.md)',
};

/** What to do about `error` on the command line, when the CLI knows better than the SDK's message. */
export function cliHint(error: unknown): string | undefined {
  return isHeliosError(error) ? NOT_CONFIGURED_HINTS[error.code] : undefined;
}

/** Opens Helios as the CLI does everywhere: DATABASE_URL or the embedded database, the key, the integration endpoints. */
async function openHelios(opts: SyncOptions): Promise<Helios> {
  const url = opts.databaseUrl ?? process.env.DATABASE_URL;
  const key = resolveEncryptionKey();
  return createHelios({
    ...(url ? { databaseUrl: url } : { embedded: { dataDir: defaultEmbeddedDataDir() } }),
    encryptionKey: key.key,
    ...(key.auditKey ? { auditKey: key.auditKey } : {}),
    previousEncryptionKeys: key.previousKeys,
    integrations: integrationOptionsFromEnv(),
  });
}

function registerOne<R extends { dryRun: boolean; durationMs: number }>(
  sync: Command,
  makeOutput: (json: boolean) => Output,
  spec: {
    name: string;
    description: string;
    full: boolean;
    run: (
      scope: HeliosScope,
      opts: SyncOptions,
      onProgress: (p: SyncProgress) => void,
    ) => Promise<R>;
    describe: (result: R) => string;
  },
): void {
  const command = sync
    .command(spec.name)
    .description(spec.description)
    .option('--dry-run', 'plan only: fetch and count the changes, write nothing');
  if (spec.full)
    command.option('--full', 'a full reconciliation instead of the changes since the last run');
  command
    .option(
      '--allow-large-removals',
      'accept removing more than the safety limit (10%) of synced users or groups',
    )
    .option(
      '--database-url <url>',
      'PostgreSQL URL (default: $DATABASE_URL, else the embedded database in .helios/data)',
    )
    .option('--json', 'machine-readable output')
    .action(async (opts: SyncOptions) => {
      const out = makeOutput(Boolean(opts.json));
      let helios: Helios | undefined;
      try {
        helios = await openHelios(opts);
        const result = await spec.run(helios.as({ type: 'system', name: 'cli' }), opts, (p) =>
          out.progress(p.message ?? p.phase, p.done, p.total ?? p.done),
        );
        out.result(result, spec.describe(result));
        process.exitCode = SYNC_EXIT.ok;
      } catch (error) {
        out.error(error, cliHint(error));
        process.exitCode =
          isHeliosError(error) && error.code === 'SYNC.SAFETY_LIMIT'
            ? SYNC_EXIT.safetyLimit
            : SYNC_EXIT.failed;
      } finally {
        await helios?.close().catch(() => {});
      }
    });
}

/** `helios sync google` and `helios sync microsoft`. */
export function registerSyncCommands(
  program: Command,
  makeOutput: (json: boolean) => Output,
): void {
  const sync = program.command('sync').description('directory sync from connected platforms');
  registerOne(sync, makeOutput, {
    name: 'google',
    description:
      'sync users, groups, org units and memberships from Google Workspace (exit 1: stopped by the safety limit)',
    full: false,
    run: (scope, opts, onProgress) =>
      scope.google.sync.sync({
        dryRun: Boolean(opts.dryRun),
        allowLargeRemovals: Boolean(opts.allowLargeRemovals),
        onProgress,
      }),
    describe: describeGoogle,
  });
  registerOne(sync, makeOutput, {
    name: 'microsoft',
    description:
      'sync users, groups, memberships and licences from Microsoft 365: the changes since the last run, or --full (exit 1: stopped by the safety limit)',
    full: true,
    run: (scope, opts, onProgress) =>
      scope.microsoft.sync.sync({
        dryRun: Boolean(opts.dryRun),
        full: Boolean(opts.full),
        allowLargeRemovals: Boolean(opts.allowLargeRemovals),
        onProgress,
      }),
    describe: describeMicrosoft,
  });
}
