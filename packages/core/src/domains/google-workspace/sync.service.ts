/**
 * The Google Workspace sync service (`helios.googleSync`): plan (`dryRun`) or apply a full directory
 * sync from the organization's stored credentials. See sync.stage.ts (the fetch), sync.plan.ts (the
 * rules, the plan and the apply) and ../integrations/sync-run.ts for the run (authorize, lock,
 * staging, one apply transaction, journal).
 */
import { z } from 'zod';
import type { ServiceRuntime } from '../../runtime';
import type { ProviderServiceOptions } from '../integrations/contract';
import {
  type DirectorySyncSpec,
  runDirectorySync,
  type SyncRunResult,
  syncRunInputFields,
} from '../integrations/sync-run';
import type { CallOptions } from '../policy/actor';
import { noSyncWarnings } from '../sync/engine';
import { loadGoogleProvider } from './credentials';
import type { GoogleProviderOverrides, GoogleWorkspaceProvider } from './provider';
import {
  GOOGLE_MODULE_SLUG,
  type GoogleSyncCounts,
  type GoogleSyncPassResult,
  planAndApplyGoogle,
} from './sync.plan';
import { dropGoogleStaging, type StagedCounts, stageGoogleDirectory } from './sync.stage';

/** The audit action of a sync run. */
export const GOOGLE_SYNC_ACTION = 'google_workspace.sync';

/** The input of `sync`. */
export const googleSyncSchema = z.object({ ...syncRunInputFields }).strict();
/** The input of `sync`. */
export type GoogleSyncInput = z.input<typeof googleSyncSchema>;

/** The outcome of a sync run or plan (`fetched`: what Google returned). */
export type GoogleSyncResult = SyncRunResult<StagedCounts, GoogleSyncCounts>;

/** Directory sync from Google Workspace. */
export interface GoogleSyncService {
  /**
   * Fetches the whole directory (users 500 a page, groups, members, org units), plans the changes and,
   * unless `dryRun`, applies them in one transaction; journals the run (organization_modules
   * `google_workspace` sync state and an audit row `google_workspace.sync`). Needs `organization:write`
   * (admins, API keys with that scope, the system). A dry run takes the same lock (one run of any
   * kind at a time per organization) and writes nothing persistent (staging is in TEMP tables). A run
   * left `running` by a stopped process is closed as failed (`SYNC.INTERRUPTED`) first. Linked users
   * Google suspends become `suspended` (and `active` again only if the sync suspended them); the last
   * active admin is kept active with a `warnings` entry.
   *
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN; INVALID_INPUT `VALIDATION.FAILED`; NOT_FOUND
   *   `GOOGLE.NOT_CONFIGURED`; CONFLICT `SYNC.ALREADY_RUNNING`; PRECONDITION_FAILED `SYNC.SAFETY_LIMIT`
   *   (nothing written), `EXTERNAL.IN_TRANSACTION`; `GOOGLE.*` when Google fails after retries
   * @example
   * ```ts
   * const plan = await helios.googleSync.sync({ dryRun: true });
   * if (plan.counts.users.deactivated < 50) await helios.googleSync.sync({ onProgress: (p) => console.log(p) });
   * ```
   */
  sync(input?: GoogleSyncInput, options?: CallOptions): Promise<GoogleSyncResult>;
}

/** Options of `createGoogleSyncService` (tests, the CLI pointed at a simulator). */
export type GoogleSyncServiceOptions = ProviderServiceOptions<
  GoogleProviderOverrides,
  GoogleWorkspaceProvider
>;

/** A Google sync run: the whole directory staged, then planned or applied. */
const GOOGLE_SYNC_RUN: DirectorySyncSpec<
  GoogleWorkspaceProvider,
  z.output<typeof googleSyncSchema>,
  StagedCounts,
  GoogleSyncPassResult
> = {
  moduleSlug: GOOGLE_MODULE_SLUG,
  action: GOOGLE_SYNC_ACTION,
  operation: 'googleSync.sync',
  label: 'Google Workspace',
  schema: googleSyncSchema,
  initialFacts: () => ({
    fetched: {
      users: 0,
      groups: 0,
      orgUnits: 0,
      members: 0,
      warnings: noSyncWarnings(),
    } satisfies StagedCounts,
  }),
  async stage({ conn, provider, pass, facts }) {
    const fetched = await stageGoogleDirectory(conn, provider, {
      organizationId: pass.organizationId,
      onProgress: pass.onProgress,
    });
    facts.fetched = fetched;
    return fetched;
  },
  planAndApply: (ctx, fetched) =>
    planAndApplyGoogle(ctx.conn, fetched, {
      ...ctx.pass,
      inApply: (counts, warnings) => ctx.journalCompleted(counts, warnings),
    }),
  dropStaging: dropGoogleStaging,
};

/** Builds the Google Workspace sync service. */
export function createGoogleSyncService(
  rt: ServiceRuntime,
  serviceOptions: GoogleSyncServiceOptions = {},
): GoogleSyncService {
  const load = () =>
    serviceOptions.provider
      ? serviceOptions.provider(rt)
      : loadGoogleProvider(rt, serviceOptions.providerOverrides);
  return {
    sync: (input = {}, options) => runDirectorySync(rt, GOOGLE_SYNC_RUN, load, input, options),
  };
}
