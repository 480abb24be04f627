/**
 * `helios.lifecycle.requests`: onboarding, offboarding and transfer requests (`user_requests`)
 * with approval. Approving one generates its tasks from the template's timeline in the approval's
 * transaction; the requester is told by mail (a `notifications.send` job queued after commit).
 *
 * The state machine (anything else: CONFLICT `LIFECYCLE.INVALID_TRANSITION` with `from` and `to`):
 * - pending -> approved (`approve`), rejected (`reject`, a reason required), cancelled (`cancel`);
 *   only a pending request can be edited (`update`, `to: 'updated'`).
 * - approved -> in_progress -> completed: driven by its tasks (the `update_request_task_counts`
 *   trigger); approved or in_progress -> cancelled (`cancel`, administrators; open tasks are skipped).
 * - rejected, completed, cancelled: final.
 *
 * Who may:
 * - create: administrators (any request) and keys with `users:write`; a manager only for their
 *   direct reports (an offboarding or transfer of a user who reports to them, an onboarding whose
 *   manager they are); plain users never.
 * - read (`list`, `get`): administrators and keys with `users:read` see every request; others the
 *   requests they made or whose manager they are.
 * - update and cancel while pending: the requester or an administrator (keys: `users:write`);
 *   cancel once approved, approve, reject: administrators only.
 *
 * Owns: user_requests; writes the lifecycle_tasks of an approved request.
 */
import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import { CORE_ERRORS } from '../../errors/core.errors';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { keysetPage, type Page } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import { DEFAULT_TEMPLATE_KEYS, type NotificationsService } from '../notifications';
import { type CallOptions, systemActor } from '../policy/actor';
import { assertAdministrator } from '../policy/policy';
import { POLICY_ERRORS } from '../policy/policy.errors';
import { LIFECYCLE_ERRORS, type TemplateKind } from './lifecycle.errors';
import {
  type CancelRequestInput,
  type CreateRequestInput,
  cancelRequestSchema,
  createRequestSchema,
  type ListRequestsInput,
  listRequestsSchema,
  type RejectRequestInput,
  type RequestStatus,
  type RequestType,
  rejectRequestSchema,
  requestIdSchema,
  type UpdateRequestInput,
  updateRequestSchema,
} from './lifecycle.requests.schema';
import { applyTemplateRules, queueRequestCreatedEvent } from './lifecycle.requests.template';
import { findTemplateRow, trainingTitles } from './lifecycle.templates';
import {
  generateTasks,
  needsReferenceDate,
  readTimeline,
  type TaskPreview,
  utcDate,
} from './lifecycle.timeline';

/** A lifecycle request: every column of `user_requests`, camelCase (dates `YYYY-MM-DD`). */
export interface LifecycleRequest {
  id: string;
  organizationId: string;
  requestType: RequestType;
  status: RequestStatus;
  email: string;
  firstName: string;
  lastName: string;
  personalEmail: string | null;
  /** The Helios user (null for an onboarding before the account exists). */
  userId: string | null;
  startDate: string | null;
  /** The last day (offboarding). */
  endDate: string | null;
  /** An onboarding template (onboard, transfer) or an offboarding template (offboard). */
  templateId: string | null;
  jobTitle: string | null;
  departmentId: string | null;
  managerId: string | null;
  location: string | null;
  metadata: Record<string, unknown>;
  requestedBy: string | null;
  approvedBy: string | null;
  approvedAt: Date | null;
  rejectionReason: string | null;
  tasksTotal: number;
  /** Completed and skipped tasks. */
  tasksCompleted: number;
  createdAt: Date | null;
  updatedAt: Date | null;
}

/** A task of a request (a `lifecycle_tasks` row, camelCase; dates `YYYY-MM-DD`). */
export interface RequestTask {
  id: string;
  requestId: string | null;
  userId: string | null;
  title: string;
  description: string | null;
  category: string | null;
  assigneeType: string;
  assigneeId: string | null;
  assigneeRole: string | null;
  triggerType: string | null;
  triggerOffsetDays: number;
  dueDate: string | null;
  status: string;
  completedAt: Date | null;
  completedBy: string | null;
  completionNotes: string | null;
  actionType: string | null;
  actionConfig: Record<string, unknown> | null;
  sequenceOrder: number;
  dependsOnTaskId: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
}

