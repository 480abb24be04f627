/**
 * Microsoft 365 write-back (`helios.microsoftWriteback`): creates and changes users, passwords,
 * sessions, group memberships and licences in Microsoft 365 through the organization's stored
 * credentials, then updates the local mirror (`ms_synced_users`, `ms_group_memberships`,
 * `ms_licenses`, `access_group_members`, `organization_users` links) from Graph's answer.
 *
 * Every operation: authorize and validate (a read scope, no transaction), call Microsoft Graph
 * (never inside a transaction), then write the local rows and the audit row in one short
 * transaction. A Graph failure (HeliosError `MICROSOFT.*`) leaves every local row unchanged.
 * Rows are written the way the sync writes them, with `sync_hash` null so the next sync rewrites
 * them from Graph; a deleted user's row is kept and marked removed (`raw_data._helios.removedAt`).
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import { type HeliosError, isHeliosError } from '../../errors';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { type Camelize, camelize } from '../../shared/case';
import { openSecret, sealSecret } from '../../shared/secret-stores';
import { SHARED_ERRORS } from '../../shared/shared.errors';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit/audit.summary';
import { generateInitialPassword } from '../google-workspace/writeback.service';
import type { CallOptions, Permission } from '../policy/actor';
import { POLICY_ERRORS } from '../policy/policy.errors';
import { noSyncWarnings, sanitizeFetched } from '../sync/engine';
import { loadMicrosoftProvider } from './credentials';
import { MICROSOFT_ERRORS } from './errors';
import { type Microsoft365Provider, type MicrosoftProviderOverrides, type MicrosoftSku, MS_USER_FIELDS } from './provider';
import {
  type MicrosoftAssignLicenseInput,
  type MicrosoftCreateUserInput,
  type MicrosoftUpdateUserInput,
  microsoftAssignLicenseSchema,
  microsoftCreateUserSchema,
  microsoftMemberSchema,
  microsoftObjectIdSchema,
  microsoftUpdateUserSchema,
  userPrincipalNameSchema,
} from './writeback.schema';

/** A Microsoft user as mirrored locally (`ms_synced_users`, without Graph's raw JSON). */
export type MicrosoftWritebackUser = Omit<Camelize<Row<'ms_synced_users'>>, 'rawData' | 'syncHash'> & {
  /** True once deleted from Microsoft 365 (the row is kept). */
  removed: boolean;
  /** The linked organization user, if any. */
  localUserId: string | null;
};

/** The outcome of a membership change. */
export interface MicrosoftWritebackMembership {
  /** The Graph id of the group. */
  groupMsId: string;
  /** The Graph id of the user. */
  userMsId: string;
  /** The `ms_group_memberships` row (null after a removal, or when a local row vanished meanwhile). */
  membershipId: string | null;
  /** The `access_groups` row mirroring the group (platform `microsoft_365`), if any. */
  accessGroupId: string | null;
  /** The `access_group_members` row changed, or null when the group has no access group or the user is not linked. */
  accessGroupMemberId: string | null;
  /** The linked organization user, if any. */
  localUserId: string | null;
}

/** The initial (or reset) password of a user, revealed once. */
export interface MicrosoftInitialPassword {
  userPrincipalName: string;
  password: string;
  createdAt: Date | null;
  revealedAt: Date;
}

/** The outcome of `resetPassword` (the password itself is stored encrypted: see `revealInitialPassword`). */
export interface MicrosoftPasswordReset {
  msId: string;
  userPrincipalName: string;
  /** Always true: the user chooses a new password at the next sign-in. */
  forceChangePasswordNextSignIn: true;
  /** When the new password was stored for one reveal. */
  storedAt: Date;
}

/** The outcome of `revokeSessions`. */
export interface MicrosoftSessionsRevoked {
  msId: string;
  userPrincipalName: string | null;
  revokedAt: Date;
}

/** A licence SKU's units after an assignment (`ms_licenses`). */
export interface MicrosoftLicenceUnits {
  skuId: string;
  skuPartNumber: string;
  totalUnits: number;
  consumedUnits: number;
  availableUnits: number;
}

/** The outcome of `assignLicense`. */
export interface MicrosoftLicenceAssignment {
  user: MicrosoftWritebackUser;
  /** SKU ids newly assigned. */
  added: string[];
  /** SKU ids removed. */
  removed: string[];
  /** The units of the SKUs involved, after the change. */
  licences: MicrosoftLicenceUnits[];
}

/**
 * Write-back to Microsoft 365. User operations need `users:write`, membership ones `groups:write`
 * (admins, API keys with the scope, the system). Users and groups must have been synced first.
 */
