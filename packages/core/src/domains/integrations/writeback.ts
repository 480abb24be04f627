/**
 * The parts both write-backs share: running an operation as an external call (authorize and
 * validate, call the cloud with no transaction open, record in one short transaction), the link
 * between an organization user and a cloud account, and local access group memberships.
 */
import { type Kysely, sql } from 'kysely';
import type { Database, Json } from '../../db/database.generated';
import { type HeliosError, isHeliosError } from '../../errors';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import type { CallOptions, Permission } from '../policy/actor';

/** The platform of a cloud, as `access_groups.platform` and the audit actions name it. */
export type WritebackPlatform = 'google_workspace' | 'microsoft_365';

/** The `organization_users` columns that link a user to each cloud. */
const LINK = {
  google_workspace: {
    id: 'google_workspace_id',
    status: 'google_workspace_sync_status',
    lastSync: 'google_workspace_last_sync',
  },
  microsoft_365: {
    id: 'microsoft_365_id',
    status: 'microsoft_365_sync_status',
    lastSync: 'microsoft_365_last_sync',
  },
} as const;

/** One write-back operation: what it validates, what it sends, what it records. */
export interface WritebackSteps<P, R, O> {
  /** Validates and reads what the call needs (after the permission check), in a read scope. */
  prepare(scope: OperationScope): Promise<P> | P;
  /** Calls the cloud (no transaction is open). */
  call(prepared: P): Promise<R>;
  /** Writes the local rows and the audit row in one short transaction; returns the result. */
  record(scope: OperationScope, result: R, prepared: P): Promise<O>;
}

/**
 * Runs a write-back operation as an external call: PRECONDITION_FAILED `EXTERNAL.IN_TRANSACTION`
 * inside an open transaction; FORBIDDEN unless the caller has `permission`; a cloud failure leaves
 * every local row unchanged.
 */
export function runWriteback<P, R, O>(
  rt: ServiceRuntime,
  operation: string,
  permission: Permission,
  options: CallOptions | undefined,
  steps: WritebackSteps<P, R, O>,
): Promise<O> {
  return rt.external(operation, options, {
    prepare: async (s) => {
      await s.authorize(permission);
      return steps.prepare(s);
    },
    call: (prepared) => steps.call(prepared),
    record: (s, result, prepared) => steps.record(s, result, prepared),
  });
}

/**
 * Reads one account live from the cloud (the contract's `getUser`): needs `users:read`; null when
 * the cloud answers NOT_FOUND with `notFoundCode`; else `record` refreshes the mirror (a read: no
 * audit row) and returns the stored user.
 */
export function readLiveUser<R extends { id: string }, O>(
  rt: ServiceRuntime,
  operation: string,
  options: CallOptions | undefined,
  steps: {
    parseId(): string;
    fetch(id: string): Promise<R>;
    notFoundCode: string;
    record(scope: OperationScope, found: R): Promise<O>;
  },
): Promise<O | null> {
  return runWriteback(rt, operation, 'users:read', options, {
    prepare: () => steps.parseId(),
    async call(id): Promise<R | null> {
      try {
        return await steps.fetch(id);
      } catch (error) {
        if (isHeliosError(error) && error.code === steps.notFoundCode) return null;
        throw error;
      }
    },
    record: (scope, found) => (found ? steps.record(scope, found) : Promise.resolve(null)),
  });
}

/** The organization user linked to a cloud account, or null. */
export async function linkedUserId(
  db: Kysely<Database>,
  organizationId: string,
  platform: WritebackPlatform,
  externalId: string,
): Promise<string | null> {
  const row = await db
    .selectFrom('organization_users')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where(LINK[platform].id, '=', externalId)
    .executeTakeFirst();
  return row?.id ?? null;
}

/**
 * The organization user a new account is to be linked to, checked before the cloud is called:
 * null when none is given. @throws the cloud's NOT_FOUND (no such user) or CONFLICT (already linked).
 */
export async function userToLink(
  s: Pick<OperationScope, 'db' | 'organizationId'>,
  platform: WritebackPlatform,
  localUserId: string | undefined,
  errors: { notFound(): HeliosError; alreadyLinked(externalId: string): HeliosError },
): Promise<string | null> {
  if (!localUserId) return null;
  const column = LINK[platform].id;
  const local = await s.db
    .selectFrom('organization_users')
    .select(['id', `${column} as external_id`])
    .where('organization_id', '=', s.organizationId)
    .where('id', '=', localUserId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!local) throw errors.notFound();
  if (local.external_id) throw errors.alreadyLinked(local.external_id);
  return local.id;
}