/** A request with its tasks (by sequence). */
export interface LifecycleRequestWithTasks extends LifecycleRequest {
  tasks: RequestTask[];
}

/** A page of requests, and how many requests match the filter in each status (the status filter aside). */
export interface RequestPage extends Page<LifecycleRequest> {
  counts: Record<RequestStatus, number> & { total: number };
}

/** `helios.lifecycle.requests`. */
export interface LifecycleRequestsService {
  /**
   * Creates a pending request (administrators; managers for their direct reports). Without a
   * template, the kind's default template is used (if any).
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `LIFECYCLE.INVALID_TEMPLATE`,
   *   `LIFECYCLE.REFERENCE_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.as(manager).lifecycle.requests.create({
   *   requestType: 'onboard', email: 'new@acme.test', firstName: 'Nia', lastName: 'New', startDate: '2027-02-01',
   * });
   * ```
   */
  create(input: CreateRequestInput, options?: CallOptions): Promise<LifecycleRequest>;
  /**
   * A page of the requests the caller may see, newest first, with counts per status.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`
   */
  list(filter?: ListRequestsInput, options?: CallOptions): Promise<RequestPage>;
  /** One request with its tasks. @throws HeliosError NOT_FOUND `LIFECYCLE.REQUEST_NOT_FOUND` */
  get(id: string, options?: CallOptions): Promise<LifecycleRequestWithTasks>;
  /**
   * Changes whitelisted fields of a pending request (the requester or an administrator); any
   * other field is refused (INVALID_INPUT) and nothing changes.
   * @throws HeliosError NOT_FOUND; CONFLICT `LIFECYCLE.INVALID_TRANSITION`; INVALID_INPUT as `create`; FORBIDDEN
   */
  update(id: string, patch: UpdateRequestInput, options?: CallOptions): Promise<LifecycleRequest>;
  /**
   * Approves a pending request (administrators) and generates its tasks in the same transaction.
   * @throws HeliosError NOT_FOUND; CONFLICT `LIFECYCLE.INVALID_TRANSITION`; PRECONDITION_FAILED
   *   `LIFECYCLE.REFERENCE_DATE_REQUIRED`, `LIFECYCLE.INVALID_STORED_TIMELINE`; FORBIDDEN
   */
  approve(id: string, options?: CallOptions): Promise<LifecycleRequestWithTasks>;
  /**
   * Rejects a pending request with a reason (administrators).
   * @throws HeliosError NOT_FOUND; CONFLICT `LIFECYCLE.INVALID_TRANSITION`; INVALID_INPUT without a reason; FORBIDDEN
   */
  reject(id: string, input: RejectRequestInput, options?: CallOptions): Promise<LifecycleRequest>;
  /**
   * Cancels a request: a pending one (the requester or an administrator), an approved or in-progress
   * one (administrators; its open tasks are skipped).
   * @throws HeliosError NOT_FOUND; CONFLICT `LIFECYCLE.INVALID_TRANSITION`; FORBIDDEN
   */
  cancel(id: string, input?: CancelRequestInput, options?: CallOptions): Promise<LifecycleRequest>;
}

/** What the requests service uses of other domains. */
export interface LifecycleRequestsDeps {
  /** The notifications service of the same scope (mail to the requester). */
  notifications: () => NotificationsService;
}

type RequestRow = Row<'user_requests'> & {
  start_date_text: string | null;
  end_date_text: string | null;
};

const templateKindOf = (type: string): TemplateKind =>
  type === 'offboard' ? 'offboarding' : 'onboarding';

