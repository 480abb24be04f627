/**
 * `helios.lifecycle.onboard`, `helios.lifecycle.offboard` and `helios.lifecycle.runs`: plan a run
 * (nothing written), apply it (stored as a `scheduled_user_actions` row, each step a job, see
 * lifecycle.runs.engine.ts), resume it, read it with its journal.
 *
 * Who may: plan, apply and resume are for administrators (portal admins, the system, API keys with
 * `users:write`; onboarding overrides naming groups, shared drives or calendars need `groups:write`
 * too; offboarding an administrator needs an administrator); reading runs for administrators (and
 * keys with `users:read`). Apply and resume
 * write an audit row (`lifecycle.runs.apply`, `lifecycle.runs.resume`).
 */
import type { HeliosScope } from '../../helios';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { keysetPage, type Page } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import type { JobInfo } from '../jobs';
import type { CallOptions } from '../policy/actor';
import { assertAdministrator } from '../policy/policy';
import { enqueueRun } from '../scheduled-actions';
import { LIFECYCLE_ERRORS } from './lifecycle.errors';
import {
  configOf,
  ENGINE,
  explain,
  journal,
  type RunConfig,
  reopenRun,
  runStep,
  startRun,
} from './lifecycle.runs.engine';
import { buildOffboardPlan, buildOnboardPlan } from './lifecycle.runs.planner';
import {
  type LifecyclePlan,
  type ListRunsInput,
  listRunsSchema,
  type OffboardInput,
  type OnboardInput,
  offboardInputSchema,
  onboardInputSchema,
  type RunKind,
  type RunStep,
  runIdSchema,
} from './lifecycle.runs.schema';
import { type RunsSweepResult, SWEEP_RUNS, sweepRuns } from './lifecycle.runs.sweep';

/** A run: the plan's steps with their states and the row's progress. */
export interface LifecycleRun {
  id: string;
  kind: RunKind;
  /** `pending` (scheduled for later), `in_progress`, `completed`, `failed`, `cancelled`. */
  status: string;
  userId: string | null;
  email: string;
  templateId: string | null;
  requestId: string | null;
  scheduledFor: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  totalSteps: number;
  completedSteps: number;
  currentStep: string | null;
  errorMessage: string | null;
  steps: RunStep[];
  createdBy: string | null;
  createdAt: Date | null;
}

/** One journal row of a run. */
export interface RunJournalEntry {
  stepId: string;
  kind: string;
  /** `started`, `succeeded`, `failed` or `skipped`. */
  status: string;
  details: Record<string, unknown>;
  errorMessage: string | null;
  durationMs: number | null;
  createdAt: Date | null;
}

/** A run with its journal. */
export interface LifecycleRunWithJournal extends LifecycleRun {
  journal: RunJournalEntry[];
}

/** `helios.lifecycle.onboard` / `helios.lifecycle.offboard`. */
export interface LifecycleRunOperations<I> {
  /**
   * The ordered steps the run would make, each with its exact call and why, or why it is skipped.
   * Writes nothing and calls no cloud.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `LIFECYCLE.REFERENCE_NOT_FOUND`,
   *   `LIFECYCLE.RUN_USER_NOT_FOUND`; NOT_FOUND `LIFECYCLE.TEMPLATE_NOT_FOUND`; CONFLICT
   *   `LIFECYCLE.RUN_USER_EXISTS`; PRECONDITION_FAILED `LIFECYCLE.RUN_REQUEST_INVALID`; FORBIDDEN
   * @example
   * ```ts
   * const plan = await helios.lifecycle.offboard.plan({ userId, lastDay: '2027-01-31' });
   * ```
   */
  plan(input: I, options?: CallOptions): Promise<LifecyclePlan>;
  /**
   * Plans, stores the plan as a run and runs each step as a job (at `scheduledFor`, if given).
   * @throws HeliosError the errors of `plan`
   * @example
   * ```ts
   * const run = await helios.lifecycle.onboard.apply({ user: { email, firstName, lastName } });
   * ```
   */
  apply(input: I, options?: CallOptions): Promise<LifecycleRun>;
}

