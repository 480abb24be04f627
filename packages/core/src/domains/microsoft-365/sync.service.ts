/**
 * The Microsoft 365 sync service (`helios.microsoftSync`): plan (`dryRun`) or apply a directory sync
 * from the organization's stored credentials, incremental (delta links) when it can be, full when
 * asked, on the first run, or when the delta links have expired. See sync.ts for the rules and
 * ../sync/engine.ts for the run mechanics (lock, staging, one apply transaction, journal).
 */
import { sql } from 'kysely';
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
  type SyncChange,
  type SyncJournal,
  type SyncProgress,
  setModuleSyncState,
  startJournal,
  withSyncLock,
} from '../sync/engine';
import { watchSyncRetries } from '../sync/retries';
import type { SyncWarning } from '../sync/suspensions';
import { loadMicrosoftProvider } from './credentials';
import type { Microsoft365Provider, MicrosoftProviderOverrides } from './provider';
import { MICROSOFT_MODULE_SLUG, type MicrosoftFetched, type MicrosoftSyncCounts, planAndApplyMicrosoft, readDeltaLinks } from './sync';
import { dropMicrosoftStaging, isDeltaExpired, stageMicrosoftDirectory } from './sync.stage';

/** The audit action of a sync run. */
export const MICROSOFT_SYNC_ACTION = 'microsoft_365.sync';

/** The input of `sync`. */
export const microsoftSyncSchema = z
  .object({
    /** True: fetch and plan only, write nothing (the delta links are not advanced). Default false. */
    dryRun: z.boolean().optional(),
    /** True: a full reconciliation (every user and group) even when delta links are stored. */
    full: z.boolean().optional(),
    /** Accept removing more than the safety limit of users or groups. */
    allowLargeRemovals: z.boolean().optional(),
    /** The safety limit in percent of synced users or groups a run may remove (default 10). */
    maxRemovalPercent: z.number().min(0).max(100).optional(),
    /** Called as the run progresses (must not use the database). */
    onProgress: z.custom<(progress: SyncProgress) => void>((value) => typeof value === 'function', 'A function').optional(),
  })
  .strict();
/** The input of `sync`. */
export type MicrosoftSyncInput = z.input<typeof microsoftSyncSchema>;

/** The outcome of a sync run or plan. */
export interface MicrosoftSyncResult {
  dryRun: boolean;
  status: 'planned' | 'completed';
  /** `full` or `incremental` (delta links). */
  mode: 'full' | 'incremental';
  /** True when stored delta links had expired and the run read everything instead. */
  fellBackToFull: boolean;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  fetched: MicrosoftFetched;
  counts: MicrosoftSyncCounts;
  /** Up to 20 changes of the plan. */
  sample: SyncChange[];
  /**
   * What the run left undone and why, e.g. `SYNC.LAST_ADMIN_NOT_SUSPENDED` (an admin disabled in
   * Microsoft 365 kept active: the last active admin).
   */
  warnings: SyncWarning[];
}

/** Directory sync from Microsoft 365. */
export interface MicrosoftSyncService {
  /**
   * Reads users, groups (with members), licences and Global Administrators from Graph, plans the
   * changes and, unless `dryRun`, applies them in one transaction together with the new delta links;
   * journals the run (`organization_modules` `microsoft_365` state and an audit row
   * `microsoft_365.sync`). Incremental when delta links are stored, unless `full`. Needs
   * `organization:write`. One run at a time per organization (advisory lock); a run left `running` by
   * a stopped process is closed as failed (`SYNC.INTERRUPTED`) first. Linked users whose account is
   * disabled become `suspended` (and `active` again only if the sync suspended them); the last
   * active admin is kept active with a `warnings` entry.
   *
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN; INVALID_INPUT `VALIDATION.FAILED`; NOT_FOUND
   *   `MICROSOFT.NOT_CONFIGURED`; CONFLICT `SYNC.ALREADY_RUNNING`; PRECONDITION_FAILED `SYNC.SAFETY_LIMIT`
   *   (nothing written); `MICROSOFT.*` when Graph fails after retries
   * @example
   * ```ts
   * const plan = await helios.microsoftSync.sync({ dryRun: true });
   * await helios.microsoftSync.sync();              // incremental after the first run
   * await helios.microsoftSync.sync({ full: true }); // periodic full reconciliation
   * ```
   */
  sync(input?: MicrosoftSyncInput, options?: CallOptions): Promise<MicrosoftSyncResult>;
}

/** Options of `createMicrosoftSyncService`. */
export interface MicrosoftSyncServiceOptions {
  /** Provider options for the stored credentials (on top of createHelios `integrations.microsoft`). */
  providerOverrides?: MicrosoftProviderOverrides;
  /** Builds the provider instead of loading the stored credentials. */
  provider?: (rt: ServiceRuntime) => Promise<Microsoft365Provider>;
}