function selectRequests(db: Kysely<Database>, organizationId: string) {
  return db
    .selectFrom('user_requests')
    .selectAll()
    .select([
      sql<string | null>`to_char(user_requests.start_date, 'YYYY-MM-DD')`.as('start_date_text'),
      sql<string | null>`to_char(user_requests.end_date, 'YYYY-MM-DD')`.as('end_date_text'),
    ])
    .where('user_requests.organization_id', '=', organizationId);
}

const asObject = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

/** The DTO of a request row. */
function toRequest(row: RequestRow): LifecycleRequest {
  return {
    id: row.id,
    organizationId: row.organization_id,
    requestType: row.request_type as RequestType,
    status: (row.status ?? 'pending') as RequestStatus,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    personalEmail: row.personal_email,
    userId: row.user_id,
    startDate: row.start_date_text,
    endDate: row.end_date_text,
    templateId: row.template_id,
    jobTitle: row.job_title,
    departmentId: row.department_id,
    managerId: row.manager_id,
    location: row.location,
    metadata: asObject(row.metadata),
    requestedBy: row.requested_by,
    approvedBy: row.approved_by,
    approvedAt: row.approved_at,
    rejectionReason: row.rejection_reason,
    tasksTotal: row.tasks_total ?? 0,
    tasksCompleted: row.tasks_completed ?? 0,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The tasks of a request, by sequence. */
async function tasksOf(s: OperationScope, requestId: string): Promise<RequestTask[]> {
  const rows = await s.db
    .selectFrom('lifecycle_tasks')
    .selectAll()
    .select(sql<string | null>`to_char(due_date, 'YYYY-MM-DD')`.as('due_date_text'))
    .where('organization_id', '=', s.organizationId)
    .where('request_id', '=', requestId)
    .orderBy('sequence_order', 'asc')
    .orderBy('id', 'asc')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    requestId: row.request_id,
    userId: row.user_id,
    title: row.title,
    description: row.description,
    category: row.category,
    assigneeType: row.assignee_type,
    assigneeId: row.assignee_id,
    assigneeRole: row.assignee_role,
    triggerType: row.trigger_type,
    triggerOffsetDays: row.trigger_offset_days ?? 0,
    dueDate: row.due_date_text,
    status: row.status ?? 'pending',
    completedAt: row.completed_at,
    completedBy: row.completed_by,
    completionNotes: row.completion_notes,
    actionType: row.action_type,
    actionConfig: row.action_config === null ? null : asObject(row.action_config),
    sequenceOrder: row.sequence_order ?? 0,
    dependsOnTaskId: row.depends_on_task_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }));
}

/** Limits a query to the requests the caller may see. */
function visible<O>(
  s: OperationScope,
  query: SelectQueryBuilder<Database, 'user_requests', O>,
): SelectQueryBuilder<Database, 'user_requests', O> {
  const scope = s.policy.userScope(s.principal, 'users:read');
  if (scope === 'all') return query;
  return query.where((eb) =>
    eb.or([
      eb('user_requests.requested_by', '=', scope.selfId),
      eb('user_requests.manager_id', '=', scope.selfId),
    ]),
  );
}

async function requestRow(s: OperationScope, id: string, forUpdate = false): Promise<RequestRow> {
  if (!requestIdSchema.safeParse(id).success)
    throw LIFECYCLE_ERRORS.REQUEST_NOT_FOUND({ id: String(id).slice(0, 64) });
  let query = visible(s, selectRequests(s.db, s.organizationId).where('user_requests.id', '=', id));
  if (forUpdate) query = query.forUpdate();
  const row = (await query.executeTakeFirst()) as RequestRow | undefined;
  if (!row) throw LIFECYCLE_ERRORS.REQUEST_NOT_FOUND({ id });
  return row;
}

const forbidden = (reason: string) =>
  POLICY_ERRORS.FORBIDDEN({ permission: 'users:write', reason });

