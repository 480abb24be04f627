/**
 * Google Workspace directory sync on the provider-neutral engine (../sync/engine.ts).
 *
 * Rules (predecessor section 4.3, without its defects):
 * - Users, org units and groups are upserted by `(organization_id, google_id)`; rows gone from Google
 *   are never deleted: they get `raw_data._helios.removedAt` (users also `is_suspended = true`).
 * - Google groups are mirrored into `access_groups` (platform `google_workspace`, external_id = the
 *   Google group id, upserted: ids are stable); a group gone from Google is `is_active = false`.
 * - Memberships of Google users linked to an organization user go to `access_group_members`
 *   (member_type owner/manager/member from the role); memberships gone from Google are soft-removed
 *   (`is_active = false`, `removed_at`). Nested groups and external members are counted, not stored.
 * - Linking: `organization_users.google_workspace_id`, then the primary email, then an alias
 *   (`aliases` and `nonEditableAliases` on the organization's domains; never the typed personal
 *   addresses of `emails`). Local
 *   users are NEVER created by the sync (documented rule): Google users without a local user are
 *   counted as `unlinked`. Linked users gone from Google get `google_workspace_sync_status = 'removed'`.
 * - Change detection: the stored `raw_data` (Google's JSON, compared as jsonb) against the fetched
 *   one; unchanged rows are not written at all (`on conflict ... do update ... where distinct`), so a
 *   re-sync with no change writes nothing but the run's journal.
 * - One transaction for the whole apply (after every page has been fetched and staged).
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import {
  assertSafetyLimit,
  countsOf,
  forEachLimited,
  insertBatch,
  inTransactionOn,
  noSyncWarnings,
  type SyncChange,
  type SyncEntityCounts,
  type SyncProgress,
  type SyncWarnings,
  sanitizeFetched,
} from '../sync/engine';
import { applySourceSuspensions, type SyncWarning } from '../sync/suspensions';
import type { GoogleGroup, GoogleMember, GoogleOrgUnit, GoogleUser, GoogleWorkspaceProvider } from './provider';

/** The entities a Google sync counts. */
export type GoogleSyncEntity = 'users' | 'orgUnits' | 'groups' | 'accessGroups' | 'memberships';

/** The counts of a Google sync plan or run. */
export interface GoogleSyncCounts {
  users: SyncEntityCounts;
  orgUnits: SyncEntityCounts;
  groups: SyncEntityCounts;
  /** Memberships of linked users (in a dry run, an estimate: links not made yet are counted by email). */
  memberships: SyncEntityCounts;
  links: {
    /** Google users linked to an organization user by this run. */
    linked: number;
    /** Google users with no organization user (none is created). */
    unlinked: number;
  };
  /** Memberships not stored: nested groups, external addresses, unlinked users. */
  skippedMembers: number;
  /** Linked organization users suspended because Google suspended them, and re-activated (0 in a dry run). */
  accounts: { suspended: number; reactivated: number };
}

/** What a staging run fetched. */
export interface StagedCounts {
  users: number;
  groups: number;
  orgUnits: number;
  members: number;
  /** Fetched values that had to be cleaned before they could be stored (`SYNC.TEXT_SANITIZED`). */
  warnings: SyncWarnings;
}

/** Options of a staging + plan + apply pass. */
export interface GoogleSyncPassOptions {
  organizationId: string;
  now: Date;
  dryRun: boolean;
  allowLargeRemovals: boolean;
  maxRemovalRatio: number;
  onProgress?: (progress: SyncProgress) => void;
  /** Groups whose members are listed at once (default 4). */
  memberConcurrency?: number;
  /** Runs inside the apply transaction, after the merges (the run's journal). */
  inApply?: (counts: GoogleSyncCounts, warnings: SyncWarning[]) => Promise<void>;
}

