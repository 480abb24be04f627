/**
 * Google Workspace write-back (`helios.googleWriteback`): creates and changes users, groups and
 * memberships in Google through the organization's stored credentials, then updates the local
 * mirror (`gw_synced_users`, `gw_groups`, `access_groups`, `access_group_members`,
 * `organization_users` links) from Google's response.
 *
 * Every operation: authorize and validate (a read scope, no transaction), call Google (never inside a
 * transaction), then write the local rows and the audit row in one short transaction. A Google
 * failure (HeliosError `GOOGLE.*`) leaves every local row unchanged.
 */
import { randomInt } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import type { HeliosError } from '../../errors';
import type { Row } from '../../repositories/types';
import type { ServiceRuntime } from '../../runtime';
import { type Camelize, camelize } from '../../shared/case';
import { openSecret, sealSecret } from '../../shared/secret-stores';
import { SHARED_ERRORS } from '../../shared/shared.errors';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit/audit.summary';
import type { CallOptions, Permission } from '../policy/actor';
import { POLICY_ERRORS } from '../policy/policy.errors';
import { noSyncWarnings, sanitizeFetched } from '../sync/engine';
import { loadGoogleProvider } from './credentials';
import { GOOGLE_ERRORS } from './errors';
import type { GoogleGroup, GoogleProviderOverrides, GoogleUser, GoogleWorkspaceProvider } from './provider';
import { googleUserFields } from './sync';
import {
  type GoogleCreateGroupInput,
  type GoogleCreateUserInput,
  type GoogleUpdateUserInput,
  googleCreateGroupSchema,
  googleCreateUserSchema,
  googleEmailSchema,
  googleIdSchema,
  googleOrgUnitPathSchema,
  googleUpdateUserSchema,
  googleWritebackMemberSchema,
} from './writeback.schema';

/** A Google user as mirrored locally (`gw_synced_users`, without Google's raw JSON). */
export type GoogleWritebackUser = Omit<Camelize<Row<'gw_synced_users'>>, 'rawData'> & {
  /** True once deleted from Google through Helios (the row is kept). */
  removed: boolean;
  /** The linked organization user, if any. */
  localUserId: string | null;
};

/** A Google group as mirrored locally, with its stable access group id. */
export type GoogleWritebackGroup = Omit<Camelize<Row<'gw_groups'>>, 'rawData'> & {
  /** The `access_groups` row mirroring the group (platform `google_workspace`). */
  accessGroupId: string;
};

/** The outcome of a membership change. */
export interface GoogleWritebackMembership {
  groupGoogleId: string | null;
  groupEmail: string;
  userEmail: string;
  role: 'MEMBER' | 'MANAGER' | 'OWNER';
  /** The local `access_group_members` row changed, or null when the group or the user is not mirrored locally. */
  accessGroupMemberId: string | null;
  /** The linked organization user, if any. */
  localUserId: string | null;
}

/** The initial password of a user created through Helios, revealed once. */
export interface GoogleInitialPassword {
  email: string;
  password: string;
  createdAt: Date | null;
  revealedAt: Date;
}

