/**
 * Rules shared by the users use cases: who counts as an administrator of user records, loading a
 * user under a row lock, the last-admin guard, manager checks (existence and cycles) and the
 * master-data references (department, location, cost center, job title) with their denormalized
 * text columns.
 */
import { sql } from 'kysely';
import type { HeliosError } from '../../errors';
import type { RowPatch } from '../../repositories/types';
import type { OperationScope } from '../../runtime';
import { assertAdministrator, isInReportingLine } from '../policy/policy';
import { POLICY_ERRORS } from '../policy/policy.errors';
import { USERS_ERRORS, userNotFound } from './users.errors';
import { activeAdmin, notDeleted, USER_SELECT, type UserRow } from './users.model';

/** True when the principal manages user records without restriction (system, admins, API keys with the scope). */
export function actsAsAdmin(s: OperationScope): boolean {
  return s.principal.isAdministrator || s.principal.actor.type === 'apiKey';
}

/**
 * Admin-only operations: admins, the system and API keys with `users:write`.
 * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`
 */
export async function authorizeAdmin(s: OperationScope): Promise<void> {
  if (s.principal.actor.type === 'user' && !s.principal.isAdministrator) {
    throw POLICY_ERRORS.FORBIDDEN(
      { permission: 'users:write', reason: 'admins only' },
      { details: { actor: s.principal.auditType, role: s.principal.role } },
    );
  }
  await s.authorize('users:write');
}

/**
 * Changes that could hand over administrator power need an administrator, whatever the caller's
 * scopes (`users:write` is not enough): giving or taking a role, and any change to an admin's
 * account (email, state, manager, fields...).
 * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`
 */
export function assertMayChangeUser(
  s: OperationScope,
  target: Pick<UserRow, 'role'> | null,
  change: { role?: unknown } = {},
): void {
  if (change.role !== undefined && change.role !== target?.role)
    assertAdministrator(s.principal, 'users:write', 'changing a role');
  if (target?.role === 'admin')
    assertAdministrator(s.principal, 'users:write', "changing an administrator's account");
}

/**
 * Reads a user of the organization (any state); with `lock`, under `FOR NO KEY UPDATE`: writers of
 * the row line up, while inserts that merely reference it (activity and audit rows' foreign keys,
 * `FOR KEY SHARE`) do not wait on it, so a transaction holding the audit lock never waits here.
 */
export async function findUserRow(
  s: OperationScope,
  id: string,
  lock = false,
): Promise<UserRow | null> {
  let query = s.db
    .selectFrom('organization_users')
    .select(USER_SELECT)
    .where('organization_users.id', '=', id)
    .where('organization_users.organization_id', '=', s.organizationId);
  if (lock) query = query.forNoKeyUpdate();
  return ((await query.executeTakeFirst()) as UserRow | undefined) ?? null;
}

/** As `findUserRow`, but NOT_FOUND `USERS.NOT_FOUND` when absent. */
export async function getUserRow(s: OperationScope, id: string, lock = false): Promise<UserRow> {
  const row = await findUserRow(s, id, lock);
  if (!row) throw userNotFound(id);
  return row;
}

/** True when the row is an active admin (the kind the last-admin rule protects). */
export function isActiveAdmin(row: Pick<UserRow, 'role' | 'user_status' | 'deleted_at'>): boolean {
  return row.role === 'admin' && row.user_status === 'active' && row.deleted_at === null;
}

/**
 * Refuses a change that removes `userId` from the active admins when no other active admin is
 * left. Takes the transaction-scoped advisory lock `helios:admins` first, so two concurrent
 * demotions cannot both see the other admin.
 *
 * @throws HeliosError PRECONDITION_FAILED `USERS.LAST_ADMIN`
 */
