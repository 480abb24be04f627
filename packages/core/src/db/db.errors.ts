/**
 * The error codes of the database layer (connecting, the installer, PostgreSQL errors) and the
 * codes of unique constraints of domains that have no folder yet. The db files throw through these
 * factories (and `uniqueConstraintError` for a domain's unique constraint).
 */
import { codesOf, defineErrors, HeliosError, type HeliosErrorOptions } from '../errors';

type Said = { message: string };
const UNIQUE = 'A row with the same unique value already exists.';

/** Errors of the database layer. */
export const DB_ERRORS = defineErrors({
  BAD_URL: {
    code: 'DB.BAD_URL',
    kind: 'INVALID_INPUT',
    message: (p: Said) => p.message,
    summary: 'The database URL is not a postgres:// or postgresql:// URL.',
  },
  UNREACHABLE: {
    code: 'DB.UNREACHABLE',
    kind: 'EXTERNAL_SERVICE',
    message: (p: Said) => p.message,
    retryable: true,
    summary: 'The database server cannot be reached (refused, unknown host, timed out); retryable.',
  },
  AUTH_FAILED: {
    code: 'DB.AUTH_FAILED',
    kind: 'UNAUTHENTICATED',
    message: (p: Said) => p.message,
    summary: 'The database refused the credentials.',
  },
  NOT_FOUND: {
    code: 'DB.NOT_FOUND',
    kind: 'NOT_FOUND',
    message: (p: Said) => p.message,
    summary: 'The database does not exist (create it first).',
  },
  PERMISSION_DENIED: {
    code: 'DB.PERMISSION_DENIED',
    kind: 'FORBIDDEN',
    message: (p: Said) => p.message,
    summary:
      'The database user lacks a permission (the installer needs to create tables, functions and triggers).',
  },
  EMBEDDED_IN_USE: {
    code: 'DB.EMBEDDED_IN_USE',
    kind: 'CONFLICT',
    message: (p: Said) => p.message,
    summary: 'The embedded database directory is in use by another process.',
  },
  EMBEDDED_NOT_INSTALLED: {
    code: 'DB.EMBEDDED_NOT_INSTALLED',
    kind: 'PRECONDITION_FAILED',
    message: (p: { package: string }) =>
      `The embedded database needs the optional package ${p.package}: run \`npm install ${p.package}\`, or connect to PostgreSQL with a database URL`,
    summary:
      'The embedded database was requested but its optional package `@electric-sql/pglite` is not installed.',
  },
  UNAVAILABLE: {
    code: 'DB.UNAVAILABLE',
    kind: 'UNAVAILABLE',
    message: 'The database is unavailable right now; retry later.',
    retryable: true,
    summary:
      'The database is unavailable right now (lost connection, busy pool); `details.retryAfterSeconds`, retryable.',
  },
  UNEXPECTED: {
    code: 'DB.UNEXPECTED',
    kind: 'INTERNAL',
    message: (p: Said) => p.message,
    summary: 'An unexpected database error (the original is the `cause`).',
  },
  UNIQUE_VIOLATION: {
    code: 'DB.UNIQUE_VIOLATION',
    kind: 'CONFLICT',
    message: UNIQUE,
    summary: 'A unique constraint without a domain code was violated.',
  },
  STILL_REFERENCED: {
    code: 'DB.STILL_REFERENCED',
    kind: 'PRECONDITION_FAILED',
    message: 'The row is still referenced by other rows.',
  },
  REFERENCE_NOT_FOUND: {
    code: 'DB.REFERENCE_NOT_FOUND',
    kind: 'INVALID_INPUT',
    message: 'A referenced row does not exist.',
  },
  MISSING_VALUE: {
    code: 'DB.MISSING_VALUE',
    kind: 'INVALID_INPUT',
    message: (p: { column?: string }) =>
      `A required value is missing${p.column ? ` (${p.column})` : ''}.`,
    summary: 'A required value is missing (NOT NULL).',
  },
  CHECK_FAILED: {
    code: 'DB.CHECK_FAILED',
    kind: 'INVALID_INPUT',
    message: 'A value breaks a rule of the table.',
  },
  SERIALIZATION_FAILURE: {
    code: 'DB.SERIALIZATION_FAILURE',
    kind: 'CONFLICT',
    message: 'The transaction conflicted with another one; retry it.',
    retryable: true,
  },
  TIMEOUT: {
    code: 'DB.TIMEOUT',
    kind: 'INTERNAL',
    message: 'The database statement was cancelled (timeout).',
    retryable: true,
  },
  INVALID_VALUE: {
    code: 'DB.INVALID_VALUE',
    kind: 'INVALID_INPUT',
    message: 'A value has the wrong format or is out of range for its column.',
  },
  INSTALL_NOT_EMPTY: {
    code: 'INSTALL.NOT_EMPTY',
    kind: 'PRECONDITION_FAILED',
    message: (p: Said) => p.message,
    summary:
      'Refusing to install into a database that is not empty (a predecessor installation is adopted instead).',
  },
  INSTALL_SQL_FAILED: {
    code: 'INSTALL.SQL_FAILED',
    kind: 'INTERNAL',
    message: (p: Said) => p.message,
    summary: 'The schema could not be applied; nothing was changed.',
  },
  INSTALL_SCHEMA_FILE_MISSING: {
    code: 'INSTALL.SCHEMA_FILE_MISSING',
    kind: 'INTERNAL',
    message: (p: Said) => p.message,
    summary: 'schema_organization.sql was not found.',
  },
  INSTALL_SCHEMA_FILE_INVALID: {
    code: 'INSTALL.SCHEMA_FILE_INVALID',
    kind: 'INTERNAL',
    message: (p: Said) => p.message,
    summary: 'schema_organization.sql lacks one of its sections.',
  },
  ADOPT_EMPTY: {
    code: 'ADOPT.EMPTY',
    kind: 'PRECONDITION_FAILED',
    message: 'The database is empty: run `helios db install` instead',
  },
  ADOPT_UNRECOGNIZED: {
    code: 'ADOPT.UNRECOGNIZED',
    kind: 'PRECONDITION_FAILED',
    message: (p: Said) => p.message,
    summary: 'Refusing to adopt a database that is not a known predecessor installation.',
  },
  ADOPT_LIVE_DRIFT: {
    code: 'ADOPT.LIVE_DRIFT',
    kind: 'PRECONDITION_FAILED',
    message: (p: Said) => p.message,
    summary: 'Refusing to adopt: the database differs from the known live schema.',
  },
  ADOPT_BAD_STATUS: {
    code: 'ADOPT.BAD_STATUS',
    kind: 'PRECONDITION_FAILED',
    message: (p: Said) => p.message,
    summary:
      'Refusing to adopt: organization_users.status holds values outside the known statuses.',
  },
  ADOPT_INCOMPLETE: {
    code: 'ADOPT.INCOMPLETE',
    kind: 'INTERNAL',
    message: (p: Said) => p.message,
    summary: 'Adoption would leave drifts; nothing was changed.',
  },
  // Unique constraints of domains without a folder yet: move each to its domain's registry when it is built.
  EMAIL_TEMPLATES_KEY_TAKEN: {
    code: 'EMAIL_TEMPLATES.KEY_TAKEN',
    kind: 'CONFLICT',
    message: UNIQUE,
    summary: 'An email template with this key exists (unique constraint).',
  },
  AI_CONFIG_EXISTS: {
    code: 'AI.CONFIG_EXISTS',
    kind: 'CONFLICT',
    message: UNIQUE,
    summary: 'The organization already has an AI configuration (unique constraint).',
  },
  MEDIA_FOLDER_EXISTS: {
    code: 'MEDIA.FOLDER_EXISTS',
    kind: 'CONFLICT',
    message: UNIQUE,
    summary: 'A media folder with this path exists (unique constraint).',
  },
  TRAINING_ALREADY_ASSIGNED: {
    code: 'TRAINING.ALREADY_ASSIGNED',
    kind: 'CONFLICT',
    message: UNIQUE,
    summary: 'The training content is already assigned to the user (unique constraint).',
  },
  SIGNATURES_STATUS_EXISTS: {
    code: 'SIGNATURES.STATUS_EXISTS',
    kind: 'CONFLICT',
    message: UNIQUE,
    summary: 'The user already has a signature status (unique constraint).',
  },
  SIGNATURES_PIXEL_EXISTS: {
    code: 'SIGNATURES.PIXEL_EXISTS',
    kind: 'CONFLICT',
    message: UNIQUE,
    summary: 'The campaign already has a tracking pixel for the user (unique constraint).',
  },
  SIGNATURES_DEFAULT_TEMPLATE_EXISTS: {
    code: 'SIGNATURES.DEFAULT_TEMPLATE_EXISTS',
    kind: 'CONFLICT',
    message: UNIQUE,
    summary: 'The organization already has a default signature template (unique index).',
  },
  LIFECYCLE_DEFAULT_TEMPLATE_EXISTS: {
    code: 'LIFECYCLE.DEFAULT_TEMPLATE_EXISTS',
    kind: 'CONFLICT',
    message: UNIQUE,
    summary:
      'The organization already has a default onboarding (or offboarding) template (unique index).',
  },
  UPGRADE_BAD_MIGRATION: {
    code: 'UPGRADE.BAD_MIGRATION',
    kind: 'INTERNAL',
    message: (p: Said) => p.message,
    summary: 'A migration file is misnamed, misnumbered or has an unknown or no step.',
  },
  SCHEMA_AHEAD: {
    code: 'SCHEMA.AHEAD',
    kind: 'PRECONDITION_FAILED',
    message: (p: Said) => p.message,
    summary:
      'The database is at a newer schema version than this Helios: run a release that knows it.',
  },
  SCHEMA_BEHIND: {
    code: 'SCHEMA.BEHIND',
    kind: 'PRECONDITION_FAILED',
    message: (p: Said) => p.message,
    summary:
      'Migrations are pending: run `helios db upgrade` (or start with HELIOS_AUTO_UPGRADE=true).',
  },
  UPGRADE_CHECKSUM_DRIFT: {
    code: 'UPGRADE.CHECKSUM_DRIFT',
    kind: 'PRECONDITION_FAILED',
    message: (p: Said) => p.message,
    summary: 'An applied migration changed since it was applied; the upgrade is refused.',
  },
  UPGRADE_NOT_INSTALLED: {
    code: 'UPGRADE.NOT_INSTALLED',
    kind: 'PRECONDITION_FAILED',
    message: (p: Said) => p.message,
    summary: 'No Helios schema to upgrade: install or adopt first.',
  },
  UPGRADE_OUT_OF_ORDER: {
    code: 'UPGRADE.OUT_OF_ORDER',
    kind: 'PRECONDITION_FAILED',
    message: (p: Said) => p.message,
    summary: 'A pending migration is numbered before the newest applied one.',
  },
  UPGRADE_LOCK_TIMEOUT: {
    code: 'UPGRADE.LOCK_TIMEOUT',
    kind: 'UNAVAILABLE',
    message: (p: Said) => p.message,
    summary:
      'A migration step could not get its lock in time (the database is busy); run the upgrade again, it resumes.',
  },
  UPGRADE_SQL_FAILED: {
    code: 'UPGRADE.SQL_FAILED',
    kind: 'INTERNAL',
    message: (p: Said) => p.message,
    summary:
      'A migration statement failed; earlier migrations stay applied and the upgrade resumes from the failed step.',
  },
});

/** The codes of {@link DB_ERRORS} by name. */
export const DB_ERROR_CODES = codesOf(DB_ERRORS);

/**
 * The CONFLICT of a unique constraint that a domain names (`UNIQUE_CONSTRAINT_CODES`): the
 * domain's code with the database's generic message (the code is registered in the domain's
 * registry; the error-registries test checks every code of the map).
 */
export function uniqueConstraintError(code: string, options: HeliosErrorOptions = {}): HeliosError {
  return new HeliosError('CONFLICT', code, UNIQUE, options);
}
