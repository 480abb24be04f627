/**
 * Google errors in Helios terms: OAuth token errors (JWT bearer grant), Directory API errors and
 * network failures become a HeliosError with a `GOOGLE.*` code, a message in plain words that says
 * what to fix, and facts in `details` (HTTP status, Google's reason, Retry-After); never a key or token.
 */
import {
  codesOf,
  defineErrors,
  type HeliosError,
  type HeliosErrorOptions,
  isHeliosError,
} from '../../errors';
import { issuesSpec } from '../../errors/core.errors';
import { parseRetryAfter } from '../../shared/retry';
import {
  callFailureSpec,
  configurationFailureSpec,
  providerErrorSpecs,
  writebackLinkErrorSpecs,
} from '../integrations/integrations.errors';

/** The errors of this domain, with their kind; the message says what happened and what to fix. */
export const GOOGLE_ERRORS = defineErrors({
  RATE_LIMITED: callFailureSpec(
    'GOOGLE.RATE_LIMITED',
    'RATE_LIMITED',
    'Google throttled the calls (HTTP 429, 403 rateLimitExceeded / userRateLimitExceeded): RATE_LIMITED, retryable.',
  ),
  QUOTA_EXCEEDED: callFailureSpec(
    'GOOGLE.QUOTA_EXCEEDED',
    'RATE_LIMITED',
    'A quota is used up (403 quotaExceeded: retryable; dailyLimitExceeded: not): RATE_LIMITED.',
  ),
  DELEGATION_NOT_GRANTED: configurationFailureSpec(
    'GOOGLE.DELEGATION_NOT_GRANTED',
    "Domain-wide delegation is not granted to the service account's client id (OAuth unauthorized_client).",
  ),
  SCOPE_MISSING: configurationFailureSpec(
    'GOOGLE.SCOPE_MISSING',
    'The delegation lacks a scope the call needs (403 insufficientPermissions).',
  ),
  NOT_SUPER_ADMIN: configurationFailureSpec(
    'GOOGLE.NOT_SUPER_ADMIN',
    'The impersonated admin may not do this: not a super administrator (403 forbidden "Not Authorized").',
  ),
  ADMIN_NOT_FOUND: configurationFailureSpec(
    'GOOGLE.ADMIN_NOT_FOUND',
    'The impersonated admin does not exist in Google Workspace (invalid_grant "Invalid email or User ID").',
  ),
  BAD_KEY: configurationFailureSpec(
    'GOOGLE.BAD_KEY',
    'Google rejects the service account key (invalid_grant Invalid JWT Signature, invalid_client, disabled).',
  ),
  TOKEN_REJECTED: callFailureSpec(
    'GOOGLE.TOKEN_REJECTED',
    'EXTERNAL_SERVICE',
    'Google refused the token request for another reason (e.g. the clock is off).',
  ),
  API_NOT_ENABLED: configurationFailureSpec(
    'GOOGLE.API_NOT_ENABLED',
    "The Admin SDK API is not enabled in the service account's Cloud project (403 accessNotConfigured).",
  ),
  NOT_FOUND: callFailureSpec(
    'GOOGLE.NOT_FOUND',
    'NOT_FOUND',
    'The user, group, member or org unit does not exist (404).',
  ),
  CONFLICT: callFailureSpec(
    'GOOGLE.CONFLICT',
    'CONFLICT',
    'It already exists, or changed meanwhile (409, 412).',
  ),
  NO_FREE_SEATS: callFailureSpec(
    'GOOGLE.NO_FREE_SEATS',
    'CONFLICT',
    'Every seat of the licence SKU is assigned (Licensing API 412 conditionNotMet): buy seats or free one.',
  ),
  INVALID_REQUEST: callFailureSpec(
    'GOOGLE.INVALID_REQUEST',
    'INVALID_INPUT',
    "Google refused the request's content (400).",
  ),
  ...providerErrorSpecs(
    'GOOGLE',
    'GOOGLE_WORKSPACE',
    { cloud: 'Google', product: 'Google Workspace', user: 'Google user', userKey: 'email' },
    {
      INVALID_KEY: issuesSpec(
        'GOOGLE.INVALID_KEY',
        'The service account key is not a valid JSON key of a service account (`details.issues`).',
      ),
    },
  ),
  WRITEBACK_EMAIL_OUTSIDE_DOMAIN: {
    code: 'GOOGLE_WRITEBACK.EMAIL_OUTSIDE_DOMAIN',
    kind: 'INVALID_INPUT',
    message: (p: { email: string; domain: string }) =>
      `${p.email} is not in the organization's Google domain (${p.domain}).`,
    details: (p) => ({ email: p.email, domain: p.domain }),
    summary: "The address is not in the organization's Google domain.",
  },
  ...writebackLinkErrorSpecs('GOOGLE_WRITEBACK', 'a Google user', 'googleId'),
});

