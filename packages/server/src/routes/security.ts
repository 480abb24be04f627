/**
 * Security routes: API keys, security events, OIDC single sign-on providers, SMTP settings, and
 * the public invitation and password reset links. Every route only validates and calls the SDK
 * bound to the caller (`c.var.sdk`), which decides permissions; secrets (API key hashes, SSO
 * client secrets, the SMTP password) never appear in a response. An API key's secret is returned
 * once, by its creation or renewal.
 */
import {
  API_KEY_ENVIRONMENTS,
  createApiKeySchema,
  createSsoProviderSchema,
  listApiKeysSchema,
  listApiKeyUsageSchema,
  listSecurityEventsSchema,
  listSsoProvidersSchema,
  OPERATIONS_ERRORS,
  PASSWORD_LENGTH,
  PUBLIC_URL_SETTING,
  resetEmailSchema,
  resolveSecurityEventSchema,
  sendTestSchema,
  setSmtpSettingsSchema,
  setupTokenSchema,
  updateApiKeySchema,
  updateSsoProviderSchema,
} from '@helios/core';
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { defineRoute, dto, IdParam, pageOf } from '../route';
import type { RouteDeps } from './index';

const timestamp = z.string().openapi({ format: 'date-time' });
const nullableTimestamp = timestamp.nullable();

/** `true` / `false` in a query string. */
const queryBoolean = z
  .enum(['true', 'false'])
  .transform((value) => value === 'true')
  .openapi({ type: 'boolean' });

const ApiKey = dto('ApiKey', {
  name: z.string(),
  description: z.string().nullable(),
  keyPrefix: z.string().openapi({
    description: 'The first characters of the secret, for recognising it (`helios_live_AbCd`)',
  }),
  environment: z.enum(API_KEY_ENVIRONMENTS),
  scopes: z.array(z.string()),
  ipAllowlist: z.array(z.string()),
  rateLimitPerMinute: z.number().int(),
  status: z.enum(['active', 'expired', 'revoked']),
  isActive: z.boolean(),
  expiresAt: nullableTimestamp,
  lastUsedAt: nullableTimestamp,
  usageCount: z.number().int(),
  createdBy: z.string().nullable(),
  createdAt: nullableTimestamp,
  updatedAt: nullableTimestamp,
  revokedAt: nullableTimestamp,
  revokedBy: z.string().nullable(),
});
const CreatedApiKey = z
  .object({
    apiKey: ApiKey,
    secret: z.string().openapi({
      description:
        'The key to send as `Authorization: Bearer <secret>` or `X-API-Key`. Shown this once: Helios keeps only its hash.',
      example: 'helios_live_3q2-7wEXAMPLEsecretEXAMPLEsecretEXAMPLEse',
    }),
  })
  .openapi('CreatedApiKey');
const ApiKeyUsage = dto('ApiKeyUsage', {
  apiKeyId: z.string(),
  endpoint: z.string(),
  method: z.string(),
  statusCode: z.number().int().nullable(),
  responseTimeMs: z.number().int().nullable(),
  ipAddress: z.string().nullable(),
  userAgent: z.string().nullable(),
  createdAt: nullableTimestamp,
});
const SecurityEvent = dto('SecurityEvent', {
  organizationId: z.string(),
  eventType: z.string(),
  severity: z.string(),
  source: z.string().nullable(),
  description: z.string().nullable(),
  userId: z.string().nullable(),
  metadata: z.unknown(),
  ipAddress: z.string().nullable(),
  userAgent: z.string().nullable(),
  isResolved: z.boolean().nullable(),
  resolvedAt: nullableTimestamp,
  resolvedBy: z.string().nullable(),
  resolutionNotes: z.string().nullable(),
  createdAt: nullableTimestamp,
});
const SsoProvider = dto('SsoProvider', {
  providerName: z.string(),
  displayName: z.string(),
  providerType: z.string(),
  issuer: z.string(),
  clientId: z.string(),
  clientSecretConfigured: z.boolean().openapi({
    description:
      'True when a client secret is stored (encrypted); the secret itself is never returned',
  }),
  scopes: z.array(z.string()),
  metadataUrl: z.string(),
  metadataUrlConfigured: z.boolean(),
  authorizationUrl: z.string().nullable(),
  tokenUrl: z.string().nullable(),
  userinfoUrl: z.string().nullable(),
  isEnabled: z.boolean(),
  isDefault: z.boolean(),
  callbackPath: z.string().openapi({
    description: 'Register `<public URL>/api/auth<callbackPath>` as redirect URI at the provider',
  }),
  createdAt: nullableTimestamp,
  updatedAt: nullableTimestamp,
});
const SsoValidationResult = z
  .object({
    providerId: z.string(),
    providerName: z.string(),
    issuer: z.string(),
    discoveryUrl: z.string(),
    endpoints: z.object({
      authorization: z.string(),
      token: z.string(),
      userinfo: z.string().nullable(),
      jwks: z.string(),
    }),
    signingAlgorithms: z.array(z.string()),
    signingKeys: z.number().int(),
    tokenEndpointAuthentication: z.enum(['client_secret_basic', 'client_secret_post']),
    clientCredentials: z.enum(['accepted', 'unknown']),
    warnings: z.array(z.string()),
  })
  .openapi('SsoValidationResult');
