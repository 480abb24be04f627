/**
 * OIDC single sign-on through better-auth. Providers live in `sso_providers` (managed by
 * `helios.sso`), so they are not known when better-auth is created: for each sign-in request this
 * plugin loads the named provider, builds it with better-auth's generic OAuth support
 * (`genericOAuth`: discovery, authorization URL with PKCE, state and nonce, code exchange, ID-token
 * verification against the provider's JWKS) and hands it to better-auth's own social sign-in and
 * callback routes for that request only. Built providers are cached for five minutes and rebuilt
 * when the row changes.
 *
 * Routes (under the auth base path, e.g. `/api/auth`):
 * - `GET /sso/providers`: the enabled providers for the sign-in page (name, display name, default).
 * - `GET /sso/sign-in?provider=<name>&callbackURL=/&errorCallbackURL=/login`: redirects to the
 *   provider (the default provider when `provider` is omitted).
 * - `POST /sign-in/social` with `{ provider: '<name>' }`: better-auth's JSON variant (`{ url }`).
 * - `GET /callback/<name>`: the redirect URI to register at the provider.
 *
 * Rules: no sign-up (the email must belong to an active user of the organization and the provider
 * must assert it verified, `email_verified` true or "true"; a subject linked before wins over the
 * email); users with two-factor on must still enter a code (see `twoFactorPlugin`); the link is
 * stored in `auth_accounts` (provider_id = provider name, account_id = subject) without the
 * provider's tokens; refusals and failures redirect to the error URL with an `sso_*` error code
 * and write a `security_events` row.
 */
import { createHash } from 'node:crypto';
import type { BetterAuthPlugin } from 'better-auth';
import { APIError, createAuthEndpoint, createAuthMiddleware } from 'better-auth/api';
import { generateIdTokenNonce, generateState, type OAuthProvider } from 'better-auth/oauth2';
import { genericOAuth } from 'better-auth/plugins/generic-oauth';
import { sql } from 'kysely';
import { z } from 'zod';
import { isHeliosError } from '../../errors';
import type { HeliosScope } from '../../helios';
import { recordAuthSecurityEvent } from '../../shared/auth-rows';
import { requestClientIp } from './client-ip';
import {
  chooseTokenAuthentication,
  defaultDiscoveryUrl,
  fetchDiscovery,
  installationOrganizationId,
  loadSignInProvider,
  scopesOf,
} from './sso.shared';

/** Options of `ssoPlugin`. */
export interface SsoPluginOptions {
  /** How long a built provider (discovery, keys) is reused, in milliseconds (default 5 minutes). */
  cacheTtlMs?: number;
  /** Sign-in starts per IP per minute on `/sso/sign-in` (default 30). */
  signInRateLimitPerMinute?: number;
}

type AuthContextLike = Parameters<NonNullable<ReturnType<typeof genericOAuth>['init']>>[0];
type Provider = OAuthProvider;

interface BuiltProvider {
  key: string;
  expiresAt: number;
  provider: Provider;
}

interface SsoRow {
  id: string;
  organizationId: string;
  providerName: string;
}

/** What one callback request learned, for the after hook. */
interface CallbackState {
  row?: SsoRow;
  failure?: { error: string; description: string; userId?: string | null; recorded?: boolean };
}

const STATE_KEY = 'heliosSso';

function callbackState(context: object): CallbackState {
  const holder = context as Record<string, unknown>;
  if (!holder[STATE_KEY]) holder[STATE_KEY] = {};
  return holder[STATE_KEY] as CallbackState;
}

/** The OAuth error of a failed token request (`invalid_client`...), from better-fetch's error. */
function describeTokenError(error: unknown): string {
  if (error && typeof error === 'object') {
    const e = error as Record<string, unknown>;
    const code = typeof e.error === 'string' ? e.error : null;
    const text = typeof e.error_description === 'string' ? e.error_description.slice(0, 200) : null;
    const status = typeof e.status === 'number' ? e.status : null;
    if (code === 'invalid_client' || code === 'unauthorized_client') {
      return `The identity provider refused Helios's client id or secret (${code}); an administrator must fix the provider settings.`;
    }
    if (code)
      return `The identity provider refused the authorization code (${code}${text ? `: ${text}` : ''}).`;
    if (status) return `The identity provider's token endpoint answered HTTP ${status}.`;
  }
  return "The identity provider's token endpoint could not be reached.";
}

