/**
 * The one filtered, visibility-limited, keyset-paginated query behind `list`, `count` and the
 * exports. Sort columns come from a whitelist; every value is a parameter; paging is the shared
 * keyset helper (its cursor checked field by field on decode).
 */
import { sql } from 'kysely';
import type { z } from 'zod';
import type { OperationScope } from '../../runtime';
import { keysetPage, type Page, type PageKeyColumns, type PageKeyKind } from '../../shared/paging';
import { notDeleted, toUser, USER_SELECT, type User, type UserRow } from './users.model';
import type { UserSortField, userFilterSchema } from './users.schema';

/** A parsed filter. */
export type UserFilter = z.output<typeof userFilterSchema>;

/** Which users the caller may see: all, or themself (and, for managers, their reporting line). */
export type UserVisibility = 'all' | { selfId: string; includeReports: boolean };

/** @deprecated Use `Page<User>`. */
export type UserPage = Page<User>;

const SORT_COLUMNS: Record<
  UserSortField,
  {
    column: 'last_name' | 'first_name' | 'email' | 'created_at' | 'start_date';
    kind: PageKeyKind;
    nullable: boolean;
  }
> = {
  lastName: { column: 'last_name', kind: 'text', nullable: false },
  firstName: { column: 'first_name', kind: 'text', nullable: false },
  email: { column: 'email', kind: 'text', nullable: false },
  createdAt: { column: 'created_at', kind: 'timestamp', nullable: true },
  startDate: { column: 'start_date', kind: 'date', nullable: true },
};

/** How deep the reporting line below a manager is followed. */
export const MAX_REPORTING_DEPTH = 50;

/** Escapes `%`, `_` and `\` for a LIKE pattern (backslash is the escape character). */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The ids in the reporting line below `managerId` (direct and indirect reports), as a subquery. */
export function reportsBelow(organizationId: string, managerId: string) {
  return sql<string>`(
    with recursive below(id, depth) as (
      select r.id, 1 from organization_users r
       where r.reporting_manager_id = ${managerId} and r.organization_id = ${organizationId}
      union
      select r.id, b.depth + 1 from organization_users r join below b on r.reporting_manager_id = b.id
       where b.depth < ${MAX_REPORTING_DEPTH} and r.organization_id = ${organizationId}
    )
    select id from below)`;
}

/** The caller's visibility on user records for `permission`. */
export function userVisibility(
  s: OperationScope,
  permission: 'users:read' | 'users:write' = 'users:read',
): UserVisibility {
  return s.policy.userScope(s.principal, permission);
}

/** The users of the organization matching `filter` that `visibility` allows, without a select list. */
export function filteredUsers(
  s: OperationScope,
  filter: Omit<UserFilter, 'sort' | 'direction'>,
  visibility: UserVisibility,
) {
  let query = s.db
    .selectFrom('organization_users')
    .where('organization_users.organization_id', '=', s.organizationId);
  if (visibility !== 'all') {
    const { selfId, includeReports } = visibility;
    query = includeReports
      ? query.where((eb) =>
          eb.or([
            eb('organization_users.id', '=', selfId),
            eb('organization_users.id', 'in', reportsBelow(s.organizationId, selfId) as never),
          ]),
        )
      : query.where('organization_users.id', '=', selfId);
  }
  const { status } = filter;
  if (status === undefined) query = query.where(notDeleted());
  else if (status !== 'all')
    query = query.where(
      'organization_users.user_status',
      'in',
      Array.isArray(status) ? status : [status],
    );
  if (filter.role !== undefined)
    query = query.where(
      'organization_users.role',
      'in',
      Array.isArray(filter.role) ? filter.role : [filter.role],
    );
  if (filter.departmentId !== undefined)
    query = query.where('organization_users.department_id', '=', filter.departmentId);
  if (filter.locationId !== undefined)
    query = query.where('organization_users.location_id', '=', filter.locationId);
  if (filter.managerId !== undefined) {
    query =
      filter.managerId === null
        ? query.where('organization_users.reporting_manager_id', 'is', null)
        : query.where('organization_users.reporting_manager_id', '=', filter.managerId);
  }
  if (filter.userType !== undefined)
    query = query.where('organization_users.user_type', '=', filter.userType);
  if (filter.employeeType !== undefined)
    query = query.where('organization_users.employee_type', '=', filter.employeeType);
  if (filter.q) {
    const pattern = `%${escapeLike(filter.q)}%`;
    query = query.where((eb) =>
      eb.or([
        eb('organization_users.first_name', 'ilike', pattern),
        eb('organization_users.last_name', 'ilike', pattern),
        eb('organization_users.email', 'ilike', pattern),
        eb(
          sql<string>`organization_users.first_name || ' ' || organization_users.last_name`,
          'ilike',
          pattern,
        ),
      ]),
    );
  }
  return query;
}

/** The number of users matching `filter` within `visibility`. */
export async function countUsers(
  s: OperationScope,
  filter: Omit<UserFilter, 'sort' | 'direction'>,
  visibility: UserVisibility,
): Promise<number> {
  const row = await filteredUsers(s, filter, visibility)
    .select((eb) => eb.fn.countAll<string | number | bigint>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/**
 * One page of users matching `filter`, ordered by (sort column, id) with nulls last, starting after
 * `cursor`. Rows inserted or changed between pages never cause a row that stays put to be repeated
 * or skipped.
 *
 * @throws HeliosError INVALID_INPUT `PAGING.INVALID_CURSOR` for a cursor not made by this list
 */
export async function pageUsers(
  s: OperationScope,
  filter: UserFilter,
  visibility: UserVisibility,
  page: { limit: number; cursor?: string | null | undefined },
): Promise<Page<User>> {
  const { column, kind, nullable } = SORT_COLUMNS[filter.sort];
  const paging = keysetPage({
    list: `users:${filter.sort}`,
    keys: [
      { by: `organization_users.${column}`, kind, nullable },
      { by: 'organization_users.id', kind: 'uuid' },
    ],
    direction: filter.direction,
    limit: page.limit,
    cursor: page.cursor,
  });
  const rows = await filteredUsers(s, filter, visibility)
    .select(USER_SELECT)
    .$call(paging.query)
    .execute();
  return paging.page(rows as (UserRow & PageKeyColumns)[], toUser);
}