const SmtpConfig = dto('SmtpConfig', {
  host: z.string(),
  port: z.number().int(),
  username: z.string().nullable(),
  fromEmail: z.string(),
  fromName: z.string().nullable(),
  useTls: z.boolean(),
  isActive: z.boolean(),
  isVerified: z.boolean(),
  passwordConfigured: z.boolean().openapi({
    description:
      'True when a password is stored (encrypted); the password itself is never returned',
  }),
  passwordKeyId: z.string().nullable(),
  createdAt: nullableTimestamp,
  updatedAt: nullableTimestamp,
});
const SmtpTestResult = z.object({ to: z.string(), sentAt: timestamp }).openapi('SmtpTestResult');
const SetupTokenCheck = z
  .discriminatedUnion('valid', [
    z.object({
      valid: z.literal(true),
      purpose: z.enum(['invitation', 'reset']),
      email: z.string(),
      firstName: z.string(),
      expiresAt: timestamp,
    }),
    z.object({ valid: z.literal(false), reason: z.enum(['unknown', 'used', 'expired']) }),
  ])
  .openapi('SetupTokenCheck');
const PasswordSetResult = z
  .object({ userId: z.string(), email: z.string() })
  .openapi('PasswordSetResult');
const ResetRequested = z
  .object({ accepted: z.literal(true), message: z.string() })
  .openapi('PasswordResetRequested', {
    description: 'The same answer whether or not the address belongs to anyone',
  });

/** A password as typed; the SDK checks it against the policy (`CREDENTIALS.WEAK_PASSWORD`). */
const newPassword = z
  .string()
  .max(PASSWORD_LENGTH.max)
  .openapi({
    description: `The new password: ${PASSWORD_LENGTH.min} to ${PASSWORD_LENGTH.max} characters`,
    format: 'password',
  });
const TokenAndPassword = z.object({ token: setupTokenSchema, password: newPassword }).strict();

/** Marks a response that carries a secret or personal data as not to be cached. */
function noStore<T>(c: Context<AppEnv>, result: Promise<T>): Promise<T> {
  c.header('cache-control', 'no-store');
  return result;
}

const PUBLIC_URL_NOTE = `Links point to the organization setting \`${PUBLIC_URL_SETTING}\` (e.g. https://portal.acme.com), never to the request's Host header; without it the call fails with 409 INVITATIONS.NO_PUBLIC_URL.`;

/** API keys, security events, SSO providers, SMTP settings, invitations and password resets. */
export function registerSecurityRoutes(app: OpenAPIHono<AppEnv>, _deps: RouteDeps): void {
  registerApiKeyRoutes(app);
  registerSecurityEventRoutes(app);
  registerSsoRoutes(app);
  registerSmtpRoutes(app);
  registerInvitationRoutes(app);
}

