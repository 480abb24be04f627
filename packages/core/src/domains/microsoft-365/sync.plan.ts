/**
 * Microsoft 365 directory sync, the plan and the apply (the fetch is sync.stage.ts).
 *
 * Rules:
 * - Users and groups are upserted by `(organization_id, ms_id)` when their hash (`sync_hash`, of the
 *   selected fields) changed; rows gone from Graph (a full round does not name them, an incremental
 *   one says `@removed`) are never deleted: they get `raw_data._helios.removedAt` (users also
 *   `is_account_enabled = false`).
 * - Groups are mirrored into `access_groups` (platform `microsoft_365`); memberships of users go to
 *   `ms_group_memberships` (full runs replace each group's set, incremental runs apply the changes)
 *   and, for users linked to an organization user, to `access_group_members`.
 * - Linking: `organization_users.microsoft_365_id`, then the UPN (as email or stored UPN), then the
 *   mail. Local users are never created. Disabled accounts suspend their linked users (the last
 *   active admin excepted, with a warning).
 * - One transaction for the whole apply, with the new delta links.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import type { SyncPassOptions } from '../integrations/sync-run';
import type { SyncChange, SyncChangeRow, SyncEntityCounts, SyncWarnings } from '../sync/engine';
import {
  assertSafetyLimit,
  countsOf,
  inTransactionOn,
  removedMarker,
  sampleOf,
} from '../sync/engine';
import { applySourceSuspensions, type SyncWarning } from '../sync/suspensions';
import type { MicrosoftSku } from './provider';

/** The module whose `organization_modules` row holds the sync state and the delta links. */
export const MICROSOFT_MODULE_SLUG = 'microsoft_365';

/** The delta links kept between runs. */
export interface MicrosoftDeltaLinks {
  users: string;
  groups: string;
  /** When the full round these links descend from was read. */
  fullSyncAt: string;
  /** The tenant the links belong to (links of another tenant are never used). */
  tenantId: string;
}

/** What a run fetched. */
export interface MicrosoftFetched {
  mode: 'full' | 'incremental';
  users: number;
  groups: number;
  members: number;
  licences: number;
  /** Users fetched by id because a membership named them before the users round did. */
  lateUsers: number;
  /** Graph requests of the run (pages, batches), for the journal. */
  pages: number;
  /** False when the app may not read directory roles: the admin flags were left as they were. */
  adminsKnown: boolean;
  /** Fetched values that had to be cleaned before they could be stored (`SYNC.TEXT_SANITIZED`). */
  warnings: SyncWarnings;
}

/** The counts of a Microsoft sync plan or run. */
export interface MicrosoftSyncCounts {
  users: SyncEntityCounts;
  groups: SyncEntityCounts;
  /** `ms_group_memberships` of users (deactivated: removed). */
  memberships: SyncEntityCounts;
  licences: SyncEntityCounts;
  links: { linked: number; unlinked: number };
  /** Members not stored: nested groups, devices, contacts, unknown users. */
  skippedMembers: number;
  /** Linked organization users suspended because their account was disabled, and re-activated (0 in a dry run). */
  accounts: { suspended: number; reactivated: number };
}

/** Options of a plan/apply pass. */
export type MicrosoftPassOptions = SyncPassOptions<MicrosoftSyncCounts>;

type EntityPlan = SyncEntityCounts & { existing: number };

/**
 * Whether the mirror row `x` is gone from Graph: a full round does not name it, an incremental one
 * names it `@removed`. `stage` is a code constant.
 */
const goneFrom = (stage: 'ms_stage_users' | 'ms_stage_groups', full: boolean) =>
  full
    ? sql`not exists (select 1 from ${sql.table(stage)} st where st.ms_id = x.ms_id)`
    : sql`exists (select 1 from ${sql.table(stage)} st where st.ms_id = x.ms_id and st.removed)`;

