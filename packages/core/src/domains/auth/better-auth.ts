/**
 * better-auth configured on the Helios tables: users are `organization_users`, sessions
 * `auth_sessions`, accounts `auth_accounts` (the one credential store), verifications
 * `auth_verifications`. Open sign-up is off (users come from setup, admins, invitations or sync);
 * endpoints that would change a user behind the SDK's policy (update-user, change-email,
 * delete-user...) are disabled; suspended, blocked and deleted users cannot sign in.
 */
import { randomUUID } from 'node:crypto';
import { stripVTControlCharacters } from 'node:util';
import { betterAuth } from 'better-auth';
import { APIError, isAPIError } from 'better-auth/api';
import { sql } from 'kysely';
import type { HeliosScope } from '../../helios';
import { recordAuthSecurityEvent } from '../../shared/auth-rows';
import type { UserActor } from '../policy/actor';
import { AUTH_ERRORS } from './auth.errors';
import { CLIENT_IP_HEADER, requestClientIp, withClientIp } from './client-ip';
import { type SignInThrottleOptions, signInThrottlePlugin } from './sign-in-throttle';
import { ssoPlugin } from './sso.plugin';
import { twoFactorPlugin } from './two-factor.plugin';

/** Options of `createHeliosAuth`. */
export interface HeliosAuthOptions {
  /** Signs cookies and tokens: `BETTER_AUTH_SECRET`, at least 32 characters. */
  secret: string;
  /** The portal's public URL (`HELIOS_PUBLIC_URL`), e.g. `https://portal.acme.com`. */
  baseURL: string;
  /** Where the auth routes are mounted (default `/api/auth`). */
  basePath?: string;
  /** Origins allowed to call the auth routes (besides baseURL). */
  trustedOrigins?: string[];
  /** Session lifetime in seconds (default 8 hours) and how often it is extended (default 15 minutes). */
  session?: { expiresIn?: number; updateAge?: number };
  /** Secure cookies (default: when baseURL is https). */
  secureCookies?: boolean;
  /** Sign-in attempts per IP per minute on `/sign-in/*` (default 10). */
  signInRateLimitPerMinute?: number;
  /** Per-account lock after repeated wrong passwords (default: 5 failures in 15 minutes). */
  signInThrottle?: SignInThrottleOptions;
}

/** The auth instance: the better-auth handler and helpers the server uses. */
export interface HeliosAuth {
  /** better-auth itself (its `api` and `handler`). */
  readonly betterAuth: ReturnType<typeof betterAuth>;
  /**
   * Handles a request to the auth routes (mount at `basePath/*`). Pass the client address the
   * server computed (`clientIp`): rate limits, sessions and security events use it. Any copy of
   * the internal address header the client sent is dropped; without `clientIp`, better-auth sees
   * no address (and in production rate-limits all such requests in one shared bucket).
   */
  handler(request: Request, context?: { clientIp?: string | null }): Promise<Response>;
  /** The user actor of the session in these headers (cookie), or null. */
  actorFromHeaders(headers: Headers): Promise<(UserActor & { sessionId: string }) | null>;
}

/** Paths of better-auth that are off: sign-up and changes that must go through the SDK's policy. */
export const DISABLED_AUTH_PATHS = [
  '/sign-up/email',
  '/update-user',
  '/change-email',
  '/delete-user',
  '/set-password',
  '/change-password',
  '/link-social',
  '/unlink-account',
  // Password resets go through helios.invitations (audited, state-checked, one credential store).
  '/request-password-reset',
  '/reset-password',
] as const;

/** better-auth's error-level messages that refuse a request for what the client sent (logged as warnings). */
const REQUEST_REFUSAL =
  /^(Invalid (origin|callbackURL|redirectURL|errorCallbackURL|newUserCallbackURL)\b|Blocked cross-site navigation)/;

/**
 * Configures better-auth for a Helios instance.
 *
 * @throws HeliosError INVALID_INPUT `AUTH.BAD_OPTIONS` when the secret is short or the URL invalid
 * @example
 * ```ts
 * const auth = createHeliosAuth(helios, { secret: process.env.BETTER_AUTH_SECRET!, baseURL: 'http://localhost:3000' });
 * // clientIp: the address your server trusts (socket peer, or X-Forwarded-For read from the right behind your proxies).
 * app.on(['GET', 'POST'], '/api/auth/*', (c) => auth.handler(c.req.raw, { clientIp }));
 * ```
 */
