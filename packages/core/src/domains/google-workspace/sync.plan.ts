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
 * - Change detection, before staging (sync.stage.ts): the stored rows' hashes (`md5(raw_data::text)`, and per group of
 *   its linked memberships; sync.hash.ts) are loaded once, compactly, and compared with the fetched
 *   objects' hashes. Only new or changed users and groups, the member lists of groups whose linked
 *   memberships differ, and the Google users an unlinked local user may link to are staged, plus the
 *   ids seen (`gs_seen_*`): removals stay set-based in SQL. The apply still writes a row only when it
 *   differs (`on conflict ... do update ... where distinct`), so a re-sync with no change stages the
 *   ids and writes nothing but the run's journal. Link status and suspensions are derived from the
 *   mirror (every row not marked removed was seen), not from the staged rows.
 * - One transaction for the whole apply (after every page has been fetched and staged).
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import type { SyncPassOptions } from '../integrations/sync-run';
import type { SyncChange, SyncChangeRow, SyncEntityCounts } from '../sync/engine';
import {
  assertSafetyLimit,
  countsOf,
  inTransactionOn,
  removedMarker,
  sampleOf,
} from '../sync/engine';
import { applySourceSuspensions, type SyncWarning } from '../sync/suspensions';
import type { StagedCounts } from './sync.stage';
import { analyzeChanged } from './sync.statistics';

/** The module whose `organization_modules` row holds the sync state. */
export const GOOGLE_MODULE_SLUG = 'google_workspace';

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

/** Options of a staging + plan + apply pass. */
export interface GoogleSyncPassOptions extends SyncPassOptions<GoogleSyncCounts> {
  /** Groups whose members are listed at once (default 4; used by the staging). */
  memberConcurrency?: number;
}

/** The outcome of a pass. */
export interface GoogleSyncPassResult {
  fetched: StagedCounts;
  counts: GoogleSyncCounts;
  sample: SyncChange[];
  /** What the run did not do and why (e.g. the last active admin kept active). */
  warnings: SyncWarning[];
}

/**
 * Keeps the staged aliases on the organization's domains only (the organization's domain, the
 * configured Google domain, and the domains of the primary addresses fetched): an alias elsewhere
 * (e.g. a `test-google-a.com` address) never links a local user. One statement on the TEMP table.
 */
async function keepOrganizationAliases(
  conn: Kysely<Database>,
  organizationId: string,
): Promise<void> {
  await sql`
    with domains as (
      select domain from gs_domains
      union select lower(domain) from organizations where id = ${organizationId}
      union select lower(domain) from gw_credentials where organization_id = ${organizationId})
    delete from gs_stage_aliases a where split_part(a.email, '@', 2) not in (select domain from domains where domain is not null)`.execute(
    conn,
  );
}

/** Counts of one gw_* table against its staged rows (new or changed) and the ids seen. */
function planTable(
  table: 'gw_synced_users' | 'gw_groups' | 'gw_org_units',
  stage: string,
  seen: string,
  organizationId: string,
) {
  const t = sql.table(table);
  const s = sql.table(stage);
  const v = sql.table(seen);
  return sql<{
    created: unknown;
    updated: unknown;
    seen: unknown;
    deactivated: unknown;
    existing: unknown;
  }>`
    select
      (select count(*) from ${s} st where not exists (select 1 from ${t} x where x.organization_id = ${organizationId} and x.google_id = st.google_id)) as created,
      (select count(*) from ${s} st join ${t} x on x.organization_id = ${organizationId} and x.google_id = st.google_id where x.raw_data is distinct from st.raw) as updated,
      (select count(*) from ${v}) as seen,
      (select count(*) from ${t} x where x.organization_id = ${organizationId} and x.raw_data -> '_helios' is null
         and not exists (select 1 from ${v} st where st.google_id = x.google_id)) as deactivated,
      (select count(*) from ${t} x where x.organization_id = ${organizationId} and x.raw_data -> '_helios' is null) as existing`;
}

/** A table's plan as counts: what was seen and neither created nor updated is unchanged. */
const entityCounts = (
  c: Record<'created' | 'updated' | 'seen' | 'deactivated' | 'existing', number>,
) => ({
  counts: {
    created: c.created,
    updated: c.updated,
    unchanged: c.seen - c.created - c.updated,
    deactivated: c.deactivated,
  } satisfies SyncEntityCounts,
  existing: c.existing,
});

/**
 * Google user id -> organization user id: stored links; in an estimate (dry run) also the links the
 * run would make by primary email and alias (every Google user such a link could use is staged).
 * Plain equality joins only (hash joins, no per-row scans).
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
    select a.google_id, ou.id from gs_stage_aliases a
      join organization_users ou on ou.organization_id = ${organizationId} and ou.google_workspace_id is null and lower(ou.email) = a.email`;
}

/** The wanted memberships of the groups whose members were staged: USER members resolved to organization users. */
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

