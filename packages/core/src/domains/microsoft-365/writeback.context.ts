/**
 * What the parts of the Microsoft 365 write-back share: the provider, the local mirror of a user
 * (`ms_synced_users`, written with the sync's columns and `sync_hash` null so the next sync rewrites
 * it from Graph), its link to an organization user, and the synced users and groups an operation
 * needs.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import { isHeliosError } from '../../errors';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { camelize } from '../../shared/case';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import { auditView, isMarkedRemoved, linkedUserId, setLinkStatus } from '../integrations/writeback';
import { noSyncWarnings, sanitizeFetched } from '../sync/engine';
import { loadMicrosoftProvider } from './credentials';
import { MICROSOFT_ERRORS } from './errors';
import type { Microsoft365Provider } from './provider';
import { syncedUserRaw, toSyncedUserColumns } from './synced-user';
import { microsoftObjectIdSchema } from './writeback.schema';
import type { MicrosoftWritebackServiceOptions, MicrosoftWritebackUser } from './writeback.service';

export type GraphUserRaw = Record<string, unknown> & { id: string };

/** Upserts the ms_synced_users row of a Graph user with the sync's columns (`sync_hash` null). */
export async function upsertSyncedUser(
  db: Kysely<Database>,
  organizationId: string,
  raw: GraphUserRaw,
  now: Date,
) {
  // Graph's answer is untrusted: text PostgreSQL cannot store is cleaned (as the sync does).
  const clean = sanitizeFetched(raw, 'user', noSyncWarnings());
  const c = toSyncedUserColumns(clean);
  const columns = {
    ...c,
    business_phones: JSON.stringify(c.business_phones),
    assigned_licenses: JSON.stringify(c.assigned_licenses),
    raw_data: JSON.stringify(clean),
    sync_hash: null,
    last_sync_at: now,
  };
  return db
    .insertInto('ms_synced_users')
    .values({ organization_id: organizationId, ms_id: raw.id, ...columns })
    .onConflict((oc) =>
      oc.columns(['organization_id', 'ms_id']).doUpdateSet({ ...columns, updated_at: now }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function userDto(
  row: Row<'ms_synced_users'>,
  localUserId: string | null,
): MicrosoftWritebackUser {
  const { rawData, syncHash: _hash, ...rest } = camelize(row);
  return { ...rest, removed: isMarkedRemoved(rawData), localUserId };
}

/** The audited view of a user row (no raw JSON or bookkeeping). */
export const userAuditView = (row: Row<'ms_synced_users'> | undefined | null) =>
  auditView(row, ['sync_hash', 'id', 'organization_id']);

export const linkedMicrosoftUser = (db: Kysely<Database>, organizationId: string, msId: string) =>
  linkedUserId(db, organizationId, 'microsoft_365', msId);

export const findUser = (db: Kysely<Database>, organizationId: string, msId: string) =>
  db
    .selectFrom('ms_synced_users')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('ms_id', '=', msId)
    .executeTakeFirst();
export const findGroup = (db: Kysely<Database>, organizationId: string, msId: string) =>
  db
    .selectFrom('ms_synced_groups')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('ms_id', '=', msId)
    .executeTakeFirst();

/** The synced, not removed, user. @throws HeliosError NOT_FOUND `MICROSOFT_WRITEBACK.USER_NOT_SYNCED` */
export async function syncedUser(db: Kysely<Database>, organizationId: string, msId: string) {
  const row = await findUser(db, organizationId, msId);
  if (!row || isMarkedRemoved(row.raw_data))
    throw MICROSOFT_ERRORS.WRITEBACK_USER_NOT_SYNCED({
      msId,
      upn: row?.upn ?? null,
      removed: row !== undefined,
    });
  return row;
}

/** The synced, not removed, group. @throws HeliosError NOT_FOUND `MICROSOFT_WRITEBACK.GROUP_NOT_SYNCED` */
export async function syncedGroup(db: Kysely<Database>, organizationId: string, msId: string) {
  const row = await findGroup(db, organizationId, msId);
  if (!row || isMarkedRemoved(row.raw_data)) {
    throw MICROSOFT_ERRORS.WRITEBACK_GROUP_NOT_SYNCED({
      msId,
      displayName: row?.display_name ?? null,
      removed: row !== undefined,
    });
  }
  return row;
}

/** Keeps the organization user's link status in step with the row (as the sync does). */
export const updateLink = (
  s: Pick<OperationScope, 'db' | 'organizationId' | 'now'>,
  row: Row<'ms_synced_users'>,
) =>
  setLinkStatus(
    s,
    'microsoft_365',
    row.ms_id,
    isMarkedRemoved(row.raw_data)
      ? 'removed'
      : row.is_account_enabled === false
        ? 'disabled'
        : 'synced',
    {
      microsoft_365_upn: sql<string | null>`coalesce(${row.upn}, microsoft_365_upn)`,
    },
  );

/** Recounts the members of groups from ms_group_memberships (as the sync does). */
export async function recount(db: Kysely<Database>, groupIds: string[]) {
  if (groupIds.length === 0) return;
  await sql`update ms_synced_groups g set member_count = (select count(*) from ms_group_memberships m where m.group_id = g.id)::int
    where g.id in (${sql.join(groupIds)})`.execute(db);
}

/** The write-back's shared state and helpers. */
export interface MicrosoftWritebackContext {
  rt: ServiceRuntime;
  provider(): Promise<Microsoft365Provider>;
  /** Validates a Graph id and loads the synced user (in the operation's read scope). */
  prepareUser(s: OperationScope, msId: string): Promise<Row<'ms_synced_users'>>;
  /**
   * Graph's current record of a user after a write; when that read fails (the write itself
   * succeeded), what the write is known to have produced, so the local rows still follow it.
   */
  reread(
    ms: Microsoft365Provider,
    msId: string,
    known: Record<string, unknown>,
  ): Promise<GraphUserRaw>;
  /** Updates the local row (and the link) from Graph's record of a changed user, and audits. */
  recordUserChange(
    s: OperationScope,
    action: string,
    raw: GraphUserRaw,
    extra?: Record<string, unknown>,
  ): Promise<MicrosoftWritebackUser>;
}

export function createMicrosoftWritebackContext(
  rt: ServiceRuntime,
  options: MicrosoftWritebackServiceOptions,
): MicrosoftWritebackContext {
  return {
    rt,
    provider: () =>
      options.provider
        ? options.provider(rt)
        : loadMicrosoftProvider(rt, options.providerOverrides),
    prepareUser: (s, msId) =>
      syncedUser(s.db, s.organizationId, parseInput(microsoftObjectIdSchema, msId)),
    async reread(ms, msId, known) {
      try {
        return syncedUserRaw(await ms.getUser(msId));
      } catch (error) {
        if (!isHeliosError(error)) throw error;
        rt.logger.warn(
          'microsoft_365 write-back: reading the user back failed; the local row uses what was written',
          { msId, code: error.code },
        );
        return syncedUserRaw({ ...known, id: msId });
      }
    },
    async recordUserChange(s, action, raw, extra = {}) {
      const before = await findUser(s.db, s.organizationId, raw.id);
      const row = await upsertSyncedUser(s.db, s.organizationId, raw, s.now);
      await updateLink(s, row);
      await s.audit({
        action,
        resource: 'ms_synced_users',
        resourceId: row.id,
        details: {
          msId: raw.id,
          upn: row.upn,
          ...extra,
          ...summarizeChange(userAuditView(before), userAuditView(row)),
        },
      });
      return userDto(row, await linkedMicrosoftUser(s.db, s.organizationId, raw.id));
    },
  };
}