function planUsers(org: string, full: boolean) {
  const gone = goneFrom('ms_stage_users', full);
  return sql<Record<keyof EntityPlan, unknown>>`
    select
      (select count(*) from ms_stage_users st where not st.removed and not exists (select 1 from ms_synced_users x where x.organization_id = ${org} and x.ms_id = st.ms_id)) as created,
      (select count(*) from ms_stage_users st join ms_synced_users x on x.organization_id = ${org} and x.ms_id = st.ms_id
         where not st.removed and (x.sync_hash is distinct from st.hash or x.raw_data -> '_helios' is not null)) as updated,
      (select count(*) from ms_stage_users st join ms_synced_users x on x.organization_id = ${org} and x.ms_id = st.ms_id
         where not st.removed and x.sync_hash is not distinct from st.hash and x.raw_data -> '_helios' is null) as unchanged,
      (select count(*) from ms_synced_users x where x.organization_id = ${org} and x.raw_data -> '_helios' is null and ${gone}) as deactivated,
      (select count(*) from ms_synced_users x where x.organization_id = ${org} and x.raw_data -> '_helios' is null) as existing`;
}

function planGroups(org: string, full: boolean) {
  const gone = goneFrom('ms_stage_groups', full);
  return sql<Record<keyof EntityPlan, unknown>>`
    select
      (select count(*) from ms_stage_groups st where not st.removed and not st.partial
         and not exists (select 1 from ms_synced_groups x where x.organization_id = ${org} and x.ms_id = st.ms_id)) as created,
      (select count(*) from ms_stage_groups st join ms_synced_groups x on x.organization_id = ${org} and x.ms_id = st.ms_id
         where not st.removed and not st.partial and (x.sync_hash is distinct from st.hash or x.raw_data -> '_helios' is not null)) as updated,
      (select count(*) from ms_stage_groups st join ms_synced_groups x on x.organization_id = ${org} and x.ms_id = st.ms_id
         where not st.removed and (st.partial or (x.sync_hash is not distinct from st.hash and x.raw_data -> '_helios' is null))) as unchanged,
      (select count(*) from ms_synced_groups x where x.organization_id = ${org} and x.raw_data -> '_helios' is null and ${gone}) as deactivated,
      (select count(*) from ms_synced_groups x where x.organization_id = ${org} and x.raw_data -> '_helios' is null) as existing`;
}

/** Membership pairs (group ms id, user ms id) stored now. */
const storedPairs = (org: string) => sql`
  select g.ms_id as group_id, u.ms_id as member_id from ms_group_memberships m
  join ms_synced_groups g on g.id = m.group_id join ms_synced_users u on u.id = m.user_id
  where m.organization_id = ${org}`;

/** Users known after this run (stored and active, or staged and not removed). */
const knownUsers = (org: string) => sql`
  select st.ms_id from ms_stage_users st where not st.removed
  union
  select x.ms_id from ms_synced_users x where x.organization_id = ${org} and x.raw_data -> '_helios' is null
    and not exists (select 1 from ms_stage_users st where st.ms_id = x.ms_id and st.removed)`;

function planMemberships(org: string, full: boolean) {
  // Full: the staged set replaces the stored one. Incremental: staged adds and removals only.
  const removedPairs = full
    ? sql`select p.group_id, p.member_id from p where exists (select 1 from ms_stage_groups sg where sg.ms_id = p.group_id and not sg.removed)
            and not exists (select 1 from ms_stage_members m where m.group_id = p.group_id and m.member_id = p.member_id and not m.removed)
          union select p.group_id, p.member_id from p where not exists (select 1 from ms_stage_groups sg where sg.ms_id = p.group_id and not sg.removed)`
    : sql`select p.group_id, p.member_id from p where exists (select 1 from ms_stage_members m where m.group_id = p.group_id and m.member_id = p.member_id and m.removed)
          union select p.group_id, p.member_id from p where exists (select 1 from ms_stage_groups sg where sg.ms_id = p.group_id and sg.removed)
          union select p.group_id, p.member_id from p where exists (select 1 from ms_stage_users su where su.ms_id = p.member_id and su.removed)`;
  return sql<{ created: unknown; unchanged: unknown; deactivated: unknown; skipped: unknown }>`
    with p as (${storedPairs(org)}), k as (${knownUsers(org)}),
      wanted as (select m.group_id, m.member_id from ms_stage_members m join k on k.ms_id = m.member_id
                 where not m.removed and m.member_type = 'user' and not exists (select 1 from ms_stage_groups sg where sg.ms_id = m.group_id and sg.removed)),
      gone as (${removedPairs})
    select
      (select count(*) from wanted w where not exists (select 1 from p where p.group_id = w.group_id and p.member_id = w.member_id)) as created,
      (select count(*) from wanted w where exists (select 1 from p where p.group_id = w.group_id and p.member_id = w.member_id)) as unchanged,
      (select count(*) from gone) as deactivated,
      (select count(*) from ms_stage_members m where not m.removed and not exists (select 1 from wanted w where w.group_id = m.group_id and w.member_id = m.member_id)) as skipped`;
}

