/**
 * The one credential store: passwords live only in `auth_accounts` (provider `credential`), hashed
 * with scrypt exactly as better-auth hashes them, so better-auth signs users in with whatever this
 * service set. Every path that sets a password (setup, invitation acceptance, change, reset, admin
 * reset) comes through here; setting or changing a password ends the user's other sessions.
 *
 * Owns: auth_accounts, auth_sessions, auth_verifications, user_sessions (legacy, unused).
 */
import { randomUUID } from 'node:crypto';
import { hashPassword, verifyPassword } from 'better-auth/crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/database.generated';
import { CORE_ERRORS } from '../../errors/core.errors';
import type { ServiceRuntime } from '../../runtime';
import { endSessions } from '../../shared/auth-rows';
import { parseInput } from '../../shared/validation';
import type { CallOptions } from '../policy/actor';
import { POLICY_ERRORS } from '../policy/policy.errors';
import { USERS_ERRORS } from '../users';
import { AUTH_ERRORS } from './auth.errors';

/** Shortest and longest accepted password. */
export const PASSWORD_LENGTH = { min: 12, max: 128 } as const;

/** A password that meets the policy. */
export const passwordSchema = z
  .string()
  .min(PASSWORD_LENGTH.min, `At least ${PASSWORD_LENGTH.min} characters`)
  .max(PASSWORD_LENGTH.max, `At most ${PASSWORD_LENGTH.max} characters`);

/** A session of a user, without its token. */
export interface SessionInfo {
  id: string;
  createdAt: Date | null;
  expiresAt: Date;
  ipAddress: string | null;
  userAgent: string | null;
}

/** Passwords and sessions. */
export interface CredentialsService {
  /**
   * Sets a user's password (an admin reset, or the system during setup and invitations) and ends
   * all of the user's sessions.
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN` unless admin or system; INVALID_INPUT
   *   `CREDENTIALS.WEAK_PASSWORD`; NOT_FOUND `USERS.NOT_FOUND`
   * @example
   * ```ts
   * await helios.as(admin).credentials.setPassword(userId, 'a long new passphrase');
   * ```
   */
  setPassword(userId: string, password: string, options?: CallOptions): Promise<void>;
  /**
   * Changes the acting user's own password after checking the current one; ends their other
   * sessions (all but `keepSessionToken`).
   * @throws HeliosError UNAUTHENTICATED `CREDENTIALS.WRONG_PASSWORD`; INVALID_INPUT `CREDENTIALS.WEAK_PASSWORD`
   */
  changePassword(
    input: { currentPassword: string; newPassword: string; keepSessionToken?: string },
    options?: CallOptions,
  ): Promise<void>;
  /** Whether the user has a password. */
  hasPassword(userId: string, options?: CallOptions): Promise<boolean>;
  /** The user's active sessions (self or admin). */
  listSessions(userId: string, options?: CallOptions): Promise<SessionInfo[]>;
  /** Ends sessions of a user (self or admin); returns how many ended. */
  revokeSessions(userId: string, options?: CallOptions & { exceptToken?: string }): Promise<number>;
}

/** Hashes a password as better-auth does (scrypt). */
export function hashUserPassword(password: string): Promise<string> {
  return hashPassword(password);
}

/** Writes (or replaces) the credential account of a user; `db` should be a transaction. */
export async function storePasswordHash(
  db: Kysely<Database>,
  userId: string,
  hash: string,
  now: Date,
): Promise<void> {
  const existing = await db
    .selectFrom('auth_accounts')
    .select('id')
    .where('user_id', '=', userId)
    .where('provider_id', '=', 'credential')
    .executeTakeFirst();
  if (existing) {
    await db
      .updateTable('auth_accounts')
      .set({ password: hash, updated_at: now })
      .where('id', '=', existing.id)
      .execute();
  } else {
    await db
      .insertInto('auth_accounts')
      .values({
        id: randomUUID(),
        user_id: userId,
        account_id: userId,
        provider_id: 'credential',
        password: hash,
        created_at: now,
        updated_at: now,
      })
      .execute();
  }
}

const uuid = z.uuid();

function checkPassword(password: unknown): string {
  return parseInput(passwordSchema, password, AUTH_ERRORS.WEAK_PASSWORD);
}

