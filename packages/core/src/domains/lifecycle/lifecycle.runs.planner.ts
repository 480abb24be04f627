/**
 * Builds onboarding and offboarding plans: reads the request (if any), the template (or the kind's
 * default) with the overrides, the people and groups involved and the clouds' state, then lets the
 * step planners lay out the steps. Reads only: no row is written and no cloud is called (the
 * contract's `isConnected` and `externalUserId` read the database).
 */
import { sql } from 'kysely';
import type { HeliosScope } from '../../helios';
import type { OperationScope } from '../../runtime';
import { PUBLIC_URL_SETTING, publicUrlSchema } from '../auth';
import { assertAdministrator } from '../policy/policy';
import { LIFECYCLE_ERRORS } from './lifecycle.errors';
import { PlanBuilder, planClouds } from './lifecycle.runs.plan';
import type { LifecyclePlan, OffboardInput, OnboardInput } from './lifecycle.runs.schema';
import { planOffboarding } from './lifecycle.steps.offboard';
import { planOnboarding } from './lifecycle.steps.onboard';
import { readPoolMembers } from './lifecycle.tasks.query';
import type { OffboardingTemplate, OnboardingTemplate } from './lifecycle.templates';
import { STEERING_OFFBOARDING_FIELDS } from './lifecycle.templates.authorize';
import { OFFBOARDING_DEFAULTS } from './lifecycle.templates.schema';

type Parsed<T> = T extends object ? { [K in keyof T]: T[K] } : T;

interface RequestFacts {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  personalEmail: string | null;
  userId: string | null;
  startDate: string | null;
  endDate: string | null;
  templateId: string | null;
  jobTitle: string | null;
  departmentId: string | null;
  managerId: string | null;
}

async function requestOf(
  s: OperationScope,
  requestId: string,
  kind: 'onboard' | 'offboard',
): Promise<RequestFacts> {
  const row = await s.db
    .selectFrom('user_requests')
    .select([
      'id',
      'request_type',
      'status',
      'email',
      'first_name',
      'last_name',
      'personal_email',
      'user_id',
      'template_id',
      'job_title',
      'department_id',
      'manager_id',
      sql<string | null>`to_char(start_date, 'YYYY-MM-DD')`.as('start'),
      sql<string | null>`to_char(end_date, 'YYYY-MM-DD')`.as('end'),
    ])
    .where('organization_id', '=', s.organizationId)
    .where('id', '=', requestId)
    .executeTakeFirst();
  if (!row) throw LIFECYCLE_ERRORS.REQUEST_NOT_FOUND({ id: requestId });
  if (row.request_type !== kind)
    throw LIFECYCLE_ERRORS.RUN_REQUEST_INVALID({
      requestId,
      reason: `it is a ${row.request_type} request`,
    });
  if (row.status !== 'approved' && row.status !== 'in_progress')
    throw LIFECYCLE_ERRORS.RUN_REQUEST_INVALID({ requestId, reason: `it is ${row.status}` });
  return {
    id: row.id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    personalEmail: row.personal_email,
    userId: row.user_id,
    startDate: row.start,
    endDate: row.end,
    templateId: row.template_id,
    jobTitle: row.job_title,
    departmentId: row.department_id,
    managerId: row.manager_id,
  };
}

async function defaultTemplateId(
  s: OperationScope,
  table: 'onboarding_templates' | 'offboarding_templates',
): Promise<string | null> {
  const row = await s.db
    .selectFrom(table)
    .select('id')
    .where('organization_id', '=', s.organizationId)
    .where('is_default', '=', true)
    .where('is_active', '=', true)
    .executeTakeFirst();
  return row?.id ?? null;
}

async function organizationName(s: OperationScope): Promise<string> {
  const row = await s.db
    .selectFrom('organizations')
    .select('name')
    .where('id', '=', s.organizationId)
    .executeTakeFirst();
  return row?.name ?? '';
}

