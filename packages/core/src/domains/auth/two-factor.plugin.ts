/**
 * The two-factor step of sign-in, as a better-auth plugin.
 *
 * 1. After a successful first factor by a user with two-factor on (`POST /sign-in/email`, or an SSO
 *    callback `GET /callback/<provider>`), the session better-auth just created is deleted (row and
 *    cookies) and the answer is `{ twoFactorRequired: true, challenge, expiresAt }` (for the SSO
 *    callback: the redirect to its callback URL with the fragment
 *    `#two_factor=required&challenge=...&expires_at=...`): `challenge` is a random token naming the
 *    user, valid 5 minutes, stored only as its SHA-256 in `auth_verifications` (identifier
 *    `helios-2fa:<hash>`).
 * 2. `POST /two-factor/verify { challenge, code }` checks the challenge and the code (TOTP or a
 *    backup code, through `helios.twoFactor.verify`), then creates the session and sets its cookie.
 *    Each call uses one of the challenge's 5 attempts; a wrong code answers 401 and records a
 *    `two_factor_failed` security event; after 5 wrong codes the challenge is void. A user with 10
 *    wrong codes in 15 minutes (over any number of challenges) is refused for a while (429).
 *
 * Users without two-factor sign in exactly as before.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { BetterAuthPlugin } from 'better-auth';
import { APIError, createAuthEndpoint, createAuthMiddleware } from 'better-auth/api';
import { deleteSessionCookie, setSessionCookie } from 'better-auth/cookies';
import { parseUserOutput } from 'better-auth/db';
import { sql } from 'kysely';
import { z } from 'zod';
import { isHeliosError } from '../../errors';
import type { HeliosScope } from '../../helios';
import { recordAuthSecurityEvent } from '../../shared/auth-rows';
import { systemActor } from '../policy/actor';
import { type AttemptLimit, settleAttemptSlot, takeAttemptSlot } from './attempt-slots';
import { requestClientIp } from './client-ip';

/** How long a sign-in challenge lasts. */
export const TWO_FACTOR_CHALLENGE_TTL_MS = 5 * 60_000;
/** Codes tried per challenge before it is void. */
export const TWO_FACTOR_MAX_ATTEMPTS = 5;
/** Wrong codes per user in `TWO_FACTOR_LOCKOUT_MINUTES` after which verification is refused. */
export const TWO_FACTOR_LOCKOUT_FAILURES = 10;
/** The window of the per-user lockout. */
export const TWO_FACTOR_LOCKOUT_MINUTES = 15;

const IDENTIFIER_PREFIX = 'helios-2fa:';

const LOCKOUT: AttemptLimit = {
  kind: 'two-factor',
  failureEvent: 'two_factor_failed',
  limit: TWO_FACTOR_LOCKOUT_FAILURES,
  windowMinutes: TWO_FACTOR_LOCKOUT_MINUTES,
};

interface ChallengeValue {
  userId: string;
  attempts: number;
  rememberMe: boolean;
}

/** Routes that sign in with a first factor (better-auth's sign-in routes and OAuth/SSO callbacks). */
function isFirstFactorPath(path: string | undefined): boolean {
  return (
    typeof path === 'string' &&
    (path.startsWith('/sign-in/') ||
      path.startsWith('/callback/') ||
      path.startsWith('/oauth2/callback/'))
  );
}

const challengeIdentifier = (challenge: string) =>
  `${IDENTIFIER_PREFIX}${createHash('sha256').update(challenge, 'utf8').digest('hex')}`;

const verifyBody = z.object({
  challenge: z.string().min(1).max(200),
  code: z.string().min(1).max(32),
});

/**
 * The better-auth plugin of Helios for TOTP two-factor sign-in (registered by `createHeliosAuth`).
 * @example
 * ```ts
 * betterAuth({ ...options, plugins: [twoFactorPlugin(helios)] });
 * // client: POST /sign-in/email -> { twoFactorRequired: true, challenge }
 * //         POST /two-factor/verify { challenge, code } -> session cookie + { user }
 * ```
 */