/** Builds the credentials service. */
export function createCredentialsService(rt: ServiceRuntime): CredentialsService {
  const requireUser = async (db: Kysely<Database>, organizationId: string, userId: string) => {
    const id = parseInput(uuid, userId, USERS_ERRORS.INVALID_ID);
    const user = await db
      .selectFrom('organization_users')
      .select(['id', 'email'])
      .where('id', '=', id)
      .where('organization_id', '=', organizationId)
      .executeTakeFirst();
    if (!user) throw USERS_ERRORS.NOT_FOUND({});
    return user;
  };
  return {
    async setPassword(userId, password, options) {
      const checked = checkPassword(password);
      const hash = await hashUserPassword(checked);
      await rt.write(options, async (s) => {
        if (!s.principal.isAdministrator) {
          throw POLICY_ERRORS.FORBIDDEN({
            message: 'Only admins set passwords; users change their own with changePassword.',
          });
        }
        const user = await requireUser(s.db, s.organizationId, userId);
        await storePasswordHash(s.db, user.id, hash, s.now);
        const ended = await endSessions(s.db, user.id);
        await s.audit({
          action: 'auth.password_set',
          resource: 'user',
          resourceId: user.id,
          details: { sessionsEnded: ended },
        });
        await s.activity({
          userId: user.id,
          action: 'password_reset',
          resourceType: 'user',
          resourceId: user.id,
          description: 'Password set by an administrator',
        });
      });
    },
    async changePassword(input, options) {
      const next = checkPassword(input?.newPassword);
      if (typeof input?.currentPassword !== 'string')
        throw CORE_ERRORS.VALIDATION_FAILED({ message: 'currentPassword is required.' });
      const hash = await hashUserPassword(next);
      await rt.write(options, async (s) => {
        const userId = s.principal.userId;
        if (!userId)
          throw POLICY_ERRORS.FORBIDDEN({
            message: 'Only a signed-in user changes their own password.',
          });
        const account = await s.db
          .selectFrom('auth_accounts')
          .select(['password'])
          .where('user_id', '=', userId)
          .where('provider_id', '=', 'credential')
          .executeTakeFirst();
        if (
          !account?.password ||
          !(await verifyPassword({ hash: account.password, password: input.currentPassword }))
        ) {
          throw AUTH_ERRORS.WRONG_PASSWORD();
        }
        await storePasswordHash(s.db, userId, hash, s.now);
        const ended = await endSessions(s.db, userId, input.keepSessionToken);
        await s.audit({
          action: 'auth.password_change',
          resource: 'user',
          resourceId: userId,
          details: { sessionsEnded: ended },
        });
        await s.activity({
          userId,
          action: 'password_changed',
          resourceType: 'user',
          resourceId: userId,
          description: 'Password changed',
        });
      });
    },
    hasPassword: (userId, options) =>
      rt.read(options, async (s) => {
        const user = await requireUser(s.db, s.organizationId, userId);
        await s.authorize('users:read', { userId: user.id });
        const row = await s.db
          .selectFrom('auth_accounts')
          .select('id')
          .where('user_id', '=', user.id)
          .where('provider_id', '=', 'credential')
          .where('password', 'is not', null)
          .executeTakeFirst();
        return row !== undefined;
      }),
    listSessions: (userId, options) =>
      rt.read(options, async (s) => {
        const user = await requireUser(s.db, s.organizationId, userId);
        if (!s.principal.isAdministrator && s.principal.userId !== user.id) {
          throw POLICY_ERRORS.FORBIDDEN({
            message: 'Sessions are visible to their user and admins.',
          });
        }
        const rows = await s.db
          .selectFrom('auth_sessions')
          .select(['id', 'created_at', 'expires_at', 'ip_address', 'user_agent'])
          .where('user_id', '=', user.id)
          .where('expires_at', '>', s.now)
          .orderBy('created_at', 'desc')
          .execute();
        return rows.map((r) => ({
          id: r.id,
          createdAt: r.created_at,
          expiresAt: r.expires_at,
          ipAddress: r.ip_address,
          userAgent: r.user_agent,
        }));
      }),
    revokeSessions: (userId, options) =>
      rt.write(options, async (s) => {
        const user = await requireUser(s.db, s.organizationId, userId);
        if (!s.principal.isAdministrator && s.principal.userId !== user.id) {
          throw POLICY_ERRORS.FORBIDDEN({ message: 'Sessions are ended by their user or admins.' });
        }
        const ended = await endSessions(s.db, user.id, options?.exceptToken);
        await s.audit({
          action: 'auth.sessions_revoke',
          resource: 'user',
          resourceId: user.id,
          details: { sessionsEnded: ended },
        });
        return ended;
      }),
  };
}