/** Write-back to Google Workspace. User operations need `users:write`, group ones `groups:write` (admins, API keys with the scope, the system). */
export interface GoogleWritebackService {
  /**
   * Creates a Google user with a generated strong initial password (changed at first login), stores
   * the password encrypted in `user_initial_passwords`, mirrors Google's record into
   * `gw_synced_users` and links the organization user (`localUserId`, else the one with that email).
   * Audited `google_workspace.user_create`. The password is never returned here: see `revealInitialPassword`.
   *
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN `POLICY.FORBIDDEN`; INVALID_INPUT `VALIDATION.FAILED`,
   *   `GOOGLE_WRITEBACK.EMAIL_OUTSIDE_DOMAIN`; NOT_FOUND `GOOGLE_WRITEBACK.LOCAL_USER_NOT_FOUND`, `GOOGLE.NOT_CONFIGURED`;
   *   CONFLICT `GOOGLE_WRITEBACK.ALREADY_LINKED`, `GOOGLE.CONFLICT` (email taken in Google; nothing written);
   *   PRECONDITION_FAILED `SECRETS.NO_KEY`, `GOOGLE_WRITEBACK.IN_TRANSACTION` (every Google-calling method); `GOOGLE.*`
   * @example
   * ```ts
   * const user = await helios.googleWriteback.createUser({ primaryEmail: 'ada@acme.com', givenName: 'Ada', familyName: 'Lovelace' });
   * ```
   */
  createUser(input: GoogleCreateUserInput, options?: CallOptions): Promise<GoogleWritebackUser>;
  /**
   * Returns (decrypted) the initial password of a user created through Helios and marks it revealed;
   * works once. Administrators only (admins, `admin:full` keys, the system). Audited `google_workspace.initial_password_reveal`.
   *
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN `POLICY.FORBIDDEN`; INVALID_INPUT `VALIDATION.FAILED`;
   *   NOT_FOUND `GOOGLE_WRITEBACK.INITIAL_PASSWORD_NOT_FOUND`; CONFLICT `GOOGLE_WRITEBACK.INITIAL_PASSWORD_REVEALED`;
   *   PRECONDITION_FAILED `SECRETS.NO_KEY`
   * @example
   * ```ts
   * const { password } = await helios.googleWriteback.revealInitialPassword('ada@acme.com');
   * ```
   */
  revealInitialPassword(email: string, options?: CallOptions): Promise<GoogleInitialPassword>;
  /**
   * Changes a user's names, title or department in Google, then the local row. Audited `google_workspace.user_update`.
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN; INVALID_INPUT `VALIDATION.FAILED`; `GOOGLE.NOT_FOUND`; `GOOGLE.*`
   */
  updateUser(googleId: string, patch: GoogleUpdateUserInput, options?: CallOptions): Promise<GoogleWritebackUser>;
  /** Suspends a user in Google, then the local row and link status. Audited `google_workspace.user_suspend`. @throws HeliosError as `updateUser` */
  suspend(googleId: string, options?: CallOptions): Promise<GoogleWritebackUser>;
  /** Lifts a suspension in Google, then locally. Audited `google_workspace.user_unsuspend`. @throws HeliosError as `updateUser` */
  unsuspend(googleId: string, options?: CallOptions): Promise<GoogleWritebackUser>;
  /** Moves a user to another org unit in Google, then locally. Audited `google_workspace.user_move`. @throws HeliosError as `updateUser`, `GOOGLE.INVALID_REQUEST` for an unknown org unit */
  moveOrgUnit(googleId: string, orgUnitPath: string, options?: CallOptions): Promise<GoogleWritebackUser>;
  /**
   * Deletes a user in Google; the local row is kept, marked removed (`raw_data._helios.removedAt`,
   * suspended) and the link status becomes `removed`. Audited `google_workspace.user_delete`.
   * @throws HeliosError as `updateUser`
   */
  deleteUser(googleId: string, options?: CallOptions): Promise<GoogleWritebackUser | null>;
  /**
   * Creates a Google group, then mirrors it into `gw_groups` and `access_groups` (stable id, upserted
   * by the Google id). Audited `google_workspace.group_create`.
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN; INVALID_INPUT `VALIDATION.FAILED`, `GOOGLE_WRITEBACK.EMAIL_OUTSIDE_DOMAIN`;
   *   `GOOGLE.CONFLICT` (nothing written); `GOOGLE.*`
   * @example
   * ```ts
   * const group = await helios.googleWriteback.createGroup({ email: 'eng@acme.com', name: 'Engineering' });
   * ```
   */
  createGroup(input: GoogleCreateGroupInput, options?: CallOptions): Promise<GoogleWritebackGroup>;
  /**
   * Adds a member to a Google group, then upserts the local membership (when the group and the user
   * are mirrored locally). Audited `google_workspace.member_add`.
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN; INVALID_INPUT `VALIDATION.FAILED`; `GOOGLE.CONFLICT` (already a member),
   *   `GOOGLE.NOT_FOUND`; `GOOGLE.*`
   */
  addMember(groupEmailOrId: string, userEmail: string, role?: 'MEMBER' | 'MANAGER' | 'OWNER', options?: CallOptions): Promise<GoogleWritebackMembership>;
  /**
   * Removes a member from a Google group, then soft-removes the local membership (`is_active` false,
   * `removed_at`). Audited `google_workspace.member_remove`.
   * @throws HeliosError as `addMember`
   */
  removeMember(groupEmailOrId: string, userEmail: string, options?: CallOptions): Promise<GoogleWritebackMembership>;
}