/** The outcome of a pass. */
export interface GoogleSyncPassResult {
  fetched: StagedCounts;
  counts: GoogleSyncCounts;
  sample: SyncChange[];
  /** What the run did not do and why (e.g. the last active admin kept active). */
  warnings: SyncWarning[];
}

const USER_COLUMNS = [
  'google_id',
  'email',
  'aliases',
  'given_name',
  'family_name',
  'full_name',
  'is_admin',
  'is_suspended',
  'org_unit_path',
  'department',
  'job_title',
  'last_login_time',
  'creation_time',
  'raw',
] as const;

const lower = (value: unknown) => (typeof value === 'string' ? value.trim().toLowerCase() : '');
const cut = (value: unknown, max = 255) => (typeof value === 'string' && value !== '' ? value.slice(0, max) : null);
const time = (value: unknown) => (typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : null);
const json = (value: unknown) => JSON.stringify(value);

function userRow(u: GoogleUser): unknown[] {
  const org = u.organizations?.find((o) => o.primary) ?? u.organizations?.[0];
  // Only addresses Google routes to this account link it: never the typed entries of `emails` (a
  // person's home or other address, which may be a colleague's account here).
  const aliases = [...(u.aliases ?? []), ...(u.nonEditableAliases ?? [])].map(lower).filter((a) => a !== '' && a !== lower(u.primaryEmail));
  return [
    u.id,
    lower(u.primaryEmail).slice(0, 255),
    sql`${[...new Set(aliases)]}::text[]`,
    cut(u.name?.givenName),
    cut(u.name?.familyName),
    cut(u.name?.fullName),
    u.isAdmin === true,
    u.suspended === true,
    cut(u.orgUnitPath),
    cut(org?.department),
    cut(org?.title),
    time(u.lastLoginTime),
    time(u.creationTime),
    sql`${json(u)}::jsonb`,
  ];
}

const groupRow = (g: GoogleGroup): unknown[] => [
  g.id,
  lower(g.email).slice(0, 255),
  cut(g.name),
  typeof g.description === 'string' ? g.description : null,
  Number.parseInt(String(g.directMembersCount ?? '0'), 10) || 0,
  sql`${json(g)}::jsonb`,
];

const orgUnitRow = (o: GoogleOrgUnit): unknown[] => [
  o.orgUnitId,
  cut(o.name) ?? o.orgUnitPath.slice(0, 255),
  o.orgUnitPath.slice(0, 255),
  cut(o.parentOrgUnitId),
  typeof o.description === 'string' ? o.description : null,
  sql`${json(o)}::jsonb`,
];

const memberRow = (groupId: string, m: GoogleMember): unknown[] => [
  groupId,
  m.id ?? lower(m.email),
  lower(m.email),
  (m.role ?? 'MEMBER').toUpperCase(),
  (m.type ?? 'USER').toUpperCase(),
];

/** Member rows per staging insert (5 parameters a row: well under PostgreSQL's 65,535). */
const MEMBER_BATCH = 2000;

/** Creates (or empties) the TEMP staging tables on the run's connection. */
async function createStaging(conn: Kysely<Database>): Promise<void> {
  await sql`create temp table if not exists gs_stage_users (
    google_id text primary key, email text not null, aliases text[] not null, given_name text, family_name text, full_name text,
    is_admin boolean not null, is_suspended boolean not null, org_unit_path text, department text, job_title text,
    last_login_time timestamptz, creation_time timestamptz, raw jsonb not null)`.execute(conn);
  await sql`create temp table if not exists gs_stage_groups (
    google_id text primary key, email text not null, name text, description text, member_count integer not null, raw jsonb not null)`.execute(conn);
  await sql`create temp table if not exists gs_stage_org_units (
    google_id text primary key, name text not null, path text not null, parent_id text, description text, raw jsonb not null)`.execute(conn);
  await sql`create temp table if not exists gs_stage_members (
    group_id text not null, member_id text not null, email text not null, role text not null, type text not null, primary key (group_id, member_id))`.execute(
    conn,
  );
  await sql`truncate gs_stage_users, gs_stage_groups, gs_stage_org_units, gs_stage_members`.execute(conn);
}

