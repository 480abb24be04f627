/**
 * Runs one scheduled action: the body of the `scheduled-actions.run` task.
 *
 * 1. Claim (one short transaction): the row moves `pending -> in_progress` with a conditional
 *    update that only matches when the action is due (`scheduled_for` and `next_retry_at` passed),
 *    approved when it requires approval, and its dependency completed. A duplicate job, a second
 *    worker or a job that ran early matches nothing and does nothing. A dependency that failed or
 *    was cancelled fails the action with `SCHEDULED_ACTIONS.DEPENDENCY_FAILED`. An action left
 *    `in_progress` by a crashed attempt is taken over by the retry of the same job (the claim
 *    journal row names the job), or by any job after 30 minutes without a journal row.
 * 2. Steps, each outside any transaction and journaled in `user_lifecycle_logs` (step_name,
 *    step_type, status, details, error_message, duration_ms): the local user (`user_status`
 *    through `helios.users`), then each connected cloud where the user is linked (the integration
 *    contract's suspendUser / restoreUser / deleteUser). A step already completed or skipped for
 *    this action is not repeated. A first attempt skips a cloud step when the cloud's mirror,
 *    written since the action started (by the write-back's own record or a sync), already shows
 *    the wanted state. A re-run (an earlier attempt claimed the action: a crash, a retry) reads the
 *    account live from the cloud (the contract's `getUser`) and calls only when the cloud does not
 *    show the wanted state yet, so a crash between the call and its journal row never calls twice.
 * 3. Finish (one short transaction): `completed` (then the next occurrence of a recurring action
 *    is created as a new row, and dependents are queued), or a retry (`pending` again,
 *    `retry_count + 1`, `next_retry_at` = now + 5 min x 3^(retry - 1), a job queued at that time)
 *    while `retry_count < max_retries` and the error may pass, else `failed`; `error_message` and
 *    `error_details` ({ code, kind, step, details }) are set either way.
 *
 * Onboard and offboard actions are lifecycle runs: once claimed, the lifecycle engine
 * (`helios.lifecycle.runs`) plans them if they were scheduled without a plan, runs each step as a
 * job, and ends the row (completed or failed) when the steps end.
 */
import { type Kysely, sql, type Updateable } from 'kysely';
import type { Database } from '../../db/database.generated';
import { isHeliosError } from '../../errors';
import type { HeliosScope } from '../../helios';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { type DirectoryIntegration, isPermanentFailure } from '../integrations';
import type { JobInfo } from '../jobs';
import { SCHEDULED_ACTIONS_ERRORS } from './scheduled-actions.errors';
import {
  nextOccurrence,
  retryDelayMs,
  type ScheduledAction,
  toScheduledAction,
} from './scheduled-actions.model';
import { enqueueDependents, enqueueRun } from './scheduled-actions.queue';
import type { RecurrenceInterval } from './scheduled-actions.schema';

type ActionRow = Row<'scheduled_user_actions'>;

/** The lifecycle runs' entry point for a due onboard/offboard action (lifecycle.runs.ts `START_RUN`). */
const START_LIFECYCLE_RUN = Symbol.for('helios.lifecycle.runs.start');

/** An in-progress action with no journal row for this long may be taken over by another job. */
export const STALE_CLAIM_MS = 30 * 60_000;

/** What one step did. */
interface StepResult {
  status: 'completed' | 'skipped';
  details: Record<string, unknown>;
}

/** A failed step. */
class StepFailure {
  constructor(
    readonly step: string,
    readonly error: unknown,
  ) {}
}

interface JournalEntry {
  step: string;
  type: 'system' | 'local' | 'integration';
  status: 'started' | 'completed' | 'skipped' | 'failed';
  details?: Record<string, unknown>;
  error?: string | null;
  durationMs?: number | null;
}

async function journal(
  s: Pick<OperationScope, 'db' | 'organizationId' | 'now'>,
  row: ActionRow,
  entry: JournalEntry,
): Promise<void> {
  await s.db
    .insertInto('user_lifecycle_logs')
    .values({
      organization_id: s.organizationId,
      user_id: row.user_id,
      action_id: row.id,
      step_name: entry.step,
      step_type: entry.type,
      status: entry.status,
      details: JSON.stringify(entry.details ?? {}) as never,
      error_message: entry.error ?? null,
      duration_ms: entry.durationMs ?? null,
      // In order even when the clock stands still (tests) or steps back: after the action's last row.
      created_at: sql<Date>`greatest(${s.now}::timestamptz, (select max(created_at) + interval '1 millisecond' from user_lifecycle_logs where action_id = ${row.id}))`,
    })
    .execute();
}