function planLicences(org: string, skus: MicrosoftSku[]) {
  const json = JSON.stringify(skus.map((s) => ({ sku_id: s.skuId, raw: s })));
  return sql<Record<'created' | 'updated' | 'unchanged', unknown>>`
    with s as (select x->>'sku_id' as sku_id, x->'raw' as raw from jsonb_array_elements(${json}::jsonb) x)
    select
      (select count(*) from s where not exists (select 1 from ms_licenses l where l.organization_id = ${org} and l.sku_id = s.sku_id)) as created,
      (select count(*) from s join ms_licenses l on l.organization_id = ${org} and l.sku_id = s.sku_id where l.raw_data is distinct from s.raw) as updated,
      (select count(*) from s join ms_licenses l on l.organization_id = ${org} and l.sku_id = s.sku_id where l.raw_data is not distinct from s.raw) as unchanged`;
}

async function sampleChanges(
  conn: Kysely<Database>,
  org: string,
  full: boolean,
): Promise<SyncChange[]> {
  const goneUsers = goneFrom('ms_stage_users', full);
  return sampleOf(
    conn,
    sql<SyncChangeRow>`
    (select 'users' as entity, case when x.id is null then 'create' else 'update' end as action, st.ms_id as external_id, coalesce(st.upn, st.ms_id) as label
       from ms_stage_users st left join ms_synced_users x on x.organization_id = ${org} and x.ms_id = st.ms_id
       where not st.removed and (x.id is null or x.sync_hash is distinct from st.hash) limit 20)
    union all
    (select 'users', 'deactivate', x.ms_id, coalesce(x.upn, x.ms_id) from ms_synced_users x
       where x.organization_id = ${org} and x.raw_data -> '_helios' is null and ${goneUsers} limit 20)
    union all
    (select 'groups', case when x.id is null then 'create' else 'update' end, st.ms_id, coalesce(st.display_name, st.ms_id)
       from ms_stage_groups st left join ms_synced_groups x on x.organization_id = ${org} and x.ms_id = st.ms_id
       where not st.removed and not st.partial and (x.id is null or x.sync_hash is distinct from st.hash) limit 20)
    limit 20`,
  );
}