export function twoFactorPlugin(helios: HeliosScope): BetterAuthPlugin {
  const db = helios.db;
  const auth = systemActor('auth');

  const unauthorized = (code: string, message: string) =>
    new APIError('UNAUTHORIZED', { code, message });

  return {
    id: 'helios-two-factor',
    hooks: {
      after: [
        {
          // Every first factor: the password, SSO callbacks, and any sign-in route added later.
          matcher: (context) => isFirstFactorPath(context.path),
          handler: createAuthMiddleware(async (ctx) => {
            const created = ctx.context.newSession;
            if (!created) return;
            const user = await db
              .selectFrom('organization_users')
              .select(['two_factor_enabled'])
              .where('id', '=', created.user.id)
              .executeTakeFirst();
            if (user?.two_factor_enabled !== true) return;
            // The first factor was right but the second is still due: no usable session may remain.
            deleteSessionCookie(ctx);
            await ctx.context.internalAdapter.deleteSession(created.session.token);
            ctx.context.setNewSession(null);
            const challenge = randomBytes(32).toString('base64url');
            const now = helios.clock.now();
            const expiresAt = new Date(now.getTime() + TWO_FACTOR_CHALLENGE_TTL_MS);
            const value: ChallengeValue = {
              userId: created.user.id,
              attempts: 0,
              rememberMe: ctx.body?.rememberMe !== false,
            };
            await db
              .insertInto('auth_verifications')
              .values({
                id: randomUUID(),
                identifier: challengeIdentifier(challenge),
                value: JSON.stringify(value),
                expires_at: expiresAt,
                created_at: now,
                updated_at: now,
              })
              .execute();
            // A redirecting first factor (an SSO callback) goes on to its page with the challenge in
            // the fragment (never sent to a server or in a Referer); the page asks for the code.
            const returned = ctx.context.returned as { headers?: Headers } | undefined;
            const location =
              ctx.context.responseHeaders?.get('location') ??
              returned?.headers?.get?.('location') ??
              null;
            if (location) {
              const target = new URL(location, ctx.context.baseURL);
              target.hash = new URLSearchParams({
                two_factor: 'required',
                challenge,
                expires_at: expiresAt.toISOString(),
              }).toString();
              const relative = location.startsWith('/') && !location.startsWith('//');
              throw ctx.redirect(
                relative ? `${target.pathname}${target.search}${target.hash}` : target.toString(),
              );
            }
            return ctx.json({
              twoFactorRequired: true,
              challenge,
              expiresAt: expiresAt.toISOString(),
            });
          }),
        },
      ],
    },
    endpoints: {
      heliosVerifyTwoFactor: createAuthEndpoint(
        '/two-factor/verify',
        { method: 'POST', body: verifyBody },
        async (ctx) => {
          const { challenge, code } = ctx.body;
          const identifier = challengeIdentifier(challenge);
          const now = helios.clock.now();
          // Take one attempt atomically; an expired, used-up or unknown challenge takes nothing.
          const claimed = await db
            .updateTable('auth_verifications')
            .set({
              value: sql<string>`jsonb_set(value::jsonb, '{attempts}', to_jsonb((value::jsonb->>'attempts')::int + 1))::text`,
              updated_at: now,
            })
            .where('identifier', '=', identifier)
            .where('expires_at', '>', now)
            .where(sql<number>`(value::jsonb->>'attempts')::int`, '<', TWO_FACTOR_MAX_ATTEMPTS)
            .returning('value')
            .executeTakeFirst();
          if (!claimed)
            throw unauthorized(
              'TWO_FACTOR_CHALLENGE_INVALID',
              'The sign-in challenge is invalid or has expired: sign in again.',
            );
          const value = JSON.parse(claimed.value) as ChallengeValue;
          const user = await db
            .selectFrom('organization_users')
            .select(['id', 'organization_id'])
            .where('id', '=', value.userId)
            .executeTakeFirst();
          if (!user)
            throw unauthorized(
              'TWO_FACTOR_CHALLENGE_INVALID',
              'The sign-in challenge is invalid or has expired: sign in again.',
            );
          const ipAddress = requestClientIp(ctx.request);
          const userAgent = ctx.request?.headers.get('user-agent') ?? null;

          // A slot per code checked: at most TWO_FACTOR_LOCKOUT_FAILURES codes are evaluated in the
          // window, however many requests arrive at once.
          const slot = await takeAttemptSlot(db, LOCKOUT, user.id);
          if (!slot) {
            await db
              .deleteFrom('auth_verifications')
              .where('identifier', '=', identifier)
              .execute();
            await recordAuthSecurityEvent(db, user.organization_id, {
              userId: user.id,
              eventType: 'two_factor_locked',
              severity: 'critical',
              description: `Two-factor code refused: ${TWO_FACTOR_LOCKOUT_FAILURES} wrong codes in ${TWO_FACTOR_LOCKOUT_MINUTES} minutes`,
              ipAddress,
              userAgent,
            });
            throw new APIError('TOO_MANY_REQUESTS', {
              code: 'TWO_FACTOR_LOCKED',
              message: 'Too many wrong codes: wait a few minutes, then sign in again.',
              retryAfterSeconds: TWO_FACTOR_LOCKOUT_MINUTES * 60,
            });
          }

          let valid = false;
          try {
            const result = await helios
              .withRequest({ ipAddress, userAgent })
              .twoFactor.verify(user.id, code, { actor: auth });
            valid = result.valid;
          } catch (error) {
            // A malformed code or two-factor reset meanwhile: a failed attempt like a wrong code.
            const failedAttempt =
              isHeliosError(error) &&
              (error.kind === 'INVALID_INPUT' || error.kind === 'PRECONDITION_FAILED') &&
              error.code !== 'SECRETS.NO_KEY' &&
              error.code !== 'SECRETS.UNKNOWN_KEY';
            if (!failedAttempt) {
              await settleAttemptSlot(db, slot);
              throw error;
            }
          }

          if (!valid) {
            const attempt = value.attempts;
            const exhausted = attempt >= TWO_FACTOR_MAX_ATTEMPTS;
            if (exhausted)
              await db
                .deleteFrom('auth_verifications')
                .where('identifier', '=', identifier)
                .execute();
            await settleAttemptSlot(db, slot, {
              organizationId: user.organization_id,
              event: {
                userId: user.id,
                eventType: 'two_factor_failed',
                severity: exhausted ? 'critical' : 'warning',
                description: exhausted
                  ? 'Wrong two-factor code; the sign-in challenge is void'
                  : 'Wrong two-factor code',
                ipAddress,
                userAgent,
                metadata: { attempt, maxAttempts: TWO_FACTOR_MAX_ATTEMPTS },
              },
            });
            throw unauthorized('TWO_FACTOR_INVALID_CODE', 'The code is wrong or was already used.');
          }
          await settleAttemptSlot(db, slot);

          // Single use: only the request that deletes the challenge signs in.
          const deleted = await db
            .deleteFrom('auth_verifications')
            .where('identifier', '=', identifier)
            .executeTakeFirst();
          if (Number(deleted.numDeletedRows) !== 1)
            throw unauthorized(
              'TWO_FACTOR_CHALLENGE_INVALID',
              'The sign-in challenge was already used.',
            );
          const session = await ctx.context.internalAdapter.createSession(
            user.id,
            !value.rememberMe,
          );
          const signedIn = await ctx.context.internalAdapter.findUserById(user.id);
          if (!session || !signedIn)
            throw unauthorized('FAILED_TO_CREATE_SESSION', 'The session could not be created.');
          await setSessionCookie(ctx, { session, user: signedIn }, !value.rememberMe);
          return ctx.json({ user: parseUserOutput(ctx.context.options, signedIn) });
        },
      ),
    },
    rateLimit: [{ pathMatcher: (path) => path === '/two-factor/verify', window: 60, max: 30 }],
  };
}