/** Drops the staging tables (the connection goes back to the pool clean). */
export async function dropGoogleStaging(conn: Kysely<Database>): Promise<void> {
  await sql`drop table if exists gs_stage_users, gs_stage_groups, gs_stage_org_units, gs_stage_members`.execute(conn);
}

/**
 * Fetches everything from Google page by page into the staging tables (no transaction; nothing but
 * TEMP tables is written).
 */
export async function stageGoogleDirectory(
  conn: Kysely<Database>,
  google: GoogleWorkspaceProvider,
  options: Pick<GoogleSyncPassOptions, 'onProgress' | 'memberConcurrency'>,
): Promise<StagedCounts> {
  const progress = options.onProgress ?? (() => undefined);
  await createStaging(conn);
  const fetched: StagedCounts = { users: 0, groups: 0, orgUnits: 0, members: 0, warnings: noSyncWarnings() };
  // Google's values are untrusted: made storable (and reported) before they are staged.
  const { warnings } = fetched;

  const units = (await google.listOrgUnits()).map((o) => sanitizeFetched(o, 'orgUnit', warnings));
  await insertBatch(
    conn,
    'gs_stage_org_units',
    ['google_id', 'name', 'path', 'parent_id', 'description', 'raw'],
    units.filter((o) => o.orgUnitId).map(orgUnitRow),
  );
  fetched.orgUnits = units.length;
  progress({ phase: 'orgUnits', done: units.length, total: units.length });

  let token: string | null = null;
  do {
    const page = await google.listUsers(token, { maxResults: 500 });
    const users = page.items.filter((u) => u.id && u.primaryEmail).map((u) => sanitizeFetched(u, 'user', warnings));
    await insertBatch(conn, 'gs_stage_users', USER_COLUMNS, users.map(userRow));
    fetched.users += page.items.length;
    progress({ phase: 'users', done: fetched.users, total: null });
    token = page.nextPageToken;
  } while (token);

  const groupIds: string[] = [];
  token = null;
  do {
    const page = await google.listGroups(token);
    const valid = page.items.filter((g) => g.id && g.email).map((g) => sanitizeFetched(g, 'group', warnings));
    await insertBatch(conn, 'gs_stage_groups', ['google_id', 'email', 'name', 'description', 'member_count', 'raw'], valid.map(groupRow));
    for (const g of valid) groupIds.push(g.id);
    fetched.groups += page.items.length;
    progress({ phase: 'groups', done: fetched.groups, total: null });
    token = page.nextPageToken;
  } while (token);

  // Member pages are small (one group's members): buffer rows across groups and write them in
  // large multi-row inserts, not one statement per group.
  const memberColumns = ['group_id', 'member_id', 'email', 'role', 'type'];
  let memberBuffer: unknown[][] = [];
  const flushMembers = async () => {
    const rows = memberBuffer;
    memberBuffer = [];
    await insertBatch(conn, 'gs_stage_members', memberColumns, rows, MEMBER_BATCH);
  };
  let groupsDone = 0;
  await forEachLimited(groupIds, options.memberConcurrency ?? 4, async (groupId) => {
    let memberToken: string | null = null;
    do {
      const page = await google.listMembers(groupId, memberToken);
      const rows = page.items.filter((m) => m.id || m.email).map((m) => memberRow(groupId, sanitizeFetched(m, 'member', warnings)));
      memberBuffer.push(...rows);
      if (memberBuffer.length >= MEMBER_BATCH) await flushMembers();
      fetched.members += rows.length;
      memberToken = page.nextPageToken;
    } while (memberToken);
    groupsDone += 1;
    progress({ phase: 'members', done: groupsDone, total: groupIds.length });
  });
  await flushMembers();
  // TEMP tables are never analyzed automatically, and the targets may have just been bulk-loaded by
  // the previous run: give the planner current sizes (sampled, cheap) so the set-based joins hash.
  await sql`analyze gs_stage_users, gs_stage_groups, gs_stage_org_units, gs_stage_members,
    gw_synced_users, gw_groups, gw_org_units, access_groups, access_group_members, organization_users`.execute(conn);
  return fetched;
}