/** The code, kind and details of an error, for `error_details` and the journal. */
function describe(error: unknown): {
  message: string;
  code: string | null;
  kind: string | null;
  details: Record<string, unknown> | null;
  permanent: boolean;
} {
  if (isHeliosError(error)) {
    const permanent = isPermanentFailure(error);
    return {
      message: error.message,
      code: error.code,
      kind: error.kind,
      details: (error.details as Record<string, unknown> | undefined) ?? null,
      permanent,
    };
  }
  return {
    message: error instanceof Error ? error.message : String(error),
    code: null,
    kind: null,
    details: null,
    permanent: false,
  };
}

/** True when no journal row of the action is newer than the stale limit. */
async function isStale(db: Kysely<Database>, actionId: string, now: Date): Promise<boolean> {
  const last = await db
    .selectFrom('user_lifecycle_logs')
    .select((eb) => eb.fn.max('created_at').as('at'))
    .where('action_id', '=', actionId)
    .executeTakeFirst();
  const at = last?.at ? new Date(last.at as unknown as string | Date) : null;
  return !at || now.getTime() - at.getTime() > STALE_CLAIM_MS;
}

/** The job and sequence number of the latest claim of an action. */
async function lastClaim(
  db: Kysely<Database>,
  actionId: string,
): Promise<{ jobId: string | null; n: number }> {
  const row = await db
    .selectFrom('user_lifecycle_logs')
    .select(['details'])
    .where('action_id', '=', actionId)
    .where('step_name', '=', 'claim')
    .orderBy(sql`(details->>'n')::int`, 'desc')
    .limit(1)
    .executeTakeFirst();
  const details = (row?.details ?? {}) as { jobId?: string; n?: number };
  return { jobId: details.jobId ?? null, n: typeof details.n === 'number' ? details.n : 0 };
}

/** `rerun`: an earlier attempt of the action claimed it (it may have called the clouds already). */
type Claim =
  | { kind: 'run'; row: ActionRow; rerun: boolean }
  | { kind: 'ended'; row: ActionRow }
  | { kind: 'skip' };