export function createHeliosAuth(helios: HeliosScope, options: HeliosAuthOptions): HeliosAuth {
  if (typeof options.secret !== 'string' || options.secret.length < 32) {
    throw AUTH_ERRORS.BAD_OPTIONS({ secret: true });
  }
  let base: URL;
  try {
    base = new URL(options.baseURL);
  } catch {
    throw AUTH_ERRORS.BAD_OPTIONS({ secret: false });
  }
  const db = helios.db;
  const signInLimit = options.signInRateLimitPerMinute ?? 10;

  const auth = betterAuth({
    appName: 'Helios',
    secret: options.secret,
    baseURL: base.origin,
    basePath: options.basePath ?? '/api/auth',
    trustedOrigins: options.trustedOrigins ?? [],
    database: { db: db.withoutPlugins(), type: 'postgres' },
    telemetry: { enabled: false },
    // better-auth's own messages go to the Helios logger (silent unless one is configured), without
    // terminal colour codes; its refusals of a request (an untrusted Origin or callback URL) are the
    // client's mistake, logged as warnings rather than errors.
    logger: {
      level: 'warn',
      disableColors: true,
      log: (level, message) => {
        const text = stripVTControlCharacters(String(message));
        const lvl =
          level === 'error' && REQUEST_REFUSAL.test(text)
            ? 'warn'
            : level === 'debug'
              ? 'debug'
              : level;
        helios.logger[lvl](`better-auth: ${text}`);
      },
    },
    // Errors of the auth routes: logged here instead of by better-auth's global console logger.
    onAPIError: {
      onError: (error) => {
        if (isAPIError(error)) {
          if (error.status === 'INTERNAL_SERVER_ERROR')
            helios.logger.error(`better-auth: ${error.message}`);
          else helios.logger.debug(`better-auth: ${error.status} ${error.message}`);
        } else {
          helios.logger.error(
            `better-auth: ${error instanceof Error ? `${error.name}: ${error.message}` : 'unexpected error'}`,
          );
        }
      },
    },
    disabledPaths: [...DISABLED_AUTH_PATHS],
    plugins: [
      signInThrottlePlugin(db, options.signInThrottle),
      twoFactorPlugin(helios),
      ssoPlugin(helios),
    ],
    emailAndPassword: {
      enabled: true,
      disableSignUp: true,
      minPasswordLength: 12,
      maxPasswordLength: 128,
      autoSignIn: false,
      revokeSessionsOnPasswordReset: true,
    },
    user: {
      modelName: 'organization_users',
      fields: {
        name: 'first_name',
        emailVerified: 'email_verified',
        image: 'avatar_url',
        createdAt: 'created_at',
        updatedAt: 'updated_at',
      },
      additionalFields: {
        lastName: { type: 'string', fieldName: 'last_name', required: false, input: false },
        organizationId: {
          type: 'string',
          fieldName: 'organization_id',
          required: false,
          input: false,
        },
        role: { type: 'string', fieldName: 'role', required: false, input: false },
        userStatus: { type: 'string', fieldName: 'user_status', required: false, input: false },
      },
    },
    session: {
      modelName: 'auth_sessions',
      expiresIn: options.session?.expiresIn ?? 8 * 3600,
      updateAge: options.session?.updateAge ?? 15 * 60,
      fields: {
        userId: 'user_id',
        expiresAt: 'expires_at',
        ipAddress: 'ip_address',
        userAgent: 'user_agent',
        createdAt: 'created_at',
        updatedAt: 'updated_at',
      },
    },
    account: {
      modelName: 'auth_accounts',
      fields: {
        userId: 'user_id',
        accountId: 'account_id',
        providerId: 'provider_id',
        accessToken: 'access_token',
        refreshToken: 'refresh_token',
        accessTokenExpiresAt: 'access_token_expires_at',
        refreshTokenExpiresAt: 'refresh_token_expires_at',
        idToken: 'id_token',
        createdAt: 'created_at',
        updatedAt: 'updated_at',
      },
    },
    verification: {
      modelName: 'auth_verifications',
      fields: { expiresAt: 'expires_at', createdAt: 'created_at', updatedAt: 'updated_at' },
    },
    advanced: {
      // Only the address the server computed and `handler` set; never a client-sent X-Forwarded-For.
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
      cookiePrefix: 'helios',
      useSecureCookies: options.secureCookies ?? base.protocol === 'https:',
      database: { generateId: () => randomUUID() },
    },
    rateLimit: {
      enabled: true,
      storage: 'memory',
      window: 60,
      max: 300,
      customRules: {
        '/sign-in/*': { window: 60, max: signInLimit },
        '/request-password-reset': { window: 60, max: 5 },
      },
    },
    databaseHooks: {
      session: {
        create: {
          before: async (session, ctx) => {
            const user = await db
              .selectFrom('organization_users')
              .select(['id', 'organization_id', 'user_status', 'deleted_at'])
              .where('id', '=', session.userId as string)
              .executeTakeFirst();
            if (user?.user_status !== 'active' || user.deleted_at !== null) {
              if (user) {
                await recordAuthSecurityEvent(db, user.organization_id, {
                  userId: user.id,
                  eventType: 'sign_in_refused',
                  severity: 'warning',
                  description: `Sign-in refused: the account is ${user.deleted_at ? 'deleted' : user.user_status}`,
                  ipAddress:
                    requestClientIp(ctx?.request) ??
                    (session.ipAddress as string | undefined) ??
                    null,
                  userAgent: (session.userAgent as string | undefined) ?? null,
                });
              }
              throw new APIError('FORBIDDEN', {
                message: 'This account cannot sign in.',
                code: 'ACCOUNT_INACTIVE',
              });
            }
            // The exact address (better-auth's own copy of an IPv6 address is cut to its /64 for rate limits).
            const ipAddress = requestClientIp(ctx?.request);
            if (ipAddress) return { data: { ...session, ipAddress } };
          },
          after: async (session) => {
            await db
              .updateTable('organization_users')
              .set({ last_login: sql<Date>`now()` })
              .where('id', '=', session.userId as string)
              .execute();
          },
        },
      },
    },
  });

  return {
    betterAuth: auth as unknown as ReturnType<typeof betterAuth>,
    handler: (request, context) => auth.handler(withClientIp(request, context?.clientIp)),
    async actorFromHeaders(headers) {
      const result = await auth.api.getSession({ headers });
      if (!result) return null;
      return { type: 'user', userId: result.user.id, sessionId: result.session.id };
    },
  };
}
