/**
 * Users (core group): the people of the organization in `organization_users`: creating and
 * changing them with field-level permissions, listing, counting and exporting them, the one
 * account-state model (`user_status`), the last-admin guard, managers and the org chart.
 *
 * Owns: organization_users (reads departments, locations, cost_centers, job_titles and
 * master_data_settings to check references).
 */

import { CORE_ERRORS } from '../../errors/core.errors';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { recordAuthSecurityEvent } from '../../shared/auth-rows';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import { queueAutomationRefresh } from '../automation';
import type { CallOptions, Role } from '../policy/actor';
import { assertAdministrator } from '../policy/policy';
import { USERS_ERRORS } from './users.errors';
import { exportUsersCsv, exportUsersJson } from './users.export';
import {
  buildOrgChart,
  listDirectReports,
  listReportingChain,
  type OrgChartNode,
  setUserManager,
} from './users.managers';
import { toUser, type User, type UserSummary } from './users.model';
import { countUsers, pageUsers, type UserPage, userVisibility } from './users.query';
import {
  actsAsAdmin,
  assertManagerAllowed,
  assertMayChangeUser,
  assertNotLastAdmin,
  authorizeAdmin,
  findUserRow,
  getUserRow,
  isActiveAdmin,
  resolveReferences,
} from './users.rules';
import {
  type CreateUserInput,
  createUserSchema,
  type ListUsersInput,
  listUsersSchema,
  MANAGER_EDITABLE_USER_FIELDS,
  type OrgChartInput,
  orgChartSchema,
  SELF_EDITABLE_USER_FIELDS,
  type UpdateUserInput,
  USER_ROLES,
  USER_STATUSES,
  type UserFilterInput,
  type UserStatus,
  updateUserSchema,
  userFilterSchema,
  userIdSchema,
} from './users.schema';
import { transitionUser } from './users.status';

/**
 * Users: CRUD with field-level permissions, lists and exports, account state, managers and the
 * org chart. Every write runs in one transaction with its audit row (and an activity entry).
 *
 * Who may do what:
 * - admins, the system and API keys with `users:write` (`users:read` for reads): everything, except
 *   that role changes and any change to an admin's account need an administrator (an admin, the
 *   system or an `admin:full` key), see `assertMayChangeUser`;
 * - managers: read themself and their whole reporting line; change the work fields
 *   ({@link MANAGER_EDITABLE_USER_FIELDS}) of the people below them, and their own personal fields;
 * - users: read themself; change their own personal fields ({@link SELF_EDITABLE_USER_FIELDS});
 * - everyone signed in (`people:read`): direct reports, reporting chains and the org chart.
 */
