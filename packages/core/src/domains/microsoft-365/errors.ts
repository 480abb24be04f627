/**
 * Microsoft errors in Helios terms: Entra ID token errors (AADSTS codes from MSAL), Microsoft Graph
 * errors and network failures become a HeliosError with a `MICROSOFT.*` code, a message that says
 * what to fix, and facts in `details` (HTTP status, Graph's code, Retry-After); never a secret or token.
 */
import {
  codesOf,
  defineErrors,
  type HeliosError,
  type HeliosErrorOptions,
  isHeliosError,
} from '../../errors';
import { parseRetryAfter } from '../../shared/retry';
import {
  callFailureSpec,
  configurationFailureSpec,
  providerErrorSpecs,
  writebackLinkErrorSpecs,
} from '../integrations/integrations.errors';

/** The errors of this domain, with their kind; the message says what happened and what to fix. */
export const MICROSOFT_ERRORS = defineErrors({
  THROTTLED: callFailureSpec(
    'MICROSOFT.THROTTLED',
    'RATE_LIMITED',
    'Graph throttled the call (429, or 503/504 with Retry-After after the retries): RATE_LIMITED, retryable.',
  ),
  TENANT_NOT_FOUND: configurationFailureSpec(
    'MICROSOFT.TENANT_NOT_FOUND',
    'The tenant id is unknown to Entra ID (AADSTS90002).',
  ),
  APP_NOT_FOUND: configurationFailureSpec(
    'MICROSOFT.APP_NOT_FOUND',
    'No app registration with this client id in the tenant (AADSTS700016).',
  ),
  BAD_SECRET: configurationFailureSpec(
    'MICROSOFT.BAD_SECRET',
    'The client secret is wrong (AADSTS7000215).',
  ),
  SECRET_EXPIRED: configurationFailureSpec(
    'MICROSOFT.SECRET_EXPIRED',
    'The client secret has expired (AADSTS7000222).',
  ),
  TOKEN_REJECTED: callFailureSpec(
    'MICROSOFT.TOKEN_REJECTED',
    'EXTERNAL_SERVICE',
    'Entra ID refused the token request for another reason.',
  ),
  PERMISSION_MISSING: configurationFailureSpec(
    'MICROSOFT.PERMISSION_MISSING',
    'Graph refused: the app lacks an application permission, or admin consent was not granted (403 Authorization_RequestDenied).',
  ),
  NOT_FOUND: callFailureSpec(
    'MICROSOFT.NOT_FOUND',
    'NOT_FOUND',
    'The user, group, member or licence does not exist (404).',
  ),
  CONFLICT: callFailureSpec(
    'MICROSOFT.CONFLICT',
    'CONFLICT',
    'It already exists (e.g. the UPN, a membership).',
  ),
  NO_LICENSES_AVAILABLE: callFailureSpec(
    'MICROSOFT.NO_LICENSES_AVAILABLE',
    'CONFLICT',
    'No free units of the licence SKU are left (nothing was assigned).',
  ),
  INVALID_REQUEST: callFailureSpec(
    'MICROSOFT.INVALID_REQUEST',
    'INVALID_INPUT',
    "Graph refused the request's content (400).",
  ),
  DELTA_EXPIRED: callFailureSpec(
    'MICROSOFT.DELTA_EXPIRED',
    'PRECONDITION_FAILED',
    'The delta link expired or is unknown (410): a full sync is needed.',
  ),
  ...providerErrorSpecs('MICROSOFT', 'MICROSOFT_365', {
    cloud: 'Microsoft',
    product: 'Microsoft 365',
    user: 'Microsoft 365 user',
    userKey: 'UPN',
  }),
  WRITEBACK_USER_NOT_SYNCED: {
    code: 'MICROSOFT_WRITEBACK.USER_NOT_SYNCED',
    kind: 'NOT_FOUND',
    message: (p: { msId: string; upn: string | null; removed: boolean }) =>
      p.removed
        ? `The Microsoft 365 user ${p.upn ?? p.msId} was removed from Microsoft 365.`
        : `The Microsoft 365 user ${p.msId} is not synced to Helios yet: run the Microsoft 365 sync first.`,
    details: (p) => ({ msId: p.msId }),
    summary: 'The Microsoft user is not in `ms_synced_users` (run the sync first), or was removed.',
  },
  WRITEBACK_GROUP_NOT_SYNCED: {
    code: 'MICROSOFT_WRITEBACK.GROUP_NOT_SYNCED',
    kind: 'NOT_FOUND',
    message: (p: { msId: string; displayName: string | null; removed: boolean }) =>
      p.removed
        ? `The Microsoft 365 group ${p.displayName} was removed from Microsoft 365.`
        : `The Microsoft 365 group ${p.msId} is not synced to Helios yet: run the Microsoft 365 sync first.`,
    details: (p) => ({ msId: p.msId }),
    summary:
      'The Microsoft group is not in `ms_synced_groups` (run the sync first), or was removed.',
  },
  ...writebackLinkErrorSpecs('MICROSOFT_WRITEBACK', 'a Microsoft 365 user', 'msId'),
  WRITEBACK_UNKNOWN_SKU: {
    code: 'MICROSOFT_WRITEBACK.UNKNOWN_SKU',
    kind: 'NOT_FOUND',
    message: (p: { skuId: string }) =>
      `The tenant has no subscription to the licence SKU ${p.skuId}: nothing was assigned.`,
    details: (p) => ({ skuId: p.skuId }),
    summary: "The licence SKU is not one of the tenant's subscriptions (nothing sent).",
  },
});