async function claim(rt: ServiceRuntime, actionId: string, job: JobInfo | null): Promise<Claim> {
  return rt.write(undefined, async (s) => {
    const row = await s.db
      .selectFrom('scheduled_user_actions')
      .selectAll()
      .where('organization_id', '=', s.organizationId)
      .where('id', '=', actionId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return { kind: 'skip' };
    // Journals the claim (numbered: the n-th attempt of the action) and hands the row to the steps.
    const run = async (claimed: ActionRow, takeover: boolean): Promise<Claim> => {
      const n = (await lastClaim(s.db, row.id)).n + 1;
      await journal(s, claimed, {
        step: 'claim',
        type: 'system',
        status: 'started',
        details: { jobId: job?.id ?? null, attempt: job?.attempt ?? null, takeover, n },
      });
      return { kind: 'run', row: claimed, rerun: n > 1 };
    };

    if (row.status === 'in_progress') {
      const previous = await lastClaim(s.db, row.id);
      const sameJob = job !== null && previous.jobId === job.id;
      if (!sameJob && !(await isStale(s.db, row.id, s.now))) return { kind: 'skip' };
      const taken = await s.db
        .updateTable('scheduled_user_actions')
        .set({ updated_at: s.now })
        .where('id', '=', row.id)
        .where('status', '=', 'in_progress')
        .returningAll()
        .executeTakeFirst();
      if (!taken) return { kind: 'skip' };
      return run(taken, true);
    }
    if (row.status !== 'pending') return { kind: 'skip' };

    if (row.depends_on_action_id) {
      const dependency = await s.db
        .selectFrom('scheduled_user_actions')
        .select(['id', 'status'])
        .where('id', '=', row.depends_on_action_id)
        .executeTakeFirst();
      const status = dependency?.status ?? 'cancelled';
      if (status === 'failed' || status === 'cancelled' || status === 'skipped') {
        const error = SCHEDULED_ACTIONS_ERRORS.DEPENDENCY_FAILED({
          dependsOnActionId: row.depends_on_action_id,
          dependencyStatus: status,
        });
        const failed = await s.db
          .updateTable('scheduled_user_actions')
          .set({
            status: 'failed',
            completed_at: s.now,
            error_message: error.message,
            error_details: JSON.stringify({
              code: error.code,
              kind: error.kind,
              step: 'dependency',
              details: error.details ?? null,
            }) as never,
            updated_at: s.now,
          })
          .where('id', '=', row.id)
          .where('status', '=', 'pending')
          .returningAll()
          .executeTakeFirst();
        if (!failed) return { kind: 'skip' };
        await journal(s, failed, {
          step: 'dependency',
          type: 'system',
          status: 'failed',
          details: {
            dependsOnActionId: row.depends_on_action_id,
            dependencyStatus: status,
            code: error.code,
          },
          error: error.message,
        });
        await s.audit({
          action: 'scheduled_actions.failed',
          resource: 'scheduled_user_action',
          resourceId: row.id,
          details: { code: error.code, actionType: row.action_type },
        });
        await enqueueDependents(rt, s, row.id);
        return { kind: 'ended', row: failed };
      }
      // Queued again when the dependency ends.
      if (status !== 'completed') return { kind: 'skip' };
    }
    if (row.requires_approval === true && (!row.approved_at || row.rejected_at))
      return { kind: 'skip' };
    const due =
      row.next_retry_at && row.next_retry_at > row.scheduled_for
        ? row.next_retry_at
        : row.scheduled_for;
    if (due > s.now) {
      // Ran early (the queue's clock is ahead, or the action moved): queued again for its time.
      await enqueueRun(rt, s.db, row);
      return { kind: 'skip' };
    }
    const claimed = await s.db
      .updateTable('scheduled_user_actions')
      .set({
        status: 'in_progress',
        started_at: row.started_at ?? s.now,
        current_step: null,
        updated_at: s.now,
      })
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .where('scheduled_for', '<=', s.now)
      .where((eb) => eb.or([eb('next_retry_at', 'is', null), eb('next_retry_at', '<=', s.now)]))
      .returningAll()
      .executeTakeFirst();
    if (!claimed) return { kind: 'skip' };
    return run(claimed, false);
  });
}

/** The local status an action leads to. */
const LOCAL_TARGET: Record<'suspend' | 'unsuspend' | 'delete' | 'restore', string> = {
  suspend: 'suspended',
  unsuspend: 'active',
  delete: 'deleted',
  restore: 'active',
};

/** The cloud's mirror of a linked account: what the last write-back or sync stored. */
async function mirrorOf(
  db: Kysely<Database>,
  organizationId: string,
  cloud: DirectoryIntegration,
  externalId: string,
): Promise<{ blocked: boolean; removed: boolean; writtenAt: Date | null } | null> {
  if (cloud.id === 'google') {
    const row = await db
      .selectFrom('gw_synced_users')
      .select(['is_suspended', 'raw_data', 'last_sync_at'])
      .where('organization_id', '=', organizationId)
      .where('google_id', '=', externalId)
      .executeTakeFirst();
    if (!row) return null;
    return {
      blocked: row.is_suspended === true,
      removed: isRemoved(row.raw_data),
      writtenAt: row.last_sync_at,
    };
  }
  const row = await db
    .selectFrom('ms_synced_users')
    .select(['is_account_enabled', 'raw_data', 'last_sync_at'])
    .where('organization_id', '=', organizationId)
    .where('ms_id', '=', externalId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    blocked: row.is_account_enabled === false,
    removed: isRemoved(row.raw_data),
    writtenAt: row.last_sync_at,
  };
}

function isRemoved(raw: unknown): boolean {
  return Boolean((raw as { _helios?: { removedAt?: string } } | null)?._helios?.removedAt);
}

/**
 * One cloud step. A first attempt skips when the cloud's mirror, written since the action started,
 * already shows the wanted state, else calls. A re-run (an earlier attempt may have sent the call and
 * died before its journal row) reads the account live from the cloud first and calls only when the
 * cloud does not show the wanted state yet: each account is changed by one call.
 */
async function cloudStep(
  rt: ServiceRuntime,
  organizationId: string,
  row: ActionRow,
  cloud: DirectoryIntegration,
  externalId: string,
  rerun: boolean,
): Promise<StepResult> {
  const action = row.action_type as 'suspend' | 'unsuspend' | 'delete' | 'restore';
  const base = { cloud: cloud.id, externalId };
  const state = await cloudState(rt, organizationId, row, cloud, externalId, rerun);
  if (action === 'delete') {
    if (state?.removed)
      return {
        status: 'skipped',
        details: { ...base, reason: state.live ? 'not_found_in_cloud' : 'already_removed' },
      };
    try {
      await cloud.deleteUser(externalId);
    } catch (error) {
      // Gone already (deleted outside Helios, or by a call whose journal row was lost).
      if (
        isHeliosError(error) &&
        error.kind === 'NOT_FOUND' &&
        error.code !== 'GOOGLE.NOT_CONFIGURED'
      ) {
        return {
          status: 'skipped',
          details: { ...base, reason: 'not_found_in_cloud', code: error.code },
        };
      }
      throw error;
    }
    return { status: 'completed', details: { ...base, operation: 'deleteUser' } };
  }
  if (state?.removed)
    return { status: 'skipped', details: { ...base, reason: 'removed_in_cloud' } };
  const wantBlocked = action === 'suspend';
  if (state?.fresh && state.blocked === wantBlocked) {
    return {
      status: 'skipped',
      details: {
        ...base,
        reason: wantBlocked ? 'already_suspended' : 'already_active',
        ...(state.live ? { readLive: true } : {}),
      },
    };
  }
  if (wantBlocked) await cloud.suspendUser(externalId);
  else await cloud.restoreUser(externalId);
  return {
    status: 'completed',
    details: { ...base, operation: wantBlocked ? 'suspendUser' : 'restoreUser' },
  };
}

/**
 * What the step knows of the account: read live on a re-run; else the mirror (`fresh` when written
 * since the action started). Null when the mirror has no row.
 */
async function cloudState(
  rt: ServiceRuntime,
  organizationId: string,
  row: ActionRow,
  cloud: DirectoryIntegration,
  externalId: string,
  rerun: boolean,
): Promise<{ blocked: boolean; removed: boolean; fresh: boolean; live: boolean } | null> {
  if (rerun) {
    const account = await cloud.getUser(externalId);
    return account
      ? { blocked: account.blocked, removed: false, fresh: true, live: true }
      : { blocked: true, removed: true, fresh: true, live: true };
  }
  const mirror = await mirrorOf(rt.db, organizationId, cloud, externalId);
  if (!mirror) return null;
  const fresh =
    row.started_at !== null && mirror.writtenAt !== null && mirror.writtenAt >= row.started_at;
  return { ...mirror, fresh, live: false };
}

/** The local step: the Helios user's status, through `helios.users` (audited there). */
async function localStep(scope: HeliosScope, row: ActionRow): Promise<StepResult> {
  const action = row.action_type as keyof typeof LOCAL_TARGET;
  const userId = row.user_id;
  const user = userId ? await scope.users.find(userId) : null;
  if (!user || !userId) throw SCHEDULED_ACTIONS_ERRORS.USER_GONE({ userId });
  const target = LOCAL_TARGET[action];
  if (user.status === target)
    return { status: 'skipped', details: { userId, reason: `already_${target}` } };
  if (
    (action === 'unsuspend' && user.status !== 'suspended') ||
    (action === 'restore' && user.status !== 'deleted')
  ) {
    throw SCHEDULED_ACTIONS_ERRORS.INVALID_USER_STATE({
      userId,
      actionType: action,
      userStatus: user.status,
    });
  }
  const before = user.status;
  if (action === 'suspend') await scope.users.suspend(userId);
  else if (action === 'unsuspend') await scope.users.unsuspend(userId);
  else if (action === 'delete') await scope.users.delete(userId);
  else await scope.users.restore(userId);
  return { status: 'completed', details: { userId, from: before, to: target } };
}

/** The steps already done (completed or skipped) in an earlier attempt of this action. */
async function doneSteps(db: Kysely<Database>, actionId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('user_lifecycle_logs')
    .select('step_name')
    .where('action_id', '=', actionId)
    .where('status', 'in', ['completed', 'skipped'])
    .execute();
  return new Set(rows.map((r) => r.step_name));
}

/** Runs the steps; returns null when all went through, else the failure. */
async function executeSteps(
  rt: ServiceRuntime,
  scope: HeliosScope,
  row: ActionRow,
  rerun: boolean,
): Promise<StepFailure | null> {
  const organizationId = row.organization_id;
  // Onboard and offboard actions never get here: the run claims them to the lifecycle runs.

  // The plan: the local user, then each connected cloud where the user is linked (read before the
  // local step, which may change the user).
  const steps: Array<{
    name: string;
    type: 'local' | 'integration';
    run: () => Promise<StepResult>;
  }> = [{ name: 'local_user', type: 'local', run: () => localStep(scope, row) }];
  if (row.user_id) {
    for (const cloud of await scope.integrations.connected()) {
      const externalId = await cloud.externalUserId(row.user_id);
      if (externalId)
        steps.push({
          name: cloud.id,
          type: 'integration',
          run: () => cloudStep(rt, organizationId, row, cloud, externalId, rerun),
        });
    }
  }
  const done = await doneSteps(rt.db, row.id);
  let completed = steps.filter((step) => done.has(step.name)).length;
  await rt.write(undefined, (s) =>
    s.db
      .updateTable('scheduled_user_actions')
      .set({ total_steps: steps.length, completed_steps: completed, updated_at: s.now })
      .where('id', '=', row.id)
      .execute(),
  );
  for (const step of steps) {
    if (done.has(step.name)) continue;
    await rt.write(undefined, (s) =>
      s.db
        .updateTable('scheduled_user_actions')
        .set({ current_step: step.name, updated_at: s.now })
        .where('id', '=', row.id)
        .execute(),
    );
    const started = Date.now();
    try {
      const result = await step.run();
      completed += 1;
      await rt.write(undefined, async (s) => {
        await journal(s, row, {
          step: step.name,
          type: step.type,
          status: result.status,
          details: result.details,
          durationMs: Date.now() - started,
        });
        await s.db
          .updateTable('scheduled_user_actions')
          .set({ completed_steps: completed, updated_at: s.now })
          .where('id', '=', row.id)
          .execute();
      });
    } catch (error) {
      const info = describe(error);
      await rt.write(undefined, (s) =>
        journal(s, row, {
          step: step.name,
          type: step.type,
          status: 'failed',
          details: {
            code: info.code,
            kind: info.kind,
            ...(info.details ? { error: info.details } : {}),
          },
          error: info.message,
          durationMs: Date.now() - started,
        }),
      );
      return new StepFailure(step.name, error);
    }
  }
  return null;
}

/** Ends an in-progress attempt: the row's new state and its audit row (`scheduled_actions.<action>`). */
async function endAttempt(
  s: OperationScope,
  row: ActionRow,
  set: Updateable<Database['scheduled_user_actions']>,
  audit: {
    action: 'run' | 'retry' | 'failed';
    details: (ended: ActionRow) => Record<string, unknown>;
  },
): Promise<ActionRow> {
  const ended = await s.db
    .updateTable('scheduled_user_actions')
    .set({ current_step: null, updated_at: s.now, ...set })
    .where('id', '=', row.id)
    .where('status', '=', 'in_progress')
    .returningAll()
    .executeTakeFirstOrThrow();
  await s.audit({
    action: `scheduled_actions.${audit.action}`,
    resource: 'scheduled_user_action',
    resourceId: row.id,
    details: audit.details(ended),
  });
  return ended;
}

/** Records the end of an attempt: completed (and the next occurrence), a retry, or failed. */
async function finish(
  rt: ServiceRuntime,
  row: ActionRow,
  failure: StepFailure | null,
): Promise<ActionRow> {
  return rt.write(undefined, async (s) => {
    if (!failure) {
      const recurring = row.is_recurring === true && row.recurrence_interval !== null;
      const done = await endAttempt(
        s,
        row,
        {
          status: 'completed',
          completed_at: s.now,
          error_message: null,
          error_details: null,
          next_retry_at: null,
          ...(recurring ? { last_recurrence_at: s.now } : {}),
        },
        {
          action: 'run',
          details: (ended) => ({
            actionType: row.action_type,
            status: 'completed',
            steps: ended.total_steps,
          }),
        },
      );
      if (recurring) {
        const next = nextOccurrence(
          row.scheduled_for,
          row.recurrence_interval as RecurrenceInterval,
          row.recurrence_until,
          s.now,
        );
        if (next) {
          // The next occurrence is a new row (each occurrence keeps its own times, steps and journal);
          // an approval covers the series.
          const created = await s.db
            .insertInto('scheduled_user_actions')
            .values({
              organization_id: row.organization_id,
              user_id: row.user_id,
              target_email: row.target_email,
              target_first_name: row.target_first_name,
              target_last_name: row.target_last_name,
              target_personal_email: row.target_personal_email,
              action_type: row.action_type,
              onboarding_template_id: row.onboarding_template_id,
              offboarding_template_id: row.offboarding_template_id,
              action_config: JSON.stringify(row.action_config ?? {}) as never,
              config_overrides: JSON.stringify(row.config_overrides ?? {}) as never,
              scheduled_for: next,
              is_recurring: true,
              recurrence_interval: row.recurrence_interval,
              recurrence_until: row.recurrence_until,
              last_recurrence_at: s.now,
              status: 'pending',
              max_retries: row.max_retries,
              requires_approval: row.requires_approval,
              approved_by: row.approved_by,
              approved_at: row.approved_at,
              approval_notes: row.approval_notes,
              created_by: row.created_by,
              created_at: s.now,
              updated_at: s.now,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          await s.audit({
            action: 'scheduled_actions.recur',
            resource: 'scheduled_user_action',
            resourceId: created.id,
            details: {
              previousActionId: row.id,
              scheduledFor: next.toISOString(),
              interval: row.recurrence_interval,
            },
          });
          await enqueueRun(rt, s.db, created);
        }
      }
      await enqueueDependents(rt, s, row.id);
      return done;
    }

    const info = describe(failure.error);
    const retries = row.retry_count ?? 0;
    const errorDetails = JSON.stringify({
      code: info.code,
      kind: info.kind,
      step: failure.step,
      details: info.details,
    }) as never;
    if (!info.permanent && retries < (row.max_retries ?? 3)) {
      const nextRetryAt = new Date(s.now.getTime() + retryDelayMs(retries + 1));
      const retried = await endAttempt(
        s,
        row,
        {
          status: 'pending',
          retry_count: retries + 1,
          next_retry_at: nextRetryAt,
          error_message: info.message,
          error_details: errorDetails,
        },
        {
          action: 'retry',
          details: () => ({
            code: info.code,
            step: failure.step,
            retry: retries + 1,
            nextRetryAt: nextRetryAt.toISOString(),
          }),
        },
      );
      await enqueueRun(rt, s.db, retried);
      return retried;
    }
    const failed = await endAttempt(
      s,
      row,
      {
        status: 'failed',
        completed_at: s.now,
        error_message: info.message,
        error_details: errorDetails,
        next_retry_at: null,
      },
      {
        action: 'failed',
        details: () => ({
          code: info.code,
          step: failure.step,
          actionType: row.action_type,
          retries,
        }),
      },
    );
    await enqueueDependents(rt, s, row.id);
    return failed;
  });
}

/**
 * Claims and runs the action `actionId` if it may run now (see the module comment); returns it as
 * the attempt left it, or null when this job had nothing to do.
 */
export async function runScheduledAction(
  rt: ServiceRuntime,
  scope: HeliosScope | null,
  actionId: string,
  job: JobInfo | null,
): Promise<ScheduledAction | null> {
  const claimed = await claim(rt, actionId, job);
  if (claimed.kind === 'skip') return null;
  if (claimed.kind === 'ended') return toScheduledAction(claimed.row);
  if (!scope) throw new Error('scheduled actions: the run needs the Helios scope');
  const type = claimed.row.action_type;
  if (type === 'onboard' || type === 'offboard') {
    // A lifecycle run: the lifecycle engine plans it (if scheduled without a plan), runs each step
    // as a job and ends the row when its steps end.
    const runs = scope.lifecycle.runs as unknown as Record<symbol, (id: string) => Promise<void>>;
    await runs[START_LIFECYCLE_RUN]!(claimed.row.id);
    const row = await rt.db
      .selectFrom('scheduled_user_actions')
      .selectAll()
      .where('id', '=', claimed.row.id)
      .executeTakeFirstOrThrow();
    return toScheduledAction(row);
  }
  const failure = await executeSteps(rt, scope, claimed.row, claimed.rerun);
  return toScheduledAction(await finish(rt, claimed.row, failure));
}