/** The error codes of the Google Workspace provider and credentials. */
export const GOOGLE_ERROR_CODES = codesOf(GOOGLE_ERRORS);

/** One of the `GOOGLE.*` error codes. */
export type GoogleErrorCode = (typeof GOOGLE_ERROR_CODES)[keyof typeof GOOGLE_ERROR_CODES];

/** What was being done when a Google call failed, to explain the failure. */
export interface GoogleErrorContext {
  /** The operation, e.g. `users.list`, `token`. */
  operation: string;
  /** The service account's OAuth client id (for delegation instructions). */
  clientId?: string | null;
  /** The impersonated admin. */
  adminEmail?: string | null;
  /** The scopes requested. */
  scopes?: readonly string[] | null;
  /** Where the call went (API root or token URL), for unreachable errors. */
  url?: string | null;
}

const ADMIN_SCOPE_PREFIX = 'https://www.googleapis.com/auth/admin.directory.';

const AUTH_PREFIX = 'https://www.googleapis.com/auth/';

/** The scope an operation needs (for "scope missing" explanations). */
export function scopeForOperation(operation: string): string | null {
  const [resource, sub] = operation.split('.');
  if (operation === 'users.signOut' || resource === 'tokens' || resource === 'asps')
    return `${ADMIN_SCOPE_PREFIX}user.security`;
  if (resource === 'gmail')
    return `${AUTH_PREFIX}gmail.settings.${sub === 'forwardingAddresses' || sub === 'autoForwarding' ? 'sharing' : 'basic'}`;
  const api: Record<string, string> = {
    licenses: 'apps.licensing',
    datatransfer: 'admin.datatransfer',
    drive: 'drive',
    calendar: 'calendar',
  };
  if (resource && api[resource]) return `${AUTH_PREFIX}${api[resource]}`;
  switch (resource) {
    case 'users':
      return `${ADMIN_SCOPE_PREFIX}user`;
    case 'groups':
      return `${ADMIN_SCOPE_PREFIX}group`;
    case 'members':
      return `${ADMIN_SCOPE_PREFIX}group.member`;
    case 'orgunits':
      return `${ADMIN_SCOPE_PREFIX}orgunit`;
    default:
      return null;
  }
}

const DELEGATION_PLACE =
  'Google Admin console > Security > Access and data control > API controls > Manage domain-wide delegation';

/** The shape of the errors the Google client library throws (GaxiosError), read defensively. */
interface ErrorLike {
  message?: unknown;
  code?: unknown;
  name?: unknown;
  status?: unknown;
  cause?: unknown;
  response?: { status?: unknown; data?: unknown; headers?: unknown };
  config?: { url?: unknown };
}

/** The URL (origin and path, no query) an error's request went to, or null. */
function requestUrl(error: ErrorLike): string | null {
  const raw = error.config?.url;
  if (raw === undefined || raw === null) return null;
  try {
    const url = new URL(String(raw));
    return `${url.origin}${url.pathname}`;
  } catch {
    return null;
  }
}

