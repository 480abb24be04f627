/**
 * Planner statistics of a Google sync (internal to the sync): the TEMP staging tables are never
 * analyzed automatically, and the mirror's tables change much in one transaction on a first run.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import type { SyncEntityCounts } from '../sync/engine';
import type { GoogleSyncCounts } from './sync.plan';

/** The mirror's tables and the columns its joins and filters use (statistics are refreshed for these only). */
const TARGET_STATISTICS = {
  gw_synced_users: 'organization_id, google_id, email, is_suspended',
  gw_groups: 'organization_id, google_id',
  gw_org_units: 'organization_id, google_id',
  access_groups: 'organization_id, platform, external_id, is_active',
  access_group_members: 'access_group_id, user_id, is_active, synced_from_platform',
  organization_users: 'organization_id, email, google_workspace_id, user_status',
} as const;
type TargetTable = keyof typeof TARGET_STATISTICS;

/** ANALYZE of the given tables, their join columns only (the sample is read; the jsonb columns are not compared). */
async function analyzeTargets(
  conn: Kysely<Database>,
  tables: readonly TargetTable[],
): Promise<void> {
  if (tables.length === 0) return;
  await sql
    .raw(`analyze ${tables.map((t) => `${t} (${TARGET_STATISTICS[t]})`).join(', ')}`)
    .execute(conn);
}

/**
 * Statistics for the plan: TEMP tables are never analyzed automatically (analyzed every run, small
 * but for a first sync); the mirror's tables only when they never were (a run that changes many
 * rows refreshes them after its commit, see `analyzeChanged`; a server's autovacuum does too).
 */
export async function analyzeStaging(conn: Kysely<Database>): Promise<void> {
  await sql`analyze gs_stage_users (google_id, email, is_suspended), gs_stage_aliases, gs_seen_users, gs_domains,
    gs_stage_groups (google_id, email), gs_seen_groups, gs_stage_org_units (google_id), gs_stage_members, gs_member_groups`.execute(
    conn,
  );
  const never = await sql<{ name: TargetTable }>`
    select t.name from unnest(${Object.keys(TARGET_STATISTICS)}::text[]) as t(name) join pg_class c on c.oid = to_regclass(t.name)
    where c.reltuples < 0`.execute(conn);
  await analyzeTargets(
    conn,
    never.rows.map((r) => r.name),
  );
}

/** After a run that changed many rows of a table (over 500 and 10%): fresh statistics for the next run. */
export async function analyzeChanged(
  conn: Kysely<Database>,
  counts: GoogleSyncCounts,
  existing: { users: number; groups: number },
): Promise<void> {
  const many = (changed: number, size: number) => changed > Math.max(500, size / 10);
  const changed = (c: SyncEntityCounts) => c.created + c.updated + c.deactivated;
  const tables: TargetTable[] = [];
  if (many(changed(counts.users), existing.users)) tables.push('gw_synced_users');
  if (many(changed(counts.groups), existing.groups)) tables.push('gw_groups', 'access_groups');
  const m = counts.memberships;
  if (many(changed(m), m.unchanged + m.created)) tables.push('access_group_members');
  if (many(counts.links.linked, existing.users)) tables.push('organization_users');
  await analyzeTargets(conn, tables);
}
