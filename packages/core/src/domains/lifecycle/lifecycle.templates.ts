/**
 * `helios.lifecycle.templates`: onboarding and offboarding templates (CRUD, exactly one default per
 * kind, clone, delete refused while an open request uses one) and the preview of the tasks a
 * template's timeline generates.
 *
 * Who may: administrators, managers (who pick a template for their requests) and keys with
 * `organization:read` read; administrators and keys with `organization:write` write.
 *
 * Owns: onboarding_templates, offboarding_templates.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import { CORE_ERRORS } from '../../errors/core.errors';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { camelize } from '../../shared/case';
import { keysetPage, type Page } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import type { CallOptions } from '../policy/actor';
import { POLICY_ERRORS } from '../policy/policy.errors';
import { LIFECYCLE_ERRORS, type TemplateKind } from './lifecycle.errors';
import { authorizeTemplateFields } from './lifecycle.templates.authorize';
import {
  type CloneTemplateInput,
  type CreateOffboardingTemplateInput,
  type CreateOnboardingTemplateInput,
  cloneTemplateSchema,
  createOffboardingTemplateSchema,
  createOnboardingTemplateSchema,
  type ListTemplatesInput,
  listTemplatesSchema,
  type OffboardingState,
  offboardingProblems,
  type PreviewTasksInput,
  previewTasksSchema,
  type Timeline,
  templateIdSchema,
  type UpdateOffboardingTemplateInput,
  type UpdateOnboardingTemplateInput,
  updateOffboardingTemplateSchema,
  updateOnboardingTemplateSchema,
} from './lifecycle.templates.schema';
import {
  fromStoredTimeline,
  generateTasks,
  readTimeline,
  type TaskPreview,
  toStoredTimeline,
  trainingContentIds,
  utcDate,
} from './lifecycle.timeline';

/** An onboarding template: every column of `onboarding_templates`, camelCase. */
export interface OnboardingTemplate {
  id: string;
  organizationId: string;
  name: string;
  description: string | null;
  departmentId: string | null;
  googleLicenseSku: string | null;
  googleOrgUnitPath: string | null;
  /** Which Google services are on: `{ gmail, drive, calendar, meet, chat, docs, sheets, slides }`. */
  googleServices: Record<string, boolean>;
  /** Access groups the person joins. */
  groupIds: string[];
  /** `[{ driveId, driveName?, role }]`. */
  sharedDriveAccess: Array<{ driveId: string; driveName?: string; role: string }>;
  calendarSubscriptions: string[];
  signatureTemplateId: string | null;
  defaultJobTitle: string | null;
  defaultManagerId: string | null;
  sendWelcomeEmail: boolean;
  welcomeEmailSubject: string | null;
  welcomeEmailBody: string | null;
  isActive: boolean;
  isDefault: boolean;
  /** The steps that generate the tasks of an approved request. */
  timeline: Timeline;
  createdBy: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
}

/** An offboarding template: every column of `offboarding_templates`, camelCase. */
export type OffboardingTemplate = OffboardingState & {
  id: string;
  organizationId: string;
  createdBy: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
};

/** The operations on one kind of template. */
export interface TemplateOperations<T, C, U> {
  /**
   * Creates a template (administrators); `isDefault: true` unsets the kind's other default in the same transaction.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `LIFECYCLE.REFERENCE_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.lifecycle.templates.onboarding.create({ name: 'Engineering', timeline: [
   *   { trigger: 'days_before_start', offset: 5, actions: [{ type: 'task', title: 'Order laptop', assignee: 'it' }] },
   * ] });
   * ```
   */
  create(input: C, options?: CallOptions): Promise<T>;
  /**
   * A page of templates ordered by name (then id), filtered by `isActive` and a name search.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  list(filter?: ListTemplatesInput, options?: CallOptions): Promise<Page<T>>;
  /** One template. @throws HeliosError NOT_FOUND `LIFECYCLE.TEMPLATE_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN` */
  get(id: string, options?: CallOptions): Promise<T>;
  /**
   * Changes a template (administrators); the rules of `create` are checked on the result.
   * @throws HeliosError NOT_FOUND `LIFECYCLE.TEMPLATE_NOT_FOUND`; INVALID_INPUT as `create`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  update(id: string, patch: U, options?: CallOptions): Promise<T>;
  /**
   * Deletes a template no open request (pending, approved, in progress) uses (administrators).
   * @throws HeliosError NOT_FOUND `LIFECYCLE.TEMPLATE_NOT_FOUND`; CONFLICT `LIFECYCLE.TEMPLATE_IN_USE`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  delete(id: string, options?: CallOptions): Promise<void>;
  /**
   * Copies a template under a new name (default "<name> (copy)"); the copy is never the default.
   * @throws HeliosError NOT_FOUND `LIFECYCLE.TEMPLATE_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  clone(id: string, input?: CloneTemplateInput, options?: CallOptions): Promise<T>;
  /**
   * The tasks the template's timeline would generate for a request with this reference date
   * (`startDate` of an onboarding, `endDate` of an offboarding; without it, date-relative tasks
   * have no due date). Writes nothing.
   * @throws HeliosError NOT_FOUND `LIFECYCLE.TEMPLATE_NOT_FOUND`; PRECONDITION_FAILED `LIFECYCLE.INVALID_STORED_TIMELINE`
   */
  previewTasks(
    id: string,
    input?: PreviewTasksInput,
    options?: CallOptions,
  ): Promise<TaskPreview[]>;
}