/** `helios.lifecycle.runs`. */
export interface LifecycleRunsService {
  /**
   * A run with its steps and journal.
   * @throws HeliosError NOT_FOUND `LIFECYCLE.RUN_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  get(id: string, options?: CallOptions): Promise<LifecycleRunWithJournal>;
  /**
   * Runs, newest first, by kind, status and user (keyset paging).
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`; FORBIDDEN
   */
  list(filter?: ListRunsInput, options?: CallOptions): Promise<Page<LifecycleRun>>;
  /**
   * Runs again only the failed and never-run steps (succeeded and skipped ones are not called again).
   * @throws HeliosError NOT_FOUND `LIFECYCLE.RUN_NOT_FOUND`; CONFLICT `LIFECYCLE.RUN_NOT_RESUMABLE`; FORBIDDEN
   */
  resume(id: string, options?: CallOptions): Promise<LifecycleRun>;
}

/** @internal The step task's entry point. */
export const RUN_STEP = Symbol.for('helios.lifecycle.runs.step');
/** @internal The scheduled-actions runner's entry point for a due onboard/offboard action. */
export const START_RUN = Symbol.for('helios.lifecycle.runs.start');

/** @internal The runs service with its entry points. */
export type LifecycleRunsInternal = LifecycleRunsService & {
  [RUN_STEP](runId: string, stepId: string, job: JobInfo | null): Promise<void>;
  [START_RUN](actionId: string): Promise<void>;
  [SWEEP_RUNS](options: { leaseMs?: number }): Promise<RunsSweepResult>;
};

type RunRow = Row<'scheduled_user_actions'>;