/**
 * The synced memberships the run recomputes: those of the groups whose members were staged, and of
 * the access groups whose Google group was not seen (gone). The others were compared before staging.
 */
const recomputedGroup = (
  ag: ReturnType<typeof sql>,
) => sql`(exists (select 1 from gs_member_groups mg where mg.group_id = ${ag}.external_id)
  or not exists (select 1 from gs_seen_groups sg where sg.google_id = ${ag}.external_id))`;

async function planMemberships(
  conn: Kysely<Database>,
  organizationId: string,
  estimate: boolean,
): Promise<SyncEntityCounts> {
  const ag = sql.ref('ag');
  const c = await countsOf(
    conn,
    sql<Record<'created' | 'updated' | 'unchanged' | 'kept' | 'deactivated', unknown>>`
    with d as (${desiredMemberships(organizationId, estimate)})
    select
      (select count(*) from d where not exists (select 1 from access_group_members x where x.access_group_id = d.access_group_id and x.user_id = d.user_id)) as created,
      (select count(*) from d join access_group_members x on x.access_group_id = d.access_group_id and x.user_id = d.user_id
         where not (x.is_active is true and x.removed_at is null and x.member_type = d.member_type)) as updated,
      (select count(*) from d join access_group_members x on x.access_group_id = d.access_group_id and x.user_id = d.user_id
         where x.is_active is true and x.removed_at is null and x.member_type = d.member_type) as unchanged,
      (select count(*) from access_group_members x join access_groups ag on ag.id = x.access_group_id
         where ag.organization_id = ${organizationId} and ag.platform = 'google_workspace' and x.is_active is true and x.removed_at is null
           and x.synced_from_platform is true and not ${recomputedGroup(ag)}) as kept,
      (select count(*) from access_group_members x join access_groups ag on ag.id = x.access_group_id
         where ag.organization_id = ${organizationId} and ag.platform = 'google_workspace' and x.is_active is true and x.synced_from_platform is true
           and ${recomputedGroup(ag)}
           and not exists (select 1 from d where d.access_group_id = x.access_group_id and d.user_id = x.user_id)) as deactivated`,
  );
  // Memberships of groups compared equal before staging are unchanged.
  return {
    created: c.created,
    updated: c.updated,
    unchanged: c.unchanged + c.kept,
    deactivated: c.deactivated,
  };
}

async function sampleChanges(
  conn: Kysely<Database>,
  organizationId: string,
): Promise<SyncChange[]> {
  return sampleOf(
    conn,
    sql<SyncChangeRow>`
    (select 'users' as entity, case when x.id is null then 'create' else 'update' end as action, st.google_id as external_id, st.email as label
       from gs_stage_users st left join gw_synced_users x on x.organization_id = ${organizationId} and x.google_id = st.google_id
       where x.id is null or x.raw_data is distinct from st.raw limit 20)
    union all
    (select 'users', 'deactivate', x.google_id, x.email from gw_synced_users x
       where x.organization_id = ${organizationId} and x.raw_data -> '_helios' is null and not exists (select 1 from gs_seen_users st where st.google_id = x.google_id) limit 20)
    union all
    (select 'groups', case when x.id is null then 'create' else 'update' end, st.google_id, st.email
       from gs_stage_groups st left join gw_groups x on x.organization_id = ${organizationId} and x.google_id = st.google_id
       where x.id is null or x.raw_data is distinct from st.raw limit 20)
    union all
    (select 'groups', 'deactivate', x.google_id, x.email from gw_groups x
       where x.organization_id = ${organizationId} and x.raw_data -> '_helios' is null and not exists (select 1 from gs_seen_groups st where st.google_id = x.google_id) limit 20)
    limit 20`,
  );
}

/**
 * Marks the rows of a mirror table whose Google object this run did not see as removed
 * (`_helios.removedAt`; users also suspended). `table` and `seen` are code constants.
 */
const markUnseenRemoved = (
  table: 'gw_org_units' | 'gw_synced_users' | 'gw_groups',
  seen: string,
  org: string,
  now: Date,
) => {
  const suspend = table === 'gw_synced_users' ? sql`is_suspended = true, ` : sql``;
  return sql`update ${sql.table(table)} x set ${suspend}raw_data = coalesce(x.raw_data, '{}'::jsonb) || ${removedMarker(now)}, last_sync_at = ${now}
    where x.organization_id = ${org} and x.raw_data -> '_helios' is null
      and not exists (select 1 from ${sql.table(seen)} st where st.google_id = x.google_id)`;
};