export interface UsersService {
  /**
   * Creates a user (admins, API keys with `users:write`; an admin user only by an administrator).
   * The email is trimmed and lower-cased;
   * `departmentId`/`locationId`/`costCenterId` fill the department/location/cost center text.
   *
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `USERS.DEPARTMENT_NOT_FOUND`,
   *   `USERS.LOCATION_NOT_FOUND`, `USERS.COST_CENTER_NOT_FOUND`, `USERS.MANAGER_NOT_FOUND`,
   *   `USERS.MASTER_DATA_REQUIRED`; CONFLICT `USERS.EMAIL_TAKEN`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const bo = await helios.as(admin).users.create({ email: 'Bo@Acme.com', firstName: 'Bo', lastName: 'Li', role: 'manager' });
   * bo.email; // 'bo@acme.com'
   * ```
   */
  create(input: CreateUserInput, options?: CallOptions): Promise<User>;
  /**
   * The user with this id (yourself; for managers also your reporting line; admins anyone).
   * @throws HeliosError NOT_FOUND `USERS.NOT_FOUND`; INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const me = await helios.as({ type: 'user', userId }).users.get(userId);
   * ```
   */
  get(id: string, options?: CallOptions): Promise<User>;
  /**
   * As `get`, but null when there is no such user.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  find(id: string, options?: CallOptions): Promise<User | null>;
  /**
   * Changes a user (absent fields stay; `null` clears). Admins (and keys with `users:write`) may
   * change every field and `managerId` (cycle-checked); `role` (last-admin guarded) and any field of
   * an admin's account only an administrator (admin, system, `admin:full` key);
   * a manager may change the work fields of people in their reporting line; anyone may change
   * their own personal fields. Status changes have their own methods.
   *
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`, `USERS.FIELD_NOT_ALLOWED` (details.fields);
   *   NOT_FOUND `USERS.NOT_FOUND`; INVALID_INPUT `VALIDATION.FAILED` and the reference codes of
   *   `create`; CONFLICT `USERS.EMAIL_TAKEN`; PRECONDITION_FAILED `USERS.LAST_ADMIN`, `USERS.MANAGER_CYCLE`
   * @example
   * ```ts
   * await helios.as({ type: 'user', userId }).users.update(userId, { bio: 'Hi!', timezone: 'Europe/Paris' });
   * ```
   */
  update(id: string, patch: UpdateUserInput, options?: CallOptions): Promise<User>;
  /**
   * A page of users the caller may see, filtered and sorted (keyset pagination on (sort field, id)).
   * Default: every state but `deleted`, by last name, 50 per page.
   *
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * let page = await users.list({ status: 'active', q: 'smith', sort: 'createdAt', direction: 'desc', limit: 100 });
   * while (page.nextCursor) page = await users.list({ status: 'active', q: 'smith', sort: 'createdAt', direction: 'desc', limit: 100, cursor: page.nextCursor });
   * ```
   */
  list(filter?: ListUsersInput, options?: CallOptions): Promise<UserPage>;
  /**
   * The number of users matching the filter that the caller may see.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  count(filter?: UserFilterInput, options?: CallOptions): Promise<number>;
  /**
   * Changes a user's role (administrators only: admins, the system, `admin:full` keys); audited as `users.role`.
   * @throws HeliosError PRECONDITION_FAILED `USERS.LAST_ADMIN`; NOT_FOUND `USERS.NOT_FOUND`;
   *   INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  setRole(id: string, role: Role, options?: CallOptions): Promise<User>;
  /**
   * Moves a user to another state along the state model (admins; an admin's state only an
   * administrator: admins, the system, `admin:full` keys):
   * staged -> invited -> active <-> suspended; active/suspended -> blocked -> active;
   * any state -> deleted (soft) -> active (restore). `is_active` follows `status === 'active'`.
   *
   * @throws HeliosError PRECONDITION_FAILED `USERS.INVALID_TRANSITION` (details from, to),
   *   `USERS.SELF_ACTION`, `USERS.LAST_ADMIN`; NOT_FOUND `USERS.NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await users.setStatus(id, 'suspended');
   * ```
   */
  setStatus(id: string, status: UserStatus, options?: CallOptions): Promise<User>;
  /** staged -> invited. @throws HeliosError as `setStatus` */
  invite(id: string, options?: CallOptions): Promise<User>;
  /** invited -> active. @throws HeliosError as `setStatus` */
  activate(id: string, options?: CallOptions): Promise<User>;
  /** active -> suspended (not yourself; not the last admin). @throws HeliosError as `setStatus` */
  suspend(id: string, options?: CallOptions): Promise<User>;
  /** suspended -> active. @throws HeliosError as `setStatus` */
  unsuspend(id: string, options?: CallOptions): Promise<User>;
  /** active or suspended -> blocked (not yourself; not the last admin). @throws HeliosError as `setStatus` */
  block(id: string, options?: CallOptions): Promise<User>;
  /** blocked -> active. @throws HeliosError as `setStatus` */
  unblock(id: string, options?: CallOptions): Promise<User>;
  /**
   * Soft-deletes a user (any state but deleted -> deleted, `deleted_at` set); not yourself, not the
   * last admin. Their reports keep the link; the org chart shows them as roots.
   * @throws HeliosError as `setStatus`
   */
  delete(id: string, options?: CallOptions): Promise<User>;
  /** deleted -> active (`deleted_at` cleared). @throws HeliosError as `setStatus` */
  restore(id: string, options?: CallOptions): Promise<User>;
  /**
   * Sets or (with null) clears a user's manager (admins; an admin's manager only an administrator); audited as `users.manager`.
   * @throws HeliosError PRECONDITION_FAILED `USERS.MANAGER_CYCLE` (the manager is the user or below
   *   them); INVALID_INPUT `USERS.MANAGER_NOT_FOUND`, `VALIDATION.FAILED`; NOT_FOUND `USERS.NOT_FOUND`;
   *   FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await users.setManager(reportId, managerId);
   * ```
   */
  setManager(userId: string, managerId: string | null, options?: CallOptions): Promise<User>;
  /**
   * The non-deleted users reporting directly to a user, by name (`people:read`).
   * @throws HeliosError NOT_FOUND `USERS.NOT_FOUND`; INVALID_INPUT `VALIDATION.FAILED`
   */
  directReports(userId: string, options?: CallOptions): Promise<UserSummary[]>;
  /**
   * The user's managers, nearest first, up to the top (at most 50 levels; `people:read`).
   * @throws HeliosError NOT_FOUND `USERS.NOT_FOUND`; INVALID_INPUT `VALIDATION.FAILED`
   */
  reportingChain(userId: string, options?: CallOptions): Promise<UserSummary[]>;
  /**
   * The org chart of non-deleted users (`people:read`): trees from `rootId`, or from every user
   * without a manager, `depth` levels deep (default 10, max 50).
   * @throws HeliosError NOT_FOUND `USERS.NOT_FOUND` (rootId); INVALID_INPUT `VALIDATION.FAILED`
   * @example
   * ```ts
   * const [ceo] = await users.orgChart({ depth: 2 });
   * ceo.reports.map((r) => r.name);
   * ```
   */
  orgChart(input?: OrgChartInput, options?: CallOptions): Promise<OrgChartNode[]>;
  /**
   * The users matching a filter (visibility as `list`) as CSV text chunks: a header row, then one
   * chunk per page of 500, CRLF line endings, RFC 4180 quoting, formula-looking values prefixed
   * with `'`. Errors (INVALID_INPUT, FORBIDDEN, UNAUTHENTICATED) surface on the first `next()`:
   * pull the first chunk before sending response headers.
   * @example
   * ```ts
   * for await (const chunk of users.exportCsv({ status: 'active' })) res.write(chunk);
   * ```
   */
  exportCsv(filter?: UserFilterInput, options?: CallOptions): AsyncIterable<string>;
  /** As `exportCsv`, but one JSON array of `User` objects, streamed in chunks. */
  exportJson(filter?: UserFilterInput, options?: CallOptions): AsyncIterable<string>;
}

