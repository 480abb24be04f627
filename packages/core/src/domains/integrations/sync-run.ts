/**
 * The journaled directory sync run, written once for every cloud (Google Workspace, Microsoft 365):
 * a cloud brings a {@link DirectorySyncSpec} (its module slug, audit action, input schema, stage,
 * plan/apply and staging drop) and {@link runDirectorySync} does the rest:
 *
 * 1. refuses to run inside an open transaction (`EXTERNAL.IN_TRANSACTION`: the run calls out for
 *    minutes and opens its own short transactions);
 * 2. authorizes (`organization:write`) and validates the input in one short read scope, then loads
 *    the cloud's provider;
 * 3. takes the run's lock on a dedicated connection (`withSyncLock`: one run of a kind at a time
 *    per organization, dry runs included; `SYNC.ALREADY_RUNNING` otherwise);
 * 4. closes a run a stopped process left `running` (`SYNC.INTERRUPTED`), journals the start (not
 *    for a dry run), and watches the provider's retries (progress and journal);
 * 5. stages, then plans (dry run: `planned`, nothing written) or applies in one transaction that
 *    also journals the completed run (module state and audit row);
 * 6. on failure journals it (module state `failed` and audit row; not for a dry run) and rethrows:
 *    a HeliosError as it is, anything else as INTERNAL `INTERNAL.UNEXPECTED`;
 * 7. always drops the TEMP staging tables before the connection goes back to the pool.
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/database.generated';
import { isHeliosError } from '../../errors';
import { CORE_ERRORS } from '../../errors/core.errors';
import type { ServiceRuntime } from '../../runtime';
import { assertOutsideTransaction } from '../../shared/external-call';
import type { RetryInfo } from '../../shared/retry';
import { parseInput } from '../../shared/validation';
import { queueAutomationRefresh } from '../automation';
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

/** The input fields every cloud's sync takes (each cloud's schema spreads them and may add its own). */
export const syncRunInputFields = {
  /** True: fetch and plan only, write nothing (no journal; delta links are not advanced). Default false: apply. */
  dryRun: z.boolean().optional(),
  /** Accept removing more than the safety limit of users or groups. */
  allowLargeRemovals: z.boolean().optional(),
  /** The safety limit in percent of synced users or groups a run may remove (default 10). */
  maxRemovalPercent: z.number().min(0).max(100).optional(),
  /** Called as the run progresses (must not use the database: the run holds its connection). */
  onProgress: z
    .custom<(progress: SyncProgress) => void>((value) => typeof value === 'function', 'A function')
    .optional(),
};

/** The parsed input fields every sync takes. */
export interface SyncRunInput {
  dryRun?: boolean;
  allowLargeRemovals?: boolean;
  maxRemovalPercent?: number;
  /** Called as the sync goes (phase, counts, throttling waits), for progress bars and status rows. */
  onProgress?: (progress: SyncProgress) => void;
}

/** The outcome of a sync run or plan, whatever the cloud (each cloud's result extends it). */
export interface SyncRunResult<Fetched, Counts> {
  dryRun: boolean;
  /** `planned` for a dry run, `completed` when applied. */
  status: 'planned' | 'completed';
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  /** What the cloud returned. */
  fetched: Fetched;
  counts: Counts;
  /** Up to 20 changes of the plan. */
  sample: SyncChange[];
  /**
   * What the run left undone and why, e.g. `SYNC.LAST_ADMIN_NOT_SUSPENDED` (an admin suspended in
   * the cloud kept active: the last active admin).
   */
  warnings: SyncWarning[];
}

/** The options of a cloud's plan/apply pass that come from the run. */
export interface SyncPassBase {
  organizationId: string;
  now: Date;
  dryRun: boolean;
  allowLargeRemovals: boolean;
  maxRemovalRatio: number;
  /** Called as the pass goes (phase, counts, throttling waits). */
  onProgress?: (progress: SyncProgress) => void;
}