/** Reads a header from a fetch `Headers` or a plain object. */
function header(headers: unknown, name: string): string | null {
  if (!headers || typeof headers !== 'object') return null;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    const value = (headers as { get(n: string): string | null }).get(name);
    return value ?? null;
  }
  const entry = Object.entries(headers as Record<string, unknown>).find(
    ([k]) => k.toLowerCase() === name.toLowerCase(),
  );
  return entry && typeof entry[1] === 'string' ? entry[1] : null;
}

/** Seconds to wait from a Retry-After header (re-exported for the public API). */
export { parseRetryAfter };

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** The network error code of an error or its causes (ECONNREFUSED, TimeoutError...), or null. */
function networkCode(error: unknown): string | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const e = current as ErrorLike;
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
    if (e.name === 'TimeoutError' || e.code === 'TimeoutError') return 'TIMEOUT';
    if (e.name === 'AbortError' || e.code === 'AbortError') return 'ABORTED';
    current = e.cause;
  }
  if (error instanceof TypeError && /fetch failed|network/i.test(error.message)) return 'NETWORK';
  return null;
}

/** The registered errors a failed Google call maps to (their message is the explanation). */
type GoogleCallError = (typeof GOOGLE_ERRORS)[keyof typeof GOOGLE_ERRORS] &
  ((params: { message: string }, options?: HeliosErrorOptions) => HeliosError);

function make(
  error: GoogleCallError,
  message: string,
  details: Record<string, unknown>,
  cause: unknown,
  retryable = false,
): HeliosError {
  return error({ message }, { details, cause: stripSecrets(cause), retryable });
}

/** The cause without its request config (which carries the signed assertion and the bearer token). */
function stripSecrets(cause: unknown): unknown {
  if (!cause || typeof cause !== 'object') return cause;
  const e = cause as ErrorLike;
  const plain = new Error(typeof e.message === 'string' ? e.message : 'Google request failed');
  if (typeof e.code === 'string') (plain as Error & { code?: string }).code = e.code;
  return plain;
}

/** Maps an OAuth token endpoint error (`{ error, error_description }`). */
function fromOAuthError(
  body: { error: string; error_description?: unknown },
  status: number | null,
  ctx: GoogleErrorContext,
  cause: unknown,
): HeliosError {
  const description = typeof body.error_description === 'string' ? body.error_description : '';
  const said = description ? `${body.error}: ${description}` : body.error;
  const details = {
    operation: ctx.operation,
    status,
    reason: body.error,
    googleMessage: description || null,
  };
  const client = ctx.clientId ? `client id ${ctx.clientId}` : "the service account's client id";
  if (body.error === 'unauthorized_client' || body.error === 'access_denied') {
    const scopes = ctx.scopes?.length ? ` with the scopes ${ctx.scopes.join(', ')}` : '';
    return make(
      GOOGLE_ERRORS.DELEGATION_NOT_GRANTED,
      `Google refused to let the service account act for ${ctx.adminEmail ?? 'the admin'} (${said}). Domain-wide delegation is not granted, or not for every requested scope: in the ${DELEGATION_PLACE}, add ${client}${scopes}.`,
      details,
      cause,
    );
  }
  if (
    body.error === 'invalid_client' ||
    body.error === 'disabled_client' ||
    /signature|private key|key.*(deleted|disabled|revoked)|account not found/i.test(description)
  ) {
    return make(
      GOOGLE_ERRORS.BAD_KEY,
      `Google rejected the service account key (${said}). The key was deleted or disabled, or belongs to another service account: create a new JSON key in Google Cloud console > IAM & Admin > Service accounts > Keys and configure it again.`,
      details,
      cause,
    );
  }
  if (
    body.error === 'invalid_grant' &&
    /email or user id|subject|user not found/i.test(description)
  ) {
    return make(
      GOOGLE_ERRORS.ADMIN_NOT_FOUND,
      `Google does not know the admin to impersonate, ${ctx.adminEmail ?? 'the admin'} (${said}): set adminEmail to an existing super administrator of the domain.`,
      details,
      cause,
    );
  }
  return make(
    GOOGLE_ERRORS.TOKEN_REJECTED,
    `Google refused to issue an access token (${said}). Check that the key is current and this machine's clock is right.`,
    details,
    cause,
  );
}