/** The oldest organization user, not linked to the cloud yet, with one of these emails (lowercase). */
export async function unlinkedUserByEmail(
  db: Kysely<Database>,
  organizationId: string,
  platform: WritebackPlatform,
  emails: string[],
): Promise<string | null> {
  if (emails.length === 0) return null;
  const row = await db
    .selectFrom('organization_users')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where(sql<string>`lower(email)`, 'in', emails)
    .where(LINK[platform].id, 'is', null)
    .where('deleted_at', 'is', null)
    .orderBy('created_at', 'asc')
    .executeTakeFirst();
  return row?.id ?? null;
}

/** Links an organization user to a new cloud account (unless the account is linked already). */
export async function linkUser(
  s: Pick<OperationScope, 'db' | 'organizationId' | 'now'>,
  platform: WritebackPlatform,
  localUserId: string | null,
  externalId: string,
  status: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  if (!localUserId || (await linkedUserId(s.db, s.organizationId, platform, externalId))) return;
  const link = LINK[platform];
  await s.db
    .updateTable('organization_users')
    .set({
      [link.id]: externalId,
      [link.status]: status,
      [link.lastSync]: s.now,
      ...extra,
    } as never)
    .where('id', '=', localUserId)
    .execute();
}

/** Sets the link status of the organization user linked to a cloud account. */
export async function setLinkStatus(
  s: Pick<OperationScope, 'db' | 'organizationId' | 'now'>,
  platform: WritebackPlatform,
  externalId: string,
  status: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const link = LINK[platform];
  await s.db
    .updateTable('organization_users')
    .set({ [link.status]: status, [link.lastSync]: s.now, ...extra } as never)
    .where('organization_id', '=', s.organizationId)
    .where(link.id, '=', externalId)
    .execute();
}

/**
 * Makes (or reactivates) a synced membership of an access group; returns its id. `memberType` null:
 * a new membership is a `member`, an existing one keeps its type. The source becomes `platform`,
 * except for an active member of a dynamic group's rule (`dynamic`), which stays the rule's.
 */