/**
 * Keeps the staged aliases on the organization's domains only (the organization's domain, the
 * configured Google domain, and the domains of the staged primary addresses): an alias elsewhere
 * (e.g. a `test-google-a.com` address) never links a local user. One statement on the TEMP table.
 */
async function keepOrganizationAliases(conn: Kysely<Database>, organizationId: string): Promise<void> {
  await sql`
    with domains as (
      select distinct split_part(email, '@', 2) as domain from gs_stage_users
      union select lower(domain) from organizations where id = ${organizationId}
      union select lower(domain) from gw_credentials where organization_id = ${organizationId})
    update gs_stage_users st set aliases = coalesce(
      (select array_agg(a.email) from unnest(st.aliases) as a(email) where split_part(a.email, '@', 2) in (select domain from domains)), '{}'::text[])
    where cardinality(st.aliases) > 0`.execute(conn);
}

/** Counts of one gw_* table against its staging table. */
function planTable(table: 'gw_synced_users' | 'gw_groups' | 'gw_org_units', stage: string, organizationId: string) {
  const t = sql.table(table);
  const s = sql.table(stage);
  return sql<{ created: unknown; updated: unknown; unchanged: unknown; deactivated: unknown; existing: unknown }>`
    select
      (select count(*) from ${s} st where not exists (select 1 from ${t} x where x.organization_id = ${organizationId} and x.google_id = st.google_id)) as created,
      (select count(*) from ${s} st join ${t} x on x.organization_id = ${organizationId} and x.google_id = st.google_id where x.raw_data is distinct from st.raw) as updated,
      (select count(*) from ${s} st join ${t} x on x.organization_id = ${organizationId} and x.google_id = st.google_id where x.raw_data is not distinct from st.raw) as unchanged,
      (select count(*) from ${t} x where x.organization_id = ${organizationId} and x.raw_data -> '_helios' is null
         and not exists (select 1 from ${s} st where st.google_id = x.google_id)) as deactivated,
      (select count(*) from ${t} x where x.organization_id = ${organizationId} and x.raw_data -> '_helios' is null) as existing`;
}

/** The wanted memberships: staged USER members resolved to organization users. */
/**
 * Google user id -> organization user id: stored links; in an estimate (dry run) also the links the
 * run would make by primary email and alias. Plain equality joins only (hash joins, no per-row scans).
 */
function resolvedUsers(organizationId: string, estimate: boolean) {
  const stored = sql`select ou.google_workspace_id as google_id, ou.id as user_id from organization_users ou
    where ou.organization_id = ${organizationId} and ou.google_workspace_id is not null`;
  if (!estimate) return stored;
  return sql`${stored}
    union
    select st.google_id, ou.id from gs_stage_users st
      join organization_users ou on ou.organization_id = ${organizationId} and ou.google_workspace_id is null and lower(ou.email) = st.email
    union
    select st.google_id, ou.id from gs_stage_users st cross join lateral unnest(st.aliases) as a(email)
      join organization_users ou on ou.organization_id = ${organizationId} and ou.google_workspace_id is null and lower(ou.email) = a.email`;
}