type ParsedUpdate = ReturnType<typeof updateUserSchema.parse>;

/** Column values of the simple (non-reference) fields of a create or update. */
function simpleColumns(data: Partial<ParsedUpdate>) {
  return {
    ...(data.email !== undefined ? { email: data.email } : {}),
    ...(data.firstName !== undefined ? { first_name: data.firstName } : {}),
    ...(data.lastName !== undefined ? { last_name: data.lastName } : {}),
    ...(data.role !== undefined ? { role: data.role } : {}),
    ...(data.managerId !== undefined ? { reporting_manager_id: data.managerId } : {}),
    ...(data.employeeId !== undefined ? { employee_id: data.employeeId } : {}),
    ...(data.employeeType !== undefined ? { employee_type: data.employeeType } : {}),
    ...(data.userType !== undefined ? { user_type: data.userType } : {}),
    ...(data.startDate !== undefined ? { start_date: data.startDate } : {}),
    ...(data.endDate !== undefined ? { end_date: data.endDate } : {}),
    ...(data.mobilePhone !== undefined ? { mobile_phone: data.mobilePhone } : {}),
    ...(data.workPhone !== undefined ? { work_phone: data.workPhone } : {}),
    ...(data.workPhoneExtension !== undefined
      ? { work_phone_extension: data.workPhoneExtension }
      : {}),
    ...(data.bio !== undefined ? { bio: data.bio } : {}),
    ...(data.timezone !== undefined ? { timezone: data.timezone } : {}),
    ...(data.preferredLanguage !== undefined ? { preferred_language: data.preferredLanguage } : {}),
  };
}

const targetOf = (id: unknown) => ({ userId: typeof id === 'string' ? id : null });

