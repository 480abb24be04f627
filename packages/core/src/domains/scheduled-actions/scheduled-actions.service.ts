/**
 * `helios.scheduledActions`: user actions (onboard, offboard, suspend, unsuspend, delete, restore)
 * scheduled for later, with approval, dependencies, retries and recurrence. Each action is run by
 * the `scheduled-actions.run` job (queued with the job key `scheduled-action:<id>` at its due time)
 * exactly once: the job claims the row with a conditional update (see scheduled-actions.run.ts).
 *
 * Who may do what (the policy's `users` permissions, plus administrator checks):
 * - read (`get`, `list`, `pendingApproval`, `logs`): `users:read`. Administrators, the system and
 *   API keys with `users:read` see every action; a manager sees the actions of themself and their
 *   reports; a user sees the actions about themself (not onboard and offboard ones: lifecycle
 *   runs, read by administrators).
 * - manage (`create`, `update`, `cancel`): `users:write`, and for portal users an administrator
 *   (managers and users cannot schedule lifecycle actions); an action on an administrator's account
 *   needs an administrator whatever the key's scopes.
 * - `approve`, `reject`, `dispatchDue`: administrators only (admins, `admin:full` keys, the system).
 *   The creator may approve their own action (no four-eyes rule yet).
 *
 * Owns: scheduled_user_actions, user_lifecycle_logs (written by the run task).
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import { CORE_ERRORS } from '../../errors/core.errors';
import type { HeliosScope } from '../../helios';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { keysetPage, type Page } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import type { JobInfo } from '../jobs';
import type { CallOptions } from '../policy/actor';
import { assertAdministrator } from '../policy/policy';
import { SCHEDULED_ACTIONS_ERRORS } from './scheduled-actions.errors';
import { authorizeLifecycleConfig } from './scheduled-actions.lifecycle-config';
import {
  type LifecycleLog,
  type ScheduledAction,
  toLifecycleLog,
  toScheduledAction,
} from './scheduled-actions.model';
import { DISPATCH_TASK, enqueueDependents, enqueueRun, RUN_TASK } from './scheduled-actions.queue';
import { runScheduledAction, STALE_CLAIM_MS } from './scheduled-actions.run';
import {
  actionIdSchema,
  approveSchema,
  type CreateScheduledActionInput,
  cancelSchema,
  createScheduledActionSchema,
  dispatchSchema,
  type ListScheduledActionsInput,
  listScheduledActionsSchema,
  type PendingApprovalInput,
  pageSchema,
  rejectSchema,
  type UpdateScheduledActionInput,
  updateScheduledActionSchema,
} from './scheduled-actions.schema';

/** Scheduled user actions. */
export interface ScheduledActionsService {
  /**
   * Schedules an action and queues its run job at `scheduledFor` (administrators and `users:write` keys).
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `SCHEDULED_ACTIONS.USER_NOT_FOUND`,
   *   `SCHEDULED_ACTIONS.BAD_DEPENDENCY`, `SCHEDULED_ACTIONS.TEMPLATE_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.scheduledActions.create({ actionType: 'suspend', userId, scheduledFor: '2026-12-31T17:00:00Z' });
   * ```
   */
  create(input: CreateScheduledActionInput, options?: CallOptions): Promise<ScheduledAction>;
  /**
   * A page of actions ordered by due time (then id), filtered by status, type, user and due range.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`
   */
  list(filter?: ListScheduledActionsInput, options?: CallOptions): Promise<Page<ScheduledAction>>;
  /** One action. @throws HeliosError NOT_FOUND `SCHEDULED_ACTIONS.NOT_FOUND` */
  get(id: string, options?: CallOptions): Promise<ScheduledAction>;
  /**
   * Changes a pending action (and re-queues its run job). Changing an approved action that requires
   * approval withdraws the approval: it must be approved again.
   * @throws HeliosError NOT_FOUND; PRECONDITION_FAILED `SCHEDULED_ACTIONS.NOT_PENDING`; INVALID_INPUT as `create`
   */
  update(
    id: string,
    patch: UpdateScheduledActionInput,
    options?: CallOptions,
  ): Promise<ScheduledAction>;
  /**
   * Cancels a pending action: it never runs; actions depending on it fail with `SCHEDULED_ACTIONS.DEPENDENCY_FAILED`.
   * @throws HeliosError NOT_FOUND; PRECONDITION_FAILED `SCHEDULED_ACTIONS.NOT_PENDING`
   */
  cancel(id: string, input?: { reason?: string }, options?: CallOptions): Promise<ScheduledAction>;
  /**
   * Approves a pending action that requires approval (administrators): it runs when due.
   * @throws HeliosError NOT_FOUND; PRECONDITION_FAILED `SCHEDULED_ACTIONS.NOT_PENDING`, `SCHEDULED_ACTIONS.APPROVAL_NOT_EXPECTED`
   */
  approve(id: string, input?: { notes?: string }, options?: CallOptions): Promise<ScheduledAction>;
  /**
   * Rejects a pending action that requires approval (administrators): it becomes `cancelled` with
   * the rejection fields and never runs.
   * @throws HeliosError as `approve`; INVALID_INPUT `VALIDATION.FAILED` without a reason
   */
  reject(id: string, input: { reason: string }, options?: CallOptions): Promise<ScheduledAction>;
  /** Pending actions waiting for approval, oldest due first. */
  pendingApproval(
    input?: PendingApprovalInput,
    options?: CallOptions,
  ): Promise<Page<ScheduledAction>>;
  /** The journal of an action (`user_lifecycle_logs`), oldest first. @throws HeliosError NOT_FOUND */
  logs(id: string, options?: CallOptions): Promise<LifecycleLog[]>;
  /**
   * Queues the run job of every due, runnable, pending action (approved when required, dependency
   * ended), oldest first, at most `limit` (default 100); a waiting job of the same action is
   * replaced, never doubled (its job key); then the actions a dead worker left `in_progress` with
   * no journal row for 30 minutes (a job takes them over). Administrators and the system (the
   * `scheduled-actions.dispatch` cron).
   */
  dispatchDue(input?: { limit?: number }, options?: CallOptions): Promise<{ enqueued: number }>;
}

