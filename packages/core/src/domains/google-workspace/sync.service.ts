/**
 * The Google Workspace sync service (`helios.googleSync`): plan (`dryRun`) or apply a full directory
 * sync from the organization's stored credentials. See sync.ts for the rules and ../sync/engine.ts for
 * the run mechanics (lock, staging, one apply transaction, journal).
 */
import { z } from 'zod';
import { HeliosError } from '../../errors';
import type { ServiceRuntime } from '../../runtime';
import { parseInput } from '../../shared/validation';
import type { CallOptions } from '../policy/actor';
import {
  auditRun,
  closeInterruptedRun,
  DEFAULT_MAX_REMOVAL_RATIO,
  failJournal,
  noSyncWarnings,
  type SyncChange,
  type SyncJournal,
  type SyncProgress,
  setModuleSyncState,
  startJournal,
  withSyncLock,
} from '../sync/engine';
import { watchSyncRetries } from '../sync/retries';
import type { SyncWarning } from '../sync/suspensions';
import { loadGoogleProvider } from './credentials';
import type { GoogleProviderOverrides, GoogleWorkspaceProvider } from './provider';
import { dropGoogleStaging, type GoogleSyncCounts, planAndApplyGoogle, type StagedCounts, stageGoogleDirectory } from './sync';

/** The audit action of a sync run. */
export const GOOGLE_SYNC_ACTION = 'google_workspace.sync';
/** The module slug whose `organization_modules` row holds the sync state. */
export const GOOGLE_MODULE_SLUG = 'google_workspace';

/** The input of `sync`. */
export const googleSyncSchema = z
  .object({
    /** True: fetch and plan only, write nothing (default false: apply). */
    dryRun: z.boolean().optional(),
    /** Accept removing more than the safety limit of users or groups. */
    allowLargeRemovals: z.boolean().optional(),
    /** The safety limit in percent of synced users or groups a run may remove (default 10). */
    maxRemovalPercent: z.number().min(0).max(100).optional(),
    /** Called as the run progresses (must not use the database: the run holds its connection). */
    onProgress: z.custom<(progress: SyncProgress) => void>((value) => typeof value === 'function', 'A function').optional(),
  })
  .strict();
/** The input of `sync`. */
export type GoogleSyncInput = z.input<typeof googleSyncSchema>;

/** The outcome of a sync run or plan. */
export interface GoogleSyncResult {
  dryRun: boolean;
  /** `planned` for a dry run, `completed` when applied. */
  status: 'planned' | 'completed';
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  /** What Google returned. */
  fetched: StagedCounts;
  counts: GoogleSyncCounts;
  /** Up to 20 changes of the plan. */
  sample: SyncChange[];
  /**
   * What the run left undone and why, e.g. `SYNC.LAST_ADMIN_NOT_SUSPENDED` (an admin suspended in
   * Google kept active: the last active admin).
   */
  warnings: SyncWarning[];
}

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
   *   (nothing written), `SYNC.IN_TRANSACTION`; `GOOGLE.*` when Google fails after retries
   * @example
   * ```ts
   * const plan = await helios.googleSync.sync({ dryRun: true });
   * if (plan.counts.users.deactivated < 50) await helios.googleSync.sync({ onProgress: (p) => console.log(p) });
   * ```
   */
  sync(input?: GoogleSyncInput, options?: CallOptions): Promise<GoogleSyncResult>;
}

/** Options of `createGoogleSyncService` (tests, the CLI pointed at a simulator). */
export interface GoogleSyncServiceOptions {
  /** Provider options (API root, token URL, retries...) for the stored credentials. */
  providerOverrides?: GoogleProviderOverrides;
  /** Builds the provider instead of loading the stored credentials. */
  provider?: (rt: ServiceRuntime) => Promise<GoogleWorkspaceProvider>;
}

/** Builds the Google Workspace sync service. */
export function createGoogleSyncService(rt: ServiceRuntime, serviceOptions: GoogleSyncServiceOptions = {}): GoogleSyncService {
  return {
    async sync(input = {}, options) {
      const { principal, organizationId, data } = await rt.read(options, async (s) => {
        await s.authorize('organization:write');
        return { principal: s.principal, organizationId: s.organizationId, data: parseInput(googleSyncSchema, input) };
      });
      const google = serviceOptions.provider ? await serviceOptions.provider(rt) : await loadGoogleProvider(rt, serviceOptions.providerOverrides);
      const dryRun = data.dryRun ?? false;
      const journal: SyncJournal = {
        organizationId,
        moduleSlug: GOOGLE_MODULE_SLUG,
        action: GOOGLE_SYNC_ACTION,
        principal,
        auditKeys: rt.instance.auditKeys ?? null,
      };
      const startedAt = rt.clock.now();
      const started = Date.now();
      return withSyncLock(rt.db, { organizationId, kind: 'google_workspace' }, async (conn) => {
        // Throttling and retries show as progress and in the journal: a user sees why a run slows.
        const retries = watchSyncRetries(google, data.onProgress);
        let fetched: StagedCounts = { users: 0, groups: 0, orgUnits: 0, members: 0, warnings: noSyncWarnings() };
        try {
          // Holding the lock proves no run is live: a run still journaled `running` was interrupted.
          await closeInterruptedRun(conn, journal, startedAt);
          if (!dryRun) await startJournal(conn, journal, startedAt);
          fetched = await stageGoogleDirectory(conn, google, { organizationId, onProgress: data.onProgress });
          const pass = await planAndApplyGoogle(conn, fetched, {
            organizationId,
            now: startedAt,
            dryRun,
            allowLargeRemovals: data.allowLargeRemovals ?? false,
            maxRemovalRatio: data.maxRemovalPercent === undefined ? DEFAULT_MAX_REMOVAL_RATIO : data.maxRemovalPercent / 100,
            onProgress: data.onProgress,
            inApply: async (counts, warnings) => {
              const at = rt.clock.now();
              await setModuleSyncState(conn, journal, { status: 'completed', at });
              await auditRun(
                conn,
                journal,
                { status: 'completed', dryRun: false, fetched, counts, warnings, retries: retries.summary(), durationMs: Date.now() - started },
                at,
              );
            },
          });
          const finishedAt = rt.clock.now();
          return {
            dryRun,
            status: dryRun ? 'planned' : 'completed',
            startedAt,
            finishedAt,
            durationMs: Date.now() - started,
            ...pass,
          } satisfies GoogleSyncResult;
        } catch (error) {
          if (!dryRun)
            await failJournal(conn, journal, error, { dryRun, fetched, retries: retries.summary(), durationMs: Date.now() - started }, rt.clock.now());
          if (error instanceof HeliosError) throw error;
          throw new HeliosError('INTERNAL', 'INTERNAL.UNEXPECTED', 'The Google Workspace sync failed unexpectedly.', { cause: error });
        } finally {
          retries.stop();
          await dropGoogleStaging(conn).catch(() => undefined);
        }
      });
    },
  };
}
