/**
 * The set-based statements of dynamic groups, over the users a compiled condition matches
 * (`matchingUsersQuery`): one statement to preview, one to apply. No per-user loop: 100,000 users
 * are one statement either way. Group ids and times are parameters.
 *
 * Who is who in `access_group_members` of the group:
 * - an active member (`is_active` not false) of any source stays: a matching one is not added twice;
 * - an active `dynamic` member who no longer matches is deactivated (`is_active` false, `removed_at`);
 * - a matching user without an active membership joins as `dynamic` (a new row, or the old row of a
 *   former member, whatever its source, reactivated as `dynamic` with `rule_matched_at`);
 * - active `platform` and `manual` members are never touched.
 */
import { type Expression, type Kysely, type SqlBool, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import { matchingUsersQuery } from './automation.compile';
import type { DynamicGroupSampleUser } from './dynamic-groups.schema';

interface PreviewRow {
  match_count: number | string;
  add_count: number | string;
  remove_count: number | string;
  static_count: number | string;
  add_sample: string | null;
  remove_sample: string | null;
}

/** The counts and samples of a preview, in one read statement. */
export async function previewStatement(
  db: Kysely<Database>,
  organizationId: string,
  groupId: string,
  where: Expression<SqlBool>,
  sampleSize: number,
) {
  const matched = matchingUsersQuery(db, organizationId, where);
  const result = await sql<PreviewRow>`with matched as materialized (${matched}),
    active as materialized (select user_id, membership_source, synced_from_platform from access_group_members
      where access_group_id = ${groupId}::uuid and is_active is not false),
    adds as (select m.id from matched m where not exists (select 1 from active a where a.user_id = m.id)),
    removes as (select a.user_id as id from active a where a.membership_source = 'dynamic'
      and not exists (select 1 from matched m where m.id = a.user_id))
    select (select count(*) from matched)::int as match_count,
      (select count(*) from adds)::int as add_count,
      (select count(*) from removes)::int as remove_count,
      (select count(*) from active a where a.membership_source is distinct from 'dynamic')::int as static_count,
      (select coalesce(json_agg(json_build_object('id', s.id, 'email', s.email, 'firstName', s.first_name, 'lastName', s.last_name) order by s.email, s.id), '[]'::json)::text
        from (select u.id, u.email, u.first_name, u.last_name from adds x join organization_users u on u.id = x.id
          order by u.email, u.id limit ${sampleSize}::int) s) as add_sample,
      (select coalesce(json_agg(json_build_object('id', s.id, 'email', s.email, 'firstName', s.first_name, 'lastName', s.last_name) order by s.email, s.id), '[]'::json)::text
        from (select u.id, u.email, u.first_name, u.last_name from removes x join organization_users u on u.id = x.id
          order by u.email, u.id limit ${sampleSize}::int) s) as remove_sample`.execute(db);
  const row = result.rows[0];
  const sample = (text: string | null | undefined) =>
    text ? (JSON.parse(text) as DynamicGroupSampleUser[]) : [];
  return {
    matchCount: Number(row?.match_count ?? 0),
    wouldAdd: { count: Number(row?.add_count ?? 0), sample: sample(row?.add_sample) },
    wouldRemove: { count: Number(row?.remove_count ?? 0), sample: sample(row?.remove_sample) },
    staticMembers: Number(row?.static_count ?? 0),
  };
}

interface ApplyRow {
  match_count: number | string;
  added: number | string;
  reactivated: number | string;
  removed: number | string;
}

/**
 * Applies the rule in one statement (its CTEs insert, reactivate and deactivate together); run it in
 * the caller's transaction. Twice in a row, the second changes nothing.
 */
export async function applyStatement(
  db: Kysely<Database>,
  organizationId: string,
  groupId: string,
  where: Expression<SqlBool>,
  now: Date,
) {
  const matched = matchingUsersQuery(db, organizationId, where);
  const result = await sql<ApplyRow>`with matched as materialized (${matched}),
    joining as (select m.id from matched m where not exists (select 1 from access_group_members x
      where x.access_group_id = ${groupId}::uuid and x.user_id = m.id and x.is_active is not false)),
    upserted as (
      insert into access_group_members as x (access_group_id, user_id, member_type, is_active, removed_at, joined_at,
        synced_from_platform, membership_source, rule_matched_at)
      select ${groupId}::uuid, j.id, 'member', true, null, ${now}::timestamptz, false, 'dynamic', ${now}::timestamptz from joining j
      on conflict (access_group_id, user_id) do update set is_active = true, removed_at = null, joined_at = excluded.joined_at,
        member_type = 'member', rule_matched_at = excluded.rule_matched_at, membership_source = 'dynamic',
        synced_from_platform = case when x.membership_source = 'dynamic' then x.synced_from_platform else false end
      where x.is_active is false
      returning (xmax = 0) as inserted),
    leaving as (
      update access_group_members x set is_active = false, removed_at = ${now}::timestamptz
      where x.access_group_id = ${groupId}::uuid and x.membership_source = 'dynamic' and x.is_active is not false
        and not exists (select 1 from matched m where m.id = x.user_id)
      returning x.id)
    select (select count(*) from matched)::int as match_count,
      (select count(*) from upserted where inserted)::int as added,
      (select count(*) from upserted where not inserted)::int as reactivated,
      (select count(*) from leaving)::int as removed`.execute(db);
  const row = result.rows[0];
  return {
    matchCount: Number(row?.match_count ?? 0),
    added: Number(row?.added ?? 0),
    reactivated: Number(row?.reactivated ?? 0),
    removed: Number(row?.removed ?? 0),
  };
}