/** `helios.lifecycle.templates`. */
export interface LifecycleTemplatesService {
  /** Onboarding templates. */
  readonly onboarding: TemplateOperations<
    OnboardingTemplate,
    CreateOnboardingTemplateInput,
    UpdateOnboardingTemplateInput
  >;
  /** Offboarding templates. */
  readonly offboarding: TemplateOperations<
    OffboardingTemplate,
    CreateOffboardingTemplateInput,
    UpdateOffboardingTemplateInput
  >;
  /**
   * The tasks a template would generate: `startDate` previews an onboarding template, `endDate` an
   * offboarding one.
   * @throws HeliosError NOT_FOUND `LIFECYCLE.TEMPLATE_NOT_FOUND`; INVALID_INPUT `VALIDATION.FAILED`
   * @example
   * ```ts
   * const tasks = await helios.lifecycle.templates.previewTasks(templateId, { startDate: '2027-01-31' });
   * ```
   */
  previewTasks(
    templateId: string,
    input:
      | { startDate: string; userId?: string; managerId?: string }
      | { endDate: string; userId?: string; managerId?: string },
    options?: CallOptions,
  ): Promise<TaskPreview[]>;
}

const TABLE = { onboarding: 'onboarding_templates', offboarding: 'offboarding_templates' } as const;
type TemplateTable = (typeof TABLE)[TemplateKind];
type AnyTemplateRow = Row<'onboarding_templates'> | Row<'offboarding_templates'>;

/** Request statuses that keep a template in use. */
export const OPEN_REQUEST_STATUSES = ['pending', 'approved', 'in_progress'] as const;

/** Reads are for administrators, managers and keys with organization:read. */
export async function authorizeTemplateRead(s: OperationScope): Promise<void> {
  await s.authorize('organization:read');
  if (s.principal.actor.type === 'user' && s.principal.role === 'user')
    throw POLICY_ERRORS.FORBIDDEN({
      permission: 'organization:read',
      reason: 'lifecycle templates are for administrators and managers',
    });
}

/** The DTO of an onboarding template row. */
export function toOnboardingTemplate(row: Row<'onboarding_templates'>): OnboardingTemplate {
  const c = camelize(row);
  return {
    ...c,
    googleServices: (row.google_services ?? {}) as Record<string, boolean>,
    groupIds: row.group_ids ?? [],
    sharedDriveAccess: (Array.isArray(row.shared_drive_access)
      ? row.shared_drive_access
      : []) as OnboardingTemplate['sharedDriveAccess'],
    calendarSubscriptions: row.calendar_subscriptions ?? [],
    sendWelcomeEmail: row.send_welcome_email !== false,
    isActive: row.is_active !== false,
    isDefault: row.is_default === true,
    timeline: fromStoredTimeline(row.timeline) as Timeline,
  };
}

/** The DTO of an offboarding template row. */
export function toOffboardingTemplate(row: Row<'offboarding_templates'>): OffboardingTemplate {
  const c = camelize(row) as unknown as OffboardingTemplate;
  return {
    ...c,
    notificationEmailAddresses: row.notification_email_addresses ?? [],
    isActive: row.is_active !== false,
    isDefault: row.is_default === true,
    timeline: fromStoredTimeline(row.timeline) as Timeline,
  };
}