export interface MicrosoftWritebackService {
  /**
   * Creates a Microsoft 365 user with a generated strong initial password (changed at first
   * sign-in), stores the password encrypted in `user_initial_passwords`, mirrors Graph's record into
   * `ms_synced_users` and links the organization user (`localUserId`, else the unlinked one whose
   * email is the UPN). Audited `microsoft_365.user_create`. The password is never returned here: see
   * `revealInitialPassword`.
   *
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN `POLICY.FORBIDDEN`; INVALID_INPUT `VALIDATION.FAILED`,
   *   `MICROSOFT.INVALID_REQUEST` (e.g. a domain the tenant has not verified); NOT_FOUND `MICROSOFT_WRITEBACK.LOCAL_USER_NOT_FOUND`,
   *   `MICROSOFT.NOT_CONFIGURED`; CONFLICT `MICROSOFT_WRITEBACK.ALREADY_LINKED`, `MICROSOFT.CONFLICT` (UPN taken; nothing written);
   *   PRECONDITION_FAILED `SECRETS.NO_KEY`, `MICROSOFT.IN_TRANSACTION` (every Graph-calling method); `MICROSOFT.*`
   * @example
   * ```ts
   * const user = await helios.microsoftWriteback.createUser({ userPrincipalName: 'ada@contoso.com', displayName: 'Ada Lovelace' });
   * ```
   */
  createUser(input: MicrosoftCreateUserInput, options?: CallOptions): Promise<MicrosoftWritebackUser>;
  /**
   * Returns (decrypted) the initial or reset password stored for a UPN and marks it revealed; works
   * once per stored password. Administrators only (admins, `admin:full` keys, the system). Audited
   * `microsoft_365.initial_password_reveal`. The store is shared with Google Workspace (keyed by address).
   *
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN `POLICY.FORBIDDEN`; INVALID_INPUT `VALIDATION.FAILED`;
   *   NOT_FOUND `MICROSOFT_WRITEBACK.INITIAL_PASSWORD_NOT_FOUND`; CONFLICT `MICROSOFT_WRITEBACK.INITIAL_PASSWORD_REVEALED`;
   *   PRECONDITION_FAILED `SECRETS.NO_KEY`
   * @example
   * ```ts
   * const { password } = await helios.microsoftWriteback.revealInitialPassword('ada@contoso.com');
   * ```
   */
  revealInitialPassword(userPrincipalName: string, options?: CallOptions): Promise<MicrosoftInitialPassword>;
  /**
   * Changes a user's names, title, department, office, company, mobile phone or usage location in
   * Microsoft 365 (null clears a field), then the local row. Audited `microsoft_365.user_update`.
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN; INVALID_INPUT `VALIDATION.FAILED`; NOT_FOUND
   *   `MICROSOFT_WRITEBACK.USER_NOT_SYNCED`, `MICROSOFT.NOT_FOUND`; `MICROSOFT.*`
   * @example
   * ```ts
   * await helios.microsoftWriteback.updateUser(msId, { jobTitle: 'CTO', department: null });
   * ```
   */
  updateUser(msId: string, patch: MicrosoftUpdateUserInput, options?: CallOptions): Promise<MicrosoftWritebackUser>;
  /**
   * Blocks sign-in (`accountEnabled` false), then the local row and link status (`disabled`).
   * Audited `microsoft_365.user_disable`. @throws HeliosError as `updateUser`
   * @example
   * ```ts
   * await helios.microsoftWriteback.disableUser(msId);
   * ```
   */
  disableUser(msId: string, options?: CallOptions): Promise<MicrosoftWritebackUser>;
  /**
   * Allows sign-in again (`accountEnabled` true), then locally. Audited `microsoft_365.user_enable`.
   * @throws HeliosError as `updateUser`
   * @example
   * ```ts
   * await helios.microsoftWriteback.enableUser(msId);
   * ```
   */
  enableUser(msId: string, options?: CallOptions): Promise<MicrosoftWritebackUser>;
  /**
   * Deletes a user in Microsoft 365 (to its recycle bin). The local row is kept, marked removed
   * (`raw_data._helios.removedAt`, `is_account_enabled` false), its memberships are dropped (local
   * access group memberships soft-removed) and the link status becomes `removed`. Audited `microsoft_365.user_delete`.
   * @throws HeliosError as `updateUser`
   * @example
   * ```ts
   * await helios.microsoftWriteback.deleteUser(msId);
   * ```
   */
  deleteUser(msId: string, options?: CallOptions): Promise<MicrosoftWritebackUser | null>;
  /**
   * Sets a new generated password (changed at the next sign-in), stored encrypted for one reveal
   * (`revealInitialPassword`); returns nothing secret. Audited `microsoft_365.password_reset`.
   * @throws HeliosError as `updateUser`; PRECONDITION_FAILED `SECRETS.NO_KEY`
   * @example
   * ```ts
   * await helios.microsoftWriteback.resetPassword(msId);
   * const { password } = await helios.microsoftWriteback.revealInitialPassword('ada@contoso.com');
   * ```
   */
  resetPassword(msId: string, options?: CallOptions): Promise<MicrosoftPasswordReset>;
  /**
   * Signs the user out of every session (`revokeSignInSessions`). Audited `microsoft_365.sessions_revoke`.
   * @throws HeliosError as `updateUser`
   * @example
   * ```ts
   * await helios.microsoftWriteback.revokeSessions(msId);
   * ```
   */
  revokeSessions(msId: string, options?: CallOptions): Promise<MicrosoftSessionsRevoked>;
  /**
   * Adds a user to a group in Microsoft 365, then `ms_group_memberships` and, when the user is
   * linked to an organization user, the access group mirroring the group. Audited `microsoft_365.member_add`.
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN; INVALID_INPUT `VALIDATION.FAILED`; NOT_FOUND
   *   `MICROSOFT_WRITEBACK.GROUP_NOT_SYNCED`, `MICROSOFT_WRITEBACK.USER_NOT_SYNCED`, `MICROSOFT.NOT_FOUND`;
   *   CONFLICT `MICROSOFT.CONFLICT` (already a member); `MICROSOFT.*`
   * @example
   * ```ts
   * await helios.microsoftWriteback.addMember(groupMsId, userMsId);
   * ```
   */
  addMember(groupMsId: string, userMsId: string, options?: CallOptions): Promise<MicrosoftWritebackMembership>;
  /**
   * Removes a user from a group in Microsoft 365, then deletes the `ms_group_memberships` row and
   * soft-removes the access group membership (`is_active` false, `removed_at`). Audited `microsoft_365.member_remove`.
   * @throws HeliosError as `addMember` (`MICROSOFT.NOT_FOUND` when not a member)
   * @example
   * ```ts
   * await helios.microsoftWriteback.removeMember(groupMsId, userMsId);
   * ```
   */
  removeMember(groupMsId: string, userMsId: string, options?: CallOptions): Promise<MicrosoftWritebackMembership>;
  /**
   * Adds and removes licences. Free units are checked first (`subscribedSkus`): when a SKU has none
   * left nothing is sent. Then the user's `assigned_licenses` and the SKUs' units in `ms_licenses`
   * follow. Audited `microsoft_365.license_assign`.
   * @throws HeliosError as `updateUser`; CONFLICT `MICROSOFT.NO_LICENSES_AVAILABLE` (naming the SKU; nothing sent,
   *   or Graph's own refusal after a race); NOT_FOUND `MICROSOFT_WRITEBACK.UNKNOWN_SKU`; INVALID_INPUT
   *   `MICROSOFT.INVALID_REQUEST` (e.g. no usage location, removing a licence the user lacks)
   * @example
   * ```ts
   * await helios.microsoftWriteback.assignLicense(msId, { add: ['c7df2760-2c81-4ef7-b578-5b5392b571df'] });
   * ```
   */
  assignLicense(msId: string, licences: MicrosoftAssignLicenseInput, options?: CallOptions): Promise<MicrosoftLicenceAssignment>;
}