function registerApiKeyRoutes(app: OpenAPIHono<AppEnv>): void {
  const tag = 'API keys';
  defineRoute(app, {
    method: 'get',
    path: '/api-keys',
    tag,
    summary: 'API keys, newest first (never their secrets)',
    scope: 'security:read',
    query: listApiKeysSchema,
    response: pageOf(ApiKey),
    handler: (c, { query }) => c.var.sdk.apiKeys.list(query),
  });
  defineRoute(app, {
    method: 'post',
    path: '/api-keys',
    tag,
    summary: 'Create an API key (the response carries its secret, once)',
    description:
      'The `secret` in the response is shown this once: Helios stores only its hash. An API key caller can only grant scopes it holds itself (403 API_KEYS.SCOPE_ESCALATION).',
    scope: 'security:write',
    body: createApiKeySchema,
    response: CreatedApiKey,
    status: 201,
    handler: (c, { body }) => noStore(c, c.var.sdk.apiKeys.create(body)),
  });
  defineRoute(app, {
    method: 'get',
    path: '/api-keys/{id}',
    tag,
    summary: 'One API key (never its secret)',
    scope: 'security:read',
    params: IdParam,
    response: ApiKey,
    handler: (c, { params }) => c.var.sdk.apiKeys.get(params.id),
  });
  defineRoute(app, {
    method: 'patch',
    path: '/api-keys/{id}',
    tag,
    summary: "Change an API key's name, description, scopes, allowlist, rate limit or expiry",
    scope: 'security:write',
    params: IdParam,
    body: updateApiKeySchema,
    response: ApiKey,
    status: 200,
    handler: (c, { params, body }) => c.var.sdk.apiKeys.update(params.id, body),
  });
  defineRoute(app, {
    method: 'post',
    path: '/api-keys/{id}/revoke',
    tag,
    summary: 'Revoke an API key: it stops working at once',
    scope: 'security:write',
    params: IdParam,
    response: ApiKey,
    status: 200,
    handler: (c, { params }) => c.var.sdk.apiKeys.revoke(params.id),
  });
  defineRoute(app, {
    method: 'post',
    path: '/api-keys/{id}/renew',
    tag,
    summary:
      'Replace an API key by a new one with the same settings (the new secret is shown once)',
    description:
      'Revokes the old key and creates a new one with the same name, scopes, allowlist, rate limit and lifetime, in one transaction.',
    scope: 'security:write',
    params: IdParam,
    response: CreatedApiKey,
    status: 201,
    handler: (c, { params }) => noStore(c, c.var.sdk.apiKeys.renew(params.id)),
  });
  defineRoute(app, {
    method: 'get',
    path: '/api-keys/{id}/usage',
    tag,
    summary: 'The recorded uses of an API key, newest first',
    description:
      'Uses are written in the background about every second, so the latest calls may not be listed yet.',
    scope: 'security:read',
    params: IdParam,
    query: listApiKeyUsageSchema,
    response: pageOf(ApiKeyUsage),
    handler: (c, { params, query }) => c.var.sdk.apiKeys.listUsage(params.id, query),
  });
}

function registerSecurityEventRoutes(app: OpenAPIHono<AppEnv>): void {
  const tag = 'Security events';
  defineRoute(app, {
    method: 'get',
    path: '/security-events',
    tag,
    summary: 'Security events, newest first, filtered by type, severity, user, resolution and time',
    scope: 'security:read',
    query: listSecurityEventsSchema.extend({ resolved: queryBoolean.optional() }),
    response: pageOf(SecurityEvent),
    handler: (c, { query }) => c.var.sdk.securityEvents.list(query),
  });
  defineRoute(app, {
    method: 'get',
    path: '/security-events/{id}',
    tag,
    summary: 'One security event',
    scope: 'security:read',
    params: IdParam,
    response: SecurityEvent,
    handler: (c, { params }) => c.var.sdk.securityEvents.get(params.id),
  });
  defineRoute(app, {
    method: 'post',
    path: '/security-events/{id}/resolve',
    tag,
    summary: 'Mark a security event resolved, with notes',
    scope: 'security:write',
    params: IdParam,
    body: resolveSecurityEventSchema.omit({ id: true }),
    response: SecurityEvent,
    status: 200,
    handler: (c, { params, body }) => c.var.sdk.securityEvents.resolve(params.id, body.notes),
  });
}

