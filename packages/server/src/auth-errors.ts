/**
 * better-auth answers its errors with `{ message, code }` JSON (and its rate limiter with a bare
 * message and `X-Retry-After`). The server turns them into application/problem+json like every
 * other route, with the codes of the rest of the API; success bodies and redirects pass untouched.
 */
import { type Logger, silentLogger } from '@helios/core';
import { type Problem, problem } from './problem';

/** better-auth's refusals of a request's Origin (a client outside the browser must send one). */
const ORIGIN_REFUSALS = new Set(['MISSING_OR_NULL_ORIGIN', 'INVALID_ORIGIN']);

/** better-auth's (and the Helios plugins') error codes, as the API's codes. */
const CODES: Record<string, string> = {
  INVALID_EMAIL_OR_PASSWORD: 'AUTH.INVALID_CREDENTIALS',
  INVALID_PASSWORD: 'AUTH.INVALID_CREDENTIALS',
  INVALID_EMAIL: 'VALIDATION.FAILED',
  VALIDATION_ERROR: 'VALIDATION.FAILED',
  PASSWORD_TOO_SHORT: 'VALIDATION.FAILED',
  PASSWORD_TOO_LONG: 'VALIDATION.FAILED',
  ACCOUNT_LOCKED: 'AUTH.ACCOUNT_LOCKED',
  ACCOUNT_INACTIVE: 'AUTH.ACCOUNT_INACTIVE',
  EMAIL_NOT_VERIFIED: 'AUTH.EMAIL_NOT_VERIFIED',
  INVALID_ORIGIN: 'AUTH.ORIGIN_NOT_ALLOWED',
  INVALID_CALLBACK_URL: 'AUTH.INVALID_CALLBACK_URL',
  TWO_FACTOR_INVALID_CODE: 'TWO_FACTOR.INVALID_CODE',
  TWO_FACTOR_CHALLENGE_INVALID: 'TWO_FACTOR.CHALLENGE_INVALID',
  TWO_FACTOR_LOCKED: 'TWO_FACTOR.LOCKED',
  SSO_PROVIDER_NOT_FOUND: 'SSO.PROVIDER_NOT_FOUND',
  SSO_DISCOVERY_FAILED: 'SSO.DISCOVERY_FAILED',
  FAILED_TO_CREATE_SESSION: 'AUTH.SESSION_FAILED',
};

/** The code of an error status without a known better-auth code. */
const BY_STATUS: Record<number, string> = {
  400: 'AUTH.BAD_REQUEST',
  401: 'AUTH.UNAUTHENTICATED',
  403: 'AUTH.FORBIDDEN',
  404: 'SERVER.NOT_FOUND',
  405: 'SERVER.HTTP_ERROR',
  413: 'SERVER.BODY_TOO_LARGE',
  429: 'SERVER.RATE_LIMITED',
};

/** Seconds the client should wait before retrying (better-auth's rate limiter and lockouts), default 60. */
function retryAfterOf(response: Response, body: Record<string, unknown>): number {
  const candidates = [
    body.retryAfterSeconds,
    response.headers.get('retry-after'),
    response.headers.get('x-retry-after'),
  ];
  for (const value of candidates) {
    const seconds =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && /^\d+$/.test(value)
          ? Number(value)
          : Number.NaN;
    if (Number.isFinite(seconds) && seconds >= 0) return Math.max(1, Math.ceil(seconds));
  }
  return 60;
}

/** The problem document of a better-auth error response and its parsed body. */
export function authProblem(
  response: Response,
  body: Record<string, unknown>,
  requestId?: string,
): Problem {
  const status = response.status;
  const authCode =
    typeof body.code === 'string' && /^[A-Z0-9_]{1,80}$/.test(body.code) ? body.code : null;
  const code =
    (authCode && CODES[authCode]) ??
    (status >= 500 ? 'INTERNAL.UNEXPECTED' : (BY_STATUS[status] ?? 'AUTH.FAILED'));
  const message =
    typeof body.message === 'string' && body.message.length > 0
      ? body.message
      : response.statusText || 'The request failed.';
  const details: Record<string, unknown> = {};
  if (authCode) details.authCode = authCode;
  if (status === 429) details.retryAfterSeconds = retryAfterOf(response, body);
  return problem(status, code, status >= 500 ? 'An unexpected error occurred.' : message, {
    ...(requestId ? { requestId } : {}),
    ...(status < 500 && Object.keys(details).length > 0 ? { details } : {}),
  });
}

/**
 * The response to send for better-auth's `response`: unchanged below 400; from 400 on, a problem
 * document with the same status, keeping its cookies (a sign-in that is refused may clear them). A
 * refusal for a missing or untrusted Origin is logged as a warning on `logger` (the operator's hint
 * that a script or a second front end is calling /api/auth without the right Origin).
 */
export async function authResponse(
  response: Response,
  requestId?: string,
  logger: Logger = silentLogger,
): Promise<Response> {
  if (response.status < 400) return response;
  let body: Record<string, unknown> = {};
  const text = await response.text().catch(() => '');
  try {
    const parsed: unknown = text ? JSON.parse(text) : {};
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: the status alone decides the code.
  }
  const p = authProblem(response, body, requestId);
  const authCode = p.details?.authCode;
  if (typeof authCode === 'string' && ORIGIN_REFUSALS.has(authCode)) {
    logger.warn(
      'auth request refused for its Origin header: a client of /api/auth must send Origin set to the public URL or a trusted origin',
      {
        ...(requestId ? { requestId } : {}),
        authCode,
      },
    );
  }
  const headers = new Headers();
  for (const cookie of response.headers.getSetCookie()) headers.append('set-cookie', cookie);
  headers.set('content-type', 'application/problem+json');
  const retry = p.details?.retryAfterSeconds;
  if (p.status === 429 && typeof retry === 'number') headers.set('retry-after', String(retry));
  return new Response(JSON.stringify(p), { status: p.status, headers });
}