/** The error codes of the Microsoft 365 provider and credentials. */
export const MICROSOFT_ERROR_CODES = codesOf(MICROSOFT_ERRORS);

/** One of the `MICROSOFT.*` error codes. */
export type MicrosoftErrorCode = (typeof MICROSOFT_ERROR_CODES)[keyof typeof MICROSOFT_ERROR_CODES];

/** What was being done when a call failed. */
export interface MicrosoftErrorContext {
  /** e.g. `token`, `users.delta`, `users.assignLicense`. */
  operation: string;
  tenantId?: string;
  clientId?: string;
}

/** The application permissions an operation needs (for "permission missing" explanations). */
export function permissionsForOperation(operation: string): string {
  const [resource, verb = ''] = operation.split('.');
  const write = /create|update|delete|add|remove|reset|revoke|assign|patch/i.test(verb);
  switch (resource) {
    case 'calendarPermissions':
      return write ? 'Calendars.ReadWrite' : 'Calendars.Read';
    case 'managedDevices':
      return verb === 'list' || verb === 'get'
        ? 'DeviceManagementManagedDevices.Read.All'
        : 'DeviceManagementManagedDevices.PrivilegedOperations.All';
    case 'drive':
      return verb === 'children' || verb === 'permissions'
        ? 'Files.Read.All'
        : 'Files.ReadWrite.All';
    case 'events':
      return verb === 'calendarView' ? 'Calendars.Read' : 'Calendars.ReadWrite';
    case 'mailboxSettings':
    case 'messageRules':
      return write ? 'MailboxSettings.ReadWrite' : 'MailboxSettings.Read';
    case 'users':
      if (verb === 'memberOf') return 'GroupMember.Read.All (or Directory.Read.All)';
      if (verb === 'licenseDetails') return 'User.Read.All (or LicenseAssignment.Read.All)';
      if (verb === 'assignLicense')
        return 'LicenseAssignment.ReadWrite.All (or User.ReadWrite.All)';
      return write ? 'User.ReadWrite.All' : 'User.Read.All';
    case 'groups':
      return write
        ? 'GroupMember.ReadWrite.All (or Group.ReadWrite.All)'
        : 'Group.Read.All (or GroupMember.Read.All)';
    case 'subscribedSkus':
    case 'organization':
      return 'Organization.Read.All (or Directory.Read.All)';
    case 'directoryRoles':
      return 'RoleManagement.Read.Directory (or Directory.Read.All)';
    default:
      return 'Directory.Read.All';
  }
}

const CONSENT_PLACE =
  'Microsoft Entra admin center > App registrations > (the app) > API permissions';

/** The registered errors a failed Microsoft call maps to (their message is the explanation). */
type MicrosoftCallError = (typeof MICROSOFT_ERRORS)[keyof typeof MICROSOFT_ERRORS] &
  ((params: { message: string }, options?: HeliosErrorOptions) => HeliosError);