async function userRow(s: OperationScope, field: string, id: string) {
  const row = await s.db
    .selectFrom('organization_users')
    .select(['id', 'email', 'first_name', 'last_name', 'role', 'reporting_manager_id'])
    .where('organization_id', '=', s.organizationId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw LIFECYCLE_ERRORS.REFERENCE_NOT_FOUND({ field, id });
  return row;
}

/** The request a caller wants to create or keep (after a patch), in row terms. */
interface RequestShape {
  request_type: string;
  user_id: string | null;
  manager_id: string | null;
}

/**
 * Refuses unless the caller may ask for this request: administrators and `users:write` keys any;
 * a manager for a direct report (offboard, transfer) or a hire they manage (onboard).
 */
async function authorizeRequest(s: OperationScope, shape: RequestShape): Promise<void> {
  await s
    .authorize('users:write', shape.user_id ? { userId: shape.user_id } : undefined)
    .catch((error) => {
      // A manager onboarding their own hire has no user record to be checked against yet.
      if (!(s.principal.role === 'manager' && !shape.user_id)) throw error;
    });
  if (shape.user_id) {
    const user = await userRow(s, 'userId', shape.user_id);
    if (user.role === 'admin')
      assertAdministrator(s.principal, 'users:write', "A request about an administrator's account");
  }
  if (s.principal.isAdministrator || s.principal.actor.type !== 'user') return;
  if (s.principal.role !== 'manager')
    throw forbidden('lifecycle requests are for administrators and managers');
  const me = s.principal.userId;
  if (shape.request_type === 'onboard') {
    if (shape.manager_id !== me) throw forbidden('a manager asks to onboard only their own hires');
    return;
  }
  const user = await userRow(s, 'userId', shape.user_id as string);
  if (user.reporting_manager_id !== me)
    throw forbidden('a manager asks only about their direct reports');
}

/** Checks the template (of the request type's kind, active) and the other references. */
async function checkRequestReferences(
  s: OperationScope,
  type: string,
  data: { templateId?: string | null; departmentId?: string | null; managerId?: string | null },
  templateChanged: boolean,
): Promise<void> {
  if (data.templateId && templateChanged) {
    const kind = templateKindOf(type);
    const template = await findTemplateRow(s, kind, data.templateId);
    if (!template)
      throw LIFECYCLE_ERRORS.INVALID_TEMPLATE({
        templateId: data.templateId,
        kind,
        reason: 'not_found',
      });
    if (template.is_active === false)
      throw LIFECYCLE_ERRORS.INVALID_TEMPLATE({
        templateId: data.templateId,
        kind,
        reason: 'inactive',
      });
  }
  if (data.departmentId) {
    const dept = await s.db
      .selectFrom('departments')
      .select('id')
      .where('organization_id', '=', s.organizationId)
      .where('id', '=', data.departmentId)
      .executeTakeFirst();
    if (!dept)
      throw LIFECYCLE_ERRORS.REFERENCE_NOT_FOUND({ field: 'departmentId', id: data.departmentId });
  }
  if (data.managerId) await userRow(s, 'managerId', data.managerId);
}

/** What the audit trail shows of a request. */
function auditView(row: RequestRow | null): Record<string, unknown> | null {
  if (!row) return null;
  const r = toRequest(row);
  return {
    requestType: r.requestType,
    status: r.status,
    email: r.email,
    firstName: r.firstName,
    lastName: r.lastName,
    userId: r.userId,
    startDate: r.startDate,
    endDate: r.endDate,
    templateId: r.templateId,
    jobTitle: r.jobTitle,
    departmentId: r.departmentId,
    managerId: r.managerId,
    location: r.location,
  };
}

/** Row values of the whitelisted (camelCase) fields. */
function requestValues(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined) continue;
    const column = key.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);
    out[column] = key === 'metadata' ? JSON.stringify(value) : value;
  }
  return out;
}

function transition(row: RequestRow, to: string) {
  return LIFECYCLE_ERRORS.INVALID_TRANSITION({ id: row.id, from: row.status ?? 'pending', to });
}