function toRun(row: RunRow): LifecycleRun {
  const cfg = configOf(row);
  return {
    id: row.id,
    kind: row.action_type as RunKind,
    status: row.status ?? 'pending',
    userId: row.user_id,
    email: cfg?.plan.email ?? row.target_email ?? '',
    templateId: cfg?.plan.templateId ?? null,
    requestId: cfg?.plan.requestId ?? null,
    scheduledFor: row.scheduled_for,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    totalSteps: row.total_steps ?? 0,
    completedSteps: row.completed_steps ?? 0,
    currentStep: row.current_step,
    errorMessage: row.error_message,
    steps: (cfg?.steps ?? []).map(({ jobId: _job, claimedAt: _claimed, ...step }) => step),
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

async function authorizeRun(s: OperationScope, what: string): Promise<void> {
  if (s.principal.actor.type === 'user') assertAdministrator(s.principal, 'users:write', what);
  await s.authorize('users:write');
}

/**
 * An onboarding that names groups, shared drives or calendars itself (overrides) grants access the
 * way `accessGroups.addMember` does: it needs `groups:write` too (a `users:write` key may run the
 * administrators' templates as they are, not pick a new hire's groups).
 */
async function authorizeAccessOverrides(s: OperationScope, input: OnboardInput): Promise<void> {
  const o = input.overrides;
  if (!o) return;
  if (
    (o.groupIds?.length ?? 0) > 0 ||
    (o.sharedDriveAccess?.length ?? 0) > 0 ||
    (o.calendarSubscriptions?.length ?? 0) > 0
  )
    await s.authorize('groups:write');
}

async function authorizeRead(s: OperationScope): Promise<void> {
  if (s.principal.actor.type === 'user')
    assertAdministrator(s.principal, 'users:read', 'Reading lifecycle runs');
  await s.authorize('users:read');
}

/** Resuming an offboarding acts on the leaver as applying it does: an administrator's needs one. */
async function authorizeResumeTarget(s: OperationScope, row: RunRow): Promise<void> {
  if (row.action_type !== 'offboard' || !row.user_id) return;
  const user = await s.db
    .selectFrom('organization_users')
    .select('role')
    .where('organization_id', '=', s.organizationId)
    .where('id', '=', row.user_id)
    .executeTakeFirst();
  if (user?.role === 'admin')
    assertAdministrator(s.principal, 'users:write', "Resuming an administrator's offboarding");
}

async function findRun(s: OperationScope, id: string, lock = false): Promise<RunRow> {
  const parsed = runIdSchema.safeParse(id);
  if (!parsed.success) throw LIFECYCLE_ERRORS.RUN_NOT_FOUND({ id: String(id).slice(0, 64) });
  let q = s.db
    .selectFrom('scheduled_user_actions')
    .selectAll()
    .where('organization_id', '=', s.organizationId)
    .where('id', '=', parsed.data)
    .where('action_type', 'in', ['onboard', 'offboard']);
  if (lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw LIFECYCLE_ERRORS.RUN_NOT_FOUND({ id: parsed.data });
  return row;
}

const initialConfig = (plan: LifecyclePlan): RunConfig => {
  const { steps, ...rest } = plan;
  return {
    engine: ENGINE,
    plan: rest,
    started: false,
    steps: steps.map((st) => ({ ...st, attempts: 0, output: null, change: null, error: null })),
  };
};

/** Builds the onboard and offboard operations and the runs service of one scope. */
export function createLifecycleRunsServices(
  rt: ServiceRuntime,
  scope: () => HeliosScope,
): {
  onboard: LifecycleRunOperations<OnboardInput>;
  offboard: LifecycleRunOperations<OffboardInput>;
  runs: LifecycleRunsInternal;
} {
  const planOf = async (kind: RunKind, input: unknown, options?: CallOptions) => {
    const data =
      kind === 'onboard'
        ? parseInput(onboardInputSchema, input)
        : parseInput(offboardInputSchema, input);
    return rt.read(options, async (s) => {
      await authorizeRun(s, kind === 'onboard' ? 'Onboarding a user' : 'Offboarding a user');
      if (kind === 'onboard') await authorizeAccessOverrides(s, data as OnboardInput);
      const plan =
        kind === 'onboard'
          ? await buildOnboardPlan(s, scope(), data as never)
          : await buildOffboardPlan(s, scope(), data as never);
      return { plan, scheduledFor: data.scheduledFor ?? null };
    });
  };

  const apply = async (kind: RunKind, input: unknown, options?: CallOptions) => {
    const { plan, scheduledFor } = await planOf(kind, input, options);
    return rt.write(options, async (s) => {
      await authorizeRun(s, kind === 'onboard' ? 'Onboarding a user' : 'Offboarding a user');
      const cfg = initialConfig(plan);
      const later = scheduledFor !== null && scheduledFor > s.now;
      const row = await s.db
        .insertInto('scheduled_user_actions')
        .values({
          organization_id: s.organizationId,
          user_id: plan.userId,
          target_email: plan.email,
          action_type: kind,
          onboarding_template_id: kind === 'onboard' ? plan.templateId : null,
          offboarding_template_id: kind === 'offboard' ? plan.templateId : null,
          action_config: JSON.stringify(cfg) as never,
          scheduled_for: scheduledFor ?? s.now,
          status: later ? 'pending' : 'in_progress',
          started_at: later ? null : s.now,
          total_steps: cfg.steps.length,
          completed_steps: 0,
          max_retries: 0,
          created_by: s.principal.userId,
          created_at: s.now,
          updated_at: s.now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await s.audit({
        action: 'lifecycle.runs.apply',
        resource: 'lifecycle_run',
        resourceId: row.id,
        details: {
          kind,
          userId: plan.userId,
          email: plan.email,
          templateId: plan.templateId,
          requestId: plan.requestId,
          steps: cfg.steps.length,
          skipped: cfg.steps.filter((st) => st.state === 'skipped').length,
          ...(later ? { scheduledFor: scheduledFor?.toISOString() } : {}),
        },
      });
      if (later) {
        // A run that starts later is a scheduled action: its runner starts it through START_RUN.
        await enqueueRun(rt, s.db, row);
        return toRun(row);
      }
      return toRun(await startRun(rt, s, row, cfg));
    });
  };

  const runs: LifecycleRunsInternal = {
    get: (id, options) =>
      rt.read(options, async (s) => {
        await authorizeRead(s);
        const row = await findRun(s, id);
        const logs = await s.db
          .selectFrom('user_lifecycle_logs')
          .selectAll()
          .where('organization_id', '=', s.organizationId)
          .where('action_id', '=', row.id)
          .orderBy('created_at')
          .orderBy('id')
          .execute();
        return {
          ...toRun(row),
          journal: logs.map((l) => ({
            stepId: l.step_name,
            kind: l.step_type,
            status: l.status,
            details: (l.details as Record<string, unknown>) ?? {},
            errorMessage: l.error_message,
            durationMs: l.duration_ms,
            createdAt: l.created_at,
          })),
        };
      }),

    list: (filter, options) =>
      rt.read(options, async (s) => {
        const f = parseInput(listRunsSchema, filter ?? {});
        await authorizeRead(s);
        const paging = keysetPage({
          list: 'lifecycleRuns',
          keys: [
            { by: 'created_at', kind: 'timestamp' },
            { by: 'id', kind: 'uuid' },
          ],
          direction: 'desc',
          limit: f.limit,
          cursor: f.cursor,
        });
        let q = s.db
          .selectFrom('scheduled_user_actions')
          .selectAll()
          .where('organization_id', '=', s.organizationId)
          .where('action_type', 'in', f.kind ? [f.kind] : ['onboard', 'offboard']);
        if (f.status) q = q.where('status', '=', f.status);
        if (f.userId) q = q.where('user_id', '=', f.userId);
        return paging.page(await q.$call(paging.query).execute(), toRun);
      }),

    resume: (id, options) =>
      rt.write(options, async (s) => {
        await authorizeRun(s, 'Resuming a lifecycle run');
        const row = await findRun(s, id, true);
        await authorizeResumeTarget(s, row);
        const cfg = configOf(row);
        // A run in progress only for a step of a later date (the end of a forwarding, a deletion)
        // can have failed steps already: they are resumed now, not when that date comes.
        const failedInProgress =
          row.status === 'in_progress' && !!cfg?.steps.some((st) => st.state === 'failed');
        if (!cfg || (row.status !== 'failed' && row.status !== 'completed' && !failedInProgress))
          throw LIFECYCLE_ERRORS.RUN_NOT_RESUMABLE({ id: row.id, status: row.status ?? 'pending' });
        const reopened = await reopenRun(rt, s, row, cfg);
        if (!reopened)
          throw LIFECYCLE_ERRORS.RUN_NOT_RESUMABLE({
            id: row.id,
            status: row.status ?? 'completed',
          });
        await s.audit({
          action: 'lifecycle.runs.resume',
          resource: 'lifecycle_run',
          resourceId: row.id,
          details: {
            steps: cfg.steps.filter((st) => st.state === 'queued').map((st) => st.id),
          },
        });
        return toRun(reopened);
      }),

    [RUN_STEP]: (runId, stepId, job) => runStep(rt, scope(), runId, stepId, job),

    [SWEEP_RUNS]: (options) => sweepRuns(rt, options),

    [START_RUN]: async (actionId) => {
      // A due onboard/offboard action the scheduled-actions runner claimed (in_progress): plan it
      // now if it was scheduled without a plan, then start it.
      const organizationId = await rt.organizationId();
      const row0 = await rt.db
        .selectFrom('scheduled_user_actions')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('id', '=', actionId)
        .executeTakeFirstOrThrow();
      let fresh: RunConfig | null = null;
      if (!configOf(row0)) {
        const overrides = (row0.config_overrides ?? {}) as Record<string, unknown>;
        const kind = row0.action_type as RunKind;
        const input =
          kind === 'onboard'
            ? {
                ...(row0.onboarding_template_id ? { templateId: row0.onboarding_template_id } : {}),
                ...(Object.keys(overrides).length ? { overrides } : {}),
                user: {
                  email: row0.target_email,
                  firstName: row0.target_first_name,
                  lastName: row0.target_last_name,
                  ...(row0.target_personal_email
                    ? { personalEmail: row0.target_personal_email }
                    : {}),
                },
              }
            : {
                ...(row0.offboarding_template_id
                  ? { templateId: row0.offboarding_template_id }
                  : {}),
                ...(Object.keys(overrides).length ? { overrides } : {}),
                userId: row0.user_id,
              };
        try {
          fresh = initialConfig((await planOf(kind, input)).plan);
        } catch (error) {
          // Not plannable (a bad target, a missing template...): the action fails, never completes.
          const info = explain(error);
          await rt.write(undefined, async (s) => {
            const row = await findRun(s, actionId, true);
            if (row.status !== 'in_progress') return;
            await journal(
              s,
              row,
              { id: 'plan', kind: 'plan', platform: 'local', call: null },
              'failed',
              {
                details: { error: { code: info.code, message: info.message } },
                error: info.message,
                durationMs: 0,
              },
            );
            await s.db
              .updateTable('scheduled_user_actions')
              .set({
                status: 'failed',
                completed_at: s.now,
                error_message: info.message,
                error_details: JSON.stringify({ code: info.code, step: 'plan' }) as never,
                updated_at: s.now,
              })
              .where('id', '=', row.id)
              .execute();
          });
          return;
        }
      }
      await rt.write(undefined, async (s) => {
        const row = await findRun(s, actionId, true);
        if (row.status !== 'in_progress') return;
        const cfg = configOf(row) ?? fresh;
        if (!cfg) return;
        await startRun(rt, s, row, cfg);
      });
    },
  };

  return {
    onboard: {
      plan: async (input, options) => (await planOf('onboard', input, options)).plan,
      apply: (input, options) => apply('onboard', input, options),
    },
    offboard: {
      plan: async (input, options) => (await planOf('offboard', input, options)).plan,
      apply: (input, options) => apply('offboard', input, options),
    },
    runs,
  };
}