function make(
  error: MicrosoftCallError,
  message: string,
  details: Record<string, unknown>,
  cause: unknown,
  retryable = false,
): HeliosError {
  const plain = cause instanceof Error ? new Error(cause.message) : undefined;
  return error({ message }, { details, ...(plain ? { cause: plain } : {}), retryable });
}

/** The AADSTS code at the start of an Entra ID error description, or null. */
export function aadstsCode(text: string | null | undefined): string | null {
  return /AADSTS(\d+)/.exec(text ?? '')?.[0] ?? null;
}

/**
 * Maps a token failure (an MSAL ServerError/AuthError, or a network error) to a HeliosError.
 */
export function fromTokenError(error: unknown, ctx: MicrosoftErrorContext): HeliosError {
  if (isHeliosError(error)) return error;
  const e = (error ?? {}) as {
    errorCode?: string;
    errorMessage?: string;
    message?: string;
    subError?: string;
  };
  const text = `${e.errorMessage ?? ''} ${e.message ?? ''}`;
  const code = aadstsCode(text);
  const firstLine = (e.errorMessage ?? e.message ?? '').split(/\r?\n/)[0]?.trim() ?? '';
  const details = {
    operation: ctx.operation,
    aadsts: code,
    error: e.errorCode ?? null,
    microsoftMessage: firstLine || null,
  };
  const tenant = ctx.tenantId ? `tenant ${ctx.tenantId}` : 'the tenant';
  const client = ctx.clientId ? `client id ${ctx.clientId}` : 'the client id';
  switch (code) {
    case 'AADSTS90002':
    case 'AADSTS900023':
      return make(
        MICROSOFT_ERRORS.TENANT_NOT_FOUND,
        `Entra ID does not know ${tenant} (${code}): check the directory (tenant) id on the app registration's Overview page.`,
        details,
        error,
      );
    case 'AADSTS700016':
      return make(
        MICROSOFT_ERRORS.APP_NOT_FOUND,
        `No app registration with ${client} exists in ${tenant} (${code}): check the application (client) id, and that the app is registered in this tenant.`,
        details,
        error,
      );
    case 'AADSTS7000215':
      return make(
        MICROSOFT_ERRORS.BAD_SECRET,
        `Entra ID rejected the client secret (${code}): paste the secret's Value (not its ID) from Certificates & secrets, or create a new one.`,
        details,
        error,
      );
    case 'AADSTS7000222':
      return make(
        MICROSOFT_ERRORS.SECRET_EXPIRED,
        `The client secret has expired (${code}): create a new one under Certificates & secrets and configure it again.`,
        details,
        error,
      );
    default:
      break;
  }
  if (
    /network|ECONN|ENOTFOUND|ETIMEDOUT|fetch failed|timed out|abort/i.test(text) ||
    e.errorCode === 'network_error'
  ) {
    return make(
      MICROSOFT_ERRORS.UNAVAILABLE,
      `Entra ID could not be reached for a token: ${firstLine || 'network error'}.`,
      details,
      error,
      true,
    );
  }
  return make(
    MICROSOFT_ERRORS.TOKEN_REJECTED,
    `Entra ID refused the token request${code ? ` (${code})` : ''}: ${firstLine || 'no reason given'}.`,
    details,
    error,
  );
}

/** The shape of a Graph error as graph-client throws it (GraphError) or as a $batch sub-response carries it. */
export interface GraphFailure {
  status: number;
  code: string | null;
  message: string;
  retryAfter: string | null;
  requestId?: string | null;
}

/** Reads a GraphError (or a fetch/network error) into a GraphFailure; null when it is not one. */
export function readGraphFailure(error: unknown): GraphFailure | null {
  if (!error || typeof error !== 'object') return null;
  const e = error as {
    statusCode?: number;
    code?: string | null;
    message?: string;
    headers?: Headers;
    requestId?: string | null;
  };
  if (typeof e.statusCode !== 'number' || e.statusCode <= 0) return null;
  return {
    status: e.statusCode,
    code: e.code ?? null,
    message: e.message ?? '',
    retryAfter: typeof e.headers?.get === 'function' ? e.headers.get('retry-after') : null,
    requestId: e.requestId ?? null,
  };
}

