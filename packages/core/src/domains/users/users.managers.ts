/**
 * The reporting structure: changing a user's manager (with cycle prevention), direct reports, the
 * reporting chain up to the top, and the org chart as a tree built from one recursive query.
 * Deleted users are left out everywhere; a deleted manager ends a chain, and users whose manager
 * is deleted are roots of the org chart.
 */
import { type RawBuilder, sql } from 'kysely';
import type { OperationScope } from '../../runtime';
import { summarizeChange } from '../audit';
import { scopesAllow } from '../policy/policy';
import { userNotFound } from './users.errors';
import { notDeleted, toUser, type User, type UserSummary } from './users.model';
import { MAX_REPORTING_DEPTH } from './users.query';
import { assertManagerAllowed, getUserRow } from './users.rules';
import type { UserStatus } from './users.schema';

/** One person of the org chart and the people reporting to them. */
export interface OrgChartNode {
  id: string;
  /** First and last name. */
  name: string;
  firstName: string;
  lastName: string;
  email: string;
  jobTitle: string | null;
  department: string | null;
  /** Number of direct reports (also when the chart's depth cuts them off). */
  reportCount: number;
  /** Direct reports within the requested depth, by last name. */
  reports: OrgChartNode[];
}

interface SummaryRow {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  job_title: string | null;
  department: string | null;
  reporting_manager_id: string | null;
  user_status: string | null;
}

const SUMMARY_COLUMNS = [
  'id',
  'email',
  'first_name',
  'last_name',
  'job_title',
  'department',
  'reporting_manager_id',
  'user_status',
] as const;

function toSummary(row: SummaryRow): UserSummary {
  return {
    id: row.id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    jobTitle: row.job_title,
    department: row.department,
    managerId: row.reporting_manager_id,
    status: (row.user_status ?? 'active') as UserStatus,
  };
}

/**
 * Sets (or with `null` clears) a user's manager; no change when it is already that manager.
 *
 * @throws HeliosError NOT_FOUND `USERS.NOT_FOUND`; INVALID_INPUT `USERS.MANAGER_NOT_FOUND`;
 *   PRECONDITION_FAILED `USERS.MANAGER_CYCLE`
 */
export async function setUserManager(
  s: OperationScope,
  userId: string,
  managerId: string | null,
): Promise<User> {
  const before = await getUserRow(s, userId, true);
  if (before.reporting_manager_id === managerId) return toUser(before);
  if (managerId !== null) await assertManagerAllowed(s, userId, managerId);
  await s.db
    .updateTable('organization_users')
    .set({ reporting_manager_id: managerId, updated_at: s.now })
    .where('id', '=', userId)
    .where('organization_id', '=', s.organizationId)
    .execute();
  const after = toUser(await getUserRow(s, userId));
  await s.audit({
    action: 'users.manager',
    resource: 'user',
    resourceId: userId,
    details: { email: after.email, ...summarizeChange(toUser(before), after) },
  });
  await s.activity({
    userId,
    action: 'users.manager',
    resourceType: 'user',
    resourceId: userId,
    description: managerId
      ? `${after.firstName} ${after.lastName} has a new manager.`
      : `${after.firstName} ${after.lastName} no longer has a manager.`,
    metadata: { from: before.reporting_manager_id, to: managerId },
  });
  return after;
}

/**
 * Who the reporting-line reads (direct reports, reporting chain, org chart) show: administrators and
 * keys that may read users see every non-deleted user; everyone else sees the people directory only
 * (active users), so staged, invited, suspended and blocked users' emails and states stay hidden.
 */
function seesEveryUser(s: OperationScope): boolean {
  const { principal } = s;
  if (principal.isAdministrator) return true;
  return principal.actor.type === 'apiKey' && scopesAllow(principal.actor.scopes, 'users:read');
}

/** SQL: the user (at `alias`) is shown to this caller in the reporting-line reads. */
function shownTo(s: OperationScope, alias: string): RawBuilder<boolean> {
  if (seesEveryUser(s)) return notDeleted(alias);
  return sql<boolean>`(${notDeleted(alias)} and ${sql.ref(`${alias}.user_status`)} = 'active' and coalesce(${sql.ref(`${alias}.is_active`)}, true))`;
}

/** The user `userId`, when this caller may see it in the reporting line; USERS.NOT_FOUND otherwise. */
async function getShownUser(s: OperationScope, userId: string): Promise<void> {
  const row = await getUserRow(s, userId);
  if (!seesEveryUser(s) && (row.deleted_at !== null || row.user_status !== 'active'))
    throw userNotFound(userId);
}

