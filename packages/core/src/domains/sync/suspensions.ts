/**
 * Account suspension from the source of truth (Google `suspended`, Microsoft `accountEnabled=false`)
 * mirrored onto linked organization users, set-based inside the sync's apply transaction.
 *
 * Rules (the `user_status` model of ../users/users.status.ts: active <-> suspended):
 * - Suspended in the source and `active` here -> `suspended` (`is_active` false, sessions ended), with
 *   a `user_lifecycle_logs` row per user (`step_type` `directory_sync`, `step_name`
 *   `<source>.suspend`, the reason in `details`) and the counts in the run's audit row.
 * - Active again in the source -> back to `active` ONLY when Helios suspended the user for that
 *   reason: the user's last `directory_sync` lifecycle row is `<source>.suspend` and no local status
 *   change (`users.status`, `users.delete`, `users.restore` audit rows) came after it. A user a local
 *   admin suspended (or blocked, deleted...) is never re-activated by a sync.
 * - The last-admin guard (`helios:admins` lock, as `assertNotLastAdmin`): when suspending the admins
 *   among the candidates would leave the organization without an active admin, those admins are not
 *   suspended and the run reports a warning.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../../db/database.generated';

/** The directory a suspension comes from (the lifecycle step names are `<source>.suspend` / `<source>.unsuspend`). */
export type SuspensionSource = 'google_workspace' | 'microsoft_365';

/** A warning of a run (the run still completed). */
export interface SyncWarning {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** What `applySourceSuspensions` changed. */
export interface SuspensionOutcome {
  /** Users moved active -> suspended. */
  suspended: number;
  /** Users moved suspended -> active (suspended by Helios for this source before). */
  reactivated: number;
  warnings: SyncWarning[];
}

/** Warning code: admins suspended in the source were kept active (they are the last active admins). */
export const SYNC_WARNING_LAST_ADMIN = 'SYNC.LAST_ADMIN_NOT_SUSPENDED';

const REASONS: Record<SuspensionSource, { suspend: string; unsuspend: string }> = {
  google_workspace: {
    suspend: 'suspended in Google Workspace',
    unsuspend: 'unsuspended in Google Workspace',
  },
  microsoft_365: {
    suspend: 'account disabled in Microsoft 365 (accountEnabled=false)',
    unsuspend: 'account enabled again in Microsoft 365',
  },
};

/**
 * Applies the source's suspension state to the linked organization users (call inside the apply
 * transaction on `conn`). `state` yields one row per linked user present in the source:
 * `(user_id uuid, suspended boolean)`.
 */
export async function applySourceSuspensions(
  conn: Kysely<Database>,
  options: {
    organizationId: string;
    source: SuspensionSource;
    now: Date;
    state: RawBuilder<unknown>;
  },
): Promise<SuspensionOutcome> {
  const { organizationId: org, source, now, state } = options;
  const reasons = REASONS[source];
  const suspendStep = `${source}.suspend`;
  await sql`select pg_advisory_xact_lock(hashtext('helios:admins'))`.execute(conn);

  const suspended = await sql<{ suspended: string; spared: string[] | null }>`
    with src as (${state}),
    cand as (
      select ou.id, ou.role = 'admin' as is_admin from organization_users ou join src on src.user_id = ou.id
      where ou.organization_id = ${org} and src.suspended and ou.user_status = 'active' and ou.deleted_at is null),
    guard as (
      select not exists (select 1 from organization_users a where a.organization_id = ${org} and a.role = 'admin'
        and a.user_status = 'active' and a.deleted_at is null and not exists (select 1 from cand c where c.id = a.id)) as last_admins),
    go as (select c.id from cand c cross join guard g where not (c.is_admin and g.last_admins)),
    upd as (
      update organization_users ou set user_status = 'suspended', is_active = false, updated_at = ${now}
      from go where ou.id = go.id and ou.user_status = 'active' returning ou.id),
    logs as (
      insert into user_lifecycle_logs (organization_id, user_id, step_name, step_type, status, details, created_at)
      select ${org}, upd.id, ${suspendStep}, 'directory_sync', 'completed',
        jsonb_build_object('source', ${source}::text, 'reason', ${reasons.suspend}::text, 'from', 'active', 'to', 'suspended'), ${now}
      from upd returning 1),
    sessions as (delete from auth_sessions s using upd where s.user_id = upd.id returning 1)
    select (select count(*) from upd) as suspended, (select count(*) from logs) as logged, (select count(*) from sessions) as sessions,
      (select array_agg(c.id::text order by c.id) from cand c cross join guard g where c.is_admin and g.last_admins) as spared`.execute(
    conn,
  );

  const reactivated = await sql<{ reactivated: string }>`
    with src as (${state}),
    last_step as (
      select distinct on (l.user_id) l.user_id, l.step_name, l.created_at from user_lifecycle_logs l
      join src on src.user_id = l.user_id and not src.suspended
      where l.organization_id = ${org} and l.step_type = 'directory_sync'
      order by l.user_id, l.created_at desc),
    go as (
      select ou.id from organization_users ou join last_step ls on ls.user_id = ou.id and ls.step_name = ${suspendStep}
      where ou.organization_id = ${org} and ou.user_status = 'suspended' and ou.deleted_at is null
        and not exists (select 1 from audit_logs a where a.organization_id = ${org} and a.resource = 'user' and a.resource_id::text = ou.id::text
          and a.action in ('users.status', 'users.delete', 'users.restore') and a.created_at >= ls.created_at)),
    upd as (
      update organization_users ou set user_status = 'active', is_active = true, updated_at = ${now}
      from go where ou.id = go.id and ou.user_status = 'suspended' returning ou.id),
    logs as (
      insert into user_lifecycle_logs (organization_id, user_id, step_name, step_type, status, details, created_at)
      select ${org}, upd.id, ${`${source}.unsuspend`}, 'directory_sync', 'completed',
        jsonb_build_object('source', ${source}::text, 'reason', ${reasons.unsuspend}::text, 'from', 'suspended', 'to', 'active'), ${now}
      from upd returning 1)
    select (select count(*) from upd) as reactivated, (select count(*) from logs) as logged`.execute(
    conn,
  );

  const spared = suspended.rows[0]?.spared ?? [];
  const warnings: SyncWarning[] = spared.length
    ? [
        {
          code: SYNC_WARNING_LAST_ADMIN,
          message: `${spared.length} admin(s) ${reasons.suspend} were kept active: suspending them would leave no active admin.`,
          details: { userIds: spared },
        },
      ]
    : [];
  return {
    suspended: Number(suspended.rows[0]?.suspended ?? 0),
    reactivated: Number(reactivated.rows[0]?.reactivated ?? 0),
    warnings,
  };
}