/** Applies the staged changes (inside one transaction on `conn`). */
async function applyStaged(
  conn: Kysely<Database>,
  org: string,
  now: Date,
  full: boolean,
  skus: MicrosoftSku[],
  adminsKnown: boolean,
): Promise<{ linked: number; accounts: MicrosoftSyncCounts['accounts']; warnings: SyncWarning[] }> {
  // Users: upsert changed ones (hash), then mark the removed ones.
  await sql`
    insert into ms_synced_users (organization_id, ms_id, upn, display_name, given_name, surname, email, job_title, department, office_location,
      company_name, mobile_phone, business_phones, is_account_enabled, assigned_licenses, raw_data, sync_hash, last_sync_at)
    select ${org}, ms_id, upn, display_name, given_name, surname, mail, job_title, department, office_location,
      company_name, mobile_phone, business_phones, is_account_enabled, assigned_licenses, raw, hash, ${now} from ms_stage_users where not removed
    on conflict (organization_id, ms_id) do update set upn = excluded.upn, display_name = excluded.display_name, given_name = excluded.given_name,
      surname = excluded.surname, email = excluded.email, job_title = excluded.job_title, department = excluded.department,
      office_location = excluded.office_location, company_name = excluded.company_name, mobile_phone = excluded.mobile_phone,
      business_phones = excluded.business_phones, is_account_enabled = excluded.is_account_enabled, assigned_licenses = excluded.assigned_licenses,
      raw_data = excluded.raw_data, sync_hash = excluded.sync_hash, last_sync_at = excluded.last_sync_at, updated_at = now()
    where ms_synced_users.sync_hash is distinct from excluded.sync_hash or ms_synced_users.raw_data -> '_helios' is not null`.execute(
    conn,
  );
  const goneUsers = goneFrom('ms_stage_users', full);
  await sql`update ms_synced_users x set is_account_enabled = false, raw_data = coalesce(x.raw_data, '{}'::jsonb) || ${removedMarker(now)},
      sync_hash = null, last_sync_at = ${now}, updated_at = now()
    where x.organization_id = ${org} and x.raw_data -> '_helios' is null and ${goneUsers}`.execute(
    conn,
  );
  // Global Administrators (read in full every run, when the app may).
  if (adminsKnown)
    await sql`update ms_synced_users x set is_admin = exists (select 1 from ms_stage_admins a where a.ms_id = x.ms_id)
    where x.organization_id = ${org} and x.is_admin is distinct from exists (select 1 from ms_stage_admins a where a.ms_id = x.ms_id)`.execute(
      conn,
    );

  // Groups and their access groups (stable ids: upsert by external id).
  await sql`
    insert into ms_synced_groups (organization_id, ms_id, display_name, description, mail, mail_enabled, security_enabled, group_types, raw_data, sync_hash, last_sync_at)
    select ${org}, ms_id, display_name, description, mail, mail_enabled, security_enabled, group_types, raw, hash, ${now}
    from ms_stage_groups where not removed and not partial
    on conflict (organization_id, ms_id) do update set display_name = excluded.display_name, description = excluded.description, mail = excluded.mail,
      mail_enabled = excluded.mail_enabled, security_enabled = excluded.security_enabled, group_types = excluded.group_types,
      raw_data = excluded.raw_data, sync_hash = excluded.sync_hash, last_sync_at = excluded.last_sync_at, updated_at = now()
    where ms_synced_groups.sync_hash is distinct from excluded.sync_hash or ms_synced_groups.raw_data -> '_helios' is not null`.execute(
    conn,
  );
  const goneGroups = goneFrom('ms_stage_groups', full);
  await sql`update ms_synced_groups x set raw_data = coalesce(x.raw_data, '{}'::jsonb) || ${removedMarker(now)}, sync_hash = null, last_sync_at = ${now}, updated_at = now()
    where x.organization_id = ${org} and x.raw_data -> '_helios' is null and ${goneGroups}`.execute(
    conn,
  );
  await sql`
    insert into access_groups (organization_id, name, description, email, platform, group_type, external_id, is_active, metadata, synced_at)
    select ${org}, display_name, description, mail, 'microsoft_365', case when group_types ? 'Unified' then 'microsoft_365' else 'security' end,
      ms_id, true, jsonb_build_object('microsoftGroupId', ms_id), ${now}
    from ms_stage_groups where not removed and not partial
    on conflict (organization_id, platform, external_id) do update set name = excluded.name, description = excluded.description,
      email = excluded.email, group_type = excluded.group_type, is_active = true, synced_at = excluded.synced_at
    where (access_groups.name, access_groups.description, access_groups.email, access_groups.group_type, access_groups.is_active)
      is distinct from (excluded.name, excluded.description, excluded.email, excluded.group_type, true)`.execute(
    conn,
  );
  await sql`update access_groups x set is_active = false, synced_at = ${now}
    from ms_synced_groups g
    where x.organization_id = ${org} and x.platform = 'microsoft_365' and x.is_active is true
      and g.organization_id = ${org} and g.ms_id = x.external_id and g.raw_data -> '_helios' is not null`.execute(
    conn,
  );

  // Row counts moved inside this transaction (a first run fills empty tables): fresh statistics keep
  // the membership joins on hashes instead of one scan per group.
  if (full)
    await sql`analyze ms_synced_users, ms_synced_groups, ms_group_memberships`.execute(conn);

  // Memberships of users: full runs replace each group's set; incremental runs apply adds and removals.
  if (full) {
    await sql`delete from ms_group_memberships m using ms_synced_groups g, ms_synced_users u
      where m.organization_id = ${org} and g.id = m.group_id and u.id = m.user_id
        and not exists (select 1 from ms_stage_members s where s.group_id = g.ms_id and s.member_id = u.ms_id and not s.removed)`.execute(
      conn,
    );
  } else {
    await sql`delete from ms_group_memberships m using ms_synced_groups g, ms_synced_users u
      where m.organization_id = ${org} and g.id = m.group_id and u.id = m.user_id
        and (exists (select 1 from ms_stage_members s where s.group_id = g.ms_id and s.member_id = u.ms_id and s.removed)
          or g.raw_data -> '_helios' is not null or u.raw_data -> '_helios' is not null)`.execute(
      conn,
    );
  }
  await sql`
    insert into ms_group_memberships (organization_id, group_id, user_id, membership_type)
    select ${org}, g.id, u.id, 'member' from ms_stage_members s
    join ms_synced_groups g on g.organization_id = ${org} and g.ms_id = s.group_id and g.raw_data -> '_helios' is null
    join ms_synced_users u on u.organization_id = ${org} and u.ms_id = s.member_id and u.raw_data -> '_helios' is null
    where not s.removed and s.member_type = 'user'
    on conflict (group_id, user_id) do nothing`.execute(conn);
  await sql`update ms_synced_groups g set member_count = c.n, updated_at = now()
    from (select g2.id, (select count(*) from ms_group_memberships m where m.group_id = g2.id)::int as n from ms_synced_groups g2
          where g2.organization_id = ${org} and exists (select 1 from ms_stage_groups s where s.ms_id = g2.ms_id)) c
    where g.id = c.id and g.member_count is distinct from c.n`.execute(conn);

  // Links: by Graph id (kept), then UPN, then mail; never two local users for one Graph user.
  // From the stored users (this run's changes are in them now), not the staged ones: an incremental
  // run stages only what Graph changed, and an organization user added since the last run must be
  // linked all the same (else offboarding finds no Microsoft 365 account and skips every step).
  // One equality per statement (hash joins), in the order of the rules: email = UPN, stored UPN, then mail.
  const linkBy = (key: ReturnType<typeof sql>, present: ReturnType<typeof sql>) => sql`
    with m as (
      select distinct on (x.ms_id) ou.id, x.ms_id, x.upn from ms_synced_users x
      join organization_users ou on ou.organization_id = ${org} and ou.microsoft_365_id is null and ${key}
      where x.organization_id = ${org} and x.raw_data -> '_helios' is null and ${present}
        and not exists (select 1 from organization_users o2 where o2.organization_id = ${org} and o2.microsoft_365_id = x.ms_id)
      order by x.ms_id, ou.created_at)
    update organization_users ou set microsoft_365_id = m.ms_id, microsoft_365_upn = m.upn from m where ou.id = m.id and ou.microsoft_365_id is null`;
  const byUpn = await linkBy(sql`lower(ou.email) = x.upn`, sql`x.upn is not null`).execute(conn);
  const byStoredUpn = await linkBy(
    sql`lower(ou.microsoft_365_upn) = x.upn`,
    sql`x.upn is not null`,
  ).execute(conn);
  const byMail = await linkBy(sql`lower(ou.email) = x.email`, sql`x.email is not null`).execute(
    conn,
  );
  await sql`
    update organization_users ou set microsoft_365_sync_status = case when x.raw_data -> '_helios' is not null then 'removed'
        when x.is_account_enabled is false then 'disabled' else 'synced' end,
      microsoft_365_upn = coalesce(x.upn, ou.microsoft_365_upn), microsoft_365_last_sync = ${now}
    from ms_synced_users x
    where ou.organization_id = ${org} and x.organization_id = ${org} and x.ms_id = ou.microsoft_365_id
      and (ou.microsoft_365_sync_status, ou.microsoft_365_upn) is distinct from
        (case when x.raw_data -> '_helios' is not null then 'removed' when x.is_account_enabled is false then 'disabled' else 'synced' end,
         coalesce(x.upn, ou.microsoft_365_upn))`.execute(conn);

  // accountEnabled=false -> user_status of the linked organization users (after the links).
  const suspensions = await applySourceSuspensions(conn, {
    organizationId: org,
    source: 'microsoft_365',
    now,
    state: sql`select ou.id as user_id, x.is_account_enabled is false as suspended from organization_users ou
      join ms_synced_users x on x.organization_id = ${org} and x.ms_id = ou.microsoft_365_id
      where ou.organization_id = ${org} and x.raw_data -> '_helios' is null`,
  });

  // Access group members of linked users, from ms_group_memberships.
  if (full) await sql`analyze organization_users, ms_group_memberships`.execute(conn);
  const desired = sql`
    select ag.id as access_group_id, ou.id as user_id from ms_group_memberships m
    join ms_synced_groups g on g.id = m.group_id
    join ms_synced_users u on u.id = m.user_id
    join organization_users ou on ou.organization_id = ${org} and ou.microsoft_365_id = u.ms_id
    join access_groups ag on ag.organization_id = ${org} and ag.platform = 'microsoft_365' and ag.external_id = g.ms_id
    where m.organization_id = ${org}`;
  await sql`
    insert into access_group_members (access_group_id, user_id, member_type, is_active, removed_at, synced_from_platform, membership_source, joined_at)
    select distinct access_group_id, user_id, 'member', true, null::timestamptz, true, 'platform', ${now}::timestamptz from (${desired}) d
    on conflict (access_group_id, user_id) do update set is_active = true, removed_at = null, synced_from_platform = true,
      membership_source = case when access_group_members.is_active is true and access_group_members.membership_source = 'dynamic' then 'dynamic' else 'platform' end
    where not (access_group_members.is_active is true and access_group_members.removed_at is null)`.execute(
    conn,
  );
  // Fresh statistics: on a first run the planner would otherwise take the just-filled table for empty
  // and re-run the desired set once per member row.
  if (full) await sql`analyze access_groups, access_group_members`.execute(conn);
  await sql`
    with d as materialized (${desired})
    update access_group_members x set is_active = false, removed_at = ${now}
    from access_groups ag
    where ag.id = x.access_group_id and ag.organization_id = ${org} and ag.platform = 'microsoft_365' and x.is_active is true
      and x.synced_from_platform is true and not exists (select 1 from d where d.access_group_id = x.access_group_id and d.user_id = x.user_id)`.execute(
    conn,
  );

  // Licences.
  const json = JSON.stringify(skus);
  await sql`
    insert into ms_licenses (organization_id, sku_id, sku_part_number, display_name, total_units, consumed_units, available_units, service_plans, raw_data, last_sync_at)
    select ${org}, s->>'skuId', s->>'skuPartNumber', s->>'skuPartNumber',
      coalesce((s->'prepaidUnits'->>'enabled')::int, 0), coalesce((s->>'consumedUnits')::int, 0),
      greatest(0, coalesce((s->'prepaidUnits'->>'enabled')::int, 0) - coalesce((s->>'consumedUnits')::int, 0)), s->'servicePlans', s, ${now}
    from jsonb_array_elements(${json}::jsonb) s
    on conflict (organization_id, sku_id) do update set sku_part_number = excluded.sku_part_number, total_units = excluded.total_units,
      consumed_units = excluded.consumed_units, available_units = excluded.available_units, service_plans = excluded.service_plans,
      raw_data = excluded.raw_data, last_sync_at = excluded.last_sync_at, updated_at = now()
    where ms_licenses.raw_data is distinct from excluded.raw_data`.execute(conn);

  return {
    linked:
      Number(byUpn.numAffectedRows ?? 0n) +
      Number(byStoredUpn.numAffectedRows ?? 0n) +
      Number(byMail.numAffectedRows ?? 0n),
    accounts: { suspended: suspensions.suspended, reactivated: suspensions.reactivated },
    warnings: suspensions.warnings,
  };
}

