/**
 * Invitations and password resets by email link. A link carries a random token (32 bytes,
 * base64url); the database holds only the SHA-256 (hex) of the token bound to its purpose
 * (`helios:invitation:<token>` or `helios:reset:<token>`), so a stored value cannot be turned into a
 * link and an invitation link never works as a reset link or the reverse. Links are single use and
 * expire (invitations 48 h by default, resets 1 h). Passwords are set through the one credential
 * store; mail is sent after the change commits, never inside a transaction.
 *
 * Links are `${publicUrl}/setup-password?token=...` (invitations) and
 * `${publicUrl}/reset-password?token=...` (resets); `publicUrl` is the method's `publicUrl` option,
 * else the organization setting `portal.public_url`. Take it from configuration, never from a
 * request's Host header.
 *
 * Owns: password_setup_tokens.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/database.generated';
import type { ServiceRuntime } from '../../runtime';
import { endSessions } from '../../shared/auth-rows';
import { assertOutsideTransaction } from '../../shared/external-call';
import type { Mailer, MailMessage } from '../../shared/mailer';
import { parseInput } from '../../shared/validation';
import { findMailer, OPERATIONS_ERRORS, resolveMailer } from '../operations';
import type { CallOptions } from '../policy/actor';
import type { Principal } from '../policy/policy';
import { POLICY_ERRORS } from '../policy/policy.errors';
import { USERS_ERRORS } from '../users';
import { AUTH_ERRORS } from './auth.errors';
import { hashUserPassword, passwordSchema, storePasswordHash } from './credentials.service';
import {
  type InviteInput,
  inviteSchema,
  PUBLIC_URL_SETTING,
  publicUrlSchema,
  RESET_TTL_HOURS,
  resetEmailSchema,
  setupTokenSchema,
} from './invitations.schema';

export * from './invitations.schema';

/** What a link is for. */
export type SetupTokenPurpose = 'invitation' | 'reset';

/** The outcome of an invitation. */
export interface InvitationResult {
  userId: string;
  /** The user's sign-in address. */
  email: string;
  /** Where the invitation was mailed, or null when nothing was sent (`returnLink` without a mailer). */
  sentTo: string | null;
  expiresAt: Date;
  /** The link, only when `returnLink` was asked by the system actor or no mailer is configured. */
  link?: string;
}

/** What a token from a link is worth. */
export type SetupTokenCheck =
  | { valid: true; purpose: SetupTokenPurpose; email: string; firstName: string; expiresAt: Date }
  | { valid: false; reason: 'unknown' | 'used' | 'expired' };

/** The user whose password a link set. */
export interface PasswordSetResult {
  userId: string;
  email: string;
}