/** @internal The run entry point the task calls (not part of the public service). */
export const RUN_ACTION = Symbol('helios.scheduledActions.run');

/** @internal The service with its run entry point. */
export type ScheduledActionsInternal = ScheduledActionsService & {
  [RUN_ACTION](actionId: string, job: JobInfo | null): Promise<ScheduledAction | null>;
};

const MAX_DEPENDENCY_DEPTH = 50;

/** The ids of the users below `managerId` in the reporting line. */
async function reportsOf(
  db: Kysely<Database>,
  organizationId: string,
  managerId: string,
): Promise<string[]> {
  const result = await sql<{ id: string }>`
    with recursive chain(id, depth) as (
      select id, 1 from organization_users where organization_id = ${organizationId} and reporting_manager_id = ${managerId}
      union
      select u.id, c.depth + 1 from organization_users u join chain c on u.reporting_manager_id = c.id
       where u.organization_id = ${organizationId} and c.depth < ${MAX_DEPENDENCY_DEPTH}
    )
    select distinct id from chain`.execute(db);
  return result.rows.map((r) => r.id);
}

/** Which users' actions the caller may read: all, or a list of user ids. */
async function readableUsers(s: OperationScope): Promise<'all' | string[]> {
  const scope = s.policy.userScope(s.principal, 'users:read');
  if (scope === 'all') return 'all';
  return scope.includeReports
    ? [scope.selfId, ...(await reportsOf(s.db, s.organizationId, scope.selfId))]
    : [scope.selfId];
}