/** Stores the new delta links (inside the apply transaction). */
async function saveDeltaLinks(
  conn: Kysely<Database>,
  org: string,
  links: MicrosoftDeltaLinks | null,
): Promise<void> {
  await sql`
    insert into organization_modules (organization_id, module_id, config)
    select ${org}::uuid, m.id, jsonb_build_object('deltaLinks', ${links === null ? null : JSON.stringify(links)}::jsonb) from modules m where m.slug = ${MICROSOFT_MODULE_SLUG}
    on conflict (organization_id, module_id) do update set config = coalesce(organization_modules.config, '{}'::jsonb) || excluded.config`.execute(
    conn,
  );
}

/** The stored delta links of this tenant, or null (then the next run is full). */
export async function readDeltaLinks(
  db: Kysely<Database>,
  org: string,
  tenantId: string,
): Promise<MicrosoftDeltaLinks | null> {
  const row = await sql<{ links: MicrosoftDeltaLinks | null }>`
    select om.config -> 'deltaLinks' as links from organization_modules om join modules m on m.id = om.module_id
    where om.organization_id = ${org} and m.slug = ${MICROSOFT_MODULE_SLUG}`.execute(db);
  const links = row.rows[0]?.links;
  return links &&
    typeof links.users === 'string' &&
    typeof links.groups === 'string' &&
    links.tenantId === tenantId
    ? links
    : null;
}