/** Invitations, password setup and reset links. */
export interface InvitationsService {
  /**
   * Invites a staged or invited user (admins and the system): replaces the user's unused links,
   * stores a new one, makes the user `invited`, and after the commit mails the link to the user
   * (or to `sendTo`). Without a mailer the call fails with `MAIL.NOT_CONFIGURED`, unless
   * `returnLink: true` is given: then nothing is sent and the link is returned. The system actor
   * gets the link back with `returnLink: true` in any case.
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN` for non-admins; UNAUTHENTICATED `POLICY.NO_ACTOR`;
   *   INVALID_INPUT `VALIDATION.FAILED`; NOT_FOUND `USERS.NOT_FOUND`; PRECONDITION_FAILED
   *   `INVITATIONS.INVALID_STATE`, `INVITATIONS.NO_PUBLIC_URL`, `MAIL.NOT_CONFIGURED`, `EXTERNAL.IN_TRANSACTION`;
   *   EXTERNAL_SERVICE `INVITATIONS.SEND_FAILED` (retryable: the invitation exists, invite again to resend)
   * @example
   * ```ts
   * const { expiresAt } = await helios.as(admin).invitations.invite(userId, { sendTo: 'bo@gmail.com' });
   * ```
   */
  invite(userId: string, input?: InviteInput, options?: CallOptions): Promise<InvitationResult>;
  /**
   * Checks a token from an invitation or reset link (no actor needed): the user's email and first
   * name when valid, else only `unknown`, `used` or `expired`.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED` for a missing token
   * @example
   * ```ts
   * const check = await helios.invitations.verifyToken(token);
   * if (check.valid) showForm(check.email);
   * ```
   */
  verifyToken(token: string, options?: CallOptions): Promise<SetupTokenCheck>;
  /**
   * Accepts an invitation (no actor needed): in one transaction sets the password, makes the user
   * active with a verified email, uses up the link and ends any sessions. Exactly one of concurrent
   * accepts of a link succeeds.
   * @throws HeliosError UNAUTHENTICATED `INVITATIONS.INVALID_TOKEN`, `INVITATIONS.EXPIRED`,
   *   `INVITATIONS.USED`; INVALID_INPUT `CREDENTIALS.WEAK_PASSWORD`, `VALIDATION.FAILED`
   * @example
   * ```ts
   * await helios.invitations.accept(token, 'a long new passphrase');
   * ```
   */
  accept(token: string, password: string, options?: CallOptions): Promise<PasswordSetResult>;
  /**
   * Requests a password reset (no actor needed). Resolves the same way whether or not the address
   * belongs to anyone; for an active user it stores a 1 h link and mails it after the commit (in
   * the background: a failure is logged, not reported).
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED` for a malformed address; PRECONDITION_FAILED
   *   `MAIL.NOT_CONFIGURED`, `INVITATIONS.NO_PUBLIC_URL`, `EXTERNAL.IN_TRANSACTION` (whatever the address)
   * @example
   * ```ts
   * await helios.invitations.requestReset('ada@acme.com');
   * ```
   */
  requestReset(email: string, options?: CallOptions & { publicUrl?: string }): Promise<void>;
  /**
   * Completes a password reset (no actor needed): sets the password, verifies the email, uses up
   * the link and ends all of the user's sessions.
   * @throws HeliosError UNAUTHENTICATED `INVITATIONS.INVALID_TOKEN`, `INVITATIONS.EXPIRED`,
   *   `INVITATIONS.USED`; INVALID_INPUT `CREDENTIALS.WEAK_PASSWORD`, `VALIDATION.FAILED`
   */
  completeReset(token: string, password: string, options?: CallOptions): Promise<PasswordSetResult>;
  /**
   * Deletes expired and used links (the system actor); returns how many.
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN` for any other actor
   */
  purgeExpired(options?: CallOptions): Promise<{ deleted: number }>;
}

const systemPrincipal = (name: string): Principal => ({
  actor: { type: 'system', name },
  userId: null,
  role: null,
  isAdministrator: true,
  auditType: 'system',
  auditId: name,
});
const INVITATION_PRINCIPAL = systemPrincipal('invitation');
const RESET_PRINCIPAL = systemPrincipal('password-reset');

/** The user state a link of each purpose needs. */
const REQUIRED_STATUS: Record<SetupTokenPurpose, string> = {
  invitation: 'invited',
  reset: 'active',
};
const PATHS: Record<SetupTokenPurpose, string> = {
  invitation: 'setup-password',
  reset: 'reset-password',
};

/** The stored form of a token: SHA-256 (hex) of the token bound to its purpose. */
export function hashSetupToken(purpose: SetupTokenPurpose, token: string): string {
  return createHash('sha256').update(`helios:${purpose}:${token}`).digest('hex');
}

const userIdSchema = z.uuid();
const newToken = () => randomBytes(32).toString('base64url');
const hoursFrom = (now: Date, hours: number) => new Date(now.getTime() + hours * 3_600_000);

interface TokenRow {
  id: string;
  user_id: string;
  token: string;
  expires_at: Date;
  used_at: Date | null;
  email: string;
  first_name: string;
  last_name: string;
  user_status: string | null;
  deleted_at: Date | null;
}