function registerSsoRoutes(app: OpenAPIHono<AppEnv>): void {
  const tag = 'SSO';
  defineRoute(app, {
    method: 'get',
    path: '/sso-providers',
    tag,
    summary: 'OIDC single sign-on providers, by name (never their client secrets)',
    scope: 'security:read',
    query: listSsoProvidersSchema.extend({
      isEnabled: queryBoolean.optional(),
      limit: z.coerce.number().int().min(1).max(100).optional(),
    }),
    response: pageOf(SsoProvider),
    handler: (c, { query }) => c.var.sdk.sso.list(query),
  });
  defineRoute(app, {
    method: 'post',
    path: '/sso-providers',
    tag,
    summary: 'Add an OIDC provider (its client secret is stored encrypted and never returned)',
    scope: 'security:write',
    body: createSsoProviderSchema,
    response: SsoProvider,
    status: 201,
    handler: (c, { body }) => c.var.sdk.sso.create(body),
  });
  defineRoute(app, {
    method: 'get',
    path: '/sso-providers/{id}',
    tag,
    summary: 'One OIDC provider',
    scope: 'security:read',
    params: IdParam,
    response: SsoProvider,
    handler: (c, { params }) => c.var.sdk.sso.get(params.id),
  });
  defineRoute(app, {
    method: 'patch',
    path: '/sso-providers/{id}',
    tag,
    summary: 'Change an OIDC provider (`clientSecret` replaces the stored one)',
    description:
      'Changing `issuer`, `metadataUrl`, `authorizationUrl`, `tokenUrl` or `userinfoUrl` needs `clientSecret` in the same request (400 `SECRETS.REENTRY_REQUIRED`): the stored secret never follows a new destination. Metadata, link-local and (unless allowed by HELIOS_ALLOW_PRIVATE_NETWORK_TARGETS) loopback or private targets are refused with 400 `NETWORK.TARGET_NOT_ALLOWED`.',
    scope: 'security:write',
    params: IdParam,
    body: updateSsoProviderSchema,
    response: SsoProvider,
    status: 200,
    handler: (c, { params, body }) => c.var.sdk.sso.update(params.id, body),
  });
  defineRoute(app, {
    method: 'delete',
    path: '/sso-providers/{id}',
    tag,
    summary: 'Delete an OIDC provider and the account links made through it',
    scope: 'security:write',
    params: IdParam,
    status: 204,
    handler: async (c, { params }) => {
      await c.var.sdk.sso.delete(params.id);
      return undefined;
    },
  });
  defineRoute(app, {
    method: 'post',
    path: '/sso-providers/{id}/validate',
    tag,
    summary:
      'Check a provider against the live identity provider (discovery, JWKS, client credentials)',
    description:
      'Writes nothing. A provider that fails a check answers 502 with the SSO.* code of the failing step.',
    scope: 'security:write',
    params: IdParam,
    response: SsoValidationResult,
    status: 200,
    handler: (c, { params }) => c.var.sdk.sso.validate(params.id),
  });
}