/** The options of a cloud's plan/apply pass. */
export interface SyncPassOptions<Counts> extends SyncPassBase {
  /** Runs inside the apply transaction, after the merges (the run's journal: `ctx.journalCompleted`). */
  inApply?: (counts: Counts, warnings: SyncWarning[]) => Promise<void>;
}

/** What a cloud's steps get from the run. */
export interface SyncRunContext<Provider, Input extends SyncRunInput> {
  /** The run's dedicated connection (it holds the run's lock; never inside a transaction). */
  conn: Kysely<Database>;
  provider: Provider;
  /** The validated input. */
  input: Input;
  startedAt: Date;
  /** The run's part of the cloud's plan/apply options (add `inApply: ctx.journalCompleted`). */
  pass: SyncPassBase;
  /**
   * Facts journaled with the run's outcome, failed or completed (e.g. `fetched`); the steps update
   * them as they learn them.
   */
  facts: Record<string, unknown>;
  /**
   * Journals the completed run (module state, the cloud's `onCompleted`, the audit row with the
   * facts, `extra`, the counts, warnings, retries and duration). Call inside the apply transaction,
   * after the merges.
   */
  journalCompleted(
    counts: unknown,
    warnings: SyncWarning[],
    extra?: Record<string, unknown>,
  ): Promise<void>;
}

/** A provider whose retries a run can watch. */
export interface RetryWatchable {
  watchRetries(listener: (info: RetryInfo) => void): () => void;
}

/** What a cloud brings to {@link runDirectorySync}. */
export interface DirectorySyncSpec<
  Provider extends RetryWatchable,
  Input extends SyncRunInput,
  Staged,
  Pass,
> {
  /** The module whose `organization_modules` row holds the sync state (also the lock's kind). */
  moduleSlug: string;
  /** The audit action of a run, e.g. `google_workspace.sync`. */
  action: string;
  /** What the caller called, as users call it (e.g. `googleSync.sync`), for `EXTERNAL.IN_TRANSACTION`. */
  operation: string;
  /** The cloud's name in messages, e.g. `Google Workspace`. */
  label: string;
  /** The input schema (strict, over {@link syncRunInputFields}). */
  schema: z.ZodType<Input, any>;
  /** The facts journaled before anything is fetched (what a run failing early journals). */
  initialFacts(): Record<string, unknown>;
  /** Fetches the directory into the TEMP staging tables (and records what it fetched in `ctx.facts`). */
  stage(ctx: SyncRunContext<Provider, Input>): Promise<Staged>;
  /** Plans, and unless a dry run applies in one transaction that calls `ctx.journalCompleted`. */
  planAndApply(ctx: SyncRunContext<Provider, Input>, staged: Staged): Promise<Pass>;
  /** Drops the TEMP staging tables. */
  dropStaging(conn: Kysely<Database>): Promise<void>;
  /** Written in the apply transaction with the completed journal (e.g. the credentials' sync status). */
  onCompleted?(conn: Kysely<Database>, organizationId: string, at: Date): Promise<void>;
}

/** The status fields the run adds to a cloud's pass result. */
export type SyncRunStatus = Pick<
  SyncRunResult<unknown, unknown>,
  'dryRun' | 'status' | 'startedAt' | 'finishedAt' | 'durationMs'
>;

/**
 * Runs one journaled directory sync (see the file's comment for the steps).
 *
 * @param loadProvider builds the cloud's provider (after authorization, before the lock)
 * @throws HeliosError PRECONDITION_FAILED `EXTERNAL.IN_TRANSACTION`; UNAUTHENTICATED; FORBIDDEN;
 *   INVALID_INPUT `VALIDATION.FAILED`; CONFLICT `SYNC.ALREADY_RUNNING`; whatever the cloud's steps
 *   throw (e.g. PRECONDITION_FAILED `SYNC.SAFETY_LIMIT`); INTERNAL `INTERNAL.UNEXPECTED` otherwise
 */