/** Options of `createMicrosoftWritebackService`. */
export interface MicrosoftWritebackServiceOptions {
  /** Provider options (Graph and login roots, retries...) for the stored credentials, over createHelios `integrations.microsoft`. */
  providerOverrides?: MicrosoftProviderOverrides;
  /** Builds the provider instead of loading the stored credentials. */
  provider?: (rt: ServiceRuntime) => Promise<Microsoft365Provider>;
}

const PASSWORD_TABLE = 'user_initial_passwords';
const PASSWORD_COLUMN = 'encrypted_password';

const str = (value: unknown, max = 255) => (typeof value === 'string' && value !== '' ? value.slice(0, max) : null);
const lower = (value: unknown) => (typeof value === 'string' && value !== '' ? value.trim().toLowerCase().slice(0, 255) : null);
const json = (value: unknown) => JSON.stringify(value);

interface AssignedLicence {
  skuId: string;
  disabledPlans: string[];
}

/** Graph's JSON of a user: the fields the sync selects (`MS_USER_FIELDS`), annotations dropped. */
function userRaw(u: Record<string, unknown>): Record<string, unknown> & { id: string } {
  const raw: Record<string, unknown> = {};
  for (const field of MS_USER_FIELDS) if (field in u) raw[field] = u[field];
  return raw as Record<string, unknown> & { id: string };
}

/** The ms_synced_users columns for a user record, as the sync writes them (sync_hash null: the next sync rewrites it). */
function userColumns(raw: Record<string, unknown>, now: Date) {
  return {
    upn: lower(raw.userPrincipalName),
    display_name: str(raw.displayName),
    given_name: str(raw.givenName),
    surname: str(raw.surname),
    email: lower(raw.mail),
    job_title: str(raw.jobTitle),
    department: str(raw.department),
    office_location: str(raw.officeLocation),
    company_name: str(raw.companyName),
    mobile_phone: str(raw.mobilePhone, 50),
    business_phones: json(Array.isArray(raw.businessPhones) ? raw.businessPhones : []),
    is_account_enabled: typeof raw.accountEnabled === 'boolean' ? raw.accountEnabled : true,
    assigned_licenses: json(Array.isArray(raw.assignedLicenses) ? raw.assignedLicenses : []),
    raw_data: json(raw),
    sync_hash: null,
    last_sync_at: now,
  };
}

async function upsertUser(db: Kysely<Database>, organizationId: string, raw: Record<string, unknown> & { id: string }, now: Date) {
  // Graph's answer is untrusted: text PostgreSQL cannot store is cleaned (as the sync does).
  const columns = userColumns(sanitizeFetched(raw, 'user', noSyncWarnings()), now);
  return db
    .insertInto('ms_synced_users')
    .values({ organization_id: organizationId, ms_id: raw.id, ...columns })
    .onConflict((oc) => oc.columns(['organization_id', 'ms_id']).doUpdateSet({ ...columns, updated_at: now }))
    .returningAll()
    .executeTakeFirstOrThrow();
}

const removedAt = (row: Row<'ms_synced_users'> | Row<'ms_synced_groups'>) =>
  (row.raw_data as { _helios?: { removedAt?: string } } | null)?._helios?.removedAt ?? null;

function userDto(row: Row<'ms_synced_users'>, localUserId: string | null): MicrosoftWritebackUser {
  const { rawData: _raw, syncHash: _hash, ...rest } = camelize(row);
  return { ...rest, removed: removedAt(row) !== null, localUserId };
}