/** Writes the generated tasks of a request (in sequence, so dependencies point at real ids). */
async function insertTasks(
  s: OperationScope,
  row: RequestRow,
  tasks: readonly TaskPreview[],
): Promise<void> {
  const ids = new Map<number, string>();
  for (const task of tasks) {
    const inserted = await s.db
      .insertInto('lifecycle_tasks')
      .values({
        organization_id: s.organizationId,
        request_id: row.id,
        user_id: row.user_id,
        title: task.title,
        description: task.description,
        category: task.category,
        assignee_type: task.assigneeType,
        assignee_id: task.assigneeId,
        assignee_role: task.assigneeRole,
        trigger_type: task.triggerType,
        trigger_offset_days: task.triggerOffsetDays,
        due_date: task.dueDate as never,
        status: task.status,
        action_type: task.actionType,
        action_config: (task.actionConfig === null
          ? null
          : JSON.stringify(task.actionConfig)) as never,
        sequence_order: task.sequenceOrder,
        depends_on_task_id:
          task.dependsOnSequence === null ? null : (ids.get(task.dependsOnSequence) ?? null),
        created_at: s.now,
        updated_at: s.now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.set(task.sequenceOrder, inserted.id);
  }
}

/** Who acted, for the requester's mail. */
async function actorName(s: OperationScope): Promise<string> {
  if (!s.principal.userId)
    return s.principal.actor.type === 'system' ? 'Helios' : 'an administrator';
  const me = await s.db
    .selectFrom('organization_users')
    .select(['first_name', 'last_name'])
    .where('id', '=', s.principal.userId)
    .executeTakeFirst();
  return me ? `${me.first_name} ${me.last_name}`.trim() : 'an administrator';
}

const TYPE_WORDS: Record<string, string> = {
  onboard: 'onboarding',
  offboard: 'offboarding',
  transfer: 'transfer',
};

/** Builds `helios.lifecycle.requests`. */
export function createLifecycleRequestsService(
  rt: ServiceRuntime,
  deps: LifecycleRequestsDeps,
): LifecycleRequestsService {
  /** The mail to the requester, to queue once the decision is committed (null: nobody to tell). */
  const mailFor = async (
    s: OperationScope,
    row: RequestRow,
    status: 'approved' | 'rejected' | 'cancelled',
    reason: string | null,
  ) => {
    if (!row.requested_by || row.requested_by === s.principal.userId) return null;
    const requester = await s.db
      .selectFrom('organization_users')
      .select(['email', 'first_name'])
      .where('organization_id', '=', s.organizationId)
      .where('id', '=', row.requested_by)
      .executeTakeFirst();
    if (!requester) return null;
    return {
      templateKey: DEFAULT_TEMPLATE_KEYS.LIFECYCLE_REQUEST_STATUS,
      to: requester.email,
      variables: {
        requesterName: requester.first_name,
        requestType: TYPE_WORDS[row.request_type] ?? row.request_type,
        personName: `${row.first_name} ${row.last_name}`,
        email: row.email,
        status,
        actorName: await actorName(s),
        ...(reason ? { reason } : {}),
      },
      dedupeKey: `lifecycle.request:${row.id}:${status}`,
    };
  };

  /** Runs a decision, then queues its mail (after commit; a mail problem never undoes the decision). */
  const decide = async <R>(
    options: CallOptions | undefined,
    fn: (s: OperationScope) => Promise<{ result: R; mail: Awaited<ReturnType<typeof mailFor>> }>,
  ): Promise<R> => {
    const { result, mail } = await rt.write(options, fn);
    if (mail) {
      await deps
        .notifications()
        .enqueue(mail, { actor: systemActor('lifecycle') })
        .catch((error: unknown) =>
          rt.logger.error('Lifecycle request mail not queued', {
            error: error instanceof Error ? error.message : String(error),
            templateKey: mail.templateKey,
          }),
        );
    }
    return result;
  };

  const reread = async (s: OperationScope, id: string) =>
    (await selectRequests(s.db, s.organizationId)
      .where('user_requests.id', '=', id)
      .executeTakeFirstOrThrow()) as RequestRow;

  return {
    create: (input, options) =>
      rt
        .write(options, async (s) => {
          const data = parseInput(createRequestSchema, input);
          let { email, firstName, lastName } = data;
          let managerId = data.managerId;
          if (data.userId) {
            const user = await userRow(s, 'userId', data.userId);
            email ??= user.email;
            firstName ??= user.first_name;
            lastName ??= user.last_name;
            if (managerId === undefined && data.requestType === 'offboard')
              managerId = user.reporting_manager_id;
          }
          if (
            managerId === undefined &&
            data.requestType === 'onboard' &&
            s.principal.role === 'manager'
          )
            managerId = s.principal.userId;
          await authorizeRequest(s, {
            request_type: data.requestType,
            user_id: data.userId ?? null,
            manager_id: managerId ?? null,
          });
          await checkRequestReferences(s, data.requestType, { ...data, managerId }, true);
          let templateId = data.templateId ?? null;
          if (data.templateId === undefined) {
            const table =
              templateKindOf(data.requestType) === 'onboarding'
                ? 'onboarding_templates'
                : 'offboarding_templates';
            const fallback = await s.db
              .selectFrom(table)
              .select('id')
              .where('organization_id', '=', s.organizationId)
              .where('is_default', '=', true)
              .where(sql<boolean>`coalesce(is_active, true)`)
              .executeTakeFirst();
            templateId = fallback?.id ?? null;
          }
          const inserted = await s.db
            .insertInto('user_requests')
            .values({
              organization_id: s.organizationId,
              request_type: data.requestType,
              status: 'pending',
              email: email as string,
              first_name: firstName as string,
              last_name: lastName as string,
              personal_email: data.personalEmail ?? null,
              user_id: data.userId ?? null,
              start_date: (data.startDate ?? null) as never,
              end_date: (data.endDate ?? null) as never,
              template_id: templateId,
              job_title: data.jobTitle ?? null,
              department_id: data.departmentId ?? null,
              manager_id: managerId ?? null,
              location: data.location ?? null,
              metadata: JSON.stringify(data.metadata ?? {}) as never,
              requested_by: s.principal.userId,
              created_at: s.now,
              updated_at: s.now,
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          // No template given: the template_match rules may choose one (lifecycle.requests.template.ts).
          const choice =
            data.templateId === undefined
              ? await applyTemplateRules(s, inserted.id, data.requestType)
              : null;
          const row = await reread(s, inserted.id);
          await s.audit({
            action: 'lifecycle.request_create',
            resource: 'user_request',
            resourceId: row.id,
            details: {
              ...summarizeChange(null, auditView(row)),
              ...(choice ? { templateRuleId: choice.ruleId } : {}),
            },
          });
          return toRequest(row);
        })
        .then(async (request) => {
          await queueRequestCreatedEvent(rt);
          return request;
        }),

    list: (filter, options) =>
      rt.read(options, async (s) => {
        const f = parseInput(listRequestsSchema, filter ?? {});
        if (s.principal.actor.type === 'apiKey') await s.authorize('users:read');
        const paging = keysetPage({
          list: 'lifecycle.requests',
          keys: [
            { by: 'user_requests.created_at', kind: 'timestamp' },
            { by: 'user_requests.id', kind: 'uuid' },
          ],
          direction: 'desc',
          limit: f.limit,
          cursor: f.cursor,
        });
        const reference = sql<string>`case when user_requests.request_type = 'offboard' then user_requests.end_date else user_requests.start_date end`;
        const filtered = <O>(q: SelectQueryBuilder<Database, 'user_requests', O>) => {
          let query = visible(s, q);
          if (f.requestType) query = query.where('user_requests.request_type', '=', f.requestType);
          if (f.requestedBy) query = query.where('user_requests.requested_by', '=', f.requestedBy);
          if (f.managerId) query = query.where('user_requests.manager_id', '=', f.managerId);
          if (f.userId) query = query.where('user_requests.user_id', '=', f.userId);
          if (f.from) query = query.where(reference, '>=', f.from);
          if (f.to) query = query.where(reference, '<=', f.to);
          if (f.search) {
            const pattern = `%${f.search.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
            query = query.where((eb) =>
              eb.or([
                eb('user_requests.email', 'ilike', pattern),
                eb(
                  sql<string>`user_requests.first_name || ' ' || user_requests.last_name`,
                  'ilike',
                  pattern,
                ),
              ]),
            );
          }
          return query;
        };
        const statuses =
          f.status === undefined ? null : Array.isArray(f.status) ? f.status : [f.status];
        let query = filtered(selectRequests(s.db, s.organizationId));
        if (statuses) query = query.where('user_requests.status', 'in', statuses);
        const rows = await query.$call(paging.query).execute();
        const page = paging.page(rows, (row) => toRequest(row as RequestRow));
        const countRows = await filtered(
          s.db
            .selectFrom('user_requests')
            .where('user_requests.organization_id', '=', s.organizationId),
        )
          .select(['user_requests.status', sql<number>`count(*)::int`.as('n')])
          .groupBy('user_requests.status')
          .execute();
        const counts = {
          pending: 0,
          approved: 0,
          rejected: 0,
          in_progress: 0,
          completed: 0,
          cancelled: 0,
          total: 0,
        } as RequestPage['counts'];
        for (const c of countRows) {
          const status = (c.status ?? 'pending') as RequestStatus;
          if (status in counts) counts[status] += c.n;
          counts.total += c.n;
        }
        return { ...page, counts };
      }),

    get: (id, options) =>
      rt.read(options, async (s) => {
        if (s.principal.actor.type === 'apiKey') await s.authorize('users:read');
        const row = await requestRow(s, id);
        return { ...toRequest(row), tasks: await tasksOf(s, row.id) };
      }),

    update: (id, patch, options) =>
      rt.write(options, async (s) => {
        const before = await requestRow(s, id, true);
        const data = parseInput(updateRequestSchema, patch);
        if (!s.principal.isAdministrator && before.requested_by !== s.principal.userId)
          throw forbidden('only the requester or an administrator changes a request');
        if (before.status !== 'pending') throw transition(before, 'updated');
        const managerId = data.managerId === undefined ? before.manager_id : data.managerId;
        await authorizeRequest(s, {
          request_type: before.request_type,
          user_id: before.user_id,
          manager_id: managerId,
        });
        const startDate = data.startDate === undefined ? before.start_date_text : data.startDate;
        const endDate = data.endDate === undefined ? before.end_date_text : data.endDate;
        if (startDate && endDate && endDate < startDate)
          throw CORE_ERRORS.VALIDATION_FAILED({
            issues: [{ path: 'endDate', message: 'Must not be before startDate', code: 'custom' }],
          });
        await checkRequestReferences(
          s,
          before.request_type,
          data,
          data.templateId !== undefined && data.templateId !== before.template_id,
        );
        await s.db
          .updateTable('user_requests')
          .set({ ...requestValues(data), updated_at: s.now } as never)
          .where('id', '=', before.id)
          .where('organization_id', '=', s.organizationId)
          .execute();
        const row = await reread(s, before.id);
        await s.audit({
          action: 'lifecycle.request_update',
          resource: 'user_request',
          resourceId: row.id,
          details: summarizeChange(auditView(before), auditView(row)),
        });
        return toRequest(row);
      }),

    approve: (id, options) =>
      decide(options, async (s) => {
        assertAdministrator(s.principal, 'users:write', 'Approving a lifecycle request');
        const before = await requestRow(s, id, true);
        if (before.status !== 'pending') throw transition(before, 'approved');
        let tasks: TaskPreview[] = [];
        const kind = templateKindOf(before.request_type);
        const template = before.template_id
          ? await findTemplateRow(s, kind, before.template_id)
          : null;
        if (template) {
          const timeline = readTimeline(template.id, template.timeline);
          const referenceDate =
            kind === 'offboarding' ? before.end_date_text : before.start_date_text;
          if (referenceDate === null && needsReferenceDate(timeline))
            throw LIFECYCLE_ERRORS.REFERENCE_DATE_REQUIRED({
              id: before.id,
              field: kind === 'offboarding' ? 'endDate' : 'startDate',
            });
          tasks = generateTasks(timeline, {
            referenceDate,
            today: utcDate(s.now),
            userId: before.user_id,
            managerId: before.manager_id,
            trainingTitles: await trainingTitles(s, timeline),
          });
        }
        await s.db
          .updateTable('user_requests')
          .set({
            status: 'approved',
            approved_by: s.principal.userId,
            approved_at: s.now,
            updated_at: s.now,
          })
          .where('id', '=', before.id)
          .where('status', '=', 'pending')
          .execute();
        await insertTasks(s, before, tasks);
        const row = await reread(s, before.id);
        await s.audit({
          action: 'lifecycle.request_approve',
          resource: 'user_request',
          resourceId: row.id,
          details: {
            from: before.status,
            to: row.status,
            tasks: tasks.length,
            templateId: template?.id ?? null,
          },
        });
        return {
          result: { ...toRequest(row), tasks: await tasksOf(s, row.id) },
          mail: await mailFor(s, row, 'approved', null),
        };
      }),

    reject: (id, input, options) =>
      decide(options, async (s) => {
        assertAdministrator(s.principal, 'users:write', 'Rejecting a lifecycle request');
        const before = await requestRow(s, id, true);
        const data = parseInput(rejectRequestSchema, input);
        if (before.status !== 'pending') throw transition(before, 'rejected');
        await s.db
          .updateTable('user_requests')
          .set({ status: 'rejected', rejection_reason: data.reason, updated_at: s.now })
          .where('id', '=', before.id)
          .where('status', '=', 'pending')
          .execute();
        const row = await reread(s, before.id);
        await s.audit({
          action: 'lifecycle.request_reject',
          resource: 'user_request',
          resourceId: row.id,
          details: { from: before.status, to: 'rejected', reason: data.reason },
        });
        return { result: toRequest(row), mail: await mailFor(s, row, 'rejected', data.reason) };
      }),

    cancel: (id, input, options) =>
      decide(options, async (s) => {
        const before = await requestRow(s, id, true);
        const data = parseInput(cancelRequestSchema, input ?? {});
        const status = before.status ?? 'pending';
        if (status === 'pending') {
          if (!s.principal.isAdministrator && before.requested_by !== s.principal.userId)
            throw forbidden('only the requester or an administrator cancels a request');
          if (s.principal.actor.type === 'apiKey') await s.authorize('users:write');
        } else if (status === 'approved' || status === 'in_progress') {
          assertAdministrator(
            s.principal,
            'users:write',
            'Cancelling an approved lifecycle request',
          );
        } else {
          throw transition(before, 'cancelled');
        }
        await s.db
          .updateTable('user_requests')
          .set({ status: 'cancelled', updated_at: s.now })
          .where('id', '=', before.id)
          .execute();
        const skipped = await s.db
          .updateTable('lifecycle_tasks')
          .set({
            status: 'skipped',
            completion_notes: 'The request was cancelled.',
            updated_at: s.now,
          })
          .where('organization_id', '=', s.organizationId)
          .where('request_id', '=', before.id)
          .where('status', 'in', ['pending', 'in_progress', 'blocked'])
          .returning('id')
          .execute();
        const row = await reread(s, before.id);
        await s.audit({
          action: 'lifecycle.request_cancel',
          resource: 'user_request',
          resourceId: row.id,
          details: {
            from: status,
            to: 'cancelled',
            reason: data.reason ?? null,
            tasksSkipped: skipped.length,
          },
        });
        return {
          result: toRequest(row),
          mail: await mailFor(s, row, 'cancelled', data.reason ?? null),
        };
      }),
  };
}
