/**
 * The one filtered, visibility-limited, keyset-paginated query behind `list`, `count` and the
 * exports. Sort columns come from a whitelist; every value is a parameter; the cursor is the opaque
 * repository cursor (checked field by field on decode).
 */
import { type Expression, type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import type { z } from 'zod';
import type { Database } from '../../db/database.generated';
import { decodeCursor, encodeCursor } from '../../repositories/cursor';
import type { SortValueKind } from '../../repositories/generate-metadata';
import type { OperationScope } from '../../runtime';
import { notDeleted, toUser, USER_SELECT, type User, type UserRow } from './users.model';
import type { UserSortField, userFilterSchema } from './users.schema';

/** A parsed filter. */
export type UserFilter = z.output<typeof userFilterSchema>;

/** Which users the caller may see: all, or themself (and, for managers, their reporting line). */
export type UserVisibility = 'all' | { selfId: string; includeReports: boolean };

/** A page of users and the cursor of the next page (null on the last page). */
export interface UserPage {
  items: User[];
  nextCursor: string | null;
}

const SORT_COLUMNS: Record<UserSortField, { column: 'last_name' | 'first_name' | 'email' | 'created_at' | 'start_date'; kind: SortValueKind }> = {
  lastName: { column: 'last_name', kind: 'text' },
  firstName: { column: 'first_name', kind: 'text' },
  email: { column: 'email', kind: 'text' },
  createdAt: { column: 'created_at', kind: 'timestamp' },
  startDate: { column: 'start_date', kind: 'date' },
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
export function userVisibility(s: OperationScope, permission: 'users:read' | 'users:write' = 'users:read'): UserVisibility {
  return s.policy.userScope(s.principal, permission);
}

/** The users of the organization matching `filter` that `visibility` allows, without a select list. */
export function filteredUsers(s: OperationScope, filter: Omit<UserFilter, 'sort' | 'direction'>, visibility: UserVisibility) {
  let query = s.db.selectFrom('organization_users').where('organization_users.organization_id', '=', s.organizationId);
  if (visibility !== 'all') {
    const { selfId, includeReports } = visibility;
    query = includeReports
      ? query.where((eb) =>
          eb.or([eb('organization_users.id', '=', selfId), eb('organization_users.id', 'in', reportsBelow(s.organizationId, selfId) as never)]),
        )
      : query.where('organization_users.id', '=', selfId);
  }
  const { status } = filter;
  if (status === undefined) query = query.where(notDeleted());
  else if (status !== 'all') query = query.where('organization_users.user_status', 'in', Array.isArray(status) ? status : [status]);
  if (filter.role !== undefined) query = query.where('organization_users.role', 'in', Array.isArray(filter.role) ? filter.role : [filter.role]);
  if (filter.departmentId !== undefined) query = query.where('organization_users.department_id', '=', filter.departmentId);
  if (filter.locationId !== undefined) query = query.where('organization_users.location_id', '=', filter.locationId);
  if (filter.managerId !== undefined) {
    query =
      filter.managerId === null
        ? query.where('organization_users.reporting_manager_id', 'is', null)
        : query.where('organization_users.reporting_manager_id', '=', filter.managerId);
  }
  if (filter.userType !== undefined) query = query.where('organization_users.user_type', '=', filter.userType);
  if (filter.employeeType !== undefined) query = query.where('organization_users.employee_type', '=', filter.employeeType);
  if (filter.q) {
    const pattern = `%${escapeLike(filter.q)}%`;
    query = query.where((eb) =>
      eb.or([
        eb('organization_users.first_name', 'ilike', pattern),
        eb('organization_users.last_name', 'ilike', pattern),
        eb('organization_users.email', 'ilike', pattern),
        eb(sql<string>`organization_users.first_name || ' ' || organization_users.last_name`, 'ilike', pattern),
      ]),
    );
  }
  return query;
}

/** The number of users matching `filter` within `visibility`. */
export async function countUsers(s: OperationScope, filter: Omit<UserFilter, 'sort' | 'direction'>, visibility: UserVisibility): Promise<number> {
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
 * @throws HeliosError INVALID_INPUT `REPOSITORY.INVALID_CURSOR` for a cursor not made by this list
 */
export async function pageUsers(
  s: OperationScope,
  filter: UserFilter,
  visibility: UserVisibility,
  page: { limit: number; cursor?: string | null | undefined },
): Promise<UserPage> {
  const { column, kind } = SORT_COLUMNS[filter.sort];
  const direction = filter.direction;
  const after =
    page.cursor === undefined || page.cursor === null ? null : decodeCursor(page.cursor, { orderBy: filter.sort, direction, sortKind: kind, keyKind: 'uuid' });
  const ref = `organization_users.${column}` as const;
  const op = direction === 'asc' ? '>' : '<';
  let query = filteredUsers(s, filter, visibility)
    .select(USER_SELECT)
    .select([sql<string | null>`${sql.ref(ref)}::text`.as('__sort'), sql<string>`organization_users.id::text`.as('__key')]) as unknown as SelectQueryBuilder<
    Database,
    'organization_users',
    UserRow & { __sort: string | null; __key: string }
  >;
  if (after) {
    query = query.where((eb) => {
      const keyAfter = eb('organization_users.id', op, after.key);
      if (after.value === null) return eb.and([eb(ref, 'is', null), keyAfter]);
      const conditions: Expression<SqlBool>[] = [
        eb(ref, op, after.value as never),
        eb.and([eb(ref, '=', after.value as never), keyAfter]),
        eb(ref, 'is', null),
      ];
      return eb.or(conditions);
    });
  }
  const rows = await query
    .orderBy(sql`${sql.ref(ref)} ${sql.raw(direction)} nulls last`)
    .orderBy('organization_users.id', direction)
    .limit(page.limit + 1)
    .execute();
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  const nextCursor = rows.length > page.limit && last ? encodeCursor({ orderBy: filter.sort, direction, value: last.__sort, key: last.__key }) : null;
  return { items: items.map(toUser), nextCursor };
}