export async function assertNotLastAdmin(
  s: OperationScope,
  userId: string,
  change: string,
): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('helios:admins'))`.execute(s.db);
  const row = await s.db
    .selectFrom('organization_users')
    .select((eb) => eb.fn.countAll<string | number | bigint>().as('count'))
    .where('organization_users.organization_id', '=', s.organizationId)
    .where('organization_users.id', '<>', userId)
    .where(activeAdmin())
    .executeTakeFirstOrThrow();
  if (Number(row.count) === 0) {
    throw USERS_ERRORS.LAST_ADMIN({ userId, change });
  }
}

/**
 * Checks a new manager: a non-deleted user of the organization and, for an existing user, neither
 * the user nor anyone below them in the reporting line. Takes the advisory lock
 * `helios:managers` first, so two concurrent changes cannot close a loop together.
 *
 * @throws HeliosError INVALID_INPUT `USERS.MANAGER_NOT_FOUND`; PRECONDITION_FAILED `USERS.MANAGER_CYCLE`
 */
export async function assertManagerAllowed(
  s: OperationScope,
  userId: string | null,
  managerId: string,
): Promise<void> {
  if (userId !== null) {
    if (managerId === userId) {
      throw USERS_ERRORS.MANAGER_CYCLE({ userId, managerId, self: true });
    }
    await sql`select pg_advisory_xact_lock(hashtext('helios:managers'))`.execute(s.db);
  }
  const manager = await s.db
    .selectFrom('organization_users')
    .select('organization_users.id')
    .where('organization_users.id', '=', managerId)
    .where('organization_users.organization_id', '=', s.organizationId)
    .where(notDeleted())
    .executeTakeFirst();
  if (!manager) {
    throw USERS_ERRORS.MANAGER_NOT_FOUND({ managerId });
  }
  // The new manager must not be below the user: that would close a loop.
  if (userId !== null && (await isInReportingLine(s.db, userId, managerId))) {
    throw USERS_ERRORS.MANAGER_CYCLE({ userId, managerId, self: false });
  }
}

/** The reference fields of a create or update input. */
export interface ReferenceInput {
  jobTitle?: string | null | undefined;
  department?: string | null | undefined;
  departmentId?: string | null | undefined;
  location?: string | null | undefined;
  locationId?: string | null | undefined;
  costCenter?: string | null | undefined;
  costCenterId?: string | null | undefined;
}

type ReferenceColumns = Pick<
  RowPatch<'organization_users'>,
  | 'job_title'
  | 'department'
  | 'department_id'
  | 'location'
  | 'location_id'
  | 'cost_center'
  | 'cost_center_id'
>;

function masterDataRequired(
  field: 'department' | 'location' | 'costCenter' | 'jobTitle',
): HeliosError {
  return USERS_ERRORS.MASTER_DATA_REQUIRED({ field });
}

/**
 * Resolves department, location, cost center and job title into column values: an id must name a
 * row of the organization and fills the text column from it (department and location name, cost
 * center code); free text clears the id and is refused while master data settings enforce that
 * kind; `null` clears both. Absent fields are left out.
 *
 * @throws HeliosError INVALID_INPUT `USERS.DEPARTMENT_NOT_FOUND`, `USERS.LOCATION_NOT_FOUND`,
 *   `USERS.COST_CENTER_NOT_FOUND`, `USERS.MASTER_DATA_REQUIRED`
 */
export async function resolveReferences(
  s: OperationScope,
  input: ReferenceInput,
): Promise<ReferenceColumns> {
  const out: ReferenceColumns = {};
  const freeText = [input.department, input.location, input.costCenter, input.jobTitle].some(
    (v) => typeof v === 'string',
  );
  const settings = freeText
    ? await s.db
        .selectFrom('master_data_settings')
        .selectAll()
        .where('organization_id', '=', s.organizationId)
        .executeTakeFirst()
    : undefined;

  if (typeof input.departmentId === 'string') {
    const row = await s.db
      .selectFrom('departments')
      .select(['id', 'name'])
      .where('id', '=', input.departmentId)
      .where('organization_id', '=', s.organizationId)
      .executeTakeFirst();
    if (!row) {
      throw USERS_ERRORS.DEPARTMENT_NOT_FOUND({ departmentId: input.departmentId });
    }
    Object.assign(out, { department_id: row.id, department: row.name });
  } else if (typeof input.department === 'string') {
    if (settings?.enforce_departments) throw masterDataRequired('department');
    Object.assign(out, { department_id: null, department: input.department });
  } else if (input.departmentId === null || input.department === null) {
    Object.assign(out, { department_id: null, department: null });
  }

  if (typeof input.locationId === 'string') {
    const row = await s.db
      .selectFrom('locations')
      .select(['id', 'name'])
      .where('id', '=', input.locationId)
      .where('organization_id', '=', s.organizationId)
      .executeTakeFirst();
    if (!row) {
      throw USERS_ERRORS.LOCATION_NOT_FOUND({ locationId: input.locationId });
    }
    Object.assign(out, { location_id: row.id, location: row.name });
  } else if (typeof input.location === 'string') {
    if (settings?.enforce_locations) throw masterDataRequired('location');
    Object.assign(out, { location_id: null, location: input.location });
  } else if (input.locationId === null || input.location === null) {
    Object.assign(out, { location_id: null, location: null });
  }

  if (typeof input.costCenterId === 'string') {
    const row = await s.db
      .selectFrom('cost_centers')
      .select(['id', 'code'])
      .where('id', '=', input.costCenterId)
      .where('organization_id', '=', s.organizationId)
      .executeTakeFirst();
    if (!row) {
      throw USERS_ERRORS.COST_CENTER_NOT_FOUND({ costCenterId: input.costCenterId });
    }
    Object.assign(out, { cost_center_id: row.id, cost_center: row.code });
  } else if (typeof input.costCenter === 'string') {
    if (settings?.enforce_cost_centers) throw masterDataRequired('costCenter');
    Object.assign(out, { cost_center_id: null, cost_center: input.costCenter });
  } else if (input.costCenterId === null || input.costCenter === null) {
    Object.assign(out, { cost_center_id: null, cost_center: null });
  }

  if (typeof input.jobTitle === 'string') {
    if (settings?.enforce_job_titles) {
      const row = await s.db
        .selectFrom('job_titles')
        .select('title')
        .where('organization_id', '=', s.organizationId)
        .where((eb) => eb(eb.fn('lower', ['title']), '=', input.jobTitle!.toLowerCase()))
        .executeTakeFirst();
      if (!row) throw masterDataRequired('jobTitle');
      out.job_title = row.title;
    } else {
      out.job_title = input.jobTitle;
    }
  } else if (input.jobTitle === null) {
    out.job_title = null;
  }
  return out;
}
