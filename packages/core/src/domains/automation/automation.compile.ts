/**
 * The compiler: a validated condition tree becomes one SQL boolean over `organization_users as u`
 * (with `d` its department, `l` its location, `cc` its cost center, `m` its manager, `g`/`ms` its
 * Google/Microsoft synced rows). "Who matches" is one statement for the whole organization; "does
 * this user match" is the same statement with an id filter: one engine.
 *
 * Every fact's SQL comes from the whitelist below; every value is a parameter with an explicit cast.
 * Every leaf is two-valued (`coalesce(…, false)`), so `not` and `notEqual` treat a missing value the
 * way the predecessor's engine did (null is "not equal", never "less than"). Manager chains and
 * department/location subtrees are recursive CTEs inside the leaf (at most 20 levels).
 */
import { type Expression, type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import type { CheckedLeaf, CheckedNode } from './automation.validate';

/** What a compiled tree needs besides the tree: the organization and today's date (UTC, for tenure). */
export interface CompileContext {
  organizationId: string;
  /** YYYY-MM-DD. */
  asOf: string;
}

/** The maximum depth of manager chains and department/location trees. */
export const MAX_CHAIN_DEPTH = 20;

type Cast = 'text' | 'uuid' | 'numeric' | 'date' | 'boolean';

interface ScalarFact {
  expr: (ctx: CompileContext, leaf: { key: string | null }) => RawBuilder<unknown>;
  cast: Cast;
}

const col = (ref: string) => () => sql.ref(ref);
const text = (ref: string): ScalarFact => ({ expr: col(ref), cast: 'text' });
const uuid = (ref: string): ScalarFact => ({ expr: col(ref), cast: 'uuid' });
const bool = (ref: string): ScalarFact => ({ expr: col(ref), cast: 'boolean' });

/** The SQL of every scalar fact (the whitelist). */
const SCALAR: Record<string, ScalarFact> = {
  id: uuid('u.id'),
  email: text('u.email'),
  firstName: text('u.first_name'),
  lastName: text('u.last_name'),
  fullName: { expr: () => sql`(u.first_name || ' ' || u.last_name)`, cast: 'text' },
  employeeId: text('u.employee_id'),
  role: text('u.role'),
  jobTitle: text('u.job_title'),
  employeeType: text('u.employee_type'),
  userType: text('u.user_type'),
  userStatus: text('u.user_status'),
  isGuest: bool('u.is_guest'),
  department: { expr: () => sql`coalesce(d.name, u.department)`, cast: 'text' },
  departmentId: uuid('u.department_id'),
  location: { expr: () => sql`coalesce(l.name, u.location)`, cast: 'text' },
  locationId: uuid('u.location_id'),
  costCenter: { expr: () => sql`coalesce(cc.code, u.cost_center)`, cast: 'text' },
  costCenterId: uuid('u.cost_center_id'),
  organizationalUnit: text('u.organizational_unit'),
  managerId: uuid('u.reporting_manager_id'),
  managerEmail: text('m.email'),
  managerName: { expr: () => sql`(m.first_name || ' ' || m.last_name)`, cast: 'text' },
  hireDate: { expr: col('u.start_date'), cast: 'date' },
  terminationDate: { expr: col('u.end_date'), cast: 'date' },
  tenureDays: { expr: (ctx) => sql`(${ctx.asOf}::date - u.start_date)`, cast: 'numeric' },
  'google.orgUnitPath': text('g.org_unit_path'),
  'google.department': text('g.department'),
  'google.jobTitle': text('g.job_title'),
  'google.isAdmin': bool('g.is_admin'),
  'google.isSuspended': bool('g.is_suspended'),
  'google.lastLoginDate': {
    expr: () => sql`(g.last_login_time at time zone 'UTC')::date`,
    cast: 'date',
  },
  'microsoft.userPrincipalName': text('ms.upn'),
  'microsoft.department': text('ms.department'),
  'microsoft.jobTitle': text('ms.job_title'),
  'microsoft.officeLocation': text('ms.office_location'),
  'microsoft.companyName': text('ms.company_name'),
  'microsoft.accountEnabled': bool('ms.is_account_enabled'),
  'microsoft.isAdmin': bool('ms.is_admin'),
  customFields: {
    expr: (_ctx, leaf) => sql`(u.custom_fields ->> ${leaf.key}::text)`,
    cast: 'text',
  },
};

const CASTS: Record<Cast, RawBuilder<unknown>> = {
  text: sql.raw('text'),
  uuid: sql.raw('uuid'),
  numeric: sql.raw('numeric'),
  date: sql.raw('date'),
  boolean: sql.raw('boolean'),
};

const param = (value: unknown, cast: Cast) => sql`${value}::${CASTS[cast]}`;
const FALSE = sql<SqlBool>`false`;

/** Users (ids) whose department (`table` departments) or location is `root` or below it; `withRoot` false: strictly below. */
function subtree(
  table: 'departments' | 'locations',
  root: string,
  withRoot: boolean,
  ctx: CompileContext,
): RawBuilder<unknown> {
  const parent = sql.ref(table === 'departments' ? 'c.parent_department_id' : 'c.parent_id');
  const seedParent = sql.ref(table === 'departments' ? 'parent_department_id' : 'parent_id');
  const seed = withRoot
    ? sql`select ${root}::uuid, 0`
    : sql`select id, 1 from ${sql.table(table)} where organization_id = ${ctx.organizationId}::uuid and ${seedParent} = ${root}::uuid`;
  return sql`(with recursive sub(id, depth) as (${seed} union select c.id, sub.depth + 1 from ${sql.table(table)} c join sub on ${parent} = sub.id
    where c.organization_id = ${ctx.organizationId}::uuid and sub.depth < ${MAX_CHAIN_DEPTH}) select id from sub)`;
}

/** The users who report to `root`, directly or not (at most 20 levels down). */
function reportsOf(root: string, ctx: CompileContext): RawBuilder<unknown> {
  return sql`(with recursive r(id, depth) as (
      select id, 1 from organization_users where organization_id = ${ctx.organizationId}::uuid and reporting_manager_id = ${root}::uuid
      union select c.id, r.depth + 1 from organization_users c join r on c.reporting_manager_id = r.id
      where c.organization_id = ${ctx.organizationId}::uuid and r.depth < ${MAX_CHAIN_DEPTH}) select id from r)`;
}

function membership(leaf: CheckedLeaf): RawBuilder<SqlBool> {
  const byName = leaf.fact.name === 'groupNames';
  const filter =
    leaf.value === null
      ? sql``
      : byName
        ? sql` and ag.name = ${leaf.value}::text`
        : sql` and gm.access_group_id = ${leaf.value}::uuid`;
  return sql<SqlBool>`exists (select 1 from access_group_members gm join access_groups ag on ag.id = gm.access_group_id
    where gm.user_id = u.id and ag.organization_id = u.organization_id and gm.is_active is not false${filter})`;
}

/** A list fact's leaf (managerChain, departmentAncestry, groupIds, groupNames). */
function listLeaf(leaf: CheckedLeaf, ctx: CompileContext): RawBuilder<SqlBool> {
  const negate =
    leaf.operator === 'doesNotContain' ||
    leaf.operator === 'isNotUnder' ||
    leaf.operator === 'isNotEmpty';
  const emptiness = leaf.operator === 'isEmpty' || leaf.operator === 'isNotEmpty';
  let positive: RawBuilder<SqlBool>;
  switch (leaf.fact.name) {
    case 'managerChain':
      positive = emptiness
        ? sql`u.reporting_manager_id is not null`
        : sql`u.id in ${reportsOf(leaf.value as string, ctx)}`;
      break;
    case 'departmentAncestry':
      positive = emptiness
        ? sql`d.parent_department_id is not null`
        : sql`u.department_id in ${subtree('departments', leaf.value as string, false, ctx)}`;
      break;
    default:
      positive = emptiness ? membership({ ...leaf, value: null }) : membership(leaf);
  }
  // `positive` is "contains" or "is not empty"; isEmpty, doesNotContain and isNotUnder are its negation.
  const isPositive = emptiness ? leaf.operator === 'isNotEmpty' : !negate;
  return isPositive
    ? sql<SqlBool>`coalesce(${positive}, false)`
    : sql<SqlBool>`not coalesce(${positive}, false)`;
}

function scalarLeaf(leaf: CheckedLeaf, ctx: CompileContext): RawBuilder<SqlBool> {
  const fact = SCALAR[leaf.fact.name];
  if (!fact) throw new Error(`automation: no SQL for fact ${leaf.fact.name}`);
  const e = fact.expr(ctx, leaf);
  const v = leaf.value;
  const p = () => param(v, fact.cast);
  const list = () => sql.join((v as unknown[]).map((x) => param(x, fact.cast)));
  const blank = fact.cast === 'text' ? sql`(${e} is null or ${e} ~ '^\\s*$')` : sql`(${e} is null)`;
  let b: RawBuilder<unknown>;
  switch (leaf.operator) {
    case 'equal':
      b = sql`${e} = ${p()}`;
      break;
    case 'notEqual':
      b = sql`${e} is distinct from ${p()}`;
      break;
    case 'lessThan':
      b = sql`${e} < ${p()}`;
      break;
    case 'lessThanInclusive':
      b = sql`${e} <= ${p()}`;
      break;
    case 'greaterThan':
      b = sql`${e} > ${p()}`;
      break;
    case 'greaterThanInclusive':
      b = sql`${e} >= ${p()}`;
      break;
    case 'in':
      b = sql`${e} in (${list()})`;
      break;
    case 'notIn':
      b = sql`(${e} is null or ${e} not in (${list()}))`;
      break;
    case 'startsWith':
      b = sql`left(lower(${e}), length(${v}::text)) = lower(${v}::text)`;
      break;
    case 'endsWith':
      b = sql`right(lower(${e}), length(${v}::text)) = lower(${v}::text)`;
      break;
    case 'matchesRegex':
      b = leaf.regexOk ? sql`${e} ~* ${v}::text` : FALSE;
      break;
    case 'isUnder':
    case 'isNotUnder': {
      let under: RawBuilder<unknown>;
      if (leaf.fact.type === 'path') {
        const prefix = `${(v as string).replace(/\/+$/, '')}/`;
        under = sql`(${e} = ${v}::text or left(${e}, length(${prefix}::text)) = ${prefix}::text)`;
      } else {
        // departmentId / locationId: the given one or any below it.
        under = sql`${e} in ${subtree(leaf.fact.name === 'departmentId' ? 'departments' : 'locations', v as string, true, ctx)}`;
      }
      b = leaf.operator === 'isUnder' ? under : sql`not coalesce(${under}, false)`;
      break;
    }
    case 'isEmpty':
      b = blank;
      break;
    case 'isNotEmpty':
      b = sql`not ${blank}`;
      break;
    case 'isNull':
      b = sql`${e} is null`;
      break;
    case 'isNotNull':
      b = sql`${e} is not null`;
      break;
    default:
      throw new Error(`automation: operator ${leaf.operator} does not apply to ${leaf.fact.name}`);
  }
  return sql<SqlBool>`coalesce(${b}, false)`;
}

/** The SQL boolean of a validated tree (over `organization_users as u` and its joins, see {@link matchingUsersQuery}). */
export function compileCondition(node: CheckedNode, ctx: CompileContext): RawBuilder<SqlBool> {
  switch (node.kind) {
    case 'all':
      return sql<SqlBool>`(${sql.join(
        node.children.map((c) => compileCondition(c, ctx)),
        sql` and `,
      )})`;
    case 'any':
      return sql<SqlBool>`(${sql.join(
        node.children.map((c) => compileCondition(c, ctx)),
        sql` or `,
      )})`;
    case 'not':
      return sql<SqlBool>`(not ${compileCondition(node.child, ctx)})`;
    case 'leaf':
      if (node.fact.type === 'idList' || node.fact.type === 'stringList')
        return listLeaf(node, ctx);
      return scalarLeaf(node, ctx);
  }
}

/**
 * The users of the organization (not deleted) that satisfy `where`, as a Kysely query selecting `u.id`;
 * with `userId`, only that user. Unused joins cost nothing: each is on a unique key, so PostgreSQL drops it.
 */
export function matchingUsersQuery(
  db: Kysely<Database>,
  organizationId: string,
  where: Expression<SqlBool>,
  userId?: string,
) {
  let query = db
    .selectFrom('organization_users as u')
    .leftJoin('departments as d', 'd.id', 'u.department_id')
    .leftJoin('locations as l', 'l.id', 'u.location_id')
    .leftJoin('cost_centers as cc', 'cc.id', 'u.cost_center_id')
    .leftJoin('organization_users as m', 'm.id', 'u.reporting_manager_id')
    .leftJoin('gw_synced_users as g', (j) =>
      j
        .onRef('g.organization_id', '=', 'u.organization_id')
        .onRef('g.google_id', '=', 'u.google_workspace_id'),
    )
    .leftJoin('ms_synced_users as ms', (j) =>
      j
        .onRef('ms.organization_id', '=', 'u.organization_id')
        .onRef('ms.ms_id', '=', 'u.microsoft_365_id'),
    )
    .select('u.id')
    .where('u.organization_id', '=', organizationId)
    .where('u.deleted_at', 'is', null)
    .where(where);
  if (userId !== undefined) query = query.where('u.id', '=', userId);
  return query;
}

/**
 * Runs `fn` with JIT compilation off: the recursive CTEs' estimates put a condition's statement over
 * `jit_above_cost`, and compiling it costs more (100-200 ms) than running it. The setting is local to
 * a short transaction of its own; inside the caller's transaction it is left alone.
 */
export function withoutJit<R>(
  db: Kysely<Database>,
  fn: (db: Kysely<Database>) => Promise<R>,
): Promise<R> {
  if (db.isTransaction) return fn(db);
  return db.transaction().execute(async (trx) => {
    await sql`set local jit = off`.execute(trx);
    return fn(trx);
  });
}

/** Count and a sample (ordered by id) of the matching users, in one statement. */
export async function countMatching(
  db: Kysely<Database>,
  organizationId: string,
  where: Expression<SqlBool>,
  limit: number,
): Promise<{ count: number; sample: string[] }> {
  const run = async (handle: Kysely<Database>) => {
    const matched = matchingUsersQuery(handle, organizationId, where);
    return sql<{ total: number | string; sample: string | null }>`with matched as (${matched})
      select (select count(*) from matched)::int as total,
             (select coalesce(json_agg(id order by id), '[]'::json)::text from (select id::text as id from matched order by id limit ${limit}::int) s) as sample`.execute(
      handle,
    );
  };
  const result = await withoutJit(db, run);
  const row = result.rows[0];
  return {
    count: Number(row?.total ?? 0),
    sample: row?.sample ? (JSON.parse(row.sample) as string[]) : [],
  };
}

const listValue: Record<string, (ctx: CompileContext) => RawBuilder<unknown>> = {
  managerChain: () => sql`(with recursive up(id, depth) as (
      select u.reporting_manager_id, 1 where u.reporting_manager_id is not null
      union all select p.reporting_manager_id, up.depth + 1 from up join organization_users p on p.id = up.id
      where p.reporting_manager_id is not null and up.depth < ${MAX_CHAIN_DEPTH})
    select coalesce(json_agg(id order by depth), '[]'::json)::text from up)`,
  departmentAncestry: () => sql`(with recursive up(id, depth) as (
      select d.parent_department_id, 1 where d.parent_department_id is not null
      union all select p.parent_department_id, up.depth + 1 from up join departments p on p.id = up.id
      where p.parent_department_id is not null and up.depth < ${MAX_CHAIN_DEPTH})
    select coalesce(json_agg(id order by depth), '[]'::json)::text from up)`,
  groupIds:
    () => sql`(select coalesce(json_agg(gm.access_group_id order by gm.access_group_id), '[]'::json)::text
    from access_group_members gm join access_groups ag on ag.id = gm.access_group_id
    where gm.user_id = u.id and ag.organization_id = u.organization_id and gm.is_active is not false)`,
  groupNames: () => sql`(select coalesce(json_agg(ag.name order by ag.name), '[]'::json)::text
    from access_group_members gm join access_groups ag on ag.id = gm.access_group_id
    where gm.user_id = u.id and ag.organization_id = u.organization_id and gm.is_active is not false)`,
};

/**
 * The values of the facts a tree uses, for one user (`customFields.<key>` for custom fields): the
 * explanation `matches` returns. Dates are YYYY-MM-DD; lists are arrays.
 */
export async function factValues(
  db: Kysely<Database>,
  ctx: CompileContext,
  userId: string,
  facts: string[],
): Promise<Record<string, unknown>> {
  if (facts.length === 0) return {};
  const columns = facts.map((name, i) => {
    const alias = `f${i}`;
    if (listValue[name]) return listValue[name](ctx).as(alias);
    const custom = name.startsWith('customFields.') ? name.slice('customFields.'.length) : null;
    const fact = SCALAR[custom === null ? name : 'customFields'];
    if (!fact) throw new Error(`automation: no SQL for fact ${name}`);
    const e = fact.expr(ctx, { key: custom });
    return (
      fact.cast === 'date'
        ? sql`to_char(${e}, 'YYYY-MM-DD')`
        : fact.cast === 'numeric'
          ? sql`(${e})::float8`
          : e
    ).as(alias);
  });
  const query = matchingUsersQuery(db, ctx.organizationId, sql<SqlBool>`true`, userId)
    .clearSelect()
    .select(columns);
  const row = (await query.executeTakeFirst()) as Record<string, unknown> | undefined;
  const out: Record<string, unknown> = {};
  facts.forEach((name, i) => {
    const value = row?.[`f${i}`] ?? null;
    out[name] = listValue[name] && typeof value === 'string' ? JSON.parse(value) : value;
  });
  return out;
}