async function findTokens(
  db: Kysely<Database>,
  organizationId: string,
  hashes: string[],
  lock: boolean,
): Promise<TokenRow | undefined> {
  const query = db
    .selectFrom('password_setup_tokens as t')
    .innerJoin('organization_users as u', 'u.id', 't.user_id')
    .select([
      't.id',
      't.user_id',
      't.token',
      't.expires_at',
      't.used_at',
      'u.email',
      'u.first_name',
      'u.last_name',
      'u.user_status',
      'u.deleted_at',
    ])
    .where('t.token', 'in', hashes)
    .where('u.organization_id', '=', organizationId);
  return (lock ? query.forUpdate() : query).executeTakeFirst();
}

/** Why a token cannot be used for `purpose` now, or null when it can. */
function refusal(
  row: TokenRow | undefined,
  purpose: SetupTokenPurpose,
  now: Date,
): 'unknown' | 'used' | 'expired' | null {
  if (!row) return 'unknown';
  if (row.used_at) return 'used';
  if (row.expires_at.getTime() <= now.getTime()) return 'expired';
  if (row.deleted_at !== null || row.user_status !== REQUIRED_STATUS[purpose]) return 'unknown';
  return null;
}

function refuse(reason: 'unknown' | 'used' | 'expired'): never {
  if (reason === 'used') throw AUTH_ERRORS.INVITATION_USED();
  if (reason === 'expired') throw AUTH_ERRORS.INVITATION_EXPIRED();
  throw AUTH_ERRORS.INVITATION_INVALID_TOKEN();
}

async function publicUrlOf(
  db: Kysely<Database>,
  organizationId: string,
  given: string | undefined,
): Promise<string> {
  if (given) return given;
  const row = await db
    .selectFrom('organization_settings')
    .select(['value', 'is_sensitive'])
    .where('organization_id', '=', organizationId)
    .where('key', '=', PUBLIC_URL_SETTING)
    .executeTakeFirst();
  const parsed = row && !row.is_sensitive ? publicUrlSchema.safeParse(row.value) : null;
  if (parsed?.success) return parsed.data;
  throw AUTH_ERRORS.INVITATION_NO_PUBLIC_URL({ setting: PUBLIC_URL_SETTING });
}

const escapeHtml = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