interface ApiErrorBody {
  code?: unknown;
  message?: unknown;
  status?: unknown;
  errors?: Array<{ reason?: unknown; message?: unknown; domain?: unknown }>;
  details?: Array<{ reason?: unknown }>;
}

/** Maps a Directory API error (`{ error: { code, message, errors: [{ reason }] } }`) or a bare HTTP status. */
function fromApiError(
  status: number,
  body: ApiErrorBody | null,
  retryAfter: number | null,
  ctx: GoogleErrorContext,
  cause: unknown,
): HeliosError {
  const googleMessage = typeof body?.message === 'string' ? body.message : null;
  const reasons = [
    ...(body?.errors ?? []).map((e) => (typeof e.reason === 'string' ? e.reason : null)),
    ...(body?.details ?? []).map((d) => (typeof d.reason === 'string' ? d.reason : null)),
  ].filter((r): r is string => r !== null);
  const reason = reasons[0] ?? (typeof body?.status === 'string' ? body.status : null);
  const has = (...names: string[]) => reasons.some((r) => names.includes(r));
  const details: Record<string, unknown> = {
    operation: ctx.operation,
    status,
    reason,
    googleMessage,
  };
  const said = googleMessage ? ` (${status} ${googleMessage})` : ` (HTTP ${status})`;

  if (status === 429 || has('rateLimitExceeded', 'userRateLimitExceeded', 'RATE_LIMIT_EXCEEDED')) {
    return make(
      GOOGLE_ERRORS.RATE_LIMITED,
      `Google is throttling the calls${said}: retry ${retryAfter !== null ? `in ${retryAfter} s` : 'later'}.`,
      { ...details, retryAfterSeconds: retryAfter },
      cause,
      true,
    );
  }
  if (
    has('quotaExceeded', 'dailyLimitExceeded', 'RESOURCE_EXHAUSTED') ||
    body?.status === 'RESOURCE_EXHAUSTED'
  ) {
    const daily = has('dailyLimitExceeded');
    return make(
      GOOGLE_ERRORS.QUOTA_EXCEEDED,
      `A Google API quota is used up${said}${daily ? ': the daily limit resets at midnight Pacific time.' : ': retry later.'}`,
      { ...details, retryAfterSeconds: retryAfter },
      cause,
      !daily,
    );
  }
  if (status === 401) {
    return make(
      GOOGLE_ERRORS.TOKEN_REJECTED,
      `Google did not accept the access token${said}: the key may have been revoked; test the connection again.`,
      details,
      cause,
    );
  }
  if (status === 403) {
    if (
      has('insufficientPermissions', 'ACCESS_TOKEN_SCOPE_INSUFFICIENT') ||
      /insufficient.*scope|scope.*insufficient/i.test(googleMessage ?? '')
    ) {
      const scope = scopeForOperation(ctx.operation);
      return make(
        GOOGLE_ERRORS.SCOPE_MISSING,
        `Domain-wide delegation lacks a scope needed for ${ctx.operation}${said}: in the ${DELEGATION_PLACE}, edit ${ctx.clientId ? `client id ${ctx.clientId}` : "the service account's client id"} and add ${scope ?? 'the missing scope'}.`,
        { ...details, scope },
        cause,
      );
    }
    if (has('accessNotConfigured', 'SERVICE_DISABLED')) {
      return make(
        GOOGLE_ERRORS.API_NOT_ENABLED,
        `The Admin SDK API is not enabled for the service account's Cloud project${said}: enable it in Google Cloud console > APIs & Services > Library > Admin SDK API.`,
        details,
        cause,
      );
    }
    if (
      has('forbidden', 'PERMISSION_DENIED', 'authError') ||
      /not authorized/i.test(googleMessage ?? '') ||
      reasons.length === 0
    ) {
      return make(
        GOOGLE_ERRORS.NOT_SUPER_ADMIN,
        `${ctx.adminEmail ?? 'The impersonated admin'} is not allowed to do ${ctx.operation}${said}: domain-wide delegation acts as that user, who must be a super administrator; set adminEmail to a super admin.`,
        details,
        cause,
      );
    }
  }
  if (status === 404) {
    return make(
      GOOGLE_ERRORS.NOT_FOUND,
      `Google has no such resource for ${ctx.operation}${said}.`,
      details,
      cause,
    );
  }
  if (ctx.operation === 'licenses.insert' && (status === 412 || has('conditionNotMet'))) {
    return make(
      GOOGLE_ERRORS.NO_FREE_SEATS,
      `No free seat of the licence${said}: buy more licences in the Google Admin console > Billing > Subscriptions, or remove the licence from someone who left.`,
      details,
      cause,
    );
  }
  if (status === 409 || status === 412 || has('duplicate', 'conditionNotMet')) {
    return make(
      GOOGLE_ERRORS.CONFLICT,
      `Google refused ${ctx.operation}: it already exists or changed meanwhile${said}.`,
      details,
      cause,
    );
  }
  if (status === 400) {
    return make(
      GOOGLE_ERRORS.INVALID_REQUEST,
      `Google refused the request of ${ctx.operation}${said}.`,
      details,
      cause,
    );
  }
  if (status === 408 || status >= 500) {
    return make(
      GOOGLE_ERRORS.UNAVAILABLE,
      `Google failed to answer ${ctx.operation}${said}: retry later.`,
      { ...details, retryAfterSeconds: retryAfter },
      cause,
      true,
    );
  }
  return make(
    GOOGLE_ERRORS.REQUEST_FAILED,
    `Google refused ${ctx.operation}${said}.`,
    details,
    cause,
  );
}

function asNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Parses a body that the client library left as text. */
function parseBody(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}

/**
 * Translates any error of a Google call (token request, API call, network) into a HeliosError with a
 * `GOOGLE.*` code and a message that says what to fix. HeliosErrors pass through unchanged.
 *
 * @example
 * ```ts
 * try { await directory.users.list(...) } catch (e) { throw toGoogleError(e, { operation: 'users.list', adminEmail }) }
 * ```
 */
export function toGoogleError(
  error: unknown,
  ctx: GoogleErrorContext,
  now: Date = new Date(),
): HeliosError {
  if (isHeliosError(error)) return error;
  const e = (error && typeof error === 'object' ? error : {}) as ErrorLike;
  const status = asNumber(e.response?.status) ?? asNumber(e.status);
  const data = parseBody(e.response?.data);
  if (data && typeof data === 'object' && typeof (data as { error?: unknown }).error === 'string') {
    return fromOAuthError(
      data as { error: string; error_description?: unknown },
      status,
      ctx,
      error,
    );
  }
  if (status !== null) {
    const body =
      data && typeof data === 'object'
        ? ((data as { error?: unknown }).error as ApiErrorBody | undefined)
        : undefined;
    const retryAfter = parseRetryAfter(header(e.response?.headers, 'retry-after'), now);
    return fromApiError(
      status,
      body && typeof body === 'object' ? body : null,
      retryAfter,
      ctx,
      error,
    );
  }
  const network = networkCode(error);
  if (network) {
    const url = requestUrl(e) ?? ctx.url ?? null;
    const where = url ? ` at ${url}` : '';
    const what =
      network === 'TIMEOUT'
        ? 'timed out'
        : network === 'ABORTED'
          ? 'was aborted'
          : network === 'NETWORK'
            ? 'could not connect'
            : `could not connect (${network})`;
    return make(
      GOOGLE_ERRORS.UNAVAILABLE,
      `Google could not be reached${where}: the request ${what}. Check the network and proxy settings of this server.`,
      { operation: ctx.operation, status: null, reason: network, url, retryAfterSeconds: null },
      error,
      true,
    );
  }
  const message = typeof e.message === 'string' ? e.message : String(error);
  return make(
    GOOGLE_ERRORS.REQUEST_FAILED,
    `The Google call ${ctx.operation} failed: ${message}`,
    { operation: ctx.operation, status: null },
    error,
  );
}