export async function addAccessMember(
  db: Kysely<Database>,
  accessGroupId: string,
  userId: string,
  memberType: string | null,
  now: Date,
): Promise<string> {
  const row = await db
    .insertInto('access_group_members')
    .values({
      access_group_id: accessGroupId,
      user_id: userId,
      member_type: memberType ?? 'member',
      is_active: true,
      removed_at: null,
      synced_from_platform: true,
      membership_source: 'platform',
      joined_at: now,
    })
    .onConflict((oc) =>
      oc.columns(['access_group_id', 'user_id']).doUpdateSet({
        ...(memberType ? { member_type: memberType } : {}),
        is_active: true,
        removed_at: null,
        synced_from_platform: true,
        // A dynamic group's push keeps its members the rule's (the rule removes them when they stop matching).
        membership_source: sql<string>`case when access_group_members.is_active is true and access_group_members.membership_source = 'dynamic' then 'dynamic' else 'platform' end`,
      }),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Soft-removes a membership of an access group (`is_active` false, `removed_at`); returns it, if any. */
export async function removeAccessMember(
  db: Kysely<Database>,
  accessGroupId: string,
  userId: string,
  now: Date,
) {
  return (
    db
      .updateTable('access_group_members')
      // A membership removed already keeps the time of its removal (a retried removal changes nothing).
      .set({
        is_active: false,
        removed_at: sql<Date>`case when is_active is false and removed_at is not null then removed_at else ${now} end`,
      })
      .where('access_group_id', '=', accessGroupId)
      .where('user_id', '=', userId)
      .returning(['id', 'member_type'])
      .executeTakeFirst()
  );
}

/** The `raw_data` of a row marked removed at `now` (the row is kept). */
export const markRemoved = (now: Date) =>
  sql<Json>`coalesce(raw_data, '{}'::jsonb) || jsonb_build_object('_helios', jsonb_build_object('removedAt', ${now.toISOString()}::text))`;

/** Whether a stored `raw_data` is marked removed. */
export const isMarkedRemoved = (raw: unknown): boolean =>
  Boolean((raw as { _helios?: { removedAt?: string } } | null)?._helios?.removedAt);

/** The audited view of a mirrored row: without raw JSON and bookkeeping columns. */
export function auditView<R extends object>(
  row: R | undefined | null,
  omit: readonly string[] = [],
): Record<string, unknown> | null {
  if (!row) return null;
  const out: Record<string, unknown> = {};
  const skip = new Set(['raw_data', 'last_sync_at', 'updated_at', 'created_at', ...omit]);
  for (const [key, value] of Object.entries(row)) if (!skip.has(key)) out[key] = value;
  return out;
}

/**
 * The user write-back both clouds offer, on the cloud's own types: `U` the stored user, `C`/`P`
 * the create and update inputs, `W` a revealed password. User operations need `users:write`
 * (admins, API keys with the scope, the system); every cloud-calling method throws
 * PRECONDITION_FAILED `EXTERNAL.IN_TRANSACTION` inside `helios.transaction`. Audit actions are
 * `<platform>.<verb>` (`google_workspace.user_create`, `microsoft_365.user_delete`...).
 */
export interface WritebackUserService<U, C, P, W> {
  /**
   * Creates the cloud user with a generated strong initial password (changed at first sign-in),
   * stores the password encrypted in `user_initial_passwords`, mirrors the cloud's record into the
   * synced users table and links the organization user (`localUserId`, else the unlinked one with
   * that address). Audited `<platform>.user_create`. The password is never returned here: see
   * `revealInitialPassword`.
   *
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN `POLICY.FORBIDDEN`; INVALID_INPUT `VALIDATION.FAILED`;
   *   NOT_FOUND `<CLOUD>_WRITEBACK.LOCAL_USER_NOT_FOUND`, `<CLOUD>.NOT_CONFIGURED`; CONFLICT
   *   `<CLOUD>_WRITEBACK.ALREADY_LINKED`, `<CLOUD>.CONFLICT` (address taken in the cloud; nothing written);
   *   PRECONDITION_FAILED `SECRETS.NO_KEY`, `EXTERNAL.IN_TRANSACTION`; `<CLOUD>.*`
   * @example
   * ```ts
   * const user = await helios.google.writeback.createUser({ primaryEmail: 'ada@acme.com', givenName: 'Ada', familyName: 'Lovelace' });
   * ```
   */
  createUser(input: C, options?: CallOptions): Promise<U>;
  /**
   * Reads the user live from the cloud (not the mirror), then refreshes its mirror row in the synced
   * users table; null when the cloud has no such user (the mirror is left as it is). Needs
   * `users:read`; not audited (a read).
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN; INVALID_INPUT `VALIDATION.FAILED`; NOT_FOUND
   *   `<CLOUD>.NOT_CONFIGURED`; PRECONDITION_FAILED `EXTERNAL.IN_TRANSACTION`; `<CLOUD>.*`
   * @example
   * ```ts
   * const live = await helios.google.writeback.getUser(googleId);
   * if (live?.isSuspended) console.log('suspended in Google');
   * ```
   */
  getUser(id: string, options?: CallOptions): Promise<U | null>;
  /**
   * Returns (decrypted) the initial or reset password stored for an address and marks it revealed;
   * works once per stored password. Administrators only (admins, `admin:full` keys, the system).
   * Audited `<platform>.initial_password_reveal`. Each cloud reads only its own rows.
   *
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN `POLICY.FORBIDDEN`; INVALID_INPUT `VALIDATION.FAILED`;
   *   NOT_FOUND `<CLOUD>_WRITEBACK.INITIAL_PASSWORD_NOT_FOUND`; CONFLICT `<CLOUD>_WRITEBACK.INITIAL_PASSWORD_REVEALED`;
   *   PRECONDITION_FAILED `SECRETS.NO_KEY`
   * @example
   * ```ts
   * const { password } = await helios.microsoft.writeback.revealInitialPassword('ada@contoso.com');
   * ```
   */
  revealInitialPassword(address: string, options?: CallOptions): Promise<W>;
  /**
   * Changes a user's names, title, department (and the cloud's other profile fields) in the cloud,
   * then the local row. Audited `<platform>.user_update`.
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN; INVALID_INPUT `VALIDATION.FAILED`; NOT_FOUND
   *   `<CLOUD>.NOT_FOUND` (and `MICROSOFT_WRITEBACK.USER_NOT_SYNCED`); `<CLOUD>.*`
   * @example
   * ```ts
   * await helios.microsoft.writeback.updateUser(msId, { jobTitle: 'CTO', department: null });
   * ```
   */
  updateUser(id: string, patch: P, options?: CallOptions): Promise<U>;
  /**
   * Suspends the user (Google: suspended; Microsoft: sign-in blocked), then the local row and the
   * link status. Audited `<platform>.user_suspend` / `microsoft_365.user_disable`. @throws HeliosError as `updateUser`
   * @example
   * ```ts
   * await helios.google.writeback.suspendUser(googleId);
   * ```
   */
  suspendUser(id: string, options?: CallOptions): Promise<U>;
  /** Lifts a suspension, then locally. Audited `google_workspace.user_unsuspend` / `microsoft_365.user_enable`. @throws HeliosError as `updateUser` */
  restoreUser(id: string, options?: CallOptions): Promise<U>;
  /**
   * Deletes the user in the cloud (Microsoft: to its recycle bin); the local row is kept, marked
   * removed (`raw_data._helios.removedAt`, suspended or disabled), and the link status becomes
   * `removed`. Audited `<platform>.user_delete`. @throws HeliosError as `updateUser`
   */
  deleteUser(id: string, options?: CallOptions): Promise<U | null>;
}