/** Forgets the delta links (the next run is full), e.g. when the credentials change. */
export async function clearDeltaLinks(db: Kysely<Database>, org: string): Promise<void> {
  await saveDeltaLinks(db, org, null);
}

/**
 * Plans (and unless `dryRun`, applies in one transaction with the new delta links) the staged changes.
 *
 * @throws HeliosError PRECONDITION_FAILED `SYNC.SAFETY_LIMIT` before anything is written
 */
export async function planAndApplyMicrosoft(
  conn: Kysely<Database>,
  staged: {
    fetched: MicrosoftFetched;
    links: { users: string; groups: string };
    skus: MicrosoftSku[];
    fullSyncAt: string;
    tenantId: string;
  },
  options: MicrosoftPassOptions,
): Promise<{ counts: MicrosoftSyncCounts; sample: SyncChange[]; warnings: SyncWarning[] }> {
  const org = options.organizationId;
  const full = staged.fetched.mode === 'full';
  const progress = options.onProgress ?? (() => undefined);
  progress({ phase: 'plan', done: 0, total: 1 });
  const users = (await countsOf(conn, planUsers(org, full))) as EntityPlan;
  const groups = (await countsOf(conn, planGroups(org, full))) as EntityPlan;
  assertSafetyLimit(
    [
      { entity: 'users', existing: users.existing, removed: users.deactivated },
      { entity: 'groups', existing: groups.existing, removed: groups.deactivated },
    ],
    { allowLargeRemovals: options.allowLargeRemovals, maxRemovalRatio: options.maxRemovalRatio },
  );
  const memberships = await countsOf(conn, planMemberships(org, full));
  const licences = await countsOf(conn, planLicences(org, staged.skus));
  // One equality per anti-join (hash joins): an OR of several keys would compare every pair.
  const unlinked = await countsOf(
    conn,
    sql<{
      unlinked: unknown;
    }>`select count(*) as unlinked from ms_stage_users st where not st.removed
      and not exists (select 1 from organization_users ou where ou.organization_id = ${org} and ou.microsoft_365_id = st.ms_id)
      and not exists (select 1 from organization_users ou where ou.organization_id = ${org} and lower(ou.email) = st.upn)
      and not exists (select 1 from organization_users ou where ou.organization_id = ${org} and lower(ou.microsoft_365_upn) = st.upn)
      and not exists (select 1 from organization_users ou where ou.organization_id = ${org} and lower(ou.email) = st.mail)`,
  );
  const sample = await sampleChanges(conn, org, full);
  progress({ phase: 'plan', done: 1, total: 1 });
  const strip = ({ existing: _e, ...c }: EntityPlan): SyncEntityCounts => c;
  const counts: MicrosoftSyncCounts = {
    users: strip(users),
    groups: strip(groups),
    memberships: {
      created: memberships.created,
      updated: 0,
      unchanged: memberships.unchanged,
      deactivated: memberships.deactivated,
    },
    licences: { ...licences, deactivated: 0 },
    links: { linked: 0, unlinked: unlinked.unlinked },
    skippedMembers: memberships.skipped,
    accounts: { suspended: 0, reactivated: 0 },
  };
  let warnings: SyncWarning[] = [];
  if (!options.dryRun) {
    progress({ phase: 'apply', done: 0, total: 1 });
    await inTransactionOn(conn, async () => {
      const applied = await applyStaged(
        conn,
        org,
        options.now,
        full,
        staged.skus,
        staged.fetched.adminsKnown,
      );
      counts.links.linked = applied.linked;
      counts.accounts = applied.accounts;
      warnings = applied.warnings;
      await saveDeltaLinks(conn, org, {
        ...staged.links,
        fullSyncAt: staged.fullSyncAt,
        tenantId: staged.tenantId,
      });
      await options.inApply?.(counts, warnings);
    });
    progress({ phase: 'apply', done: 1, total: 1 });
  }
  return { counts, sample, warnings };
}