function registerSmtpRoutes(app: OpenAPIHono<AppEnv>): void {
  const tag = 'SMTP';
  defineRoute(app, {
    method: 'get',
    path: '/smtp',
    tag,
    summary: 'The SMTP settings (never the password); 404 SMTP.NOT_CONFIGURED when there are none',
    scope: 'security:read',
    response: SmtpConfig,
    handler: (c) => c.var.sdk.smtp.get(),
  });
  defineRoute(app, {
    method: 'put',
    path: '/smtp',
    tag,
    summary:
      'Store the SMTP settings (the password is encrypted; omitted keeps it, null removes it)',
    description:
      'A new `host`, `port` or `useTls` needs `password` (or null) in the same request (400 `SECRETS.REENTRY_REQUIRED`): the stored password is never sent to a new server. Metadata, link-local and (unless allowed by HELIOS_ALLOW_PRIVATE_NETWORK_TARGETS) loopback or private hosts are refused with 400 `NETWORK.TARGET_NOT_ALLOWED`, when saved and again when connecting.',
    scope: 'security:write',
    body: setSmtpSettingsSchema,
    response: SmtpConfig,
    status: 200,
    handler: (c, { body }) => c.var.sdk.smtp.set(body),
  });
  defineRoute(app, {
    method: 'delete',
    path: '/smtp',
    tag,
    summary: 'Remove the SMTP settings; 404 SMTP.NOT_CONFIGURED when there are none',
    scope: 'security:write',
    status: 204,
    handler: async (c) => {
      if (!(await c.var.sdk.smtp.delete())) throw OPERATIONS_ERRORS.SMTP_NOT_CONFIGURED();
      return undefined;
    },
  });
  defineRoute(app, {
    method: 'post',
    path: '/smtp/test',
    tag,
    summary:
      'Send a test message through the stored SMTP settings (marks them verified when accepted)',
    description:
      'Answers 502 SMTP.SEND_FAILED when the SMTP server refuses the message or cannot be reached.',
    scope: 'security:write',
    body: z.object({ to: sendTestSchema }).strict(),
    response: SmtpTestResult,
    status: 200,
    handler: (c, { body }) => c.var.sdk.smtp.sendTest(body.to),
  });
}

function registerInvitationRoutes(app: OpenAPIHono<AppEnv>): void {
  const tag = 'Invitations';
  const callers: ['public'] = ['public'];
  defineRoute(app, {
    method: 'get',
    path: '/invitations/verify',
    operationId: 'verifyInvitation',
    tag,
    summary: 'Check a token from an invitation or password reset link (no credentials)',
    description:
      'Valid tokens give the email and first name to show on the form; others only `unknown`, `used` or `expired`.',
    callers,
    query: z.object({ token: setupTokenSchema }),
    response: SetupTokenCheck,
    handler: (c, { query }) => noStore(c, c.var.sdk.invitations.verifyToken(query.token)),
  });
  defineRoute(app, {
    method: 'post',
    path: '/invitations/accept',
    operationId: 'acceptInvitation',
    tag,
    summary: 'Accept an invitation: set the password and activate the account (no credentials)',
    description:
      'The link works once. Answers 401 INVITATIONS.INVALID_TOKEN, INVITATIONS.USED or INVITATIONS.EXPIRED for a link that cannot be used.',
    callers,
    body: TokenAndPassword,
    response: PasswordSetResult,
    status: 200,
    handler: (c, { body }) => c.var.sdk.invitations.accept(body.token, body.password),
  });
  defineRoute(app, {
    method: 'post',
    path: '/password-reset/request',
    tag,
    summary: 'Request a password reset link by email (no credentials; always 202)',
    description: `Answers 202 whether or not the address belongs to an active user, so it cannot be used to find accounts; the link (valid 1 h) is mailed in the background. ${PUBLIC_URL_NOTE} Without mail (SMTP settings or a mailer) it fails with 409 MAIL.NOT_CONFIGURED, for any address.`,
    callers,
    body: z.object({ email: resetEmailSchema }).strict(),
    response: ResetRequested,
    status: 202,
    handler: async (c, { body }) => {
      await c.var.sdk.invitations.requestReset(body.email);
      return {
        accepted: true,
        message: 'If the address belongs to an active account, a reset link has been sent to it.',
      };
    },
  });
  defineRoute(app, {
    method: 'post',
    path: '/password-reset/complete',
    tag,
    summary: 'Set a new password with a reset link (no credentials); ends all sessions of the user',
    description:
      'The link works once. Answers 401 INVITATIONS.INVALID_TOKEN, INVITATIONS.USED or INVITATIONS.EXPIRED for a link that cannot be used.',
    callers,
    body: TokenAndPassword,
    response: PasswordSetResult,
    status: 200,
    handler: (c, { body }) => c.var.sdk.invitations.completeReset(body.token, body.password),
  });
}
