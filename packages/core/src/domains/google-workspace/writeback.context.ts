/**
 * What the parts of the Google Workspace write-back share: the provider, the local mirror of a
 * user (`gw_synced_users`, written with the sync's columns), its link to an organization user, and
 * the local view of groups and members.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { camelize } from '../../shared/case';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import { auditView, isMarkedRemoved, linkedUserId, setLinkStatus } from '../integrations/writeback';
import { noSyncWarnings, sanitizeFetched } from '../sync/engine';
import { loadGoogleProvider } from './credentials';
import { GOOGLE_ERRORS } from './errors';
import type { GoogleUser, GoogleWorkspaceProvider } from './provider';
import { toSyncedUserColumns } from './synced-user';
import { googleIdSchema } from './writeback.schema';
import type { GoogleWritebackServiceOptions, GoogleWritebackUser } from './writeback.service';

/** The gw_synced_users row for a Google user record, upserted with the sync's columns. */
export async function upsertSyncedUser(
  db: Kysely<Database>,
  organizationId: string,
  u: GoogleUser,
  now: Date,
): Promise<Row<'gw_synced_users'>> {
  // Google's answer is untrusted: text PostgreSQL cannot store is cleaned (as the sync does).
  const clean = sanitizeFetched(u, 'user', noSyncWarnings());
  const columns = {
    ...toSyncedUserColumns(clean),
    raw_data: JSON.stringify(clean),
    last_sync_at: now,
  };
  return (await db
    .insertInto('gw_synced_users')
    .values({ organization_id: organizationId, google_id: u.id, ...columns } as never)
    .onConflict((oc) => oc.columns(['organization_id', 'google_id']).doUpdateSet(columns as never))
    .returningAll()
    .executeTakeFirstOrThrow()) as Row<'gw_synced_users'>;
}

export function userDto(
  row: Row<'gw_synced_users'>,
  localUserId: string | null,
): GoogleWritebackUser {
  const { rawData, ...rest } = camelize(row);
  return { ...rest, removed: isMarkedRemoved(rawData), localUserId };
}

/** The audited view of a user row (no raw JSON). */
export const userAuditView = (row: Row<'gw_synced_users'> | undefined | null) => auditView(row);

export const linkedGoogleUser = (db: Kysely<Database>, organizationId: string, googleId: string) =>
  linkedUserId(db, organizationId, 'google_workspace', googleId);

/** The write-back's shared state and helpers. */
export interface GoogleWritebackContext {
  rt: ServiceRuntime;
  provider(): Promise<GoogleWorkspaceProvider>;
  /** The organization's Google domain (lowercase), if stored. */
  domainOf(db: Kysely<Database>, organizationId: string): Promise<string | null>;
  /** @throws INVALID_INPUT `GOOGLE_WRITEBACK.EMAIL_OUTSIDE_DOMAIN` */
  assertInDomain(email: string, domain: string | null): void;
  /** Validates a Google id. */
  parseUserId(googleId: string): string;
  /** Updates the local row and the link status from Google's record of a changed user; audits. */
  recordUserChange(
    s: OperationScope,
    action: string,
    google: GoogleUser,
    extra?: Record<string, unknown>,
  ): Promise<GoogleWritebackUser>;
}

export function createGoogleWritebackContext(
  rt: ServiceRuntime,
  options: GoogleWritebackServiceOptions,
): GoogleWritebackContext {
  return {
    rt,
    provider: () =>
      options.provider ? options.provider(rt) : loadGoogleProvider(rt, options.providerOverrides),
    async domainOf(db, organizationId) {
      const row = await db
        .selectFrom('gw_credentials')
        .select('domain')
        .where('organization_id', '=', organizationId)
        .executeTakeFirst();
      return row?.domain ? row.domain.toLowerCase() : null;
    },
    assertInDomain(email, domain) {
      if (domain && !email.endsWith(`@${domain}`))
        throw GOOGLE_ERRORS.WRITEBACK_EMAIL_OUTSIDE_DOMAIN({ email, domain });
    },
    parseUserId: (googleId) => parseInput(googleIdSchema, googleId),
    async recordUserChange(s, action, google, extra = {}) {
      const before = await s.db
        .selectFrom('gw_synced_users')
        .selectAll()
        .where('organization_id', '=', s.organizationId)
        .where('google_id', '=', google.id)
        .executeTakeFirst();
      const row = await upsertSyncedUser(s.db, s.organizationId, google, s.now);
      await setLinkStatus(
        s,
        'google_workspace',
        google.id,
        google.suspended === true ? 'suspended' : 'synced',
      );
      await s.audit({
        action,
        resource: 'gw_synced_users',
        resourceId: row.id,
        details: {
          googleId: google.id,
          email: row.email,
          ...extra,
          ...summarizeChange(
            userAuditView(before as Row<'gw_synced_users'> | undefined),
            userAuditView(row),
          ),
        },
      });
      return userDto(row, await linkedGoogleUser(s.db, s.organizationId, google.id));
    },
  };
}

/** Resolves a group key (email or Google id) to the local mirror, if any. */
export async function localGroup(db: Kysely<Database>, organizationId: string, key: string) {
  const k = key.trim();
  return db
    .selectFrom('gw_groups as g')
    .leftJoin('access_groups as ag', (j) =>
      j
        .onRef('ag.external_id', '=', 'g.google_id')
        .on('ag.platform', '=', 'google_workspace')
        .on('ag.organization_id', '=', organizationId),
    )
    .select(['g.google_id', 'g.email', 'ag.id as access_group_id'])
    .where('g.organization_id', '=', organizationId)
    .where((eb) => eb.or([eb('g.google_id', '=', k), eb('g.email', '=', k.toLowerCase())]))
    .executeTakeFirst();
}

/** The organization user a Google member is: linked by Google id, else by email. */
export async function localMember(
  db: Kysely<Database>,
  organizationId: string,
  memberId: string | null,
  email: string,
) {
  if (memberId) {
    const byId = await linkedGoogleUser(db, organizationId, memberId);
    if (byId) return byId;
  }
  const row = await db
    .selectFrom('organization_users')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where(sql<string>`lower(email)`, '=', email)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row?.id ?? null;
}

/** The Google id of a synced user by primary email, if any. */
export async function syncedGoogleId(
  db: Kysely<Database>,
  organizationId: string,
  email: string,
): Promise<string | null> {
  const row = await db
    .selectFrom('gw_synced_users')
    .select('google_id')
    .where('organization_id', '=', organizationId)
    .where('email', '=', email)
    .executeTakeFirst();
  return row?.google_id ?? null;
}