/** The wanted memberships: staged USER members resolved to organization users. */
function desiredMemberships(organizationId: string, estimate: boolean) {
  // The estimate also counts groups whose access group does not exist yet (access_group_id null).
  const groupJoin = estimate ? sql`left join` : sql`join`;
  return sql`
    with r as (${resolvedUsers(organizationId, estimate)})
    select distinct on (m.group_id, r.user_id) ag.id as access_group_id, r.user_id,
      case m.role when 'OWNER' then 'owner' when 'MANAGER' then 'manager' else 'member' end as member_type
    from gs_stage_members m
    join r on r.google_id = m.member_id
    ${groupJoin} access_groups ag on ag.organization_id = ${organizationId} and ag.platform = 'google_workspace' and ag.external_id = m.group_id
    where m.type = 'USER'
    order by m.group_id, r.user_id, case m.role when 'OWNER' then 0 when 'MANAGER' then 1 else 2 end`;
}

async function planMemberships(conn: Kysely<Database>, organizationId: string, estimate: boolean): Promise<SyncEntityCounts> {
  const c = await countsOf(
    conn,
    sql<Record<'created' | 'updated' | 'unchanged' | 'deactivated', unknown>>`
    with d as (${desiredMemberships(organizationId, estimate)})
    select
      (select count(*) from d where not exists (select 1 from access_group_members x where x.access_group_id = d.access_group_id and x.user_id = d.user_id)) as created,
      (select count(*) from d join access_group_members x on x.access_group_id = d.access_group_id and x.user_id = d.user_id
         where not (x.is_active is true and x.removed_at is null and x.member_type = d.member_type)) as updated,
      (select count(*) from d join access_group_members x on x.access_group_id = d.access_group_id and x.user_id = d.user_id
         where x.is_active is true and x.removed_at is null and x.member_type = d.member_type) as unchanged,
      (select count(*) from access_group_members x join access_groups ag on ag.id = x.access_group_id
         where ag.organization_id = ${organizationId} and ag.platform = 'google_workspace' and x.is_active is true and x.synced_from_platform is true
           and not exists (select 1 from d where d.access_group_id = x.access_group_id and d.user_id = x.user_id)) as deactivated`,
  );
  return c;
}

async function sampleChanges(conn: Kysely<Database>, organizationId: string): Promise<SyncChange[]> {
  const rows = await sql<{ entity: string; action: SyncChange['action']; external_id: string; label: string }>`
    (select 'users' as entity, case when x.id is null then 'create' else 'update' end as action, st.google_id as external_id, st.email as label
       from gs_stage_users st left join gw_synced_users x on x.organization_id = ${organizationId} and x.google_id = st.google_id
       where x.id is null or x.raw_data is distinct from st.raw limit 20)
    union all
    (select 'users', 'deactivate', x.google_id, x.email from gw_synced_users x
       where x.organization_id = ${organizationId} and x.raw_data -> '_helios' is null and not exists (select 1 from gs_stage_users st where st.google_id = x.google_id) limit 20)
    union all
    (select 'groups', case when x.id is null then 'create' else 'update' end, st.google_id, st.email
       from gs_stage_groups st left join gw_groups x on x.organization_id = ${organizationId} and x.google_id = st.google_id
       where x.id is null or x.raw_data is distinct from st.raw limit 20)
    union all
    (select 'groups', 'deactivate', x.google_id, x.email from gw_groups x
       where x.organization_id = ${organizationId} and x.raw_data -> '_helios' is null and not exists (select 1 from gs_stage_groups st where st.google_id = x.google_id) limit 20)
    limit 20`.execute(conn);
  return rows.rows.map((r) => ({ entity: r.entity, action: r.action, externalId: r.external_id, label: r.label }));
}

const removedMarker = (now: Date) => sql`jsonb_build_object('_helios', jsonb_build_object('removedAt', ${now.toISOString()}::text))`;

