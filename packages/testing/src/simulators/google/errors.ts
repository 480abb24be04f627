/**
 * Errors and replies of the Google Directory simulator: Google's JSON error envelope
 * (`{ error: { code, message, errors: [{ message, domain, reason }], status } }`) and the headers
 * Google sends with every JSON answer.
 */
import type { ServerResponse } from 'node:http';
import { SimulatorHttpError, sendJson } from '../http-kit';

const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** An error answered in Google's JSON error envelope. */
export class ApiError extends SimulatorHttpError {
  constructor(
    code: number,
    message: string,
    readonly reason: string,
    readonly domain = 'global',
    readonly extra: Record<string, string> = {},
    headers: Record<string, string> = {},
  ) {
    super(code, message, headers);
  }

  /** The HTTP status (Google's `error.code`). */
  get code(): number {
    return this.status;
  }

  envelope() {
    return {
      error: {
        code: this.code,
        message: this.message,
        errors: [
          {
            message: this.extra.detail ?? this.message,
            domain: this.domain,
            reason: this.reason,
            ...withoutDetail(this.extra),
          },
        ],
        status: STATUS[this.code] ?? 'UNKNOWN',
      },
    };
  }
}

function withoutDetail(extra: Record<string, string>): Record<string, string> {
  const { detail: _detail, ...rest } = extra;
  return rest;
}

export const notFound = (what: string) =>
  new ApiError(404, `Resource Not Found: ${what}`, 'notFound');
export const duplicate = (message = 'Entity already exists.') =>
  new ApiError(409, message, 'duplicate');
export const invalid = (message: string) => new ApiError(400, message, 'invalid');
export const badRequest = () => new ApiError(400, 'Bad Request', 'badRequest');
export const forbidden = () =>
  new ApiError(403, 'Not Authorized to access this resource/api', 'forbidden');
export const parseError = () => new ApiError(400, 'Parse Error', 'parseError');
export const backendError = () => new ApiError(500, 'Internal error encountered.', 'backendError');
export const quotaMessage =
  "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'admin.googleapis.com' for consumer 'project_number:100000000001'.";
const quotaConsole =
  'https://console.developers.google.com/apis/api/admin.googleapis.com/quotas?project=100000000001';
/** The 403 of an exhausted per-user rate quota, as the Directory API sends it (no Retry-After). */
export const userRateLimited = () =>
  new ApiError(
    403,
    `User Rate Limit Exceeded. Rate of requests for user exceed configured project quota. You may consider re-evaluating expected per-user traffic to the API and adjust project quota limits accordingly. You may monitor aggregate quota usage and adjust limits in the API Console: ${quotaConsole}`,
    'userRateLimitExceeded',
    'usageLimits',
    { extendedHelp: quotaConsole },
  );

/** The headers Google sends with every answer of the API. */
export const VARY = { vary: 'Origin, X-Origin, Referer' };

/** Sends JSON as the Directory API does (UTF-8 upper case, `vary`, `cache-control: private`). */
export function sendGoogleJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendJson(
    res,
    status,
    body,
    { ...VARY, 'cache-control': 'private', ...headers },
    'application/json; charset=UTF-8',
  );
}

export function sendError(res: ServerResponse, error: ApiError): void {
  sendGoogleJson(res, error.code, error.envelope(), {
    ...(error.code === 401
      ? { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' }
      : {}),
    ...error.headers,
  });
}
