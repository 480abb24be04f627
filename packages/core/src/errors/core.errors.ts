/**
 * The error codes that belong to no one domain: input validation, configuration, the composition
 * root and the last-resort INTERNAL.
 */
import { codesOf, defineErrors } from './define-errors';

/** One problem of an input, as listed in `details.issues`. */
export interface IssueLike {
  path: string;
  message: string;
  code: string;
}

/** "Invalid input at <path>: <message>" of the first issue (the message of every validation error). */
export function issuesMessage(issues: readonly IssueLike[]): string {
  const first = issues[0];
  return first
    ? `Invalid input${first.path ? ` at ${first.path}` : ''}: ${first.message}`
    : 'Invalid input';
}

/**
 * A spec for an INVALID_INPUT code raised by `parseInput`: the message names the first issue and
 * `details.issues` lists them all.
 */
export function issuesSpec<const C extends string>(code: C, summary: string) {
  return {
    code,
    kind: 'INVALID_INPUT',
    message: (p: { issues: IssueLike[] }) => issuesMessage(p.issues),
    details: (p: { issues: IssueLike[] }) => ({ issues: p.issues }),
    summary,
  } as const;
}

/** Validation, configuration, composition-root and internal errors. */
export const CORE_ERRORS = defineErrors({
  VALIDATION_FAILED: {
    code: 'VALIDATION.FAILED',
    kind: 'INVALID_INPUT',
    message: (p: { issues?: IssueLike[]; message?: string }) =>
      p.message ?? issuesMessage(p.issues ?? []),
    details: (p) => (p.issues ? { issues: p.issues } : {}),
    summary:
      'The input does not match its schema; `details.issues` lists every field problem ({ path, message, code }).',
  },
  INTERNAL_UNEXPECTED: {
    code: 'INTERNAL.UNEXPECTED',
    kind: 'INTERNAL',
    message: (p: { message?: string }) => p.message ?? 'An unexpected error occurred.',
    summary: 'An unexpected failure (the original error is the `cause`, never shown to clients).',
  },
  CONFIG_INVALID: {
    code: 'CONFIG.INVALID',
    kind: 'INVALID_INPUT',
    message: (p: { problems: string[] } | { message: string }) =>
      'message' in p ? p.message : `Invalid configuration: ${p.problems.join('; ')}`,
    summary: 'An environment variable or option has a bad value (each problem is named).',
  },
  CONFIG_MISSING: {
    code: 'CONFIG.MISSING',
    kind: 'PRECONDITION_FAILED',
    message: (p: { variable: string; why: string }) =>
      `${p.variable} is required in production (${p.why}).`,
    summary: 'A setting required in production is not set.',
  },
  HELIOS_BAD_OPTIONS: {
    code: 'HELIOS.BAD_OPTIONS',
    kind: 'INVALID_INPUT',
    message: 'Pass exactly one of db, databaseUrl or embedded.',
  },
  HELIOS_SCHEMA_NOT_INSTALLED: {
    code: 'HELIOS.SCHEMA_NOT_INSTALLED',
    kind: 'PRECONDITION_FAILED',
    message: (p: { state: string; reason?: string | null }) =>
      p.state === 'empty'
        ? 'The database is empty: run `helios db install` (or pass install: true).'
        : p.state === 'live'
          ? 'This is a predecessor installation: run `helios db adopt` first.'
          : `Not a Helios database: ${p.reason ?? 'unknown tables'}`,
    details: (p) => ({ state: p.state }),
    summary:
      'The database holds no Helios schema (empty, a predecessor installation, or something else).',
  },
  EXTERNAL_IN_TRANSACTION: {
    code: 'EXTERNAL.IN_TRANSACTION',
    kind: 'PRECONDITION_FAILED',
    message: (p: { operation: string }) =>
      `${p.operation} calls out of the process and cannot run inside a transaction: call it outside helios.transaction().`,
    details: (p) => ({ operation: p.operation }),
    summary:
      'An operation that calls Google, Microsoft Graph, an identity provider or a mail server was called inside an open transaction (it reads, calls out, then records in short transactions of its own); `details.operation` names it.',
  },
});

/** The codes of {@link CORE_ERRORS} by name. */
export const CORE_ERROR_CODES = codesOf(CORE_ERRORS);