/** Options of `createGoogleWritebackService`. */
export interface GoogleWritebackServiceOptions {
  /** Provider options (API root, token URL, retries...) for the stored credentials. */
  providerOverrides?: GoogleProviderOverrides;
  /** Builds the provider instead of loading the stored credentials. */
  provider?: (rt: ServiceRuntime) => Promise<GoogleWorkspaceProvider>;
}

const PASSWORD_TABLE = 'user_initial_passwords';
const PASSWORD_COLUMN = 'encrypted_password';

/** A strong random password: 20 characters with upper and lower case letters, digits and symbols. */
export function generateInitialPassword(length = 20): string {
  const sets = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!#$%&*+-=?@_'];
  const all = sets.join('');
  const chars = sets.map((set) => set[randomInt(set.length)]!);
  while (chars.length < length) chars.push(all[randomInt(all.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

const lower = (value: unknown) => (typeof value === 'string' ? value.trim().toLowerCase() : '');
const cut = (value: unknown, max = 255) => (typeof value === 'string' && value !== '' ? value.slice(0, max) : null);

/** The gw_synced_users columns for a Google user record (as the sync writes them). */
function userColumns(u: GoogleUser, now: Date) {
  return { ...googleUserFields(u), raw_data: JSON.stringify(u), last_sync_at: now };
}

async function upsertUser(db: Kysely<Database>, organizationId: string, u: GoogleUser, now: Date): Promise<Row<'gw_synced_users'>> {
  // Google's answer is untrusted: text PostgreSQL cannot store is cleaned (as the sync does).
  const columns = userColumns(sanitizeFetched(u, 'user', noSyncWarnings()), now);
  return (await db
    .insertInto('gw_synced_users')
    .values({ organization_id: organizationId, google_id: u.id, ...columns } as never)
    .onConflict((oc) => oc.columns(['organization_id', 'google_id']).doUpdateSet(columns as never))
    .returningAll()
    .executeTakeFirstOrThrow()) as Row<'gw_synced_users'>;
}

function userDto(row: Row<'gw_synced_users'>, localUserId: string | null): GoogleWritebackUser {
  const { rawData, ...rest } = camelize(row);
  const helios = (rawData as { _helios?: { removedAt?: string } } | null)?._helios;
  return { ...rest, removed: Boolean(helios?.removedAt), localUserId };
}

/** The audited view of a user row (no raw JSON). */
const userAuditView = (row: Row<'gw_synced_users'> | undefined | null) => {
  if (!row) return null;
  const { raw_data: _raw, last_sync_at: _l, updated_at: _u, created_at: _c, ...rest } = row as Row<'gw_synced_users'> & Record<string, unknown>;
  return rest;
};

function forbidden(permission: string, reason: string): HeliosError {
  return POLICY_ERRORS.FORBIDDEN({ permission, reason });
}

/** Builds the Google Workspace write-back service. */
export function createGoogleWritebackService(rt: ServiceRuntime, serviceOptions: GoogleWritebackServiceOptions = {}): GoogleWritebackService {
  const provider = () => (serviceOptions.provider ? serviceOptions.provider(rt) : loadGoogleProvider(rt, serviceOptions.providerOverrides));

  /** Authorizes and validates in a read scope (no transaction); nothing is sent to Google before it passes. */
  const prepare = <T>(
    options: CallOptions | undefined,
    permission: Permission,
    validate: (s: { db: Kysely<Database>; organizationId: string }) => Promise<T> | T,
  ) =>
    rt.read(options, async (s) => {
      if (rt.db.isTransaction) {
        // Google must never be called while a transaction holds locks (the call can take seconds).
        throw GOOGLE_ERRORS.WRITEBACK_IN_TRANSACTION();
      }
      await s.authorize(permission);
      return validate(s);
    });

  const domainOf = async (db: Kysely<Database>, organizationId: string): Promise<string | null> => {
    const row = await db.selectFrom('gw_credentials').select('domain').where('organization_id', '=', organizationId).executeTakeFirst();
    return row?.domain ? row.domain.toLowerCase() : null;
  };
  const assertInDomain = (email: string, domain: string | null) => {
    if (domain && !email.endsWith(`@${domain}`)) {
      throw GOOGLE_ERRORS.WRITEBACK_EMAIL_OUTSIDE_DOMAIN({ email, domain });
    }
  };

  const linkedUserId = async (db: Kysely<Database>, organizationId: string, googleId: string) =>
    (
      await db
        .selectFrom('organization_users')
        .select('id')
        .where('organization_id', '=', organizationId)
        .where('google_workspace_id', '=', googleId)
        .executeTakeFirst()
    )?.id ?? null;

  /** Updates the local row (and the link status) from Google's record of a changed user. */
  const applyUserChange = async (action: string, google: GoogleUser, options: CallOptions | undefined, extra: Record<string, unknown> = {}) =>
    rt.write(options, async (s) => {
      const before = await s.db
        .selectFrom('gw_synced_users')
        .selectAll()
        .where('organization_id', '=', s.organizationId)
        .where('google_id', '=', google.id)
        .executeTakeFirst();
      const row = await upsertUser(s.db, s.organizationId, google, s.now);
      const status = google.suspended === true ? 'suspended' : 'synced';
      await s.db
        .updateTable('organization_users')
        .set({ google_workspace_sync_status: status, google_workspace_last_sync: s.now })
        .where('organization_id', '=', s.organizationId)
        .where('google_workspace_id', '=', google.id)
        .execute();
      await s.audit({
        action,
        resource: 'gw_synced_users',
        resourceId: row.id,
        details: {
          googleId: google.id,
          email: row.email,
          ...extra,
          ...summarizeChange(userAuditView(before as Row<'gw_synced_users'> | undefined), userAuditView(row)),
        },
      });
      return userDto(row, await linkedUserId(s.db, s.organizationId, google.id));
    });

  /** Validates a Google id after authorizing `users:write`. */
  const prepareUser = (options: CallOptions | undefined, googleId: string) => prepare(options, 'users:write', () => parseInput(googleIdSchema, googleId));

  /** Resolves a group key (email or Google id) to the local mirror, if any. */
  const localGroup = async (db: Kysely<Database>, organizationId: string, key: string) => {
    const k = key.trim();
    return db
      .selectFrom('gw_groups as g')
      .leftJoin('access_groups as ag', (j) =>
        j.onRef('ag.external_id', '=', 'g.google_id').on('ag.platform', '=', 'google_workspace').on('ag.organization_id', '=', organizationId),
      )
      .select(['g.google_id', 'g.email', 'ag.id as access_group_id'])
      .where('g.organization_id', '=', organizationId)
      .where((eb) => eb.or([eb('g.google_id', '=', k), eb('g.email', '=', k.toLowerCase())]))
      .executeTakeFirst();
  };

  /** The organization user a Google member is: linked by Google id, else by email. */
  const localMember = async (db: Kysely<Database>, organizationId: string, memberId: string | null, email: string) => {
    if (memberId) {
      const byId = await linkedUserId(db, organizationId, memberId);
      if (byId) return byId;
    }
    return (
      (
        await db
          .selectFrom('organization_users')
          .select('id')
          .where('organization_id', '=', organizationId)
          .where(sql<string>`lower(email)`, '=', email)
          .where('deleted_at', 'is', null)
          .executeTakeFirst()
      )?.id ?? null
    );
  };

  const memberType = (role: string) => (role === 'OWNER' ? 'owner' : role === 'MANAGER' ? 'manager' : 'member');

  return {
    async createUser(input, options) {
      const { data, localUserId } = await prepare(options, 'users:write', async (s) => {
        const data = parseInput(googleCreateUserSchema, input);
        assertInDomain(data.primaryEmail, await domainOf(s.db, s.organizationId));
        if (!rt.secretBox) {
          throw SHARED_ERRORS.SECRETS_NO_KEY({ message: 'Initial passwords need an encryption key (HELIOS_ENCRYPTION_KEY).' });
        }
        let localUserId: string | null = null;
        if (data.localUserId) {
          const local = await s.db
            .selectFrom('organization_users')
            .select(['id', 'google_workspace_id'])
            .where('organization_id', '=', s.organizationId)
            .where('id', '=', data.localUserId)
            .where('deleted_at', 'is', null)
            .executeTakeFirst();
          if (!local) throw GOOGLE_ERRORS.WRITEBACK_LOCAL_USER_NOT_FOUND();
          if (local.google_workspace_id) {
            throw GOOGLE_ERRORS.WRITEBACK_ALREADY_LINKED({ googleId: local.google_workspace_id });
          }
          localUserId = local.id;
        }
        return { data, localUserId };
      });
      const google = await provider();
      const password = generateInitialPassword();
      const organizations = data.title || data.department ? [{ title: data.title, department: data.department, primary: true }] : undefined;
      const created = await google.insertUser({
        primaryEmail: data.primaryEmail,
        name: { givenName: data.givenName, familyName: data.familyName },
        password,
        changePasswordAtNextLogin: true,
        ...(data.orgUnitPath ? { orgUnitPath: data.orgUnitPath } : {}),
        ...(organizations ? { organizations } : {}),
      });
      return rt.write(options, async (s) => {
        const row = await upsertUser(s.db, s.organizationId, created, s.now);
        // The initial password: insert to get the row id (the encryption context), then seal.
        const email = lower(created.primaryEmail);
        const stored = await s.db
          .insertInto('user_initial_passwords')
          .values({ organization_id: s.organizationId, user_email: email, encrypted_password: 'pending', created_by: s.principal.userId })
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
        // Link: the given organization user, else one with that email not linked yet.
        const status = created.suspended === true ? 'suspended' : 'synced';
        let link = localUserId;
        if (!link) {
          link =
            (
              await s.db
                .selectFrom('organization_users')
                .select('id')
                .where('organization_id', '=', s.organizationId)
                .where(sql<string>`lower(email)`, '=', email)
                .where('google_workspace_id', 'is', null)
                .executeTakeFirst()
            )?.id ?? null;
        }
        if (link && !(await linkedUserId(s.db, s.organizationId, created.id))) {
          await s.db
            .updateTable('organization_users')
            .set({ google_workspace_id: created.id, google_workspace_sync_status: status, google_workspace_last_sync: s.now })
            .where('id', '=', link)
            .execute();
        }
        await s.audit({
          action: 'google_workspace.user_create',
          resource: 'gw_synced_users',
          resourceId: row.id,
          details: { googleId: created.id, email, localUserId: link, ...summarizeChange(null, userAuditView(row)) },
        });
        return userDto(row, await linkedUserId(s.db, s.organizationId, created.id));
      });
    },

    async revealInitialPassword(email, options) {
      return rt.write(options, async (s) => {
        await s.authorize('users:write');
        if (!s.principal.isAdministrator) throw forbidden('users:write', 'administrators only');
        const address = parseInput(googleEmailSchema, email);
        if (!rt.secretBox) throw SHARED_ERRORS.SECRETS_NO_KEY({ message: 'Initial passwords need an encryption key (HELIOS_ENCRYPTION_KEY).' });
        const row = await s.db
          .selectFrom('user_initial_passwords')
          .selectAll()
          .where('organization_id', '=', s.organizationId)
          .where('user_email', '=', address)
          .where('cleared_at', 'is', null)
          .forUpdate()
          .executeTakeFirst();
        if (!row) throw GOOGLE_ERRORS.WRITEBACK_INITIAL_PASSWORD_NOT_FOUND({ address });
        if (row.revealed_at) {
          throw GOOGLE_ERRORS.WRITEBACK_INITIAL_PASSWORD_REVEALED({ address, revealedAt: row.revealed_at });
        }
        const password = openSecret(rt.secretBox, PASSWORD_TABLE, PASSWORD_COLUMN, row.id, row.encrypted_password);
        await s.db.updateTable('user_initial_passwords').set({ revealed_at: s.now, revealed_by: s.principal.userId }).where('id', '=', row.id).execute();
        await s.audit({
          action: 'google_workspace.initial_password_reveal',
          resource: 'user_initial_passwords',
          resourceId: row.id,
          details: { email: address },
        });
        return { email: address, password, createdAt: row.created_at ?? null, revealedAt: s.now };
      });
    },

    async updateUser(googleId, patch, options) {
      const { id, data } = await prepare(options, 'users:write', () => ({
        id: parseInput(googleIdSchema, googleId),
        data: parseInput(googleUpdateUserSchema, patch),
      }));
      const google = await provider();
      const current = data.title !== undefined || data.department !== undefined ? await google.getUser(id) : null;
      const primary = current?.organizations?.find((o) => o.primary) ?? current?.organizations?.[0];
      const updated = await google.updateUser(id, {
        ...(data.givenName !== undefined || data.familyName !== undefined
          ? {
              name: {
                ...(data.givenName !== undefined ? { givenName: data.givenName } : {}),
                ...(data.familyName !== undefined ? { familyName: data.familyName } : {}),
              },
            }
          : {}),
        ...(current
          ? {
              organizations: [
                {
                  ...(primary ?? {}),
                  primary: true,
                  ...(data.title !== undefined ? { title: data.title } : {}),
                  ...(data.department !== undefined ? { department: data.department } : {}),
                },
                ...(current.organizations ?? []).filter((o) => o !== primary),
              ],
            }
          : {}),
      });
      return applyUserChange('google_workspace.user_update', updated, options);
    },

    async suspend(googleId, options) {
      const id = await prepareUser(options, googleId);
      const updated = await (await provider()).suspendUser(id);
      return applyUserChange('google_workspace.user_suspend', updated, options);
    },

    async unsuspend(googleId, options) {
      const id = await prepareUser(options, googleId);
      const updated = await (await provider()).unsuspendUser(id);
      return applyUserChange('google_workspace.user_unsuspend', updated, options);
    },

    async moveOrgUnit(googleId, orgUnitPath, options) {
      const { id, path } = await prepare(options, 'users:write', () => ({
        id: parseInput(googleIdSchema, googleId),
        path: parseInput(googleOrgUnitPathSchema, orgUnitPath),
      }));
      const updated = await (await provider()).moveUserToOrgUnit(id, path);
      return applyUserChange('google_workspace.user_move', updated, options, { orgUnitPath: path });
    },

    async deleteUser(googleId, options) {
      const id = await prepareUser(options, googleId);
      await (await provider()).deleteUser(id);
      return rt.write(options, async (s) => {
        const before = await s.db
          .selectFrom('gw_synced_users')
          .selectAll()
          .where('organization_id', '=', s.organizationId)
          .where('google_id', '=', id)
          .executeTakeFirst();
        let row: Row<'gw_synced_users'> | undefined;
        if (before) {
          row = (await s.db
            .updateTable('gw_synced_users')
            .set({
              is_suspended: true,
              raw_data: sql`coalesce(raw_data, '{}'::jsonb) || jsonb_build_object('_helios', jsonb_build_object('removedAt', ${s.now.toISOString()}::text))`,
              last_sync_at: s.now,
            })
            .where('id', '=', before.id)
            .returningAll()
            .executeTakeFirstOrThrow()) as Row<'gw_synced_users'>;
        }
        await s.db
          .updateTable('organization_users')
          .set({ google_workspace_sync_status: 'removed', google_workspace_last_sync: s.now })
          .where('organization_id', '=', s.organizationId)
          .where('google_workspace_id', '=', id)
          .execute();
        await s.audit({
          action: 'google_workspace.user_delete',
          resource: 'gw_synced_users',
          resourceId: before?.id ?? null,
          details: { googleId: id, email: before?.email ?? null, removed: true },
        });
        return row ? userDto(row, await linkedUserId(s.db, s.organizationId, id)) : null;
      });
    },

    async createGroup(input, options) {
      const data = await prepare(options, 'groups:write', async (s) => {
        const data = parseInput(googleCreateGroupSchema, input);
        assertInDomain(data.email, await domainOf(s.db, s.organizationId));
        return data;
      });
      const created: GoogleGroup = await (await provider()).insertGroup({
        email: data.email,
        name: data.name,
        ...(data.description !== undefined ? { description: data.description } : {}),
      });
      return rt.write(options, async (s) => {
        const columns = {
          email: lower(created.email).slice(0, 255),
          name: cut(created.name),
          description: typeof created.description === 'string' ? created.description : null,
          member_count: Number.parseInt(String(created.directMembersCount ?? '0'), 10) || 0,
          raw_data: JSON.stringify(created),
          last_sync_at: s.now,
        };
        const group = (await s.db
          .insertInto('gw_groups')
          .values({ organization_id: s.organizationId, google_id: created.id, ...columns } as never)
          .onConflict((oc) => oc.columns(['organization_id', 'google_id']).doUpdateSet(columns as never))
          .returningAll()
          .executeTakeFirstOrThrow()) as Row<'gw_groups'>;
        const access = {
          name: (columns.name ?? columns.email).slice(0, 255),
          description: columns.description,
          email: columns.email,
          is_active: true,
          synced_at: s.now,
        };
        const accessGroup = await s.db
          .insertInto('access_groups')
          .values({
            organization_id: s.organizationId,
            platform: 'google_workspace',
            group_type: 'google',
            external_id: created.id,
            metadata: JSON.stringify({ googleGroupId: created.id }),
            created_by: s.principal.userId,
            ...access,
          } as never)
          .onConflict((oc) => oc.columns(['organization_id', 'platform', 'external_id']).doUpdateSet(access))
          .returning('id')
          .executeTakeFirstOrThrow();
        await s.audit({
          action: 'google_workspace.group_create',
          resource: 'gw_groups',
          resourceId: group.id,
          details: {
            googleId: created.id,
            accessGroupId: accessGroup.id,
            ...summarizeChange(null, { email: group.email, name: group.name, description: group.description }),
          },
        });
        const { rawData: _raw, ...rest } = camelize(group);
        return { ...rest, accessGroupId: accessGroup.id };
      });
    },

    async addMember(groupEmailOrId, userEmail, role, options) {
      const data = await prepare(options, 'groups:write', () =>
        parseInput(googleWritebackMemberSchema, { group: groupEmailOrId, userEmail, ...(role !== undefined ? { role } : {}) }),
      );
      const wanted = data.role ?? 'MEMBER';
      const member = await (await provider()).insertMember(data.group, { email: data.userEmail, role: wanted });
      return rt.write(options, async (s) => {
        const group = await localGroup(s.db, s.organizationId, data.group);
        const finalRole = (typeof member.role === 'string' ? member.role.toUpperCase() : wanted) as GoogleWritebackMembership['role'];
        const userId = await localMember(s.db, s.organizationId, member.id ?? null, lower(member.email ?? data.userEmail));
        let memberId: string | null = null;
        if (group?.access_group_id && userId) {
          const type = memberType(finalRole);
          memberId = (
            await s.db
              .insertInto('access_group_members')
              .values({
                access_group_id: group.access_group_id,
                user_id: userId,
                member_type: type,
                is_active: true,
                removed_at: null,
                synced_from_platform: true,
                joined_at: s.now,
              })
              .onConflict((oc) =>
                oc.columns(['access_group_id', 'user_id']).doUpdateSet({ member_type: type, is_active: true, removed_at: null, synced_from_platform: true }),
              )
              .returning('id')
              .executeTakeFirstOrThrow()
          ).id;
        }
        await s.audit({
          action: 'google_workspace.member_add',
          resource: 'access_group_members',
          resourceId: memberId,
          details: { group: data.group, groupGoogleId: group?.google_id ?? null, userEmail: data.userEmail, role: finalRole, localUserId: userId },
        });
        return {
          groupGoogleId: group?.google_id ?? null,
          groupEmail: group?.email ?? data.group,
          userEmail: data.userEmail,
          role: finalRole,
          accessGroupMemberId: memberId,
          localUserId: userId,
        };
      });
    },

    async removeMember(groupEmailOrId, userEmail, options) {
      const data = await prepare(options, 'groups:write', () => parseInput(googleWritebackMemberSchema, { group: groupEmailOrId, userEmail }));
      await (await provider()).deleteMember(data.group, data.userEmail);
      return rt.write(options, async (s) => {
        const group = await localGroup(s.db, s.organizationId, data.group);
        const googleUser = await s.db
          .selectFrom('gw_synced_users')
          .select('google_id')
          .where('organization_id', '=', s.organizationId)
          .where('email', '=', data.userEmail)
          .executeTakeFirst();
        const userId = await localMember(s.db, s.organizationId, googleUser?.google_id ?? null, data.userEmail);
        let memberId: string | null = null;
        let role: GoogleWritebackMembership['role'] = 'MEMBER';
        if (group?.access_group_id && userId) {
          const removed = await s.db
            .updateTable('access_group_members')
            .set({ is_active: false, removed_at: s.now })
            .where('access_group_id', '=', group.access_group_id)
            .where('user_id', '=', userId)
            .returning(['id', 'member_type'])
            .executeTakeFirst();
          memberId = removed?.id ?? null;
          if (removed?.member_type === 'owner') role = 'OWNER';
          else if (removed?.member_type === 'manager') role = 'MANAGER';
        }
        await s.audit({
          action: 'google_workspace.member_remove',
          resource: 'access_group_members',
          resourceId: memberId,
          details: { group: data.group, groupGoogleId: group?.google_id ?? null, userEmail: data.userEmail, localUserId: userId },
        });
        return {
          groupGoogleId: group?.google_id ?? null,
          groupEmail: group?.email ?? data.group,
          userEmail: data.userEmail,
          role,
          accessGroupMemberId: memberId,
          localUserId: userId,
        };
      });
    },
  };
}
