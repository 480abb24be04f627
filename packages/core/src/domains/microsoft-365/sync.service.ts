/**
 * The Microsoft 365 sync service (`helios.microsoftSync`): plan (`dryRun`) or apply a directory sync
 * from the organization's stored credentials, incremental (delta links) when it can be, full when
 * asked, on the first run, or when the delta links have expired. See sync.stage.ts (the fetch),
 * sync.plan.ts (the rules, the plan and the apply) and ../integrations/sync-run.ts for the run
 * (authorize, lock, staging, one apply transaction, journal).
 */
import { sql } from 'kysely';
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
import { loadMicrosoftProvider } from './credentials';
import type { Microsoft365Provider, MicrosoftProviderOverrides } from './provider';
import {
  MICROSOFT_MODULE_SLUG,
  type MicrosoftFetched,
  type MicrosoftSyncCounts,
  planAndApplyMicrosoft,
  readDeltaLinks,
} from './sync.plan';
import { dropMicrosoftStaging, isDeltaExpired, stageMicrosoftDirectory } from './sync.stage';

/** The audit action of a sync run. */
export const MICROSOFT_SYNC_ACTION = 'microsoft_365.sync';

/** The input of `sync`. */
export const microsoftSyncSchema = z
  .object({
    ...syncRunInputFields,
    /** True: a full reconciliation (every user and group) even when delta links are stored. */
    full: z.boolean().optional(),
  })
  .strict();
/** The input of `sync`. */
export type MicrosoftSyncInput = z.input<typeof microsoftSyncSchema>;

/** The outcome of a sync run or plan. */
export interface MicrosoftSyncResult extends SyncRunResult<MicrosoftFetched, MicrosoftSyncCounts> {
  /** `full` or `incremental` (delta links). */
  mode: 'full' | 'incremental';
  /** True when stored delta links had expired and the run read everything instead. */
  fellBackToFull: boolean;
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
   *   (nothing written), `EXTERNAL.IN_TRANSACTION`; `MICROSOFT.*` when Graph fails after retries
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
export type MicrosoftSyncServiceOptions = ProviderServiceOptions<
  MicrosoftProviderOverrides,
  Microsoft365Provider
>;

/** What a Microsoft run staged: a full round or the changes since the stored delta links. */
type MicrosoftStaged = Awaited<ReturnType<typeof stageMicrosoftDirectory>> & {
  fullSyncAt: string;
  tenantId: string;
  fellBackToFull: boolean;
};
type MicrosoftPass = Omit<
  MicrosoftSyncResult,
  'dryRun' | 'status' | 'startedAt' | 'finishedAt' | 'durationMs'
>;

/** A Microsoft sync run: incremental from the stored delta links, full when there are none or they expired. */
const MICROSOFT_SYNC_RUN: DirectorySyncSpec<
  Microsoft365Provider,
  z.output<typeof microsoftSyncSchema>,
  MicrosoftStaged,
  MicrosoftPass
> = {
  moduleSlug: MICROSOFT_MODULE_SLUG,
  action: MICROSOFT_SYNC_ACTION,
  operation: 'microsoftSync.sync',
  label: 'Microsoft 365',
  schema: microsoftSyncSchema,
  initialFacts: () => ({ fetched: null, fellBackToFull: false }),
  async stage({ conn, provider: ms, input, pass, startedAt, facts }) {
    const stored = input.full ? null : await readDeltaLinks(conn, pass.organizationId, ms.tenantId);
    let staged: Awaited<ReturnType<typeof stageMicrosoftDirectory>>;
    try {
      staged = await stageMicrosoftDirectory(conn, ms, stored, { onProgress: pass.onProgress });
    } catch (error) {
      if (!stored || !isDeltaExpired(error)) throw error;
      facts.fellBackToFull = true;
      staged = await stageMicrosoftDirectory(conn, ms, null, { onProgress: pass.onProgress });
    }
    facts.fetched = staged.fetched;
    const fullSyncAt =
      staged.fetched.mode === 'full'
        ? startedAt.toISOString()
        : (stored?.fullSyncAt ?? startedAt.toISOString());
    return {
      ...staged,
      fullSyncAt,
      tenantId: ms.tenantId,
      fellBackToFull: facts.fellBackToFull === true,
    };
  },
  async planAndApply(ctx, staged) {
    const { mode } = staged.fetched;
    const inApply = (counts: MicrosoftSyncCounts, warnings: MicrosoftPass['warnings']) =>
      ctx.journalCompleted(counts, warnings, { mode });
    const pass = await planAndApplyMicrosoft(ctx.conn, staged, { ...ctx.pass, inApply });
    return { mode, fellBackToFull: staged.fellBackToFull, fetched: staged.fetched, ...pass };
  },
  dropStaging: dropMicrosoftStaging,
  async onCompleted(conn, organizationId, at) {
    await sql`update ms_credentials set last_sync_at = ${at}, sync_status = 'synced', sync_error = null, updated_at = ${at}
      where organization_id = ${organizationId}`.execute(conn);
  },
};

/** Builds the Microsoft 365 sync service. */
export function createMicrosoftSyncService(
  rt: ServiceRuntime,
  serviceOptions: MicrosoftSyncServiceOptions = {},
): MicrosoftSyncService {
  const load = async () => {
    let ms: Microsoft365Provider;
    if (serviceOptions.provider) ms = await serviceOptions.provider(rt);
    else ms = await loadMicrosoftProvider(rt, serviceOptions.providerOverrides);
    // The token first, outside the lock: a stored one is read (or a new one stored) on the pool. A
    // failure shows again in the run, which journals it.
    await ms.authorize().catch(() => undefined);
    return ms;
  };
  return {
    sync: (input = {}, options) => runDirectorySync(rt, MICROSOFT_SYNC_RUN, load, input, options),
  };
}