/** The row values of a (partial) camelCase template: jsonb columns as JSON text. */
function toValues(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined) continue;
    const column = key.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);
    if (key === 'timeline') out[column] = toStoredTimeline(value as Timeline);
    else if (key === 'googleServices' || key === 'sharedDriveAccess')
      out[column] = JSON.stringify(value);
    else out[column] = value;
  }
  return out;
}

async function assertInOrg(
  db: Kysely<Database>,
  organizationId: string,
  table:
    | 'departments'
    | 'organization_users'
    | 'access_groups'
    | 'signature_templates'
    | 'training_content',
  field: string,
  ids: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  if (ids.length === 0) return found;
  const rows = await db
    .selectFrom(table)
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', 'in', [...new Set(ids)])
    .execute();
  for (const row of rows) found.set(row.id, row as Record<string, unknown>);
  for (const id of ids)
    if (!found.has(id)) throw LIFECYCLE_ERRORS.REFERENCE_NOT_FOUND({ field, id });
  return found;
}

/** Checks that every object a template names exists in the organization. */
async function checkReferences(
  s: OperationScope,
  kind: TemplateKind,
  data: Record<string, unknown>,
): Promise<void> {
  await authorizeTemplateFields(s, kind, data);
  const one = async (table: Parameters<typeof assertInOrg>[2], field: string): Promise<void> => {
    const value = data[field];
    if (typeof value === 'string') await assertInOrg(s.db, s.organizationId, table, field, [value]);
  };
  if (kind === 'onboarding') {
    await one('departments', 'departmentId');
    await one('organization_users', 'defaultManagerId');
    await one('signature_templates', 'signatureTemplateId');
    if (Array.isArray(data.groupIds))
      await assertInOrg(
        s.db,
        s.organizationId,
        'access_groups',
        'groupIds',
        data.groupIds as string[],
      );
  } else {
    await one('organization_users', 'driveTransferToUserId');
    await one('organization_users', 'emailForwardToUserId');
    await one('organization_users', 'calendarTransferToUserId');
  }
  if (Array.isArray(data.timeline))
    await assertInOrg(
      s.db,
      s.organizationId,
      'training_content',
      'timeline.contentIds',
      trainingContentIds(data.timeline as Timeline),
    );
}

/** The titles of training contents, by id. */
export async function trainingTitles(
  s: OperationScope,
  timeline: Timeline,
): Promise<Map<string, string>> {
  const ids = trainingContentIds(timeline);
  if (ids.length === 0) return new Map();
  const rows = await s.db
    .selectFrom('training_content')
    .select(['id', 'title'])
    .where('organization_id', '=', s.organizationId)
    .where('id', 'in', ids)
    .execute();
  return new Map(rows.map((r) => [r.id, r.title]));
}

/** A template row of the organization, or null. */
export async function findTemplateRow(
  s: Pick<OperationScope, 'db' | 'organizationId'>,
  kind: TemplateKind,
  id: string,
  forUpdate = false,
): Promise<AnyTemplateRow | null> {
  if (!templateIdSchema.safeParse(id).success) return null;
  let query = s.db
    .selectFrom(TABLE[kind] as TemplateTable)
    .selectAll()
    .where('organization_id', '=', s.organizationId)
    .where('id', '=', id);
  if (forUpdate) query = query.forUpdate();
  return ((await query.executeTakeFirst()) as AnyTemplateRow | undefined) ?? null;
}

async function templateRow(
  s: OperationScope,
  kind: TemplateKind,
  id: string,
  forUpdate = false,
): Promise<AnyTemplateRow> {
  const row = await findTemplateRow(s, kind, id, forUpdate);
  if (!row) throw LIFECYCLE_ERRORS.TEMPLATE_NOT_FOUND({ id: String(id).slice(0, 64), kind });
  return row;
}

/** Unsets the kind's current default (other than `exceptId`); returns its id. */
async function unsetDefault(
  s: OperationScope,
  kind: TemplateKind,
  exceptId: string | null,
): Promise<string | null> {
  let query = s.db
    .updateTable(TABLE[kind] as TemplateTable)
    .set({ is_default: false })
    .where('organization_id', '=', s.organizationId)
    .where('is_default', '=', true);
  if (exceptId) query = query.where('id', '!=', exceptId);
  const rows = await query.returning('id').execute();
  return rows[0]?.id ?? null;
}