/** Refuses fields the caller may not change on this user. */
function assertFieldsAllowed(s: OperationScope, id: string, data: object): void {
  if (actsAsAdmin(s)) return;
  const allowed: readonly string[] =
    s.principal.userId === id ? SELF_EDITABLE_USER_FIELDS : MANAGER_EDITABLE_USER_FIELDS;
  const refused = Object.keys(data).filter((field) => !allowed.includes(field));
  if (refused.length > 0) {
    throw USERS_ERRORS.FIELD_NOT_ALLOWED({ fields: refused, allowed });
  }
}

/** Builds the users service. */
export function createUsersService(rt: ServiceRuntime): UsersService {
  // A change to a user may change who a dynamic group's rule matches: queue the (debounced) refresh.
  const refreshRules = (s: OperationScope) => queueAutomationRefresh(rt, s.db, s.organizationId);
  const applyUpdate = async (
    s: OperationScope,
    id: string,
    data: Partial<ParsedUpdate>,
    action: 'users.update' | 'users.role',
  ): Promise<User> => {
    const before = await getUserRow(s, id, true);
    assertMayChangeUser(s, before, data);
    if (Object.keys(data).length === 0) return toUser(before);
    if (data.role !== undefined && data.role !== 'admin' && isActiveAdmin(before))
      await assertNotLastAdmin(s, id, 'demoted');
    if (data.managerId && data.managerId !== before.reporting_manager_id)
      await assertManagerAllowed(s, id, data.managerId);
    const references = await resolveReferences(s, data);
    await s.db
      .updateTable('organization_users')
      .set({ ...simpleColumns(data), ...references, updated_at: s.now })
      .where('id', '=', id)
      .where('organization_id', '=', s.organizationId)
      .execute();
    const after = toUser(await getUserRow(s, id));
    const changes = summarizeChange(toUser(before), after);
    await refreshRules(s);
    await s.audit({
      action,
      resource: 'user',
      resourceId: id,
      details: { email: after.email, ...changes },
    });
    if (before.role !== after.role) {
      await recordAuthSecurityEvent(s.db, s.organizationId, {
        userId: id,
        eventType: 'role_changed',
        severity: after.role === 'admin' || before.role === 'admin' ? 'warning' : 'info',
        description: `Role changed from ${before.role} to ${after.role}`,
        metadata: { from: before.role, to: after.role, by: s.principal.auditId },
      });
    }
    await s.activity({
      userId: id,
      action,
      resourceType: 'user',
      resourceId: id,
      description:
        action === 'users.role'
          ? `${after.firstName} ${after.lastName} is now ${after.role}.`
          : `${after.firstName} ${after.lastName} was updated.`,
      metadata: { fields: Object.keys(changes) },
    });
    return after;
  };

  const transition =
    (to: UserStatus, from?: readonly UserStatus[]) =>
    (id: string, options?: CallOptions): Promise<User> =>
      rt.write(options, async (s) => {
        await authorizeAdmin(s);
        const userId = parseInput(userIdSchema, id);
        assertMayChangeUser(s, await findUserRow(s, userId, true));
        const user = await transitionUser(s, userId, to, from);
        await refreshRules(s);
        return user;
      });

  return {
    create: (input, options) =>
      rt.write(options, async (s) => {
        await authorizeAdmin(s);
        const data = parseInput(createUserSchema, input);
        if (data.role === 'admin') assertMayChangeUser(s, null, { role: data.role });
        const taken = await s.db
          .selectFrom('organization_users')
          .select('id')
          .where((eb) => eb(eb.fn('lower', ['email']), '=', data.email))
          .executeTakeFirst();
        if (taken) throw USERS_ERRORS.EMAIL_TAKEN({ email: data.email });
        const references = await resolveReferences(s, data);
        if (data.managerId) await assertManagerAllowed(s, null, data.managerId);
        const inserted = await s.db
          .insertInto('organization_users')
          .values({
            organization_id: s.organizationId,
            first_name: data.firstName,
            last_name: data.lastName,
            email: data.email,
            ...simpleColumns(data),
            ...references,
            user_status: data.status,
            is_active: data.status === 'active',
            created_at: s.now,
            updated_at: s.now,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const user = toUser(await getUserRow(s, inserted.id));
        await refreshRules(s);
        await s.audit({
          action: 'users.create',
          resource: 'user',
          resourceId: user.id,
          details: summarizeChange(null, user),
        });
        await s.activity({
          userId: user.id,
          action: 'users.create',
          resourceType: 'user',
          resourceId: user.id,
          description: `${user.firstName} ${user.lastName} was added as ${user.role} (${user.status}).`,
          metadata: { email: user.email, role: user.role, status: user.status },
        });
        return user;
      }),

    get: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('users:read', targetOf(id));
        return toUser(await getUserRow(s, parseInput(userIdSchema, id)));
      }),

    find: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('users:read', targetOf(id));
        const row = await findUserRow(s, parseInput(userIdSchema, id));
        return row ? toUser(row) : null;
      }),

    update: (id, patch, options) =>
      rt.write(options, async (s) => {
        await s.authorize('users:write', targetOf(id));
        const userId = parseInput(userIdSchema, id);
        const data = parseInput(updateUserSchema, patch);
        assertFieldsAllowed(s, userId, data);
        return applyUpdate(s, userId, data, 'users.update');
      }),

    list: (filter, options) =>
      rt.read(options, async (s) => {
        const visibility = userVisibility(s, 'users:read');
        const data = parseInput(listUsersSchema, filter ?? {});
        return pageUsers(s, data, visibility, { limit: data.limit, cursor: data.cursor });
      }),

    count: (filter, options) =>
      rt.read(options, async (s) => {
        const visibility = userVisibility(s, 'users:read');
        return countUsers(s, parseInput(userFilterSchema, filter ?? {}), visibility);
      }),

    setRole: (id, role, options) =>
      rt.write(options, async (s) => {
        await authorizeAdmin(s);
        assertAdministrator(s.principal, 'users:write', 'changing a role');
        const userId = parseInput(userIdSchema, id);
        if (!(USER_ROLES as readonly unknown[]).includes(role)) {
          throw CORE_ERRORS.VALIDATION_FAILED({
            message: `The role must be one of ${USER_ROLES.join(', ')}.`,
          });
        }
        return applyUpdate(s, userId, { role }, 'users.role');
      }),

    setStatus: (id, status, options) =>
      rt.write(options, async (s) => {
        await authorizeAdmin(s);
        const userId = parseInput(userIdSchema, id);
        if (!(USER_STATUSES as readonly unknown[]).includes(status)) {
          throw CORE_ERRORS.VALIDATION_FAILED({
            message: `The status must be one of ${USER_STATUSES.join(', ')}.`,
          });
        }
        assertMayChangeUser(s, await findUserRow(s, userId, true));
        const user = await transitionUser(s, userId, status);
        await refreshRules(s);
        return user;
      }),
    invite: transition('invited', ['staged']),
    activate: transition('active', ['invited']),
    suspend: transition('suspended', ['active']),
    unsuspend: transition('active', ['suspended']),
    block: transition('blocked', ['active', 'suspended']),
    unblock: transition('active', ['blocked']),
    delete: transition('deleted'),
    restore: transition('active', ['deleted']),

    setManager: (userId, managerId, options) =>
      rt.write(options, async (s) => {
        await authorizeAdmin(s);
        const id = parseInput(userIdSchema, userId);
        const manager = parseInput(userIdSchema.nullable(), managerId);
        assertMayChangeUser(s, await findUserRow(s, id, true));
        const user = await setUserManager(s, id, manager);
        await refreshRules(s);
        return user;
      }),

    directReports: (userId, options) =>
      rt.read(options, async (s) => {
        await s.authorize('people:read');
        return listDirectReports(s, parseInput(userIdSchema, userId));
      }),

    reportingChain: (userId, options) =>
      rt.read(options, async (s) => {
        await s.authorize('people:read');
        return listReportingChain(s, parseInput(userIdSchema, userId));
      }),

    orgChart: (input, options) =>
      rt.read(options, async (s) => {
        await s.authorize('people:read');
        const data = parseInput(orgChartSchema, input ?? {});
        return buildOrgChart(s, data.rootId, data.depth);
      }),

    exportCsv: (filter, options) => exportUsersCsv(rt, filter, options),
    exportJson: (filter, options) => exportUsersJson(rt, filter, options),
  };
}