export async function runDirectorySync<
  Provider extends RetryWatchable,
  Input extends SyncRunInput,
  Staged,
  Pass,
>(
  rt: ServiceRuntime,
  spec: DirectorySyncSpec<Provider, Input, Staged, Pass>,
  loadProvider: () => Promise<Provider>,
  rawInput: unknown,
  options?: CallOptions,
): Promise<SyncRunStatus & Pass> {
  assertOutsideTransaction(rt.db, spec.operation);
  const { principal, organizationId, input } = await rt.read(options, async (s) => {
    await s.authorize('organization:write');
    return {
      principal: s.principal,
      organizationId: s.organizationId,
      input: parseInput(spec.schema, rawInput) as Input,
    };
  });
  const provider = await loadProvider();
  const dryRun = input.dryRun ?? false;
  const journal: SyncJournal = {
    organizationId,
    moduleSlug: spec.moduleSlug,
    action: spec.action,
    principal,
    auditKeys: rt.instance.auditKeys ?? null,
  };
  const startedAt = rt.clock.now();
  const started = Date.now();
  const result = await withSyncLock(
    rt.db,
    { organizationId, kind: spec.moduleSlug },
    async (conn) => {
      // Throttling and retries show as progress and in the journal: a user sees why a run slows.
      const retries = watchSyncRetries(provider, input.onProgress);
      const facts = spec.initialFacts();
      const ctx: SyncRunContext<Provider, Input> = {
        conn,
        provider,
        input,
        startedAt,
        facts,
        pass: {
          organizationId,
          now: startedAt,
          dryRun,
          allowLargeRemovals: input.allowLargeRemovals ?? false,
          maxRemovalRatio:
            input.maxRemovalPercent === undefined
              ? DEFAULT_MAX_REMOVAL_RATIO
              : input.maxRemovalPercent / 100,
          onProgress: input.onProgress,
        },
        async journalCompleted(counts, warnings, extra = {}) {
          const at = rt.clock.now();
          await setModuleSyncState(conn, journal, { status: 'completed', at });
          await spec.onCompleted?.(conn, organizationId, at);
          const details = {
            status: 'completed',
            dryRun: false,
            ...extra,
            ...facts,
            counts,
            warnings,
            retries: retries.summary(),
            durationMs: Date.now() - started,
          };
          await auditRun(conn, journal, details, at);
        },
      };
      try {
        // Holding the lock proves no run is live: a run still journaled `running` was interrupted.
        await closeInterruptedRun(conn, journal, startedAt);
        if (!dryRun) await startJournal(conn, journal, startedAt);
        const staged = await spec.stage(ctx);
        const pass = await spec.planAndApply(ctx, staged);
        const status: SyncRunStatus = {
          dryRun,
          status: dryRun ? 'planned' : 'completed',
          startedAt,
          finishedAt: rt.clock.now(),
          durationMs: Date.now() - started,
        };
        return { ...status, ...pass };
      } catch (error) {
        if (!dryRun)
          await failJournal(
            conn,
            journal,
            error,
            { dryRun, ...facts, retries: retries.summary(), durationMs: Date.now() - started },
            rt.clock.now(),
          );
        if (isHeliosError(error)) throw error;
        throw CORE_ERRORS.INTERNAL_UNEXPECTED(
          { message: `The ${spec.label} sync failed unexpectedly.` },
          { cause: error },
        );
      } finally {
        retries.stop();
        await spec.dropStaging(conn).catch(() => undefined);
      }
    },
  );
  // An applied run may change who a dynamic group's rule matches: queue the (debounced) refresh.
  if (!dryRun)
    await queueAutomationRefresh(rt, rt.db, organizationId).catch((error: unknown) =>
      rt.logger.warn('The automation refresh was not queued after the sync', {
        reason: error instanceof Error ? error.message : String(error),
      }),
    );
  return result;
}