/** The non-deleted users reporting directly to `userId` (who must exist), by name. */
export async function listDirectReports(s: OperationScope, userId: string): Promise<UserSummary[]> {
  await getShownUser(s, userId);
  const rows = await s.db
    .selectFrom('organization_users')
    .select(SUMMARY_COLUMNS)
    .where('organization_id', '=', s.organizationId)
    .where('reporting_manager_id', '=', userId)
    .where(shownTo(s, 'organization_users'))
    .orderBy('last_name')
    .orderBy('first_name')
    .orderBy('id')
    .execute();
  return rows.map(toSummary);
}

/**
 * The managers above `userId`, nearest first, up to the top (at most 50 levels). A deleted
 * manager, or a manager already seen (a loop in legacy data), ends the chain.
 */
export async function listReportingChain(
  s: OperationScope,
  userId: string,
): Promise<UserSummary[]> {
  await getShownUser(s, userId);
  const result = await sql<SummaryRow & { depth: number }>`
    with recursive chain(id, depth, path) as (
      select u.reporting_manager_id, 1, array[u.id]
        from organization_users u
       where u.id = ${userId} and u.organization_id = ${s.organizationId} and u.reporting_manager_id is not null
      union all
      select m.reporting_manager_id, c.depth + 1, c.path || m.id
        from organization_users m join chain c on m.id = c.id
       where c.depth < ${MAX_REPORTING_DEPTH}
         and m.reporting_manager_id is not null
         and not (m.reporting_manager_id = any(c.path || m.id))
         and ${notDeleted('m')}
    )
    select u.id, u.email, u.first_name, u.last_name, u.job_title, u.department, u.reporting_manager_id, u.user_status, c.depth
      from chain c join organization_users u on u.id = c.id
     where u.organization_id = ${s.organizationId}
     order by c.depth`.execute(s.db);
  const out: UserSummary[] = [];
  const everyone = seesEveryUser(s);
  for (const row of result.rows) {
    if (row.user_status === 'deleted') break;
    // Managers the caller may not see are skipped (the chain continues above them).
    if (!everyone && row.user_status !== 'active') continue;
    out.push(toSummary(row));
  }
  return out;
}

/**
 * The org chart: non-deleted users as a forest, from `rootId` or from every user without a
 * (non-deleted) manager, `depth` levels deep. One recursive query reads the whole chart.
 *
 * @throws HeliosError NOT_FOUND `USERS.NOT_FOUND` for an unknown or deleted `rootId`
 */
export async function buildOrgChart(
  s: OperationScope,
  rootId: string | undefined,
  depth: number,
): Promise<OrgChartNode[]> {
  if (rootId !== undefined) {
    const root = await getUserRow(s, rootId);
    if (root.deleted_at !== null || root.user_status === 'deleted') throw userNotFound(rootId);
    await getShownUser(s, rootId);
  }
  const isRoot =
    rootId !== undefined
      ? sql<boolean>`u.id = ${rootId}`
      : sql<boolean>`not exists (select 1 from organization_users m where m.id = u.reporting_manager_id and ${shownTo(s, 'm')})`;
  const result = await sql<SummaryRow & { depth: number; report_count: string | number }>`
    with recursive tree(id, depth, path) as (
      select u.id, 0, array[u.id]
        from organization_users u
       where u.organization_id = ${s.organizationId} and ${shownTo(s, 'u')} and ${isRoot}
      union all
      select u.id, t.depth + 1, t.path || u.id
        from organization_users u join tree t on u.reporting_manager_id = t.id
       where t.depth < ${depth} and u.organization_id = ${s.organizationId} and ${shownTo(s, 'u')} and not (u.id = any(t.path))
    )
    select u.id, u.email, u.first_name, u.last_name, u.job_title, u.department, u.reporting_manager_id, u.user_status, t.depth,
           (select count(*) from organization_users r where r.reporting_manager_id = u.id and ${shownTo(s, 'r')}) as report_count
      from tree t join organization_users u on u.id = t.id
     order by t.depth, u.last_name, u.first_name, u.id`.execute(s.db);

  const nodes = new Map<string, OrgChartNode>();
  const roots: OrgChartNode[] = [];
  for (const row of result.rows) {
    const node: OrgChartNode = {
      id: row.id,
      name: `${row.first_name} ${row.last_name}`,
      firstName: row.first_name,
      lastName: row.last_name,
      email: row.email,
      jobTitle: row.job_title,
      department: row.department,
      reportCount: Number(row.report_count),
      reports: [],
    };
    nodes.set(row.id, node);
    const parent =
      Number(row.depth) > 0 && row.reporting_manager_id
        ? nodes.get(row.reporting_manager_id)
        : undefined;
    if (parent) parent.reports.push(node);
    else roots.push(node);
  }
  return roots;
}