/** Applies the staged directory (call inside one transaction on `conn`); returns the membership and link counts. */
async function applyStaged(
  conn: Kysely<Database>,
  organizationId: string,
  now: Date,
): Promise<{ memberships: SyncEntityCounts; linked: number; accounts: GoogleSyncCounts['accounts']; warnings: SyncWarning[] }> {
  const org = organizationId;
  // Org units.
  await sql`
    insert into gw_org_units (organization_id, google_id, name, path, parent_id, description, raw_data, last_sync_at)
    select ${org}, google_id, name, path, parent_id, description, raw, ${now} from gs_stage_org_units
    on conflict (organization_id, google_id) do update set name = excluded.name, path = excluded.path, parent_id = excluded.parent_id,
      description = excluded.description, raw_data = excluded.raw_data, last_sync_at = excluded.last_sync_at
    where gw_org_units.raw_data is distinct from excluded.raw_data`.execute(conn);
  await sql`update gw_org_units x set raw_data = coalesce(x.raw_data, '{}'::jsonb) || ${removedMarker(now)}, last_sync_at = ${now}
    where x.organization_id = ${org} and x.raw_data -> '_helios' is null and not exists (select 1 from gs_stage_org_units st where st.google_id = x.google_id)`.execute(
    conn,
  );

  // Users.
  await sql`
    insert into gw_synced_users (organization_id, google_id, email, given_name, family_name, full_name, is_admin, is_suspended, org_unit_path,
      department, job_title, last_login_time, creation_time, raw_data, last_sync_at)
    select ${org}, google_id, email, given_name, family_name, full_name, is_admin, is_suspended, org_unit_path,
      department, job_title, last_login_time, creation_time, raw, ${now} from gs_stage_users
    on conflict (organization_id, google_id) do update set email = excluded.email, given_name = excluded.given_name, family_name = excluded.family_name,
      full_name = excluded.full_name, is_admin = excluded.is_admin, is_suspended = excluded.is_suspended, org_unit_path = excluded.org_unit_path,
      department = excluded.department, job_title = excluded.job_title, last_login_time = excluded.last_login_time,
      creation_time = excluded.creation_time, raw_data = excluded.raw_data, last_sync_at = excluded.last_sync_at
    where gw_synced_users.raw_data is distinct from excluded.raw_data`.execute(conn);
  await sql`update gw_synced_users x set is_suspended = true, raw_data = coalesce(x.raw_data, '{}'::jsonb) || ${removedMarker(now)}, last_sync_at = ${now}
    where x.organization_id = ${org} and x.raw_data -> '_helios' is null and not exists (select 1 from gs_stage_users st where st.google_id = x.google_id)`.execute(
    conn,
  );

  // Groups and their access groups (stable ids: upsert by external id).
  await sql`
    insert into gw_groups (organization_id, google_id, email, name, description, member_count, raw_data, last_sync_at)
    select ${org}, google_id, email, name, description, member_count, raw, ${now} from gs_stage_groups
    on conflict (organization_id, google_id) do update set email = excluded.email, name = excluded.name, description = excluded.description,
      member_count = excluded.member_count, raw_data = excluded.raw_data, last_sync_at = excluded.last_sync_at
    where gw_groups.raw_data is distinct from excluded.raw_data`.execute(conn);
  await sql`update gw_groups x set raw_data = coalesce(x.raw_data, '{}'::jsonb) || ${removedMarker(now)}, last_sync_at = ${now}
    where x.organization_id = ${org} and x.raw_data -> '_helios' is null and not exists (select 1 from gs_stage_groups st where st.google_id = x.google_id)`.execute(
    conn,
  );
  await sql`
    insert into access_groups (organization_id, name, description, email, platform, group_type, external_id, is_active, metadata, synced_at)
    select ${org}, coalesce(name, email), description, email, 'google_workspace', 'google', google_id, true,
      jsonb_build_object('googleGroupId', google_id), ${now} from gs_stage_groups
    on conflict (organization_id, platform, external_id) do update set name = excluded.name, description = excluded.description,
      email = excluded.email, is_active = true, synced_at = excluded.synced_at
    where (access_groups.name, access_groups.description, access_groups.email, access_groups.is_active)
      is distinct from (excluded.name, excluded.description, excluded.email, true)`.execute(conn);
  await sql`update access_groups x set is_active = false, synced_at = ${now}
    where x.organization_id = ${org} and x.platform = 'google_workspace' and x.is_active is true
      and not exists (select 1 from gs_stage_groups st where st.google_id = x.external_id)`.execute(conn);

  // Links: by Google id (kept), then primary email, then alias; never two local users for one Google user.
  const byEmail = await sql`
    update organization_users ou set google_workspace_id = st.google_id, google_workspace_sync_status = case when st.is_suspended then 'suspended' else 'synced' end,
      google_workspace_last_sync = ${now}
    from gs_stage_users st
    where ou.organization_id = ${org} and ou.google_workspace_id is null and lower(ou.email) = st.email
      and not exists (select 1 from organization_users o2 where o2.organization_id = ${org} and o2.google_workspace_id = st.google_id)`.execute(conn);
  // Row counts moved inside this transaction: refresh the planner's statistics (ANALYZE sees them).
  await sql`analyze organization_users, access_groups`.execute(conn);
  const byAlias = await sql`
    with m as (
      select distinct on (st.google_id) ou.id, st.google_id, st.is_suspended
      from gs_stage_users st cross join lateral unnest(st.aliases) as a(email)
        join organization_users ou on ou.organization_id = ${org} and ou.google_workspace_id is null and lower(ou.email) = a.email
      where not exists (select 1 from organization_users o2 where o2.organization_id = ${org} and o2.google_workspace_id = st.google_id)
      order by st.google_id, ou.created_at)
    update organization_users ou set google_workspace_id = m.google_id, google_workspace_sync_status = case when m.is_suspended then 'suspended' else 'synced' end,
      google_workspace_last_sync = ${now}
    from m where ou.id = m.id and ou.google_workspace_id is null`.execute(conn);
  await sql`
    update organization_users ou set google_workspace_sync_status = case when st.is_suspended then 'suspended' else 'synced' end, google_workspace_last_sync = ${now}
    from gs_stage_users st
    where ou.organization_id = ${org} and ou.google_workspace_id = st.google_id
      and ou.google_workspace_sync_status is distinct from case when st.is_suspended then 'suspended' else 'synced' end`.execute(conn);
  await sql`
    update organization_users ou set google_workspace_sync_status = 'removed', google_workspace_last_sync = ${now}
    where ou.organization_id = ${org} and ou.google_workspace_id is not null and ou.google_workspace_sync_status is distinct from 'removed'
      and exists (select 1 from gw_synced_users x where x.organization_id = ${org} and x.google_id = ou.google_workspace_id)
      and not exists (select 1 from gs_stage_users st where st.google_id = ou.google_workspace_id)`.execute(conn);

  // Suspension in Google -> user_status of the linked organization users (after the links).
  const suspensions = await applySourceSuspensions(conn, {
    organizationId: org,
    source: 'google_workspace',
    now,
    state: sql`select ou.id as user_id, st.is_suspended as suspended from organization_users ou
      join gs_stage_users st on st.google_id = ou.google_workspace_id where ou.organization_id = ${org}`,
  });

  // Memberships (after the links).
  await sql`analyze organization_users`.execute(conn);
  const memberships = await planMemberships(conn, org, false);
  await sql`
    insert into access_group_members (access_group_id, user_id, member_type, is_active, removed_at, synced_from_platform, joined_at)
    select access_group_id, user_id, member_type, true, null, true, ${now} from (${desiredMemberships(org, false)}) d
    on conflict (access_group_id, user_id) do update set member_type = excluded.member_type, is_active = true, removed_at = null, synced_from_platform = true
    where not (access_group_members.is_active is true and access_group_members.removed_at is null and access_group_members.member_type = excluded.member_type)`.execute(
    conn,
  );
  await sql`
    with d as (${desiredMemberships(org, false)})
    update access_group_members x set is_active = false, removed_at = ${now}
    from access_groups ag
    where ag.id = x.access_group_id and ag.organization_id = ${org} and ag.platform = 'google_workspace' and x.is_active is true
      and x.synced_from_platform is true and not exists (select 1 from d where d.access_group_id = x.access_group_id and d.user_id = x.user_id)`.execute(conn);

  return {
    memberships,
    linked: Number(byEmail.numAffectedRows ?? 0n) + Number(byAlias.numAffectedRows ?? 0n),
    accounts: { suspended: suspensions.suspended, reactivated: suspensions.reactivated },
    warnings: suspensions.warnings,
  };
}