/**
 * The better-auth plugin of Helios for OIDC single sign-on through the providers stored in
 * `sso_providers` (see the module comment for its routes and rules).
 *
 * @example
 * ```ts
 * // registered by createHeliosAuth; a sign-in page links to:
 * //   /api/auth/sso/sign-in?provider=okta&callbackURL=/&errorCallbackURL=/login
 * ```
 */
export function ssoPlugin(helios: HeliosScope, options: SsoPluginOptions = {}): BetterAuthPlugin {
  const db = helios.db;
  const ttl = options.cacheTtlMs ?? 5 * 60_000;
  const cache = new Map<string, BuiltProvider>();

  /** Loads and builds an enabled provider (null: no such enabled provider). */
  const resolve = async (
    providerName: string | null,
    context: AuthContextLike,
  ): Promise<{ row: SsoRow; provider: Provider } | null> => {
    const loaded = await loadSignInProvider(db, helios.secretBox, providerName);
    if (!loaded) return null;
    const { row, clientSecret } = loaded;
    const ssoRow: SsoRow = {
      id: row.id,
      organizationId: row.organization_id,
      providerName: row.provider_name,
    };
    // Rebuilt whenever a setting that shapes the provider changes (not by updated_at: clocks can be fixed).
    const key = createHash('sha256')
      .update(
        JSON.stringify([
          row.id,
          row.issuer,
          row.client_id,
          row.client_secret,
          row.scopes,
          row.metadata_url,
          row.authorization_url,
          row.token_url,
          row.userinfo_url,
          row.display_name,
        ]),
      )
      .digest('hex');
    const cached = cache.get(row.provider_name);
    if (cached && cached.key === key && cached.expiresAt > Date.now())
      return { row: ssoRow, provider: cached.provider };
    const issuer = row.issuer!;
    const discoveryUrl = row.metadata_url ?? defaultDiscoveryUrl(issuer);
    // The guard checks the discovery URL and every endpoint it names; better-auth is then given the
    // checked authorization, token and userinfo endpoints (not whatever a later discovery read says).
    // Its own requests are not re-checked at connect time (DNS rebinding): see docs/security.md.
    const { document, endpoints } = await fetchDiscovery(
      discoveryUrl,
      issuer,
      {
        authorizationUrl: row.authorization_url,
        tokenUrl: row.token_url,
        userinfoUrl: row.userinfo_url,
      },
      helios.network,
    );
    const generic = genericOAuth({
      config: [
        {
          providerId: row.provider_name,
          name: row.display_name ?? row.provider_name,
          discoveryUrl,
          requireIdTokenVerification: true,
          clientId: row.client_id!,
          clientSecret,
          authentication: chooseTokenAuthentication(document),
          scopes: scopesOf(row.scopes),
          pkce: true,
          disableSignUp: true,
          overrideUserInfo: false,
          authorizationUrl: endpoints.authorization,
          tokenUrl: endpoints.token,
          ...(endpoints.userinfo ? { userInfoUrl: endpoints.userinfo } : {}),
        },
      ],
    });
    const initialized = await generic.init!({ ...context, socialProviders: [] } as AuthContextLike);
    const built = (initialized?.context?.socialProviders as Provider[] | undefined)?.find(
      (p) => p.id === row.provider_name,
    );
    if (!built || built.issuer !== issuer) {
      throw new APIError('BAD_GATEWAY', {
        code: 'SSO_DISCOVERY_FAILED',
        message: `The identity provider ${row.provider_name} could not be set up from its discovery document (issuer and JWKS are required).`,
      });
    }
    // Only the authorization-code flow: an ID token posted by a client (better-auth's `idToken`
    // sign-in) would skip the state, nonce and user checks of the callback.
    const provider: Provider = {
      ...built,
      options: { ...built.options, disableIdTokenSignIn: true },
    };
    cache.set(row.provider_name, { key, expiresAt: Date.now() + ttl, provider });
    return { row: ssoRow, provider };
  };

  /** `resolve`, with SDK errors turned into API errors (for the sign-in routes). */
  const resolveForSignIn = async (providerName: string | null, context: AuthContextLike) => {
    try {
      return await resolve(providerName, context);
    } catch (error) {
      if (isHeliosError(error))
        throw new APIError('BAD_GATEWAY', {
          code: error.code.replace('.', '_'),
          message: error.message,
        });
      throw error;
    }
  };

  const refuse = async (
    state: CallbackState,
    row: SsoRow,
    failure: NonNullable<CallbackState['failure']>,
    eventDescription: string,
  ) => {
    state.failure = { ...failure, recorded: true };
    await recordAuthSecurityEvent(db, row.organizationId, {
      userId: failure.userId ?? null,
      eventType: 'sso.sign_in_refused',
      severity: 'warning',
      description: eventDescription,
      metadata: { provider: row.providerName, reason: failure.error },
    });
  };

  /** The provider for one callback request: checks the user before better-auth links or signs in. */
  const forCallback = (base: Provider, row: SsoRow, state: CallbackState): Provider => ({
    ...base,
    async validateAuthorizationCode(data) {
      try {
        const tokens = await base.validateAuthorizationCode(data);
        if (!tokens)
          state.failure = {
            error: 'sso_token_exchange_failed',
            description: 'The identity provider returned no tokens.',
          };
        return tokens;
      } catch (error) {
        state.failure = {
          error: 'sso_token_exchange_failed',
          description: describeTokenError(error),
        };
        throw error;
      }
    },
    async getUserInfo(tokens) {
      if (!tokens.idToken) {
        state.failure = {
          error: 'sso_id_token_missing',
          description: 'The identity provider returned no ID token (is the openid scope granted?).',
        };
        return null;
      }
      const info = await base.getUserInfo(tokens);
      if (!info) {
        state.failure = {
          error: 'sso_id_token_invalid',
          description:
            'The ID token could not be verified (signature, issuer, audience, expiry or nonce).',
        };
        return null;
      }
      const subject = String((info.data as { sub?: unknown } | undefined)?.sub ?? '');
      const email = typeof info.user.email === 'string' ? info.user.email.trim().toLowerCase() : '';
      const columns = ['u.id', 'u.email', 'u.user_status', 'u.deleted_at'] as const;
      const linked = subject
        ? await db
            .selectFrom('auth_accounts as a')
            .innerJoin('organization_users as u', 'u.id', 'a.user_id')
            .select(columns)
            .where('a.provider_id', '=', row.providerName)
            .where('a.account_id', '=', subject)
            .where('u.organization_id', '=', row.organizationId)
            .executeTakeFirst()
        : undefined;
      // Matching by email trusts the provider's word that the address is the person's: only a
      // verified address may link an account or sign in by email (a linked subject needs no email).
      if (
        !linked &&
        email &&
        !isEmailVerifiedClaim(
          (info.data as { email_verified?: unknown } | undefined)?.email_verified,
        )
      ) {
        await refuse(
          state,
          row,
          {
            error: 'sso_email_unverified',
            description:
              'The identity provider did not confirm that this email address is verified (email_verified).',
          },
          `SSO sign-in refused: the email ${email} is not verified at the identity provider`,
        );
        return null;
      }
      const user =
        linked ??
        (email
          ? await db
              .selectFrom('organization_users as u')
              .select(columns)
              .where('u.organization_id', '=', row.organizationId)
              .where(sql<string>`lower(u.email)`, '=', email)
              .executeTakeFirst()
          : undefined);
      if (!user) {
        await refuse(
          state,
          row,
          {
            error: 'sso_user_not_found',
            description: 'No Helios account matches the email address the identity provider sent.',
          },
          `SSO sign-in refused: no user with the email ${email || '(none)'}`,
        );
        return null;
      }
      if (user.user_status !== 'active' || user.deleted_at !== null) {
        const status = user.deleted_at ? 'deleted' : user.user_status;
        await refuse(
          state,
          row,
          {
            error: 'sso_account_inactive',
            description: 'This account cannot sign in.',
            userId: user.id,
          },
          `SSO sign-in refused: the account is ${status}`,
        );
        return null;
      }
      if (!linked) {
        const other = await db
          .selectFrom('auth_accounts')
          .select('account_id')
          .where('provider_id', '=', row.providerName)
          .where('user_id', '=', user.id)
          .executeTakeFirst();
        if (other) {
          await refuse(
            state,
            row,
            {
              error: 'sso_subject_mismatch',
              description: 'This account is linked to another identity at this provider.',
              userId: user.id,
            },
            'SSO sign-in refused: the email belongs to a user linked to another subject of this provider',
          );
          return null;
        }
      }
      // Checked above: better-auth may link this (unlinked) user by email for this sign-in.
      return linked ? info : { ...info, user: { ...info.user, emailVerified: true } };
    },
  });

  const plugin = {
    id: 'helios-sso',
    init() {
      return {
        options: {
          // SSO links an existing user by email only when the provider says the address is verified
          // (`email_verified`, checked in getUserInfo); no provider is trusted blindly. Local emails
          // are set by admins, invitations or sync, not verified by better-auth.
          account: {
            accountLinking: {
              enabled: true,
              requireLocalEmailVerified: false,
              trustedProviders: [],
            },
          },
          databaseHooks: {
            account: {
              // The provider's tokens are not needed after sign-in: never store them.
              create: {
                before: async (account: Record<string, unknown>) => ({
                  data: stripTokens(account),
                }),
              },
              update: {
                before: async (account: Record<string, unknown>) => ({
                  data: stripTokens(account),
                }),
              },
            },
          },
        },
      };
    },
    endpoints: {
      heliosSsoProviders: createAuthEndpoint('/sso/providers', { method: 'GET' }, async (ctx) => {
        const organizationId = await installationOrganizationId(db);
        const rows = organizationId
          ? await db
              .selectFrom('sso_providers')
              .select(['provider_name', 'display_name', 'is_default'])
              .where('organization_id', '=', organizationId)
              .where('is_enabled', '=', true)
              .orderBy('provider_name')
              .execute()
          : [];
        return ctx.json({
          providers: rows.map((r) => ({
            providerName: r.provider_name,
            displayName: r.display_name ?? r.provider_name,
            isDefault: r.is_default === true,
          })),
        });
      }),
      heliosSsoSignIn: createAuthEndpoint(
        '/sso/sign-in',
        {
          method: 'GET',
          query: z.object({
            provider: z.string().max(63).optional(),
            callbackURL: z.string().max(2000).optional(),
            errorCallbackURL: z.string().max(2000).optional(),
          }),
        },
        async (ctx) => {
          // Checked here, not only by better-auth's origin middleware (which tests switch off).
          for (const url of [ctx.query.callbackURL, ctx.query.errorCallbackURL]) {
            if (
              url !== undefined &&
              !ctx.context.isTrustedOrigin(url, { allowRelativePaths: true })
            ) {
              throw new APIError('FORBIDDEN', {
                code: 'INVALID_CALLBACK_URL',
                message: 'The callback URL is not on a trusted origin.',
              });
            }
          }
          const resolved = await resolveForSignIn(
            ctx.query.provider ?? null,
            ctx.context as unknown as AuthContextLike,
          );
          if (!resolved) {
            throw new APIError('NOT_FOUND', {
              code: 'SSO_PROVIDER_NOT_FOUND',
              message: ctx.query.provider
                ? `No enabled SSO provider is named ${ctx.query.provider}.`
                : 'No default SSO provider is configured.',
            });
          }
          const { provider } = resolved;
          (ctx as { body?: unknown }).body = {
            callbackURL: ctx.query.callbackURL ?? '/',
            errorCallbackURL: ctx.query.errorCallbackURL,
          };
          const idTokenNonce = generateIdTokenNonce(provider);
          const { state, codeVerifier } = await generateState(ctx as never, { idTokenNonce });
          const url = await provider.createAuthorizationURL({
            state,
            codeVerifier,
            idTokenNonce,
            redirectURI: `${ctx.context.baseURL}/callback/${provider.id}`,
          });
          throw ctx.redirect(url.toString());
        },
      ),
    },
    hooks: {
      before: [
        {
          matcher: (ctx: { path?: string }) =>
            ctx.path === '/sign-in/social' || ctx.path === '/callback/:id',
          handler: createAuthMiddleware(async (ctx) => {
            const isCallback = ctx.path === '/callback/:id';
            const name = isCallback
              ? ctx.params?.id
              : (ctx.body as { provider?: unknown } | undefined)?.provider;
            if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9-]{1,62}$/.test(name)) return;
            const context = ctx.context as unknown as AuthContextLike & {
              socialProviders: Provider[];
            };
            let resolved: Awaited<ReturnType<typeof resolve>>;
            if (isCallback) {
              const state = callbackState(ctx.context);
              try {
                resolved = await resolve(name, context);
              } catch (error) {
                state.failure = {
                  error: 'sso_provider_unavailable',
                  description:
                    error instanceof Error
                      ? error.message
                      : 'The identity provider is unavailable.',
                };
                return;
              }
              if (!resolved) return;
              state.row = resolved.row;
              resolved = {
                ...resolved,
                provider: forCallback(resolved.provider, resolved.row, state),
              };
            } else {
              resolved = await resolveForSignIn(name, context);
              if (!resolved) return;
            }
            // For this request only: the context is a per-request copy.
            context.socialProviders = [
              resolved.provider,
              ...context.socialProviders.filter((p) => p.id !== name),
            ];
          }),
        },
      ],
      after: [
        {
          matcher: (ctx: { path?: string }) => ctx.path === '/callback/:id',
          handler: createAuthMiddleware(async (ctx) => {
            const returned = ctx.context.returned as
              | { status?: unknown; headers?: Headers }
              | undefined;
            const location =
              ctx.context.responseHeaders?.get('location') ??
              returned?.headers?.get?.('location') ??
              null;
            if (!location) return;
            const target = new URL(location, ctx.context.baseURL);
            const error = target.searchParams.get('error');
            if (!error) return;
            const state = callbackState(ctx.context);
            const failure = state.failure ?? { error, description: '' };
            if (!failure.recorded) {
              const organizationId =
                state.row?.organizationId ?? (await installationOrganizationId(db));
              if (organizationId) {
                await recordAuthSecurityEvent(db, organizationId, {
                  userId: failure.userId ?? null,
                  eventType: 'sso.sign_in_failed',
                  severity: 'warning',
                  description: `SSO sign-in failed (${failure.error})${failure.description ? `: ${failure.description}` : ''}`,
                  ipAddress: requestClientIp(ctx.request),
                  userAgent: ctx.request?.headers.get('user-agent') ?? null,
                  metadata: {
                    provider: state.row?.providerName ?? ctx.params?.id ?? null,
                    reason: failure.error,
                    callbackError: error,
                  },
                });
              }
            }
            if (!state.failure) return;
            target.searchParams.set('error', state.failure.error);
            if (state.failure.description)
              target.searchParams.set('error_description', state.failure.description);
            else target.searchParams.delete('error_description');
            throw ctx.redirect(
              location.startsWith('/') && !location.startsWith('//')
                ? `${target.pathname}${target.search}`
                : target.toString(),
            );
          }),
        },
      ],
    },
    rateLimit: [
      {
        pathMatcher: (path: string) => path === '/sso/sign-in',
        window: 60,
        max: options.signInRateLimitPerMinute ?? 30,
      },
    ],
  } satisfies BetterAuthPlugin;
  return plugin;
}

/**
 * True when an `email_verified` claim says the address is verified: the boolean `true`, or the
 * string `"true"` (Apple, and some Cognito user pools, send the claim as a string). Anything else
 * (absent, false, "false", "1", "yes") is not verified.
 */
export function isEmailVerifiedClaim(claim: unknown): boolean {
  return claim === true || claim === 'true';
}

/** Drops OAuth tokens from an account write (passwords and links are kept). */
function stripTokens(account: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of [
    'accessToken',
    'refreshToken',
    'idToken',
    'accessTokenExpiresAt',
    'refreshTokenExpiresAt',
  ] as const) {
    if (key in account) out[key] = null;
  }
  return out;
}