/** Whether a failure is throttling or a transient server error worth retrying. */
export function isTransient(failure: GraphFailure): boolean {
  return (
    failure.status === 429 ||
    failure.status === 500 ||
    failure.status === 502 ||
    failure.status === 503 ||
    failure.status === 504
  );
}

/** Maps a Graph failure to a HeliosError. */
export function fromGraphFailure(
  failure: GraphFailure,
  ctx: MicrosoftErrorContext,
  cause?: unknown,
): HeliosError {
  const retryAfterSeconds = parseRetryAfter(failure.retryAfter);
  const details = {
    operation: ctx.operation,
    status: failure.status,
    graphCode: failure.code,
    graphMessage: failure.message || null,
    retryAfterSeconds,
  };
  const said = failure.message ? `: ${failure.message}` : '';
  if (failure.status === 429) {
    return make(
      MICROSOFT_ERRORS.THROTTLED,
      `Microsoft Graph throttled ${ctx.operation} and kept doing so after the retries${said}. Try again later.`,
      details,
      cause,
      true,
    );
  }
  if (failure.status === 401) {
    return make(
      MICROSOFT_ERRORS.TOKEN_REJECTED,
      `Microsoft Graph did not accept the access token for ${ctx.operation}${said}.`,
      details,
      cause,
    );
  }
  if (failure.status === 403) {
    return make(
      MICROSOFT_ERRORS.PERMISSION_MISSING,
      `The app may not do ${ctx.operation}${said}. Add the application permission ${permissionsForOperation(ctx.operation)} in the ${CONSENT_PLACE}, then "Grant admin consent".`,
      details,
      cause,
    );
  }
  if (failure.status === 404)
    return make(
      MICROSOFT_ERRORS.NOT_FOUND,
      `Microsoft 365 has no such object (${ctx.operation})${said}.`,
      details,
      cause,
    );
  if (
    failure.status === 410 ||
    /syncStateNotFound|resyncRequired|syncStateInvalid/i.test(failure.code ?? '')
  ) {
    return make(
      MICROSOFT_ERRORS.DELTA_EXPIRED,
      `The delta link expired (${ctx.operation}): a full sync is needed${said}.`,
      details,
      cause,
    );
  }
  if (failure.status === 400 && /does not have any available licenses/i.test(failure.message)) {
    return make(
      MICROSOFT_ERRORS.NO_LICENSES_AVAILABLE,
      `No licences left${said}. Free some units or buy more, then retry.`,
      details,
      cause,
    );
  }
  if (
    failure.status === 409 ||
    (failure.status === 400 && /already exist/i.test(failure.message))
  ) {
    return make(
      MICROSOFT_ERRORS.CONFLICT,
      `Microsoft 365 refused ${ctx.operation}: it already exists${said}.`,
      details,
      cause,
    );
  }
  if (failure.status === 400)
    return make(
      MICROSOFT_ERRORS.INVALID_REQUEST,
      `Microsoft 365 refused ${ctx.operation}${said}.`,
      details,
      cause,
    );
  if (failure.status >= 500) {
    return make(
      MICROSOFT_ERRORS.UNAVAILABLE,
      `Microsoft Graph failed on ${ctx.operation} (HTTP ${failure.status}) after the retries${said}.`,
      details,
      cause,
      true,
    );
  }
  return make(
    MICROSOFT_ERRORS.REQUEST_FAILED,
    `Microsoft Graph refused ${ctx.operation} (HTTP ${failure.status})${said}.`,
    details,
    cause,
  );
}

/** Maps any failure of a Graph call (GraphError, network error, timeout). */
export function fromGraphError(error: unknown, ctx: MicrosoftErrorContext): HeliosError {
  if (isHeliosError(error)) return error;
  const failure = readGraphFailure(error);
  if (failure) return fromGraphFailure(failure, ctx, error);
  const message = error instanceof Error ? error.message : String(error);
  return make(
    MICROSOFT_ERRORS.UNAVAILABLE,
    `Microsoft Graph could not be reached for ${ctx.operation}: ${message}.`,
    { operation: ctx.operation },
    error,
    true,
  );
}