async function findRow(
  s: OperationScope,
  id: string,
  forUpdate = false,
): Promise<Row<'scheduled_user_actions'>> {
  const parsed = actionIdSchema.safeParse(id);
  if (!parsed.success) throw SCHEDULED_ACTIONS_ERRORS.NOT_FOUND({ id: String(id).slice(0, 64) });
  let query = s.db
    .selectFrom('scheduled_user_actions')
    .selectAll()
    .where('organization_id', '=', s.organizationId)
    .where('id', '=', parsed.data);
  if (forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw SCHEDULED_ACTIONS_ERRORS.NOT_FOUND({ id: parsed.data });
  return row;
}

/**
 * Onboard and offboard actions are lifecycle runs (their plan in `action_config`): like
 * `helios.lifecycle.runs`, only callers who read every user's actions see them (a leaver must not
 * read their own offboarding before it happens).
 */
const RUN_TYPES = ['onboard', 'offboard'];
const isRun = (type: string) => RUN_TYPES.includes(type);

/** A row the caller may read (else NOT_FOUND, not to reveal it). */
async function readableRow(s: OperationScope, id: string): Promise<Row<'scheduled_user_actions'>> {
  const row = await findRow(s, id);
  const users = await readableUsers(s);
  if (users !== 'all' && (!row.user_id || !users.includes(row.user_id) || isRun(row.action_type)))
    throw SCHEDULED_ACTIONS_ERRORS.NOT_FOUND({ id: row.id });
  return row;
}

/** Refuses unless the caller may manage actions on `userId` (see the module comment). */
async function authorizeManage(
  s: OperationScope,
  userId: string | null,
  what: string,
): Promise<void> {
  if (s.principal.actor.type === 'user') assertAdministrator(s.principal, 'users:write', what);
  await s.authorize('users:write', userId ? { userId } : undefined);
  if (userId) {
    const user = await s.db
      .selectFrom('organization_users')
      .select('role')
      .where('organization_id', '=', s.organizationId)
      .where('id', '=', userId)
      .executeTakeFirst();
    if (user?.role === 'admin')
      assertAdministrator(s.principal, 'users:write', `${what} on an administrator's account`);
  }
}

async function assertUserExists(s: OperationScope, userId: string): Promise<void> {
  const user = await s.db
    .selectFrom('organization_users')
    .select('id')
    .where('organization_id', '=', s.organizationId)
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!user) throw SCHEDULED_ACTIONS_ERRORS.USER_NOT_FOUND({ userId });
}

async function assertTemplate(
  s: OperationScope,
  kind: 'onboarding' | 'offboarding',
  templateId: string,
): Promise<void> {
  const table = kind === 'onboarding' ? 'onboarding_templates' : 'offboarding_templates';
  const row = await s.db
    .selectFrom(table)
    .select('id')
    .where('organization_id', '=', s.organizationId)
    .where('id', '=', templateId)
    .executeTakeFirst();
  if (!row) throw SCHEDULED_ACTIONS_ERRORS.TEMPLATE_NOT_FOUND({ templateId, kind });
}

/** The dependency exists in the organization and following it never leads back to `selfId`. */
async function assertDependency(
  s: OperationScope,
  dependsOnActionId: string,
  selfId: string | null,
): Promise<void> {
  let current: string | null = dependsOnActionId;
  for (let depth = 0; current && depth < MAX_DEPENDENCY_DEPTH; depth++) {
    if (current === selfId)
      throw SCHEDULED_ACTIONS_ERRORS.BAD_DEPENDENCY({ dependsOnActionId, reason: 'cycle' });
    const row = await s.db
      .selectFrom('scheduled_user_actions')
      .select('depends_on_action_id')
      .where('organization_id', '=', s.organizationId)
      .where('id', '=', current)
      .executeTakeFirst();
    if (!row) {
      if (depth === 0)
        throw SCHEDULED_ACTIONS_ERRORS.BAD_DEPENDENCY({ dependsOnActionId, reason: 'not_found' });
      return;
    }
    current = row.depends_on_action_id;
  }
  if (current)
    throw SCHEDULED_ACTIONS_ERRORS.BAD_DEPENDENCY({ dependsOnActionId, reason: 'cycle' });
}

function assertPending(row: Row<'scheduled_user_actions'>): void {
  if (row.status !== 'pending')
    throw SCHEDULED_ACTIONS_ERRORS.NOT_PENDING({ id: row.id, status: row.status ?? 'unknown' });
}

