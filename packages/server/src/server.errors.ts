/**
 * The error codes of the reference server itself (requests it refuses before any SDK call, and its
 * options), with their kind and message. HTTP statuses come from the kind (problem.ts) except where
 * `PROBLEM_STATUS_OF_CODE` says otherwise.
 */
import { codesOf, defineErrors } from '@helios/core';

/** Errors of the reference server. */
export const SERVER_ERRORS = defineErrors({
  BAD_CREDENTIALS: {
    code: 'SERVER.BAD_CREDENTIALS',
    kind: 'UNAUTHENTICATED',
    message: 'The bearer token is not a Helios API key.',
  },
  ORIGIN_NOT_ALLOWED: {
    code: 'SERVER.ORIGIN_NOT_ALLOWED',
    kind: 'FORBIDDEN',
    message: (p: { method: string; origin: string | null }) =>
      p.origin
        ? `A cookie-authenticated ${p.method} is not accepted from the origin ${p.origin}.`
        : `A cookie-authenticated ${p.method} needs an Origin (or Referer) header naming the portal's origin.`,
    summary:
      "A cookie-authenticated state change came from another origin than the portal's (or named none).",
  },
  MALFORMED_REQUEST: {
    code: 'SERVER.MALFORMED_REQUEST',
    kind: 'INVALID_INPUT',
    message: (p: { message: string }) => p.message,
    summary: 'The request could not be read (malformed JSON, a NUL character in the body).',
  },
  HTTP_ERROR: {
    code: 'SERVER.HTTP_ERROR',
    kind: 'INVALID_INPUT',
    message: (p: { message: string }) => p.message,
    summary: 'The request was refused at the HTTP level (e.g. 405); the problem keeps that status.',
  },
  NOT_FOUND: {
    code: 'SERVER.NOT_FOUND',
    kind: 'NOT_FOUND',
    message: (p: { method: string; path: string }) => `No route ${p.method} ${p.path}.`,
    summary: 'No route for this method and path.',
  },
  BODY_TOO_LARGE: {
    code: 'SERVER.BODY_TOO_LARGE',
    kind: 'INVALID_INPUT',
    message: 'The request body is too large.',
  },
  RATE_LIMITED: {
    code: 'SERVER.RATE_LIMITED',
    kind: 'RATE_LIMITED',
    message: (p: { key: string; retryAfterSeconds: number }) =>
      `Too many requests to ${p.key}: try again in ${p.retryAfterSeconds} s.`,
    summary:
      'Too many requests from this address to a rate-limited route; `details.retryAfterSeconds`.',
  },
  BAD_OPTIONS: {
    code: 'SERVER.BAD_OPTIONS',
    kind: 'INVALID_INPUT',
    message: (p: { entry?: string }) =>
      p.entry === undefined
        ? 'trustProxy must be a boolean, a whole number of hops, or a list of CIDR ranges.'
        : `trustProxy: ${JSON.stringify(p.entry)} is not an address or CIDR range.`,
    summary: 'The server options are unusable (trustProxy).',
  },
});

/** The codes of {@link SERVER_ERRORS} by name. */
export const SERVER_ERROR_CODES = codesOf(SERVER_ERRORS);

/** Codes whose problem documents carry another HTTP status than their kind's. */
export const PROBLEM_STATUS_OF_CODE: Readonly<Record<string, string>> = {
  'SERVER.BODY_TOO_LARGE': '413',
  'SERVER.HTTP_ERROR': 'the refusal’s own (4xx)',
  'AUTH.FAILED': 'the auth endpoint’s own (4xx)',
};