/** What the audit trail shows of a template (its columns; the timeline as a count). */
function auditView(row: AnyTemplateRow | null): Record<string, unknown> | null {
  if (!row) return null;
  const { timeline, created_at, updated_at, organization_id, ...rest } = row;
  void created_at;
  void updated_at;
  void organization_id;
  return { ...rest, timelineSteps: Array.isArray(timeline) ? timeline.length : 0 };
}

function previewOf(
  s: OperationScope,
  kind: TemplateKind,
  row: AnyTemplateRow,
  input: { startDate?: string; endDate?: string; userId?: string; managerId?: string },
): Promise<TaskPreview[]> {
  const timeline = readTimeline(row.id, row.timeline);
  return trainingTitles(s, timeline).then((titles) =>
    generateTasks(timeline, {
      referenceDate: (kind === 'offboarding' ? input.endDate : input.startDate) ?? null,
      today: utcDate(s.now),
      userId: input.userId ?? null,
      managerId:
        input.managerId ??
        (kind === 'onboarding' ? (row as Row<'onboarding_templates'>).default_manager_id : null) ??
        null,
      trainingTitles: titles,
    }),
  );
}

function operations<T>(
  rt: ServiceRuntime,
  kind: TemplateKind,
  map: (row: AnyTemplateRow) => T,
): TemplateOperations<T, never, never> {
  const table = TABLE[kind] as TemplateTable;
  const createSchema =
    kind === 'onboarding' ? createOnboardingTemplateSchema : createOffboardingTemplateSchema;
  const updateSchema =
    kind === 'onboarding' ? updateOnboardingTemplateSchema : updateOffboardingTemplateSchema;

  const insert = async (s: OperationScope, data: Record<string, unknown>, action: string) => {
    const previousDefault = data.isDefault === true ? await unsetDefault(s, kind, null) : null;
    const row = (await s.db
      .insertInto(table)
      .values({
        ...toValues(data),
        organization_id: s.organizationId,
        created_by: s.principal.userId,
        created_at: s.now,
        updated_at: s.now,
      } as never)
      .returningAll()
      .executeTakeFirstOrThrow()) as AnyTemplateRow;
    await s.audit({
      action,
      resource: `${kind}_template`,
      resourceId: row.id,
      details: { ...summarizeChange(null, auditView(row)), previousDefault },
    });
    return row;
  };

  return {
    create: (input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('organization:write');
        const data = parseInput(createSchema, input) as Record<string, unknown>;
        await checkReferences(s, kind, data);
        return map(await insert(s, data, `lifecycle.${kind}_template_create`));
      }),

    list: (filter, options) =>
      rt.read(options, async (s) => {
        await authorizeTemplateRead(s);
        const f = parseInput(listTemplatesSchema, filter ?? {});
        const paging = keysetPage({
          list: `lifecycle.${kind}Templates`,
          keys: [
            { by: 'name', kind: 'text' },
            { by: 'id', kind: 'uuid' },
          ],
          limit: f.limit,
          cursor: f.cursor,
        });
        let query = s.db
          .selectFrom(table)
          .selectAll()
          .where('organization_id', '=', s.organizationId);
        if (f.isActive !== undefined)
          query = query.where(sql<boolean>`coalesce(is_active, true)`, '=', f.isActive);
        if (f.search) {
          const pattern = `%${f.search.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
          query = query.where('name', 'ilike', pattern);
        }
        const rows = await query.$call(paging.query).execute();
        return paging.page(rows, (row) => map(row as AnyTemplateRow));
      }),

    get: (id, options) =>
      rt.read(options, async (s) => {
        await authorizeTemplateRead(s);
        return map(await templateRow(s, kind, id));
      }),

    update: (id, patch, options) =>
      rt.write(options, async (s) => {
        await s.authorize('organization:write');
        const before = await templateRow(s, kind, id, true);
        const data = parseInput(updateSchema, patch) as Record<string, unknown>;
        if (kind === 'offboarding') {
          const merged = {
            ...toOffboardingTemplate(before as Row<'offboarding_templates'>),
            ...data,
          };
          const problems = offboardingProblems(merged as OffboardingState);
          if (problems.length > 0) throw invalid(problems);
        } else {
          const isActive = (data.isActive as boolean | undefined) ?? before.is_active !== false;
          const isDefault = (data.isDefault as boolean | undefined) ?? before.is_default === true;
          if (isDefault && !isActive)
            throw invalid([
              { path: 'isDefault', message: 'An inactive template cannot be the default' },
            ]);
        }
        await checkReferences(s, kind, data);
        const previousDefault =
          data.isDefault === true ? await unsetDefault(s, kind, before.id) : null;
        const row = (await s.db
          .updateTable(table)
          .set({ ...toValues(data), updated_at: s.now } as never)
          .where('id', '=', before.id)
          .where('organization_id', '=', s.organizationId)
          .returningAll()
          .executeTakeFirstOrThrow()) as AnyTemplateRow;
        await s.audit({
          action: `lifecycle.${kind}_template_update`,
          resource: `${kind}_template`,
          resourceId: row.id,
          details: { ...summarizeChange(auditView(before), auditView(row)), previousDefault },
        });
        return map(row);
      }),

    delete: (id, options) =>
      rt.write(options, async (s) => {
        await s.authorize('organization:write');
        const before = await templateRow(s, kind, id, true);
        const open = await s.db
          .selectFrom('user_requests')
          .select(sql<number>`count(*)::int`.as('n'))
          .where('organization_id', '=', s.organizationId)
          .where('template_id', '=', before.id)
          .where(
            'request_type',
            'in',
            kind === 'onboarding' ? ['onboard', 'transfer'] : ['offboard'],
          )
          .where('status', 'in', [...OPEN_REQUEST_STATUSES])
          .executeTakeFirstOrThrow();
        if (open.n > 0)
          throw LIFECYCLE_ERRORS.TEMPLATE_IN_USE({ id: before.id, kind, openRequests: open.n });
        await s.db
          .deleteFrom(table)
          .where('id', '=', before.id)
          .where('organization_id', '=', s.organizationId)
          .execute();
        await s.audit({
          action: `lifecycle.${kind}_template_delete`,
          resource: `${kind}_template`,
          resourceId: before.id,
          details: summarizeChange(auditView(before), null),
        });
      }),

    clone: (id, input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('organization:write');
        const data = parseInput(cloneTemplateSchema, input ?? {});
        const source = await templateRow(s, kind, id);
        const dto = (kind === 'onboarding'
          ? toOnboardingTemplate(source as Row<'onboarding_templates'>)
          : toOffboardingTemplate(source as Row<'offboarding_templates'>)) as unknown as Record<
          string,
          unknown
        >;
        const { id: _id, organizationId, createdBy, createdAt, updatedAt, ...copy } = dto;
        void _id;
        void organizationId;
        void createdBy;
        void createdAt;
        void updatedAt;
        const name = data.name ?? `${String(copy.name).slice(0, 248)} (copy)`;
        const row = await insert(
          s,
          { ...copy, name, isDefault: false, timeline: readTimeline(source.id, source.timeline) },
          `lifecycle.${kind}_template_clone`,
        );
        return map(row);
      }),

    previewTasks: (id, input, options) =>
      rt.read(options, async (s) => {
        await authorizeTemplateRead(s);
        const data = parseInput(previewTasksSchema, input ?? {});
        return previewOf(s, kind, await templateRow(s, kind, id), data);
      }),
  };
}

function invalid(problems: Array<{ path: string; message: string }>) {
  return CORE_ERRORS.VALIDATION_FAILED({
    issues: problems.map((p) => ({ ...p, code: 'custom' })),
  });
}

/** Builds `helios.lifecycle.templates`. */
export function createLifecycleTemplatesService(rt: ServiceRuntime): LifecycleTemplatesService {
  const onboarding = operations(rt, 'onboarding', (row) =>
    toOnboardingTemplate(row as Row<'onboarding_templates'>),
  ) as unknown as LifecycleTemplatesService['onboarding'];
  const offboarding = operations(rt, 'offboarding', (row) =>
    toOffboardingTemplate(row as Row<'offboarding_templates'>),
  ) as unknown as LifecycleTemplatesService['offboarding'];
  return {
    onboarding,
    offboarding,
    previewTasks: (templateId, input, options) => {
      const raw = (input ?? {}) as Record<string, unknown>;
      return 'endDate' in raw && !('startDate' in raw)
        ? offboarding.previewTasks(templateId, input, options)
        : onboarding.previewTasks(templateId, input, options);
    },
  };
}