/** What the audit trail shows of an action. */
function auditView(row: Row<'scheduled_user_actions'> | null): Record<string, unknown> | null {
  if (!row) return null;
  return {
    actionType: row.action_type,
    userId: row.user_id,
    targetEmail: row.target_email,
    scheduledFor: row.scheduled_for.toISOString(),
    status: row.status,
    recurrenceInterval: row.recurrence_interval,
    requiresApproval: row.requires_approval,
    dependsOnActionId: row.depends_on_action_id,
    maxRetries: row.max_retries,
  };
}

/** Builds `helios.scheduledActions`; `scope` gives the run task the users and integrations services of the same actor. */
export function createScheduledActionsService(
  rt: ServiceRuntime,
  scope?: () => HeliosScope,
): ScheduledActionsInternal {
  const page = (list: string, limit: number, cursor: unknown) =>
    keysetPage({
      list,
      keys: [
        { by: 'scheduled_for', kind: 'timestamp' },
        { by: 'id', kind: 'uuid' },
      ],
      limit,
      cursor,
    });

  const service: ScheduledActionsInternal = {
    create: (input, options) =>
      rt.write(options, async (s) => {
        const data = parseInput(createScheduledActionSchema, input);
        await authorizeManage(s, data.userId ?? null, 'Scheduling a user action');
        authorizeLifecycleConfig(s, data.actionType, data);
        if (data.userId) await assertUserExists(s, data.userId);
        if (data.onboardingTemplateId)
          await assertTemplate(s, 'onboarding', data.onboardingTemplateId);
        if (data.offboardingTemplateId)
          await assertTemplate(s, 'offboarding', data.offboardingTemplateId);
        if (data.dependsOnActionId) await assertDependency(s, data.dependsOnActionId, null);
        const row = await s.db
          .insertInto('scheduled_user_actions')
          .values({
            organization_id: s.organizationId,
            user_id: data.userId ?? null,
            target_email: data.target?.email ?? null,
            target_first_name: data.target?.firstName ?? null,
            target_last_name: data.target?.lastName ?? null,
            target_personal_email: data.target?.personalEmail ?? null,
            action_type: data.actionType,
            onboarding_template_id: data.onboardingTemplateId ?? null,
            offboarding_template_id: data.offboardingTemplateId ?? null,
            action_config: JSON.stringify(data.config ?? {}) as never,
            config_overrides: JSON.stringify(data.configOverrides ?? {}) as never,
            scheduled_for: data.scheduledFor,
            is_recurring: data.recurrence !== undefined,
            recurrence_interval: data.recurrence?.interval ?? null,
            recurrence_until: data.recurrence?.until ?? null,
            status: 'pending',
            max_retries: data.maxRetries ?? 3,
            requires_approval: data.requiresApproval ?? false,
            depends_on_action_id: data.dependsOnActionId ?? null,
            created_by: s.principal.userId,
            created_at: s.now,
            updated_at: s.now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await s.audit({
          action: 'scheduled_actions.create',
          resource: 'scheduled_user_action',
          resourceId: row.id,
          details: summarizeChange(null, auditView(row)),
        });
        await enqueueRun(rt, s.db, row);
        return toScheduledAction(row);
      }),

    list: (filter, options) =>
      rt.read(options, async (s) => {
        const f = parseInput(listScheduledActionsSchema, filter ?? {});
        await s
          .authorize('users:read', f.userId ? { userId: f.userId } : undefined)
          .catch(async (error) => {
            // Without a specific user, non-administrators are limited to what they may read (below).
            if (f.userId) throw error;
          });
        const users = await readableUsers(s);
        const paging = page('scheduledActions', f.limit, f.cursor);
        let query = s.db
          .selectFrom('scheduled_user_actions')
          .selectAll()
          .where('organization_id', '=', s.organizationId);
        if (users !== 'all')
          query = query.where('user_id', 'in', users).where('action_type', 'not in', RUN_TYPES);
        if (f.status) query = query.where('status', '=', f.status);
        if (f.actionType) query = query.where('action_type', '=', f.actionType);
        if (f.userId) query = query.where('user_id', '=', f.userId);
        if (f.dueAfter) query = query.where('scheduled_for', '>=', f.dueAfter);
        if (f.dueBefore) query = query.where('scheduled_for', '<', f.dueBefore);
        return paging.page(await query.$call(paging.query).execute(), toScheduledAction);
      }),

    get: (id, options) =>
      rt.read(options, async (s) => toScheduledAction(await readableRow(s, id))),

    update: (id, patch, options) =>
      rt.write(options, async (s) => {
        const before = await findRow(s, id, true);
        const data = parseInput(updateScheduledActionSchema, patch);
        await authorizeManage(s, before.user_id, 'Changing a scheduled user action');
        authorizeLifecycleConfig(s, before.action_type, data);
        assertPending(before);
        const userId = data.userId === undefined ? before.user_id : data.userId;
        if (userId !== before.user_id) {
          if (!userId && before.action_type !== 'onboard') {
            throw CORE_ERRORS.VALIDATION_FAILED({
              issues: [
                {
                  path: 'userId',
                  message: `Required for a ${before.action_type} action`,
                  code: 'custom',
                },
              ],
            });
          }
          if (userId) {
            await authorizeManage(s, userId, 'Changing a scheduled user action');
            await assertUserExists(s, userId);
          }
        }
        if (data.onboardingTemplateId)
          await assertTemplate(s, 'onboarding', data.onboardingTemplateId);
        if (data.offboardingTemplateId)
          await assertTemplate(s, 'offboarding', data.offboardingTemplateId);
        if (data.dependsOnActionId) await assertDependency(s, data.dependsOnActionId, before.id);
        const scheduledFor = data.scheduledFor ?? before.scheduled_for;
        const until =
          data.recurrence === undefined
            ? before.recurrence_until
            : (data.recurrence?.until ?? null);
        if (until && until <= scheduledFor) {
          throw CORE_ERRORS.VALIDATION_FAILED({
            issues: [
              { path: 'recurrence.until', message: 'Must be after scheduledFor', code: 'custom' },
            ],
          });
        }
        if (
          !userId &&
          before.action_type === 'onboard' &&
          !(data.target === undefined ? before.target_email : data.target)
        ) {
          throw CORE_ERRORS.VALIDATION_FAILED({
            issues: [
              {
                path: 'target',
                message: 'An onboard action needs `target` (or `userId`)',
                code: 'custom',
              },
            ],
          });
        }
        const requiresApproval = data.requiresApproval ?? before.requires_approval === true;
        const changes: Record<string, unknown> = {
          ...(data.userId !== undefined ? { user_id: data.userId } : {}),
          ...(data.target !== undefined
            ? {
                target_email: data.target?.email ?? null,
                target_first_name: data.target?.firstName ?? null,
                target_last_name: data.target?.lastName ?? null,
                target_personal_email: data.target?.personalEmail ?? null,
              }
            : {}),
          ...(data.onboardingTemplateId !== undefined
            ? { onboarding_template_id: data.onboardingTemplateId }
            : {}),
          ...(data.offboardingTemplateId !== undefined
            ? { offboarding_template_id: data.offboardingTemplateId }
            : {}),
          ...(data.config !== undefined ? { action_config: JSON.stringify(data.config) } : {}),
          ...(data.configOverrides !== undefined
            ? { config_overrides: JSON.stringify(data.configOverrides) }
            : {}),
          ...(data.scheduledFor !== undefined ? { scheduled_for: data.scheduledFor } : {}),
          ...(data.recurrence !== undefined
            ? {
                is_recurring: data.recurrence !== null,
                recurrence_interval: data.recurrence?.interval ?? null,
                recurrence_until: data.recurrence?.until ?? null,
              }
            : {}),
          ...(data.maxRetries !== undefined ? { max_retries: data.maxRetries } : {}),
          ...(data.requiresApproval !== undefined
            ? { requires_approval: data.requiresApproval }
            : {}),
          ...(data.dependsOnActionId !== undefined
            ? { depends_on_action_id: data.dependsOnActionId }
            : {}),
          // A changed action is approved again (the approval was for what it was).
          ...(requiresApproval && before.approved_at
            ? { approved_by: null, approved_at: null, approval_notes: null }
            : {}),
          updated_at: s.now,
        };
        const row = await s.db
          .updateTable('scheduled_user_actions')
          .set(changes as never)
          .where('id', '=', before.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await s.audit({
          action: 'scheduled_actions.update',
          resource: 'scheduled_user_action',
          resourceId: row.id,
          details: summarizeChange(auditView(before), auditView(row)),
        });
        await enqueueRun(rt, s.db, row);
        return toScheduledAction(row);
      }),

    cancel: (id, input, options) =>
      rt.write(options, async (s) => {
        const before = await findRow(s, id, true);
        const data = parseInput(cancelSchema, input ?? {});
        await authorizeManage(s, before.user_id, 'Cancelling a scheduled user action');
        assertPending(before);
        const row = await s.db
          .updateTable('scheduled_user_actions')
          .set({
            status: 'cancelled',
            cancelled_by: s.principal.userId,
            cancelled_at: s.now,
            cancellation_reason: data.reason ?? null,
            updated_at: s.now,
          })
          .where('id', '=', before.id)
          .where('status', '=', 'pending')
          .returningAll()
          .executeTakeFirstOrThrow();
        await s.audit({
          action: 'scheduled_actions.cancel',
          resource: 'scheduled_user_action',
          resourceId: row.id,
          details: {
            reason: data.reason ?? null,
            ...summarizeChange(auditView(before), auditView(row)),
          },
        });
        await enqueueDependents(rt, s, row.id);
        return toScheduledAction(row);
      }),

    approve: (id, input, options) =>
      rt.write(options, async (s) => {
        assertAdministrator(s.principal, 'users:write', 'Approving a scheduled user action');
        const before = await findRow(s, id, true);
        const data = parseInput(approveSchema, input ?? {});
        assertPending(before);
        if (before.requires_approval !== true)
          throw SCHEDULED_ACTIONS_ERRORS.APPROVAL_NOT_EXPECTED({
            id: before.id,
            reason: 'not_required',
          });
        if (before.approved_at)
          throw SCHEDULED_ACTIONS_ERRORS.APPROVAL_NOT_EXPECTED({
            id: before.id,
            reason: 'already_approved',
          });
        const row = await s.db
          .updateTable('scheduled_user_actions')
          .set({
            approved_by: s.principal.userId,
            approved_at: s.now,
            approval_notes: data.notes ?? null,
            updated_at: s.now,
          })
          .where('id', '=', before.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await s.audit({
          action: 'scheduled_actions.approve',
          resource: 'scheduled_user_action',
          resourceId: row.id,
          details: { notes: data.notes ?? null },
        });
        await enqueueRun(rt, s.db, row);
        return toScheduledAction(row);
      }),

    reject: (id, input, options) =>
      rt.write(options, async (s) => {
        assertAdministrator(s.principal, 'users:write', 'Rejecting a scheduled user action');
        const before = await findRow(s, id, true);
        const data = parseInput(rejectSchema, input ?? {});
        assertPending(before);
        if (before.requires_approval !== true)
          throw SCHEDULED_ACTIONS_ERRORS.APPROVAL_NOT_EXPECTED({
            id: before.id,
            reason: 'not_required',
          });
        if (before.approved_at)
          throw SCHEDULED_ACTIONS_ERRORS.APPROVAL_NOT_EXPECTED({
            id: before.id,
            reason: 'already_approved',
          });
        const row = await s.db
          .updateTable('scheduled_user_actions')
          .set({
            status: 'cancelled',
            rejected_by: s.principal.userId,
            rejected_at: s.now,
            rejection_reason: data.reason,
            updated_at: s.now,
          })
          .where('id', '=', before.id)
          .where('status', '=', 'pending')
          .returningAll()
          .executeTakeFirstOrThrow();
        await s.audit({
          action: 'scheduled_actions.reject',
          resource: 'scheduled_user_action',
          resourceId: row.id,
          details: { reason: data.reason },
        });
        await enqueueDependents(rt, s, row.id);
        return toScheduledAction(row);
      }),

    pendingApproval: (input, options) =>
      rt.read(options, async (s) => {
        const f = parseInput(pageSchema, input ?? {});
        const users = await readableUsers(s);
        const paging = page('scheduledActions:pendingApproval', f.limit, f.cursor);
        let query = s.db
          .selectFrom('scheduled_user_actions')
          .selectAll()
          .where('organization_id', '=', s.organizationId)
          .where('status', '=', 'pending')
          .where('requires_approval', '=', true)
          .where('approved_at', 'is', null)
          .where('rejected_at', 'is', null);
        if (users !== 'all')
          query = query.where('user_id', 'in', users).where('action_type', 'not in', RUN_TYPES);
        return paging.page(await query.$call(paging.query).execute(), toScheduledAction);
      }),

    logs: (id, options) =>
      rt.read(options, async (s) => {
        const row = await readableRow(s, id);
        const logs = await s.db
          .selectFrom('user_lifecycle_logs')
          .selectAll()
          .where('organization_id', '=', s.organizationId)
          .where('action_id', '=', row.id)
          .orderBy('created_at', 'asc')
          .orderBy('id', 'asc')
          .execute();
        return logs.map(toLifecycleLog);
      }),

    dispatchDue: async (input, options) => {
      const { limit } = parseInput(dispatchSchema, input ?? {});
      const due = await rt.read(options, async (s) => {
        assertAdministrator(s.principal, 'users:write', 'Dispatching due scheduled actions');
        const rows = await dueActions(s, limit);
        return rows.length < limit
          ? [...rows, ...(await staleActions(s, limit - rows.length))]
          : rows;
      });
      for (const row of due) await enqueueRun(rt, rt.db, row);
      return { enqueued: due.length };
    },

    [RUN_ACTION]: (actionId, job) => runScheduledAction(rt, scope ? scope() : null, actionId, job),
  };
  return service;
}

/** The pending actions that may run now (due, approved when required, dependency ended), oldest first. */
export async function dueActions(
  s: OperationScope,
  limit: number,
): Promise<Array<Pick<Row<'scheduled_user_actions'>, 'id' | 'scheduled_for' | 'next_retry_at'>>> {
  return s.db
    .selectFrom('scheduled_user_actions as a')
    .select(['a.id', 'a.scheduled_for', 'a.next_retry_at'])
    .where('a.organization_id', '=', s.organizationId)
    .where('a.status', '=', 'pending')
    .where('a.scheduled_for', '<=', s.now)
    .where((eb) => eb.or([eb('a.next_retry_at', 'is', null), eb('a.next_retry_at', '<=', s.now)]))
    .where((eb) =>
      eb.or([
        eb('a.requires_approval', 'is not', true),
        eb.and([eb('a.approved_at', 'is not', null), eb('a.rejected_at', 'is', null)]),
      ]),
    )
    .where((eb) =>
      eb.or([
        eb('a.depends_on_action_id', 'is', null),
        eb.exists(
          eb
            .selectFrom('scheduled_user_actions as d')
            .select('d.id')
            .whereRef('d.id', '=', 'a.depends_on_action_id')
            .where('d.status', 'in', ['completed', 'failed', 'cancelled', 'skipped']),
        ),
      ]),
    )
    .orderBy('a.scheduled_for', 'asc')
    .orderBy('a.id', 'asc')
    .limit(limit)
    .execute();
}

export { DISPATCH_TASK, RUN_TASK };

/**
 * The actions left `in_progress` with no journal row for {@link STALE_CLAIM_MS} (their worker died
 * and its job is gone): a job queued for one takes it over.
 */
async function staleActions(
  s: OperationScope,
  limit: number,
): Promise<Array<Pick<Row<'scheduled_user_actions'>, 'id' | 'scheduled_for' | 'next_retry_at'>>> {
  const before = new Date(s.now.getTime() - STALE_CLAIM_MS);
  return s.db
    .selectFrom('scheduled_user_actions as a')
    .select(['a.id', 'a.scheduled_for', 'a.next_retry_at'])
    .where('a.organization_id', '=', s.organizationId)
    .where('a.status', '=', 'in_progress')
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('user_lifecycle_logs as l')
            .select('l.id')
            .whereRef('l.action_id', '=', 'a.id')
            .where('l.created_at', '>', before),
        ),
      ),
    )
    .orderBy('a.scheduled_for', 'asc')
    .orderBy('a.id', 'asc')
    .limit(limit)
    .execute();
}