/** The audited view of a user row (no raw JSON or bookkeeping). */
function userAuditView(row: Row<'ms_synced_users'> | undefined | null) {
  if (!row) return null;
  const { raw_data: _r, last_sync_at: _l, updated_at: _u, created_at: _c, sync_hash: _h, id: _i, organization_id: _o, ...rest } = row;
  return rest;
}

const assigned = (raw: Record<string, unknown>): AssignedLicence[] =>
  (Array.isArray(raw.assignedLicenses) ? raw.assignedLicenses : []).map((l: { skuId?: unknown; disabledPlans?: unknown }) => ({
    skuId: String(l?.skuId ?? '').toLowerCase(),
    disabledPlans: Array.isArray(l?.disabledPlans) ? l.disabledPlans.map(String) : [],
  }));

function forbidden(permission: string, reason: string): HeliosError {
  return POLICY_ERRORS.FORBIDDEN({ permission, reason });
}

function noKey(): HeliosError {
  return SHARED_ERRORS.SECRETS_NO_KEY({ message: 'Initial passwords need an encryption key (HELIOS_ENCRYPTION_KEY).' });
}

/** Builds the Microsoft 365 write-back service. */
export function createMicrosoftWritebackService(rt: ServiceRuntime, serviceOptions: MicrosoftWritebackServiceOptions = {}): MicrosoftWritebackService {
  const provider = () => (serviceOptions.provider ? serviceOptions.provider(rt) : loadMicrosoftProvider(rt, serviceOptions.providerOverrides));

  /** Authorizes and validates in a read scope (no transaction); nothing is sent to Microsoft before it passes. */
  const prepare = <T>(options: CallOptions | undefined, permission: Permission, validate: (s: OperationScope) => Promise<T> | T) =>
    rt.read(options, async (s) => {
      if (rt.db.isTransaction) {
        // Graph must never be called while a transaction holds locks (a call can take seconds, retries minutes).
        throw MICROSOFT_ERRORS.IN_TRANSACTION({ writeback: true });
      }
      await s.authorize(permission);
      return validate(s);
    });

  const findUser = (db: Kysely<Database>, organizationId: string, msId: string) =>
    db.selectFrom('ms_synced_users').selectAll().where('organization_id', '=', organizationId).where('ms_id', '=', msId).executeTakeFirst();
  const findGroup = (db: Kysely<Database>, organizationId: string, msId: string) =>
    db.selectFrom('ms_synced_groups').selectAll().where('organization_id', '=', organizationId).where('ms_id', '=', msId).executeTakeFirst();

  /** The synced, not removed, user. @throws HeliosError NOT_FOUND `MICROSOFT_WRITEBACK.USER_NOT_SYNCED` */
  const syncedUser = async (db: Kysely<Database>, organizationId: string, msId: string) => {
    const row = await findUser(db, organizationId, msId);
    if (!row || removedAt(row)) {
      throw MICROSOFT_ERRORS.WRITEBACK_USER_NOT_SYNCED({ msId, upn: row?.upn ?? null, removed: row !== undefined });
    }
    return row;
  };
  /** The synced, not removed, group. @throws HeliosError NOT_FOUND `MICROSOFT_WRITEBACK.GROUP_NOT_SYNCED` */
  const syncedGroup = async (db: Kysely<Database>, organizationId: string, msId: string) => {
    const row = await findGroup(db, organizationId, msId);
    if (!row || removedAt(row)) {
      throw MICROSOFT_ERRORS.WRITEBACK_GROUP_NOT_SYNCED({ msId, displayName: row?.display_name ?? null, removed: row !== undefined });
    }
    return row;
  };

  const linkedUserId = async (db: Kysely<Database>, organizationId: string, msId: string) =>
    (
      await db
        .selectFrom('organization_users')
        .select('id')
        .where('organization_id', '=', organizationId)
        .where('microsoft_365_id', '=', msId)
        .executeTakeFirst()
    )?.id ?? null;

  /**
   * Graph's current record of a user after a write; when that read fails (the write itself
   * succeeded), what the write is known to have produced, so the local rows still follow it.
   */
  const reread = async (ms: Microsoft365Provider, msId: string, known: Record<string, unknown>) => {
    try {
      return userRaw(await ms.getUser(msId));
    } catch (error) {
      if (!isHeliosError(error)) throw error;
      rt.logger.warn('microsoft_365 write-back: reading the user back failed; the local row uses what was written', { msId, code: error.code });
      return userRaw({ ...known, id: msId });
    }
  };

  /** Keeps the organization user's link status in step with the row (as the sync does). */
  const updateLink = (db: Kysely<Database>, organizationId: string, row: Row<'ms_synced_users'>, now: Date) =>
    db
      .updateTable('organization_users')
      .set({
        microsoft_365_sync_status: removedAt(row) ? 'removed' : row.is_account_enabled === false ? 'disabled' : 'synced',
        microsoft_365_upn: sql<string | null>`coalesce(${row.upn}, microsoft_365_upn)`,
        microsoft_365_last_sync: now,
      })
      .where('organization_id', '=', organizationId)
      .where('microsoft_365_id', '=', row.ms_id)
      .execute();

  /** Updates the local row (and the link) from Graph's record of a changed user, and audits. */
  const applyUserChange = (
    action: string,
    raw: Record<string, unknown> & { id: string },
    options: CallOptions | undefined,
    extra: Record<string, unknown> = {},
  ) =>
    rt.write(options, async (s) => {
      const before = await findUser(s.db, s.organizationId, raw.id);
      const row = await upsertUser(s.db, s.organizationId, raw, s.now);
      await updateLink(s.db, s.organizationId, row, s.now);
      await s.audit({
        action,
        resource: 'ms_synced_users',
        resourceId: row.id,
        details: { msId: raw.id, upn: row.upn, ...extra, ...summarizeChange(userAuditView(before), userAuditView(row)) },
      });
      return userDto(row, await linkedUserId(s.db, s.organizationId, raw.id));
    });

  /** Seals a generated password for one reveal (replacing any pending one for the address). */
  const storePassword = async (s: OperationScope, address: string, password: string) => {
    // Insert to get the row id (the encryption context), then seal.
    const stored = await s.db
      .insertInto('user_initial_passwords')
      .values({ organization_id: s.organizationId, user_email: address, encrypted_password: 'pending', created_by: s.principal.userId })
      .onConflict((oc) =>
        oc.columns(['organization_id', 'user_email']).doUpdateSet({
          encrypted_password: 'pending',
          created_by: s.principal.userId,
          created_at: s.now,
          revealed_at: null,
          revealed_by: null,
          cleared_at: null,
          cleared_by: null,
        }),
      )
      .returning('id')
      .executeTakeFirstOrThrow();
    await s.db
      .updateTable('user_initial_passwords')
      .set({ encrypted_password: sealSecret(rt.secretBox!, PASSWORD_TABLE, PASSWORD_COLUMN, stored.id, password) })
      .where('id', '=', stored.id)
      .execute();
    return stored.id;
  };

  /** Recounts the members of groups from ms_group_memberships (as the sync does). */
  const recount = async (db: Kysely<Database>, groupIds: string[]) => {
    if (groupIds.length === 0) return;
    await sql`update ms_synced_groups g set member_count = (select count(*) from ms_group_memberships m where m.group_id = g.id)::int
      where g.id in (${sql.join(groupIds)})`.execute(db);
  };

  /** The access group mirroring a Microsoft group, if any. */
  const accessGroupOf = async (db: Kysely<Database>, organizationId: string, groupMsId: string) =>
    (
      await db
        .selectFrom('access_groups')
        .select('id')
        .where('organization_id', '=', organizationId)
        .where('platform', '=', 'microsoft_365')
        .where('external_id', '=', groupMsId)
        .executeTakeFirst()
    )?.id ?? null;

  /** Validates a Graph id and loads the synced user after authorizing `users:write`. */
  const prepareUser = (options: CallOptions | undefined, msId: string) =>
    prepare(options, 'users:write', async (s) => syncedUser(s.db, s.organizationId, parseInput(microsoftObjectIdSchema, msId)));

  const setEnabled = async (msId: string, enabled: boolean, options: CallOptions | undefined) => {
    const row = await prepareUser(options, msId);
    const ms = await provider();
    await ms.updateUser(row.ms_id, { accountEnabled: enabled });
    const raw = await reread(ms, row.ms_id, { ...(row.raw_data as object), accountEnabled: enabled });
    return applyUserChange(enabled ? 'microsoft_365.user_enable' : 'microsoft_365.user_disable', raw, options);
  };

  return {
    async createUser(input, options) {
      const { data, localUserId } = await prepare(options, 'users:write', async (s) => {
        const data = parseInput(microsoftCreateUserSchema, input);
        if (!rt.secretBox) throw noKey();
        let localUserId: string | null = null;
        if (data.localUserId) {
          const local = await s.db
            .selectFrom('organization_users')
            .select(['id', 'microsoft_365_id'])
            .where('organization_id', '=', s.organizationId)
            .where('id', '=', data.localUserId)
            .where('deleted_at', 'is', null)
            .executeTakeFirst();
          if (!local) throw MICROSOFT_ERRORS.WRITEBACK_LOCAL_USER_NOT_FOUND();
          if (local.microsoft_365_id) {
            throw MICROSOFT_ERRORS.WRITEBACK_ALREADY_LINKED({ msId: local.microsoft_365_id });
          }
          localUserId = local.id;
        }
        return { data, localUserId };
      });
      const ms = await provider();
      const password = generateInitialPassword();
      const fields = {
        accountEnabled: true,
        displayName: data.displayName,
        userPrincipalName: data.userPrincipalName,
        mailNickname: data.mailNickname ?? data.userPrincipalName.split('@')[0]!.slice(0, 64),
        ...(data.givenName !== undefined ? { givenName: data.givenName } : {}),
        ...(data.surname !== undefined ? { surname: data.surname } : {}),
        ...(data.jobTitle !== undefined ? { jobTitle: data.jobTitle } : {}),
        ...(data.department !== undefined ? { department: data.department } : {}),
        ...(data.usageLocation !== undefined ? { usageLocation: data.usageLocation } : {}),
      };
      const created = await ms.createUser({ ...fields, passwordProfile: { password, forceChangePasswordNextSignIn: true } });
      // Graph answers a creation with the default properties only: read the selected ones back.
      const raw = await reread(ms, created.id, { assignedLicenses: [], businessPhones: [], ...fields, ...userRaw(created) });
      return rt.write(options, async (s) => {
        const row = await upsertUser(s.db, s.organizationId, raw, s.now);
        const address = row.upn ?? data.userPrincipalName;
        await storePassword(s, address, password);
        // Link: the given organization user, else one whose email is the UPN (or the mail) not linked yet.
        let link = localUserId;
        if (!link) {
          const emails = [...new Set([address, row.email].filter((e): e is string => typeof e === 'string'))];
          link =
            (
              await s.db
                .selectFrom('organization_users')
                .select('id')
                .where('organization_id', '=', s.organizationId)
                .where(sql<string>`lower(email)`, 'in', emails)
                .where('microsoft_365_id', 'is', null)
                .where('deleted_at', 'is', null)
                .orderBy('created_at', 'asc')
                .executeTakeFirst()
            )?.id ?? null;
        }
        if (link && !(await linkedUserId(s.db, s.organizationId, created.id))) {
          await s.db
            .updateTable('organization_users')
            .set({ microsoft_365_id: created.id, microsoft_365_upn: row.upn, microsoft_365_sync_status: 'synced', microsoft_365_last_sync: s.now })
            .where('id', '=', link)
            .execute();
        }
        await s.audit({
          action: 'microsoft_365.user_create',
          resource: 'ms_synced_users',
          resourceId: row.id,
          details: { msId: created.id, upn: row.upn, localUserId: link, ...summarizeChange(null, userAuditView(row)) },
        });
        return userDto(row, await linkedUserId(s.db, s.organizationId, created.id));
      });
    },

    async revealInitialPassword(userPrincipalName, options) {
      return rt.write(options, async (s) => {
        await s.authorize('users:write');
        if (!s.principal.isAdministrator) throw forbidden('users:write', 'administrators only');
        const address = parseInput(userPrincipalNameSchema, userPrincipalName);
        if (!rt.secretBox) throw noKey();
        const row = await s.db
          .selectFrom('user_initial_passwords')
          .selectAll()
          .where('organization_id', '=', s.organizationId)
          .where('user_email', '=', address)
          .where('cleared_at', 'is', null)
          .forUpdate()
          .executeTakeFirst();
        if (!row) throw MICROSOFT_ERRORS.WRITEBACK_INITIAL_PASSWORD_NOT_FOUND({ address });
        if (row.revealed_at) {
          throw MICROSOFT_ERRORS.WRITEBACK_INITIAL_PASSWORD_REVEALED({ address, revealedAt: row.revealed_at });
        }
        const password = openSecret(rt.secretBox, PASSWORD_TABLE, PASSWORD_COLUMN, row.id, row.encrypted_password);
        await s.db.updateTable('user_initial_passwords').set({ revealed_at: s.now, revealed_by: s.principal.userId }).where('id', '=', row.id).execute();
        await s.audit({
          action: 'microsoft_365.initial_password_reveal',
          resource: 'user_initial_passwords',
          resourceId: row.id,
          details: { upn: address },
        });
        return { userPrincipalName: address, password, createdAt: row.created_at ?? null, revealedAt: s.now };
      });
    },

    async updateUser(msId, patch, options) {
      const { row, data } = await prepare(options, 'users:write', async (s) => {
        const id = parseInput(microsoftObjectIdSchema, msId);
        const data = parseInput(microsoftUpdateUserSchema, patch);
        return { row: await syncedUser(s.db, s.organizationId, id), data };
      });
      const ms = await provider();
      const changes = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined));
      await ms.updateUser(row.ms_id, changes);
      const raw = await reread(ms, row.ms_id, { ...(row.raw_data as object), ...changes });
      return applyUserChange('microsoft_365.user_update', raw, options, { fields: Object.keys(changes) });
    },

    disableUser: (msId, options) => setEnabled(msId, false, options),
    enableUser: (msId, options) => setEnabled(msId, true, options),

    async deleteUser(msId, options) {
      const target = await prepareUser(options, msId);
      await (await provider()).deleteUser(target.ms_id);
      return rt.write(options, async (s) => {
        const before = await findUser(s.db, s.organizationId, target.ms_id);
        let row: Row<'ms_synced_users'> | undefined;
        let groups: string[] = [];
        if (before) {
          row = await s.db
            .updateTable('ms_synced_users')
            .set({
              is_account_enabled: false,
              raw_data: sql`coalesce(raw_data, '{}'::jsonb) || jsonb_build_object('_helios', jsonb_build_object('removedAt', ${s.now.toISOString()}::text))`,
              sync_hash: null,
              last_sync_at: s.now,
              updated_at: s.now,
            })
            .where('id', '=', before.id)
            .returningAll()
            .executeTakeFirstOrThrow();
          // Microsoft drops a deleted user's memberships: so does the mirror.
          groups = (await s.db.deleteFrom('ms_group_memberships').where('user_id', '=', before.id).returning('group_id').execute()).map((m) => m.group_id);
          await recount(s.db, [...new Set(groups)]);
          await updateLink(s.db, s.organizationId, row, s.now);
        }
        const localUserId = await linkedUserId(s.db, s.organizationId, target.ms_id);
        if (localUserId) {
          await s.db
            .updateTable('access_group_members')
            .set({ is_active: false, removed_at: s.now })
            .where('user_id', '=', localUserId)
            .where('is_active', '=', true)
            .where('synced_from_platform', '=', true)
            .where('access_group_id', 'in', (eb) =>
              eb.selectFrom('access_groups').select('id').where('organization_id', '=', s.organizationId).where('platform', '=', 'microsoft_365'),
            )
            .execute();
        }
        await s.audit({
          action: 'microsoft_365.user_delete',
          resource: 'ms_synced_users',
          resourceId: before?.id ?? null,
          details: { msId: target.ms_id, upn: before?.upn ?? target.upn, removed: true, membershipsDropped: groups.length, localUserId },
        });
        return row ? userDto(row, localUserId) : null;
      });
    },

    async resetPassword(msId, options) {
      const row = await prepareUser(options, msId);
      if (!rt.secretBox) throw noKey();
      const ms = await provider();
      const address = row.upn ?? lower((await ms.getUser(row.ms_id)).userPrincipalName);
      if (!address) throw MICROSOFT_ERRORS.REQUEST_FAILED({ message: 'Microsoft Graph returned no userPrincipalName.' });
      const password = generateInitialPassword();
      await ms.updateUser(row.ms_id, { passwordProfile: { password, forceChangePasswordNextSignIn: true } });
      return rt.write(options, async (s) => {
        const storedId = await storePassword(s, address, password);
        await s.audit({
          action: 'microsoft_365.password_reset',
          resource: 'ms_synced_users',
          resourceId: row.id,
          details: { msId: row.ms_id, upn: address, storedId, forceChangePasswordNextSignIn: true },
        });
        return { msId: row.ms_id, userPrincipalName: address, forceChangePasswordNextSignIn: true, storedAt: s.now };
      });
    },

    async revokeSessions(msId, options) {
      const row = await prepareUser(options, msId);
      await (await provider()).revokeSignInSessions(row.ms_id);
      return rt.write(options, async (s) => {
        await s.audit({ action: 'microsoft_365.sessions_revoke', resource: 'ms_synced_users', resourceId: row.id, details: { msId: row.ms_id, upn: row.upn } });
        return { msId: row.ms_id, userPrincipalName: row.upn, revokedAt: s.now };
      });
    },

    async addMember(groupMsId, userMsId, options) {
      const { group, user } = await prepare(options, 'groups:write', async (s) => {
        const ids = parseInput(microsoftMemberSchema, { groupId: groupMsId, userId: userMsId });
        return { group: await syncedGroup(s.db, s.organizationId, ids.groupId), user: await syncedUser(s.db, s.organizationId, ids.userId) };
      });
      await (await provider()).addGroupMember(group.ms_id, user.ms_id);
      return rt.write(options, async (s) => {
        const [g, u] = await Promise.all([findGroup(s.db, s.organizationId, group.ms_id), findUser(s.db, s.organizationId, user.ms_id)]);
        let membershipId: string | null = null;
        if (g && u) {
          await s.db
            .insertInto('ms_group_memberships')
            .values({ organization_id: s.organizationId, group_id: g.id, user_id: u.id, membership_type: 'member', created_at: s.now })
            .onConflict((oc) => oc.columns(['group_id', 'user_id']).doNothing())
            .execute();
          membershipId =
            (await s.db.selectFrom('ms_group_memberships').select('id').where('group_id', '=', g.id).where('user_id', '=', u.id).executeTakeFirst())?.id ??
            null;
          await recount(s.db, [g.id]);
        }
        const accessGroupId = await accessGroupOf(s.db, s.organizationId, group.ms_id);
        const localUserId = await linkedUserId(s.db, s.organizationId, user.ms_id);
        let accessGroupMemberId: string | null = null;
        if (accessGroupId && localUserId) {
          accessGroupMemberId = (
            await s.db
              .insertInto('access_group_members')
              .values({
                access_group_id: accessGroupId,
                user_id: localUserId,
                member_type: 'member',
                is_active: true,
                removed_at: null,
                synced_from_platform: true,
                joined_at: s.now,
              })
              .onConflict((oc) => oc.columns(['access_group_id', 'user_id']).doUpdateSet({ is_active: true, removed_at: null, synced_from_platform: true }))
              .returning('id')
              .executeTakeFirstOrThrow()
          ).id;
        }
        await s.audit({
          action: 'microsoft_365.member_add',
          resource: 'ms_group_memberships',
          resourceId: membershipId,
          details: { groupMsId: group.ms_id, group: group.display_name, userMsId: user.ms_id, upn: user.upn, accessGroupId, localUserId },
        });
        return { groupMsId: group.ms_id, userMsId: user.ms_id, membershipId, accessGroupId, accessGroupMemberId, localUserId };
      });
    },

    async removeMember(groupMsId, userMsId, options) {
      const { group, user } = await prepare(options, 'groups:write', async (s) => {
        const ids = parseInput(microsoftMemberSchema, { groupId: groupMsId, userId: userMsId });
        return { group: await syncedGroup(s.db, s.organizationId, ids.groupId), user: await syncedUser(s.db, s.organizationId, ids.userId) };
      });
      await (await provider()).removeGroupMember(group.ms_id, user.ms_id);
      return rt.write(options, async (s) => {
        const [g, u] = await Promise.all([findGroup(s.db, s.organizationId, group.ms_id), findUser(s.db, s.organizationId, user.ms_id)]);
        let removedId: string | null = null;
        if (g && u) {
          removedId =
            (await s.db.deleteFrom('ms_group_memberships').where('group_id', '=', g.id).where('user_id', '=', u.id).returning('id').executeTakeFirst())?.id ??
            null;
          await recount(s.db, [g.id]);
        }
        const accessGroupId = await accessGroupOf(s.db, s.organizationId, group.ms_id);
        const localUserId = await linkedUserId(s.db, s.organizationId, user.ms_id);
        let accessGroupMemberId: string | null = null;
        if (accessGroupId && localUserId) {
          accessGroupMemberId =
            (
              await s.db
                .updateTable('access_group_members')
                .set({ is_active: false, removed_at: s.now })
                .where('access_group_id', '=', accessGroupId)
                .where('user_id', '=', localUserId)
                .returning('id')
                .executeTakeFirst()
            )?.id ?? null;
        }
        await s.audit({
          action: 'microsoft_365.member_remove',
          resource: 'ms_group_memberships',
          resourceId: removedId,
          details: { groupMsId: group.ms_id, group: group.display_name, userMsId: user.ms_id, upn: user.upn, accessGroupId, localUserId },
        });
        return { groupMsId: group.ms_id, userMsId: user.ms_id, membershipId: null, accessGroupId, accessGroupMemberId, localUserId };
      });
    },

    async assignLicense(msId, licences, options) {
      const { row, data } = await prepare(options, 'users:write', async (s) => {
        const id = parseInput(microsoftObjectIdSchema, msId);
        const data = parseInput(microsoftAssignLicenseSchema, licences ?? {});
        return { row: await syncedUser(s.db, s.organizationId, id), data };
      });
      const ms = await provider();
      const [skus, current] = await Promise.all([ms.listSubscribedSkus(), ms.getUser(row.ms_id)]);
      const held = assigned(current);
      const holds = (skuId: string) => held.some((l) => l.skuId === skuId);
      const skuOf = (skuId: string) => skus.find((s) => String(s.skuId).toLowerCase() === skuId);
      for (const skuId of [...data.add, ...data.remove]) {
        if (!skuOf(skuId)) {
          throw MICROSOFT_ERRORS.WRITEBACK_UNKNOWN_SKU({ skuId });
        }
      }
      const added = data.add.filter((skuId) => !holds(skuId));
      const removed = data.remove.filter((skuId) => holds(skuId));
      for (const skuId of added) {
        const sku = skuOf(skuId)!;
        const enabled = Number(sku.prepaidUnits?.enabled ?? 0);
        const consumed = Number(sku.consumedUnits ?? 0);
        if (consumed >= enabled) {
          throw MICROSOFT_ERRORS.NO_LICENSES_AVAILABLE(
            {
              message: `No ${sku.skuPartNumber} licences are left (${consumed} of ${enabled} in use): nothing was assigned. Free a licence or buy more, then retry.`,
            },
            { details: { skuId, skuPartNumber: sku.skuPartNumber, enabledUnits: enabled, consumedUnits: consumed } },
          );
        }
      }
      const answer = await ms.assignLicense(
        row.ms_id,
        data.add.map((skuId) => ({ skuId })),
        data.remove,
      );
      const expected = [
        ...held.filter((l) => !data.remove.includes(l.skuId)),
        ...added.filter((skuId) => !data.remove.includes(skuId)).map((skuId) => ({ skuId, disabledPlans: [] })),
      ];
      const known = { ...userRaw(current), ...userRaw(answer) };
      if (!Array.isArray(answer.assignedLicenses)) known.assignedLicenses = expected;
      const raw = await reread(ms, row.ms_id, known);
      const units = (sku: MicrosoftSku) => {
        const delta = (added.includes(String(sku.skuId).toLowerCase()) ? 1 : 0) - (removed.includes(String(sku.skuId).toLowerCase()) ? 1 : 0);
        const total = Number(sku.prepaidUnits?.enabled ?? 0);
        const consumed = Math.max(0, Number(sku.consumedUnits ?? 0) + delta);
        return { sku: { ...sku, consumedUnits: consumed }, total, consumed, available: Math.max(0, total - consumed) };
      };
      const involved = [...added, ...removed].map((skuId) => units(skuOf(skuId)!));
      return rt.write(options, async (s) => {
        const before = await findUser(s.db, s.organizationId, row.ms_id);
        const updated = await upsertUser(s.db, s.organizationId, raw, s.now);
        await updateLink(s.db, s.organizationId, updated, s.now);
        const out: MicrosoftLicenceUnits[] = [];
        for (const { sku, total, consumed, available } of involved) {
          const values = {
            sku_part_number: str(sku.skuPartNumber),
            total_units: total,
            consumed_units: consumed,
            available_units: available,
            raw_data: json(sku),
            updated_at: s.now,
          };
          await s.db
            .insertInto('ms_licenses')
            .values({
              organization_id: s.organizationId,
              sku_id: String(sku.skuId).toLowerCase(),
              display_name: str(sku.skuPartNumber),
              service_plans: json(sku.servicePlans ?? []),
              last_sync_at: s.now,
              ...values,
            })
            .onConflict((oc) => oc.columns(['organization_id', 'sku_id']).doUpdateSet(values))
            .execute();
          out.push({
            skuId: String(sku.skuId).toLowerCase(),
            skuPartNumber: sku.skuPartNumber,
            totalUnits: total,
            consumedUnits: consumed,
            availableUnits: available,
          });
        }
        await s.audit({
          action: 'microsoft_365.license_assign',
          resource: 'ms_synced_users',
          resourceId: updated.id,
          details: {
            msId: row.ms_id,
            upn: updated.upn,
            added,
            removed,
            licences: out.map((l) => ({ skuId: l.skuId, skuPartNumber: l.skuPartNumber, availableUnits: l.availableUnits })),
            ...summarizeChange(userAuditView(before), userAuditView(updated)),
          },
        });
        return { user: userDto(updated, await linkedUserId(s.db, s.organizationId, row.ms_id)), added, removed, licences: out };
      });
    },
  };
}
