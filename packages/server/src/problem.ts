/**
 * Errors as application/problem+json (RFC 9457): one mapping from HeliosError kinds to HTTP
 * statuses, in one place. Never a stack trace; unknown errors are 500 "Internal error".
 */
import { type HeliosErrorKind, isDatabaseUnavailable, isHeliosError } from '@helios/core';
import { databaseUnavailable } from '@helios/core/internal';
import type { Context } from 'hono';

/** The HTTP status of each error kind. */
export const STATUS_OF_KIND: Record<HeliosErrorKind, number> = {
  INVALID_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 409,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  EXTERNAL_SERVICE: 502,
  UNAVAILABLE: 503,
};

const TITLES: Record<number, string> = {
  400: 'Invalid input',
  401: 'Not signed in',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  429: 'Too many requests',
  500: 'Internal error',
  502: 'External service failed',
  503: 'Service unavailable',
};

/** A problem document. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId?: string;
  /** Field problems of a validation error. */
  errors?: Array<{ path: string; message: string; code?: string }>;
  /** Other facts of the error (never secrets). */
  details?: Record<string, unknown>;
}

/** The problem document for an error. */
export function problemOf(error: unknown, requestId?: string): Problem {
  // A lost database connection that reached the server untranslated (e.g. through better-auth).
  if (!isHeliosError(error) && isDatabaseUnavailable(error))
    return problemOf(databaseUnavailable(error), requestId);
  if (isHeliosError(error)) {
    const status = STATUS_OF_KIND[error.kind] ?? 500;
    const { issues, ...details } = error.details as { issues?: Problem['errors'] } & Record<
      string,
      unknown
    >;
    return {
      type: `https://helios.dev/problems/${error.code.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
      title: TITLES[status] ?? 'Error',
      status,
      detail: status === 500 ? 'An unexpected error occurred.' : error.message,
      code: error.code,
      ...(requestId ? { requestId } : {}),
      ...(Array.isArray(issues) ? { errors: issues } : {}),
      ...(status !== 500 && Object.keys(details).length > 0 ? { details } : {}),
    };
  }
  return {
    type: 'about:blank',
    title: TITLES[500]!,
    status: 500,
    detail: 'An unexpected error occurred.',
    code: 'INTERNAL.UNEXPECTED',
    ...(requestId ? { requestId } : {}),
  };
}

/** Responds with a problem document. */
export function problemResponse(c: Context, problem: Problem): Response {
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  const retry = problem.details?.retryAfterSeconds;
  if ((problem.status === 429 || problem.status === 503) && typeof retry === 'number')
    headers['retry-after'] = String(Math.ceil(retry));
  return c.body(JSON.stringify(problem), problem.status as 400, headers);
}

/** A problem built from a registered error raised by the server itself, with an explicit status. */
export function problemFrom(
  status: number,
  error: { code: string; message: string },
  extra: Partial<Problem> = {},
): Problem {
  return problem(status, error.code, error.message, extra);
}

/** A problem built from parts (for errors raised by the server itself). */
export function problem(
  status: number,
  code: string,
  detail: string,
  extra: Partial<Problem> = {},
): Problem {
  return { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, code, ...extra };
}