/** Applies the staged directory (call inside one transaction on `conn`); returns the membership and link counts. */
async function applyStaged(
  conn: Kysely<Database>,
  organizationId: string,
  now: Date,
): Promise<{
  memberships: SyncEntityCounts;
  linked: number;
  accounts: GoogleSyncCounts['accounts'];
  warnings: SyncWarning[];
}> {
  const org = organizationId;
  // Org units.
  await sql`
    insert into gw_org_units (organization_id, google_id, name, path, parent_id, description, raw_data, last_sync_at)
    select ${org}, google_id, name, path, parent_id, description, raw, ${now} from gs_stage_org_units
    on conflict (organization_id, google_id) do update set name = excluded.name, path = excluded.path, parent_id = excluded.parent_id,
      description = excluded.description, raw_data = excluded.raw_data, last_sync_at = excluded.last_sync_at
    where gw_org_units.raw_data is distinct from excluded.raw_data`.execute(conn);
  await markUnseenRemoved('gw_org_units', 'gs_stage_org_units', org, now).execute(conn);

  // Users (the staged ones are the new and changed ones; the seen ids say who is still there).
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
  await markUnseenRemoved('gw_synced_users', 'gs_seen_users', org, now).execute(conn);

  // Groups and their access groups (stable ids: upsert by external id).
  await sql`
    insert into gw_groups (organization_id, google_id, email, name, description, member_count, raw_data, last_sync_at)
    select ${org}, google_id, email, name, description, member_count, raw, ${now} from gs_stage_groups
    on conflict (organization_id, google_id) do update set email = excluded.email, name = excluded.name, description = excluded.description,
      member_count = excluded.member_count, raw_data = excluded.raw_data, last_sync_at = excluded.last_sync_at
    where gw_groups.raw_data is distinct from excluded.raw_data`.execute(conn);
  await markUnseenRemoved('gw_groups', 'gs_seen_groups', org, now).execute(conn);
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
      and not exists (select 1 from gs_seen_groups st where st.google_id = x.external_id)`.execute(
    conn,
  );

  // Links: by Google id (kept), then primary email, then alias; never two local users for one Google
  // user. Every Google user an unlinked local user matches was staged.
  const byEmail = await sql`
    update organization_users ou set google_workspace_id = st.google_id, google_workspace_sync_status = case when st.is_suspended then 'suspended' else 'synced' end,
      google_workspace_last_sync = ${now}
    from gs_stage_users st
    where ou.organization_id = ${org} and ou.google_workspace_id is null and lower(ou.email) = st.email
      and not exists (select 1 from organization_users o2 where o2.organization_id = ${org} and o2.google_workspace_id = st.google_id)`.execute(
    conn,
  );
  // Row counts moved inside this transaction: refresh the planner's statistics (ANALYZE sees them).
  if (Number(byEmail.numAffectedRows ?? 0n) > 0)
    await sql`analyze organization_users, access_groups`.execute(conn);
  const byAlias = await sql`
    with m as (
      select distinct on (st.google_id) ou.id, st.google_id, st.is_suspended
      from gs_stage_aliases a join gs_stage_users st on st.google_id = a.google_id
        join organization_users ou on ou.organization_id = ${org} and ou.google_workspace_id is null and lower(ou.email) = a.email
      where not exists (select 1 from organization_users o2 where o2.organization_id = ${org} and o2.google_workspace_id = st.google_id)
      order by st.google_id, ou.created_at)
    update organization_users ou set google_workspace_id = m.google_id, google_workspace_sync_status = case when m.is_suspended then 'suspended' else 'synced' end,
      google_workspace_last_sync = ${now}
    from m where ou.id = m.id and ou.google_workspace_id is null`.execute(conn);
  // The status of every linked user from the mirror (now current: rows not removed are the ones seen).
  await sql`
    update organization_users ou set google_workspace_sync_status = case when x.is_suspended then 'suspended' else 'synced' end, google_workspace_last_sync = ${now}
    from gw_synced_users x
    where ou.organization_id = ${org} and x.organization_id = ${org} and x.google_id = ou.google_workspace_id and x.raw_data -> '_helios' is null
      and ou.google_workspace_sync_status is distinct from case when x.is_suspended then 'suspended' else 'synced' end`.execute(
    conn,
  );
  await sql`
    update organization_users ou set google_workspace_sync_status = 'removed', google_workspace_last_sync = ${now}
    where ou.organization_id = ${org} and ou.google_workspace_id is not null and ou.google_workspace_sync_status is distinct from 'removed'
      and exists (select 1 from gw_synced_users x where x.organization_id = ${org} and x.google_id = ou.google_workspace_id)
      and not exists (select 1 from gs_seen_users st where st.google_id = ou.google_workspace_id)`.execute(
    conn,
  );

  // Suspension in Google -> user_status of the linked organization users (after the links).
  const suspensions = await applySourceSuspensions(conn, {
    organizationId: org,
    source: 'google_workspace',
    now,
    state: sql`select ou.id as user_id, x.is_suspended as suspended from organization_users ou
      join gw_synced_users x on x.organization_id = ${org} and x.google_id = ou.google_workspace_id and x.raw_data -> '_helios' is null
      where ou.organization_id = ${org}`,
  });

  // Memberships (after the links) of the groups whose members were staged, and of the groups gone.
  const linked = Number(byEmail.numAffectedRows ?? 0n) + Number(byAlias.numAffectedRows ?? 0n);
  if (linked > 0) await sql`analyze organization_users`.execute(conn);
  const memberships = await planMemberships(conn, org, false);
  await sql`
    insert into access_group_members (access_group_id, user_id, member_type, is_active, removed_at, synced_from_platform, membership_source, joined_at)
    select access_group_id, user_id, member_type, true, null, true, 'platform', ${now} from (${desiredMemberships(org, false)}) d
    on conflict (access_group_id, user_id) do update set member_type = excluded.member_type, is_active = true, removed_at = null, synced_from_platform = true,
      membership_source = case when access_group_members.is_active is true and access_group_members.membership_source = 'dynamic' then 'dynamic' else 'platform' end
    where not (access_group_members.is_active is true and access_group_members.removed_at is null and access_group_members.member_type = excluded.member_type)`.execute(
    conn,
  );
  await sql`
    with d as (${desiredMemberships(org, false)})
    update access_group_members x set is_active = false, removed_at = ${now}
    from access_groups ag
    where ag.id = x.access_group_id and ag.organization_id = ${org} and ag.platform = 'google_workspace' and x.is_active is true
      and x.synced_from_platform is true and ${recomputedGroup(sql.ref('ag'))}
      and not exists (select 1 from d where d.access_group_id = x.access_group_id and d.user_id = x.user_id)`.execute(
    conn,
  );

  return {
    memberships,
    linked,
    accounts: { suspended: suspensions.suspended, reactivated: suspensions.reactivated },
    warnings: suspensions.warnings,
  };
}

const skipped = (fetched: StagedCounts, counts: GoogleSyncCounts) =>
  Math.max(
    0,
    fetched.members -
      counts.memberships.created -
      counts.memberships.updated -
      counts.memberships.unchanged,
  );

/**
 * Plans (and unless `dryRun`, applies in one transaction) the staged directory.
 *
 * @throws HeliosError PRECONDITION_FAILED `SYNC.SAFETY_LIMIT` before anything is written
 */
export async function planAndApplyGoogle(
  conn: Kysely<Database>,
  fetched: StagedCounts,
  options: GoogleSyncPassOptions,
): Promise<GoogleSyncPassResult> {
  const org = options.organizationId;
  const progress = options.onProgress ?? (() => undefined);
  progress({ phase: 'plan', done: 0, total: 1 });
  const [users, groups, orgUnits] = (
    await Promise.all([
      countsOf(conn, planTable('gw_synced_users', 'gs_stage_users', 'gs_seen_users', org)),
      countsOf(conn, planTable('gw_groups', 'gs_stage_groups', 'gs_seen_groups', org)),
      countsOf(conn, planTable('gw_org_units', 'gs_stage_org_units', 'gs_stage_org_units', org)),
    ])
  ).map(entityCounts) as [
    ReturnType<typeof entityCounts>,
    ReturnType<typeof entityCounts>,
    ReturnType<typeof entityCounts>,
  ];
  assertSafetyLimit(
    [
      { entity: 'users', existing: users.existing, removed: users.counts.deactivated },
      { entity: 'groups', existing: groups.existing, removed: groups.counts.deactivated },
    ],
    { allowLargeRemovals: options.allowLargeRemovals, maxRemovalRatio: options.maxRemovalRatio },
  );
  await keepOrganizationAliases(conn, org);
  const sample = await sampleChanges(conn, org);
  const links = await countsOf(
    conn,
    sql<{ unlinked: unknown }>`with r as (${resolvedUsers(org, true)})
      select count(*) as unlinked from gs_seen_users st where not exists (select 1 from r where r.google_id = st.google_id)`,
  );
  progress({ phase: 'plan', done: 1, total: 1 });
  const counts: GoogleSyncCounts = {
    users: users.counts,
    groups: groups.counts,
    orgUnits: orgUnits.counts,
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
    await analyzeChanged(conn, counts, { users: users.existing, groups: groups.existing });
    progress({ phase: 'apply', done: 1, total: 1 });
  }
  counts.skippedMembers = skipped(fetched, counts);
  return { fetched, counts, sample, warnings };
}