/** Builds the Microsoft 365 sync service. */
export function createMicrosoftSyncService(rt: ServiceRuntime, serviceOptions: MicrosoftSyncServiceOptions = {}): MicrosoftSyncService {
  return {
    async sync(input = {}, options) {
      const { principal, organizationId, data } = await rt.read(options, async (s) => {
        await s.authorize('organization:write');
        return { principal: s.principal, organizationId: s.organizationId, data: parseInput(microsoftSyncSchema, input) };
      });
      const ms = serviceOptions.provider ? await serviceOptions.provider(rt) : await loadMicrosoftProvider(rt, serviceOptions.providerOverrides);
      // The token first, outside the lock: a stored one is read (or a new one stored) on the pool. A
      // failure shows again in the run, which journals it.
      await ms.authorize().catch(() => undefined);
      const dryRun = data.dryRun ?? false;
      const journal: SyncJournal = {
        organizationId,
        moduleSlug: MICROSOFT_MODULE_SLUG,
        action: MICROSOFT_SYNC_ACTION,
        principal,
        auditKeys: rt.instance.auditKeys ?? null,
      };
      const startedAt = rt.clock.now();
      const started = Date.now();
      return withSyncLock(rt.db, { organizationId, kind: 'microsoft_365' }, async (conn) => {
        // Throttling and retries show as progress and in the journal: a user sees why a run slows.
        const retries = watchSyncRetries(ms, data.onProgress);
        let fetched: MicrosoftFetched | null = null;
        let fellBackToFull = false;
        try {
          // Holding the lock proves no run is live: a run still journaled `running` was interrupted.
          await closeInterruptedRun(conn, journal, startedAt);
          if (!dryRun) await startJournal(conn, journal, startedAt);
          const stored = data.full ? null : await readDeltaLinks(conn, organizationId, ms.tenantId);
          let staged: Awaited<ReturnType<typeof stageMicrosoftDirectory>>;
          try {
            staged = await stageMicrosoftDirectory(conn, ms, stored, { onProgress: data.onProgress });
          } catch (error) {
            if (!stored || !isDeltaExpired(error)) throw error;
            fellBackToFull = true;
            staged = await stageMicrosoftDirectory(conn, ms, null, { onProgress: data.onProgress });
          }
          fetched = staged.fetched;
          const fullSyncAt = staged.fetched.mode === 'full' ? startedAt.toISOString() : (stored?.fullSyncAt ?? startedAt.toISOString());
          const pass = await planAndApplyMicrosoft(
            conn,
            { ...staged, fullSyncAt, tenantId: ms.tenantId },
            {
              organizationId,
              now: startedAt,
              dryRun,
              allowLargeRemovals: data.allowLargeRemovals ?? false,
              maxRemovalRatio: data.maxRemovalPercent === undefined ? DEFAULT_MAX_REMOVAL_RATIO : data.maxRemovalPercent / 100,
              onProgress: data.onProgress,
              inApply: async (counts, warnings) => {
                const at = rt.clock.now();
                await setModuleSyncState(conn, journal, { status: 'completed', at });
                await sql`update ms_credentials set last_sync_at = ${at}, sync_status = 'synced', sync_error = null, updated_at = ${at}
                  where organization_id = ${organizationId}`.execute(conn);
                await auditRun(
                  conn,
                  journal,
                  {
                    status: 'completed',
                    dryRun: false,
                    mode: staged.fetched.mode,
                    fellBackToFull,
                    fetched: staged.fetched,
                    counts,
                    warnings,
                    retries: retries.summary(),
                    durationMs: Date.now() - started,
                  },
                  at,
                );
              },
            },
          );
          return {
            dryRun,
            status: dryRun ? 'planned' : 'completed',
            mode: staged.fetched.mode,
            fellBackToFull,
            startedAt,
            finishedAt: rt.clock.now(),
            durationMs: Date.now() - started,
            fetched: staged.fetched,
            ...pass,
          } satisfies MicrosoftSyncResult;
        } catch (error) {
          if (!dryRun)
            await failJournal(
              conn,
              journal,
              error,
              { dryRun, fetched, fellBackToFull, retries: retries.summary(), durationMs: Date.now() - started },
              rt.clock.now(),
            );
          if (error instanceof HeliosError) throw error;
          throw new HeliosError('INTERNAL', 'INTERNAL.UNEXPECTED', 'The Microsoft 365 sync failed unexpectedly.', { cause: error });
        } finally {
          retries.stop();
          await dropMicrosoftStaging(conn).catch(() => undefined);
        }
      });
    },
  };
}
