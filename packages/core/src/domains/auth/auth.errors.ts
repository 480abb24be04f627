/**
 * The error codes of the auth domain (sign-in, credentials, API keys, invitations, security
 * events, SSO, two-factor), with their kind and message. Codes the sign-in endpoints return
 * (better-auth errors mapped by the server) are listed here too, with the kind of their status.
 */
import { codesOf, defineErrors } from '../../errors';
import { issuesSpec } from '../../errors/core.errors';

type External = { message: string };

/** Errors of sign-in, credentials, API keys, invitations, security events, SSO and two-factor. */
export const AUTH_ERRORS = defineErrors({
  BAD_OPTIONS: {
    code: 'AUTH.BAD_OPTIONS',
    kind: 'INVALID_INPUT',
    message: (p: { secret: boolean }) =>
      p.secret
        ? 'The auth secret (BETTER_AUTH_SECRET) must be at least 32 characters.'
        : 'baseURL (HELIOS_PUBLIC_URL) must be an absolute URL.',
    summary:
      'The auth options are unusable (a secret shorter than 32 characters, or a relative base URL).',
  },
  INVALID_CREDENTIALS: {
    code: 'AUTH.INVALID_CREDENTIALS',
    kind: 'UNAUTHENTICATED',
    message: 'Invalid email or password.',
    summary: 'Sign-in: wrong email or password.',
  },
  ACCOUNT_LOCKED: {
    code: 'AUTH.ACCOUNT_LOCKED',
    kind: 'RATE_LIMITED',
    message: 'Too many failed sign-ins: try again later.',
    summary: 'Sign-in: too many failed attempts; `details.retryAfterSeconds` says when to retry.',
  },
  ACCOUNT_INACTIVE: {
    code: 'AUTH.ACCOUNT_INACTIVE',
    kind: 'FORBIDDEN',
    message: 'This account cannot sign in.',
    summary: 'Sign-in: the account is not active.',
  },
  EMAIL_NOT_VERIFIED: {
    code: 'AUTH.EMAIL_NOT_VERIFIED',
    kind: 'FORBIDDEN',
    message: 'The email address is not verified.',
    summary: 'Sign-in: the email address is not verified.',
  },
  ORIGIN_NOT_ALLOWED: {
    code: 'AUTH.ORIGIN_NOT_ALLOWED',
    kind: 'FORBIDDEN',
    message: 'The request comes from an origin that is not trusted.',
    summary: 'An auth request came from an untrusted origin.',
  },
  INVALID_CALLBACK_URL: {
    code: 'AUTH.INVALID_CALLBACK_URL',
    kind: 'FORBIDDEN',
    message: 'The callback URL is not trusted.',
    summary: 'An auth request names a callback URL outside the trusted origins.',
  },
  SESSION_FAILED: {
    code: 'AUTH.SESSION_FAILED',
    kind: 'INTERNAL',
    message: 'The session could not be created.',
    summary: 'Sign-in: the session could not be created.',
  },
  BAD_REQUEST: {
    code: 'AUTH.BAD_REQUEST',
    kind: 'INVALID_INPUT',
    message: 'The auth request is malformed.',
    summary: 'An auth endpoint refused the request (HTTP 400, no more specific code).',
  },
  UNAUTHENTICATED: {
    code: 'AUTH.UNAUTHENTICATED',
    kind: 'UNAUTHENTICATED',
    message: 'Not signed in.',
    summary: 'An auth endpoint needs a session (HTTP 401, no more specific code).',
  },
  FORBIDDEN: {
    code: 'AUTH.FORBIDDEN',
    kind: 'FORBIDDEN',
    message: 'Forbidden.',
    summary: 'An auth endpoint refused the request (HTTP 403, no more specific code).',
  },
  FAILED: {
    code: 'AUTH.FAILED',
    kind: 'INVALID_INPUT',
    message: 'The request failed.',
    summary: 'An auth endpoint failed with another 4xx status (the problem keeps that status).',
  },
  WEAK_PASSWORD: issuesSpec(
    'CREDENTIALS.WEAK_PASSWORD',
    'The password does not meet the password rules (`details.issues`).',
  ),
  WRONG_PASSWORD: {
    code: 'CREDENTIALS.WRONG_PASSWORD',
    kind: 'UNAUTHENTICATED',
    message: 'The current password is wrong.',
  },
  API_KEY_NOT_FOUND: {
    code: 'API_KEYS.NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such API key.',
    details: (p: { id: string }) => p,
  },
  API_KEY_ALREADY_REVOKED: {
    code: 'API_KEYS.ALREADY_REVOKED',
    kind: 'CONFLICT',
    message: 'This API key is already revoked.',
    details: (p: { id: string; revokedAt: Date | null }) => p,
  },
  API_KEY_SCOPE_ESCALATION: {
    code: 'API_KEYS.SCOPE_ESCALATION',
    kind: 'FORBIDDEN',
    message: 'An API key can only manage keys whose scopes it holds itself.',
    details: (p: { scopes: string[] }) => p,
  },
  API_KEY_INVALID: {
    code: 'API_KEYS.INVALID',
    kind: 'UNAUTHENTICATED',
    message: 'The API key is not valid.',
  },
  API_KEY_REVOKED: {
    code: 'API_KEYS.REVOKED',
    kind: 'UNAUTHENTICATED',
    message: 'The API key was revoked.',
  },
  API_KEY_EXPIRED: {
    code: 'API_KEYS.EXPIRED',
    kind: 'UNAUTHENTICATED',
    message: 'The API key has expired.',
    details: (p: { expiredAt: Date }) => p,
  },
  API_KEY_IP_NOT_ALLOWED: {
    code: 'API_KEYS.IP_NOT_ALLOWED',
    kind: 'FORBIDDEN',
    message: 'The API key may not be used from this address.',
    details: (p: { ipAddress: string | null | undefined }) => p,
  },
  API_KEY_RATE_LIMITED: {
    code: 'API_KEYS.RATE_LIMITED',
    kind: 'RATE_LIMITED',
    message: 'Too many requests with this API key; retry later.',
    details: (p: { retryAfterSeconds: number; limitPerMinute: number }) => p,
    retryable: true,
  },
  INVITATION_INVALID_STATE: {
    code: 'INVITATIONS.INVALID_STATE',
    kind: 'PRECONDITION_FAILED',
    message: (p: { status: string }) =>
      `Only staged or invited users are invited; this user is ${p.status}.`,
    details: (p) => ({ status: p.status }),
    summary: 'Only staged or invited users are invited.',
  },
  INVITATION_INVALID_TOKEN: {
    code: 'INVITATIONS.INVALID_TOKEN',
    kind: 'UNAUTHENTICATED',
    message: 'This link is not valid.',
  },
  INVITATION_EXPIRED: {
    code: 'INVITATIONS.EXPIRED',
    kind: 'UNAUTHENTICATED',
    message: 'This link has expired: ask for a new one.',
  },
  INVITATION_USED: {
    code: 'INVITATIONS.USED',
    kind: 'UNAUTHENTICATED',
    message: 'This link has already been used.',
  },
  INVITATION_SEND_FAILED: {
    code: 'INVITATIONS.SEND_FAILED',
    kind: 'EXTERNAL_SERVICE',
    message: (p: { reason: string | null }) =>
      `The invitation was created but its mail could not be sent${p.reason !== null ? ` (${p.reason})` : ''}; invite again to resend.`,
    retryable: true,
    summary:
      'The invitation exists but its mail could not be sent; invite again to resend (retryable).',
  },
  INVITATION_NO_PUBLIC_URL: {
    code: 'INVITATIONS.NO_PUBLIC_URL',
    kind: 'PRECONDITION_FAILED',
    message: (p: { setting: string }) =>
      `Links need the portal's URL: set the organization setting ${p.setting} (e.g. https://portal.acme.com) or pass publicUrl.`,
    summary:
      "No portal URL to build links with (the organization setting or the call's publicUrl).",
  },
  SECURITY_EVENT_NOT_FOUND: {
    code: 'SECURITY_EVENTS.NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such security event.',
    details: (p: { id: string }) => p,
  },
  SECURITY_EVENT_SYSTEM_ONLY: {
    code: 'SECURITY_EVENTS.SYSTEM_ONLY',
    kind: 'FORBIDDEN',
    message: 'Security events are recorded by the system only.',
    details: (p: { actor: string }) => p,
  },
  SECURITY_EVENT_ALREADY_RESOLVED: {
    code: 'SECURITY_EVENTS.ALREADY_RESOLVED',
    kind: 'CONFLICT',
    message: 'This security event is already resolved.',
    details: (p: { id: string; resolvedAt: Date | null }) => p,
  },
  SSO_PROVIDER_NOT_FOUND: {
    code: 'SSO.PROVIDER_NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such SSO provider.',
    details: (p: { id: string }) => p,
  },
  SSO_PROVIDER_EXISTS: {
    code: 'SSO.PROVIDER_EXISTS',
    kind: 'CONFLICT',
    message: 'A row with the same unique value already exists.',
    summary: 'An SSO provider with this name exists (unique constraint).',
  },
  SSO_DEFAULT_MUST_BE_ENABLED: {
    code: 'SSO.DEFAULT_MUST_BE_ENABLED',
    kind: 'INVALID_INPUT',
    message: 'A disabled provider cannot be the default provider.',
    details: () => ({
      issues: [
        { path: 'isDefault', message: 'A disabled provider cannot be the default', code: 'custom' },
      ],
    }),
  },
  SSO_NO_CLIENT_SECRET: {
    code: 'SSO.NO_CLIENT_SECRET',
    kind: 'PRECONDITION_FAILED',
    message: 'The provider has no client secret; set one with sso.update.',
  },
  SSO_CLIENT_REJECTED: {
    code: 'SSO.CLIENT_REJECTED',
    kind: 'EXTERNAL_SERVICE',
    message: (p: { error: string | null; description: string | null }) =>
      `The token endpoint refused the client id and secret (${p.error}${p.description ? `: ${p.description}` : ''}). Check clientId and clientSecret.`,
    summary: 'The token endpoint refused the client id and secret.',
  },
  SSO_CLIENT_AUTH_UNSUPPORTED: {
    code: 'SSO.CLIENT_AUTH_UNSUPPORTED',
    kind: 'EXTERNAL_SERVICE',
    message: (p: { supported: string[] }) =>
      `The provider supports neither client_secret_basic nor client_secret_post (it lists ${p.supported.join(', ') || 'nothing'}).`,
    details: (p) => ({ supported: p.supported }),
    summary: 'The provider supports neither client_secret_basic nor client_secret_post.',
  },
  SSO_DISCOVERY_FAILED: {
    code: 'SSO.DISCOVERY_FAILED',
    kind: 'EXTERNAL_SERVICE',
    message: (p: External) => p.message,
    retryable: true,
    summary:
      'The OIDC discovery document could not be read (unreachable, redirected elsewhere, HTTP error, too large, not JSON); retryable.',
  },
  SSO_ISSUER_MISMATCH: {
    code: 'SSO.ISSUER_MISMATCH',
    kind: 'EXTERNAL_SERVICE',
    message: (p: External) => p.message,
    summary: 'The discovery document names another issuer than the configured one (or none).',
  },
  SSO_DISCOVERY_INCOMPLETE: {
    code: 'SSO.DISCOVERY_INCOMPLETE',
    kind: 'EXTERNAL_SERVICE',
    message: (p: External) => p.message,
    summary: 'The discovery document lacks usable endpoints (https, or http on loopback).',
  },
  SSO_JWKS_FAILED: {
    code: 'SSO.JWKS_FAILED',
    kind: 'EXTERNAL_SERVICE',
    message: (p: External) => p.message,
    retryable: true,
    summary: 'The JSON Web Key Set could not be read; retryable.',
  },
  SSO_JWKS_INVALID: {
    code: 'SSO.JWKS_INVALID',
    kind: 'EXTERNAL_SERVICE',
    message: (p: External) => p.message,
    summary: 'The JSON Web Key Set has no usable signing key.',
  },
  SSO_TOKEN_ENDPOINT_FAILED: {
    code: 'SSO.TOKEN_ENDPOINT_FAILED',
    kind: 'EXTERNAL_SERVICE',
    message: (p: External) => p.message,
    retryable: true,
    summary: 'The token endpoint could not be reached; retryable.',
  },
  TWO_FACTOR_BAD_SECRET: {
    code: 'TWO_FACTOR.BAD_SECRET',
    kind: 'INVALID_INPUT',
    message: 'The secret is not base32.',
  },
  TWO_FACTOR_INVALID_CODE: {
    code: 'TWO_FACTOR.INVALID_CODE',
    kind: 'UNAUTHENTICATED',
    message: 'The code is wrong or was already used.',
  },
  TWO_FACTOR_NOT_ENABLED: {
    code: 'TWO_FACTOR.NOT_ENABLED',
    kind: 'PRECONDITION_FAILED',
    message: 'Two-factor sign-in is not enabled for this user.',
  },
  TWO_FACTOR_ALREADY_ENABLED: {
    code: 'TWO_FACTOR.ALREADY_ENABLED',
    kind: 'CONFLICT',
    message: (p: { enrolling: boolean }) =>
      p.enrolling
        ? 'Two-factor sign-in is already on; disable it first to enrol a new device.'
        : 'Two-factor sign-in is already on.',
    summary: 'Two-factor sign-in is already on (disable it first to enrol a new device).',
  },
  TWO_FACTOR_NOT_PENDING: {
    code: 'TWO_FACTOR.NOT_PENDING',
    kind: 'PRECONDITION_FAILED',
    message: 'No enrolment is pending: call beginEnrolment first.',
  },
  TWO_FACTOR_CODE_REQUIRED: {
    code: 'TWO_FACTOR.CODE_REQUIRED',
    kind: 'INVALID_INPUT',
    message: 'Enter a current code (or a backup code) to turn two-factor off.',
  },
  TWO_FACTOR_CHALLENGE_INVALID: {
    code: 'TWO_FACTOR.CHALLENGE_INVALID',
    kind: 'UNAUTHENTICATED',
    message: 'The sign-in challenge is invalid or has expired: sign in again.',
    summary: 'Sign-in: the two-factor challenge is invalid, expired or already used.',
  },
  TWO_FACTOR_LOCKED: {
    code: 'TWO_FACTOR.LOCKED',
    kind: 'RATE_LIMITED',
    message: 'Too many wrong codes: wait a few minutes, then sign in again.',
    summary:
      'Sign-in: too many wrong two-factor codes; `details.retryAfterSeconds` says when to retry.',
  },
});

/** The codes of {@link AUTH_ERRORS} by name. */
export const AUTH_ERROR_CODES = codesOf(AUTH_ERRORS);