async function person(s: OperationScope, id: string | null) {
  if (!id) return null;
  const row = await s.db
    .selectFrom('organization_users')
    .select(['id', 'email', 'first_name', 'last_name', 'reporting_manager_id', 'role'])
    .where('organization_id', '=', s.organizationId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row
    ? {
        id: row.id,
        email: row.email,
        name: `${row.first_name} ${row.last_name}`.trim(),
        managerId: row.reporting_manager_id,
        role: row.role,
      }
    : null;
}

/**
 * Where the offboarding notices go: HR is the hr pool's members (`lifecycle.pool_members`); IT is
 * the it pool's members, or the administrators when the pool names nobody. Active users only, never
 * the leaver.
 */
async function noticeAddresses(
  s: OperationScope,
  leaverId: string,
): Promise<{ itAddresses: string[]; hrAddresses: string[] }> {
  const pools = await readPoolMembers(s.db, s.organizationId);
  const active = () =>
    s.db
      .selectFrom('organization_users')
      .select('email')
      .where('organization_id', '=', s.organizationId)
      .where('user_status', '=', 'active')
      .where('deleted_at', 'is', null)
      .where('id', '!=', leaverId)
      .orderBy('email');
  const membersOf = async (ids: string[]) =>
    ids.length === 0 ? [] : (await active().where('id', 'in', ids).execute()).map((r) => r.email);
  const hrAddresses = await membersOf(pools.hr);
  let itAddresses = await membersOf(pools.it);
  if (pools.it.length === 0)
    itAddresses = (await active().where('role', '=', 'admin').execute()).map((r) => r.email);
  return { itAddresses, hrAddresses };
}

/**
 * The portal URL the welcome mail links to: the organization setting `portal.public_url`. A call
 * may name another one only as an administrator: the link reaches a new hire's personal mailbox,
 * so a `users:write` key must not be able to point it at a page of its choosing.
 */
async function welcomePortalUrl(
  s: OperationScope,
  given: string | undefined,
): Promise<string | null> {
  const row = await s.db
    .selectFrom('organization_settings')
    .select(['value', 'is_sensitive'])
    .where('organization_id', '=', s.organizationId)
    .where('key', '=', PUBLIC_URL_SETTING)
    .executeTakeFirst();
  const parsed = row && !row.is_sensitive ? publicUrlSchema.safeParse(row.value) : null;
  const configured = parsed?.success ? parsed.data : null;
  if (given === undefined) return configured;
  if (given !== configured)
    assertAdministrator(
      s.principal,
      'users:write',
      `A welcome-mail portal URL other than the organization setting ${PUBLIC_URL_SETTING}`,
    );
  return given;
}

/** The onboarding plan of `input`. */
export async function buildOnboardPlan(
  s: OperationScope,
  scope: HeliosScope,
  input: Parsed<OnboardInput> & { scheduledFor?: Date },
): Promise<LifecyclePlan> {
  const request = input.requestId ? await requestOf(s, input.requestId, 'onboard') : null;
  const who = request
    ? {
        email: request.email,
        firstName: request.firstName,
        lastName: request.lastName,
        personalEmail: request.personalEmail,
        jobTitle: request.jobTitle,
        departmentId: request.departmentId,
        managerId: request.managerId,
        startDate: request.startDate,
      }
    : {
        email: input.user!.email,
        firstName: input.user!.firstName,
        lastName: input.user!.lastName,
        personalEmail: input.user!.personalEmail ?? null,
        jobTitle: input.user!.jobTitle ?? null,
        departmentId: input.user!.departmentId ?? null,
        managerId: input.user!.managerId ?? null,
        startDate: input.user!.startDate ?? null,
      };
  const email = who.email.toLowerCase();
  const taken = await s.db
    .selectFrom('organization_users')
    .select('id')
    .where('organization_id', '=', s.organizationId)
    .where(sql`lower(email)`, '=', email)
    .executeTakeFirst();
  if (taken) throw LIFECYCLE_ERRORS.RUN_USER_EXISTS({ email });

  const templateId =
    input.templateId ?? request?.templateId ?? (await defaultTemplateId(s, 'onboarding_templates'));
  const stored: OnboardingTemplate | null = templateId
    ? await scope.lifecycle.templates.onboarding.get(templateId)
    : null;
  const template: Partial<OnboardingTemplate> | null =
    stored || input.overrides ? { ...(stored ?? {}), ...(input.overrides ?? {}) } : null;
  const groupIds = template?.groupIds ?? [];
  const groups = groupIds.length
    ? await s.db
        .selectFrom('access_groups')
        .select(['id', 'name', 'platform', 'external_id'])
        .where('organization_id', '=', s.organizationId)
        .where('id', 'in', groupIds)
        .execute()
    : [];
  for (const gid of groupIds)
    if (!groups.some((g) => g.id === gid))
      throw LIFECYCLE_ERRORS.REFERENCE_NOT_FOUND({ field: 'groupIds', id: gid });
  const managerId = who.managerId ?? template?.defaultManagerId ?? null;
  const manager = await person(s, managerId);
  if (managerId && !manager)
    throw LIFECYCLE_ERRORS.REFERENCE_NOT_FOUND({ field: 'managerId', id: managerId });

  const plan = new PlanBuilder();
  planOnboarding(plan, {
    person: { ...who, email },
    template,
    clouds: await planClouds(scope, null),
    groups: groups.map((g) => ({
      id: g.id,
      name: g.name,
      platform: g.platform,
      externalId: g.external_id,
    })),
    microsoftLicenseSkuIds: input.microsoftLicenseSkuIds ?? [],
    microsoftUsageLocation: input.microsoftUsageLocation ?? null,
    hasTraining: (template?.timeline ?? []).some((step) =>
      step.actions.some((a) => a.type === 'training'),
    ),
    organizationName: await organizationName(s),
    portalUrl: await welcomePortalUrl(s, input.portalUrl),
    today: s.now.toISOString().slice(0, 10),
    managerName: manager?.name ?? null,
  });
  return {
    kind: 'onboard',
    templateId: templateId ?? null,
    userId: null,
    email,
    requestId: request?.id ?? null,
    steps: plan.steps,
  };
}

/**
 * Offboarding overrides that choose who receives the leaver's data or mail, or what is mailed to
 * whom: the templates' values are the administrators' choice (lifecycle.templates.authorize.ts),
 * and only an administrator may change them for one run (a `users:write` key could otherwise read
 * a colleague's mail or send the organization's mail to any address).
 */
const STEERING_OVERRIDES = STEERING_OFFBOARDING_FIELDS;

/** The offboarding plan of `input`. */
export async function buildOffboardPlan(
  s: OperationScope,
  scope: HeliosScope,
  input: Parsed<OffboardInput> & { scheduledFor?: Date },
): Promise<LifecyclePlan> {
  const request = input.requestId ? await requestOf(s, input.requestId, 'offboard') : null;
  const userId = input.userId ?? request?.userId ?? null;
  if (!userId)
    throw LIFECYCLE_ERRORS.RUN_REQUEST_INVALID({
      requestId: input.requestId ?? '',
      reason: 'it names no organization user',
    });
  const user = await person(s, userId);
  if (!user) throw LIFECYCLE_ERRORS.RUN_USER_NOT_FOUND({ userId });
  // Offboarding an administrator resets their password, forwards their mail and suspends them:
  // like any change to an administrator's account, it needs an administrator whatever the
  // caller's scopes (an API key with `users:write` alone is refused).
  if (user.role === 'admin')
    assertAdministrator(s.principal, 'users:write', "Offboarding an administrator's account");
  const steering = STEERING_OVERRIDES.filter((f) => input.overrides?.[f] !== undefined);
  if (steering.length > 0)
    assertAdministrator(
      s.principal,
      'users:write',
      `Overriding where the leaver's data, mail or notices go (${steering.join(', ')})`,
    );

  const templateId =
    input.templateId ??
    request?.templateId ??
    (await defaultTemplateId(s, 'offboarding_templates'));
  const stored: OffboardingTemplate | null = templateId
    ? await scope.lifecycle.templates.offboarding.get(templateId)
    : null;
  const template = {
    ...(OFFBOARDING_DEFAULTS as unknown as OffboardingTemplate),
    ...(stored ?? {}),
    ...(input.overrides ?? {}),
  } as OffboardingTemplate;

  const manager = await person(s, user.managerId);
  const driveTarget = await person(s, template.driveTransferToUserId);
  const forwardTarget = await person(s, template.emailForwardToUserId);
  const calendarTarget = await person(s, template.calendarTransferToUserId);
  const clouds = await planClouds(scope, user.id);
  const accounts = new Map<string, string | null>();
  for (const c of clouds) {
    if (!c.connected) continue;
    for (const p of [manager, driveTarget, forwardTarget, calendarTarget]) {
      if (p && !accounts.has(`${c.id}:${p.id}`))
        accounts.set(`${c.id}:${p.id}`, await c.cloud.externalUserId(p.id));
    }
  }
  const groups = await s.db
    .selectFrom('access_group_members as m')
    .innerJoin('access_groups as g', 'g.id', 'm.access_group_id')
    .select(['g.id', 'g.name', 'g.platform', 'g.external_id'])
    .where('g.organization_id', '=', s.organizationId)
    .where('m.user_id', '=', user.id)
    .where('m.is_active', '=', true)
    .orderBy('g.name')
    .execute();
  const mirroredLicenses = new Map<string, string[]>();
  const ms = clouds.find((c) => c.id === 'microsoft');
  if (ms?.externalId) {
    const row = await s.db
      .selectFrom('ms_synced_users')
      .select('assigned_licenses')
      .where('organization_id', '=', s.organizationId)
      .where('ms_id', '=', ms.externalId)
      .executeTakeFirst();
    const list = Array.isArray(row?.assigned_licenses) ? row.assigned_licenses : [];
    mirroredLicenses.set(
      'microsoft',
      list
        .map((l) => (l && typeof l === 'object' ? (l as { skuId?: unknown }).skuId : l))
        .filter((v): v is string => typeof v === 'string'),
    );
  }
  const lastDay = input.lastDay ?? request?.endDate ?? null;
  const lastDayEnd = lastDay ? new Date(Date.parse(`${lastDay}T00:00:00Z`) + 86_400_000) : null;
  const { itAddresses, hrAddresses } = await noticeAddresses(s, user.id);

  const plan = new PlanBuilder();
  planOffboarding(plan, {
    user,
    template,
    clouds,
    manager,
    driveTarget,
    forwardTarget,
    calendarTarget,
    accounts,
    groups: groups.map((g) => ({
      id: g.id,
      name: g.name,
      platform: g.platform,
      externalId: g.external_id,
    })),
    mirroredLicenses,
    lastDayEnd,
    now: s.now,
    confirmWipe: input.confirmWipe === true,
    organizationName: await organizationName(s),
    itAddresses,
    hrAddresses,
  });
  return {
    kind: 'offboard',
    templateId: templateId ?? null,
    userId: user.id,
    email: user.email,
    requestId: request?.id ?? null,
    steps: plan.steps,
  };
}
