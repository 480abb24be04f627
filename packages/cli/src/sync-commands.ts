import {
  createHelios,
  defaultEmbeddedDataDir,
  type GoogleSyncResult,
  type Helios,
  integrationOptionsFromEnv,
  isHeliosError,
  resolveEncryptionKey,
} from '@helios/core';
import type { Command } from 'commander';
import { EXIT, type Output } from './output';

interface SyncGoogleOptions {
  databaseUrl?: string;
  json?: boolean;
  dryRun?: boolean;
  allowLargeRemovals?: boolean;
}

/** Exit codes of `helios sync google`: 0 done, 1 stopped by the safety limit (nothing written), 2 any other error. */
export const SYNC_EXIT = { ok: EXIT.ok, safetyLimit: 1, failed: EXIT.failed } as const;

function describeResult(result: GoogleSyncResult): string {
  const line = (name: string, c: { created: number; updated: number; unchanged: number; deactivated?: number }) =>
    `  ${name.padEnd(12)} created ${c.created}, updated ${c.updated}, unchanged ${c.unchanged}, deactivated ${c.deactivated ?? 0}`;
  const { counts, fetched } = result;
  return [
    result.dryRun ? 'Plan (dry run, nothing written):' : `Sync completed in ${result.durationMs} ms:`,
    `  fetched      ${fetched.users} users, ${fetched.groups} groups, ${fetched.members} members, ${fetched.orgUnits} org units`,
    line('users', counts.users),
    line('groups', counts.groups),
    line('org units', counts.orgUnits),
    line('memberships', counts.memberships),
    `  links        ${counts.links.linked} linked, ${counts.links.unlinked} without a portal user`,
  ].join('\n');
}

/** `helios sync google`. */
export function registerSyncCommands(program: Command, makeOutput: (json: boolean) => Output): void {
  const sync = program.command('sync').description('directory sync from connected platforms');
  sync
    .command('google')
    .description('sync users, groups, org units and memberships from Google Workspace (exit 1: stopped by the safety limit)')
    .option('--dry-run', 'plan only: fetch and count the changes, write nothing')
    .option('--allow-large-removals', 'accept removing more than the safety limit (10%) of synced users or groups')
    .option('--database-url <url>', 'PostgreSQL URL (default: $DATABASE_URL, else the embedded database in .helios/data)')
    .option('--json', 'machine-readable output')
    .action(async (opts: SyncGoogleOptions) => {
      const out = makeOutput(Boolean(opts.json));
      let helios: Helios | undefined;
      try {
        const url = opts.databaseUrl ?? process.env.DATABASE_URL;
        const key = resolveEncryptionKey();
        helios = await createHelios({
          ...(url ? { databaseUrl: url } : { embedded: { dataDir: defaultEmbeddedDataDir() } }),
          encryptionKey: key.key,
          previousEncryptionKeys: key.previousKeys,
          integrations: integrationOptionsFromEnv(),
        });
        const result = await helios.as({ type: 'system', name: 'cli' }).googleSync.sync({
          dryRun: Boolean(opts.dryRun),
          allowLargeRemovals: Boolean(opts.allowLargeRemovals),
          onProgress: (p) => out.progress(p.phase, p.done, p.total ?? p.done),
        });
        out.result(result, describeResult(result));
        process.exitCode = SYNC_EXIT.ok;
      } catch (error) {
        out.error(error);
        process.exitCode = isHeliosError(error) && error.code === 'SYNC.SAFETY_LIMIT' ? SYNC_EXIT.safetyLimit : SYNC_EXIT.failed;
      } finally {
        await helios?.close().catch(() => {});
      }
    });
}