const skipped = (fetched: StagedCounts, counts: GoogleSyncCounts) =>
  Math.max(0, fetched.members - counts.memberships.created - counts.memberships.updated - counts.memberships.unchanged);

/**
 * Plans (and unless `dryRun`, applies in one transaction) the staged directory.
 *
 * @throws HeliosError PRECONDITION_FAILED `SYNC.SAFETY_LIMIT` before anything is written
 */
export async function planAndApplyGoogle(conn: Kysely<Database>, fetched: StagedCounts, options: GoogleSyncPassOptions): Promise<GoogleSyncPassResult> {
  const org = options.organizationId;
  const progress = options.onProgress ?? (() => undefined);
  progress({ phase: 'plan', done: 0, total: 1 });
  const [users, groups, orgUnits] = await Promise.all([
    countsOf(conn, planTable('gw_synced_users', 'gs_stage_users', org)),
    countsOf(conn, planTable('gw_groups', 'gs_stage_groups', org)),
    countsOf(conn, planTable('gw_org_units', 'gs_stage_org_units', org)),
  ]);
  assertSafetyLimit(
    [
      { entity: 'users', existing: users.existing, removed: users.deactivated },
      { entity: 'groups', existing: groups.existing, removed: groups.deactivated },
    ],
    { allowLargeRemovals: options.allowLargeRemovals, maxRemovalRatio: options.maxRemovalRatio },
  );
  await keepOrganizationAliases(conn, org);
  const strip = ({ existing: _e, ...c }: SyncEntityCounts & { existing: number }): SyncEntityCounts => c;
  const sample = await sampleChanges(conn, org);
  const links = await countsOf(
    conn,
    sql<{ unlinked: unknown }>`with r as (${resolvedUsers(org, true)})
      select count(*) as unlinked from gs_stage_users st where not exists (select 1 from r where r.google_id = st.google_id)`,
  );
  progress({ phase: 'plan', done: 1, total: 1 });
  const counts: GoogleSyncCounts = {
    users: strip(users as SyncEntityCounts & { existing: number }),
    groups: strip(groups as SyncEntityCounts & { existing: number }),
    orgUnits: strip(orgUnits as SyncEntityCounts & { existing: number }),
    memberships: { created: 0, updated: 0, unchanged: 0, deactivated: 0 },
    links: { linked: 0, unlinked: links.unlinked },
    skippedMembers: 0,
    accounts: { suspended: 0, reactivated: 0 },
  };
  let warnings: SyncWarning[] = [];
  if (options.dryRun) {
    // An estimate: memberships of groups not stored yet are not counted.
    counts.memberships = await planMemberships(conn, org, true);
  } else {
    progress({ phase: 'apply', done: 0, total: 1 });
    await inTransactionOn(conn, async () => {
      const applied = await applyStaged(conn, org, options.now);
      counts.memberships = applied.memberships;
      counts.links.linked = applied.linked;
      counts.accounts = applied.accounts;
      warnings = applied.warnings;
      counts.skippedMembers = skipped(fetched, counts);
      await options.inApply?.(counts, warnings);
    });
    progress({ phase: 'apply', done: 1, total: 1 });
  }
  counts.skippedMembers = skipped(fetched, counts);
  return { fetched, counts, sample, warnings };
}