function linkMail(
  kind: SetupTokenPurpose,
  to: string,
  v: { firstName: string; email: string; organization: string; link: string; expiresAt: Date },
): MailMessage {
  const when = `${v.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const lines =
    kind === 'invitation'
      ? {
          subject: `You are invited to ${v.organization}`,
          intro: `You have been invited to the ${v.organization} portal. Choose your password to sign in as ${v.email}:`,
          outro: 'If you did not expect this invitation, you can ignore this message.',
        }
      : {
          subject: `Reset your ${v.organization} password`,
          intro: `Someone asked to reset the password of ${v.email}. Choose a new password here:`,
          outro: 'If you did not ask for this, ignore this message: your password stays as it is.',
        };
  const expiry = `The link works once and expires on ${when}.`;
  return {
    to,
    subject: lines.subject,
    text: `Hello ${v.firstName},\n\n${lines.intro}\n\n${v.link}\n\n${expiry}\n${lines.outro}\n`,
    html: `<p>Hello ${escapeHtml(v.firstName)},</p><p>${escapeHtml(lines.intro)}</p><p><a href="${escapeHtml(v.link)}">${escapeHtml(v.link)}</a></p><p>${escapeHtml(expiry)}<br>${escapeHtml(lines.outro)}</p>`,
  };
}

async function organizationName(db: Kysely<Database>, organizationId: string): Promise<string> {
  const row = await db
    .selectFrom('organizations')
    .select('name')
    .where('id', '=', organizationId)
    .executeTakeFirst();
  return row?.name ?? 'Helios';
}

/** Builds the invitations service. */
export function createInvitationsService(rt: ServiceRuntime): InvitationsService {
  /** Background sends (password resets) that `helios.close()` waits for. */
  const outbox = () =>
    rt.singleton('invitations.outbox', () => {
      const pending = new Set<Promise<void>>();
      return {
        pending,
        close: async () => {
          await Promise.allSettled([...pending]);
        },
      };
    });
  const sendInBackground = (
    mailer: Mailer,
    message: MailMessage,
    fields: Record<string, unknown>,
  ) => {
    const { pending } = outbox();
    const sending: Promise<void> = Promise.resolve()
      .then(() => mailer.send(message))
      .catch((error: unknown) =>
        rt.logger.warn('Password reset mail not sent', {
          ...fields,
          error: error instanceof Error ? error.message : String(error),
        }),
      )
      .finally(() => pending.delete(sending));
    pending.add(sending);
  };

  /** Uses a link of `purpose`: checks it under a row lock, sets the password, ends sessions. */
  const usePasswordLink = async (
    purpose: SetupTokenPurpose,
    token: string,
    password: string,
  ): Promise<PasswordSetResult> => {
    const plain = parseInput(setupTokenSchema, token);
    const checked = parseInput(passwordSchema, password, AUTH_ERRORS.WEAK_PASSWORD);
    const organizationId = await rt.organizationId();
    const hash = hashSetupToken(purpose, plain);
    // Refuse bad links before paying for the password hash; the transaction checks again under a lock.
    const early = refusal(
      await findTokens(rt.db, organizationId, [hash], false),
      purpose,
      rt.clock.now(),
    );
    if (early) refuse(early);
    const passwordHash = await hashUserPassword(checked);
    return rt.writeAs(
      purpose === 'invitation' ? INVITATION_PRINCIPAL : RESET_PRINCIPAL,
      organizationId,
      async (s) => {
        const row = await findTokens(s.db, organizationId, [hash], true);
        const reason = refusal(row, purpose, s.now);
        if (reason || !row) return refuse(reason ?? 'unknown');
        // The row lock makes concurrent uses wait; the condition makes the use single even without it.
        const used = await s.db
          .updateTable('password_setup_tokens')
          .set({ used_at: s.now })
          .where('id', '=', row.id)
          .where('used_at', 'is', null)
          .executeTakeFirst();
        if (Number(used.numUpdatedRows) !== 1) refuse('used');
        await storePasswordHash(s.db, row.user_id, passwordHash, s.now);
        await s.db
          .updateTable('organization_users')
          .set({ user_status: 'active', is_active: true, email_verified: true, updated_at: s.now })
          .where('id', '=', row.user_id)
          .execute();
        await s.db
          .deleteFrom('password_setup_tokens')
          .where('user_id', '=', row.user_id)
          .where('used_at', 'is', null)
          .execute();
        const sessionsEnded = await endSessions(s.db, row.user_id);
        const name = `${row.first_name} ${row.last_name}`;
        if (purpose === 'invitation') {
          await s.audit({
            action: 'invitations.accept',
            resource: 'user',
            resourceId: row.user_id,
            details: {
              email: row.email,
              user_status: { from: 'invited', to: 'active' },
              sessionsEnded,
            },
          });
          await s.activity({
            userId: row.user_id,
            action: 'invitation_accepted',
            resourceType: 'user',
            resourceId: row.user_id,
            description: `${name} accepted the invitation and set a password.`,
          });
        } else {
          await s.audit({
            action: 'auth.password_reset',
            resource: 'user',
            resourceId: row.user_id,
            details: { email: row.email, sessionsEnded },
          });
          await s.activity({
            userId: row.user_id,
            action: 'password_reset',
            resourceType: 'user',
            resourceId: row.user_id,
            description: `${name} reset their password by email link.`,
          });
        }
        return { userId: row.user_id, email: row.email };
      },
    );
  };

  return {
    async invite(userId, input, options) {
      assertOutsideTransaction(rt.db, 'invitations.invite');
      const token = newToken();
      const issued = await rt.write(options, async (s) => {
        if (!s.principal.isAdministrator) {
          throw POLICY_ERRORS.FORBIDDEN(
            { message: 'Not allowed: only admins invite users.' },
            {
              details: {
                permission: 'users:write',
                actor: s.principal.auditType,
                role: s.principal.role,
              },
            },
          );
        }
        await s.authorize('users:write');
        const id = parseInput(userIdSchema, userId, USERS_ERRORS.INVALID_ID);
        const data = parseInput(inviteSchema, input ?? {});
        const base = await publicUrlOf(s.db, s.organizationId, data.publicUrl);
        const mailer = await findMailer(rt, { db: s.db, organizationId: s.organizationId });
        if (!mailer && !data.returnLink) {
          throw OPERATIONS_ERRORS.MAIL_NOT_CONFIGURED({ invitation: true });
        }
        const user = await s.db
          .selectFrom('organization_users')
          .select(['id', 'email', 'first_name', 'last_name', 'user_status', 'deleted_at'])
          .where('id', '=', id)
          .where('organization_id', '=', s.organizationId)
          .forUpdate()
          .executeTakeFirst();
        if (!user) throw USERS_ERRORS.NOT_FOUND({ id });
        const status = user.user_status ?? 'active';
        if ((status !== 'staged' && status !== 'invited') || user.deleted_at !== null) {
          throw AUTH_ERRORS.INVITATION_INVALID_STATE({ status });
        }
        const replaced = await s.db
          .deleteFrom('password_setup_tokens')
          .where('user_id', '=', user.id)
          .where('used_at', 'is', null)
          .executeTakeFirst();
        const expiresAt = hoursFrom(s.now, data.expiresInHours);
        await s.db
          .insertInto('password_setup_tokens')
          .values({
            user_id: user.id,
            token: hashSetupToken('invitation', token),
            expires_at: expiresAt,
            created_at: s.now,
          })
          .execute();
        await s.db
          .updateTable('organization_users')
          .set({ user_status: 'invited', is_active: false, updated_at: s.now })
          .where('id', '=', user.id)
          .execute();
        const sendTo = mailer ? (data.sendTo ?? user.email) : null;
        await s.audit({
          action: 'invitations.create',
          resource: 'user',
          resourceId: user.id,
          details: {
            email: user.email,
            sentTo: sendTo,
            expiresAt,
            replaced: Number(replaced.numDeletedRows),
            ...(status !== 'invited' ? { user_status: { from: status, to: 'invited' } } : {}),
          },
        });
        await s.activity({
          userId: user.id,
          action: 'user_invited',
          resourceType: 'user',
          resourceId: user.id,
          description: `${user.first_name} ${user.last_name} was invited${sendTo ? ` (sent to ${sendTo})` : ''}.`,
        });
        return {
          user,
          sendTo,
          expiresAt,
          mailer,
          link: `${base}/${PATHS.invitation}?token=${token}`,
          organization: await organizationName(s.db, s.organizationId),
          giveLink: data.returnLink && (s.principal.actor.type === 'system' || !mailer),
        };
      });
      const result: InvitationResult = {
        userId: issued.user.id,
        email: issued.user.email,
        sentTo: issued.sendTo,
        expiresAt: issued.expiresAt,
      };
      if (issued.mailer && issued.sendTo) {
        const message = linkMail('invitation', issued.sendTo, {
          firstName: issued.user.first_name,
          email: issued.user.email,
          organization: issued.organization,
          link: issued.link,
          expiresAt: issued.expiresAt,
        });
        try {
          await issued.mailer.send(message);
        } catch (cause) {
          throw AUTH_ERRORS.INVITATION_SEND_FAILED(
            { reason: cause instanceof Error ? cause.message : null },
            {
              cause,
              retryable: true,
              details: { userId: issued.user.id, expiresAt: issued.expiresAt },
            },
          );
        }
      }
      if (issued.giveLink) result.link = issued.link;
      return result;
    },

    async verifyToken(token) {
      const plain = parseInput(setupTokenSchema, token);
      const organizationId = await rt.organizationId();
      const hashes = {
        invitation: hashSetupToken('invitation', plain),
        reset: hashSetupToken('reset', plain),
      };
      const row = await findTokens(rt.db, organizationId, [hashes.invitation, hashes.reset], false);
      const purpose: SetupTokenPurpose = row?.token === hashes.reset ? 'reset' : 'invitation';
      const reason = refusal(row, purpose, rt.clock.now());
      if (reason || !row) return { valid: false, reason: reason ?? 'unknown' };
      return {
        valid: true,
        purpose,
        email: row.email,
        firstName: row.first_name,
        expiresAt: row.expires_at,
      };
    },

    accept: (token, password) => usePasswordLink('invitation', token, password),

    async requestReset(email, options) {
      assertOutsideTransaction(rt.db, 'invitations.requestReset');
      const address = parseInput(resetEmailSchema, email);
      const given =
        options?.publicUrl !== undefined
          ? parseInput(publicUrlSchema, options.publicUrl)
          : undefined;
      const organizationId = await rt.organizationId();
      // Everything that can fail is checked before the address is looked up: the answer never depends on it.
      const base = await publicUrlOf(rt.db, organizationId, given);
      const mailer = await resolveMailer(rt);
      const token = newToken();
      const issued = await rt.writeAs(RESET_PRINCIPAL, organizationId, async (s) => {
        const user = await s.db
          .selectFrom('organization_users')
          .select(['id', 'email', 'first_name'])
          .where('organization_id', '=', organizationId)
          .where('email', '=', address)
          .where('user_status', '=', 'active')
          .where('deleted_at', 'is', null)
          .forUpdate()
          .executeTakeFirst();
        if (!user) return null;
        const replaced = await s.db
          .deleteFrom('password_setup_tokens')
          .where('user_id', '=', user.id)
          .where('used_at', 'is', null)
          .executeTakeFirst();
        const expiresAt = hoursFrom(s.now, RESET_TTL_HOURS);
        await s.db
          .insertInto('password_setup_tokens')
          .values({
            user_id: user.id,
            token: hashSetupToken('reset', token),
            expires_at: expiresAt,
            created_at: s.now,
          })
          .execute();
        await s.audit({
          action: 'auth.password_reset_request',
          resource: 'user',
          resourceId: user.id,
          details: { email: user.email, expiresAt, replaced: Number(replaced.numDeletedRows) },
        });
        return { user, expiresAt, organization: await organizationName(s.db, organizationId) };
      });
      if (!issued) return;
      const message = linkMail('reset', issued.user.email, {
        firstName: issued.user.first_name,
        email: issued.user.email,
        organization: issued.organization,
        link: `${base}/${PATHS.reset}?token=${token}`,
        expiresAt: issued.expiresAt,
      });
      sendInBackground(mailer, message, { userId: issued.user.id });
    },

    completeReset: (token, password) => usePasswordLink('reset', token, password),

    purgeExpired: (options) =>
      rt.write(options, async (s) => {
        if (s.principal.actor.type !== 'system') {
          throw POLICY_ERRORS.FORBIDDEN(
            { message: 'Not allowed: only the system purges password links.' },
            { details: { actor: s.principal.auditType, role: s.principal.role } },
          );
        }
        const result = await s.db
          .deleteFrom('password_setup_tokens')
          .where((eb) => eb.or([eb('expires_at', '<=', s.now), eb('used_at', 'is not', null)]))
          .where('user_id', 'in', (eb) =>
            eb
              .selectFrom('organization_users')
              .select('id')
              .where('organization_id', '=', s.organizationId),
          )
          .executeTakeFirst();
        const deleted = Number(result.numDeletedRows);
        await s.audit({
          action: 'invitations.purge',
          resource: 'password_setup_token',
          details: { deleted },
        });
        return { deleted };
      }),
  };
}
