/**
 * PostgreSQL errors to HeliosError, in one place: by SQLSTATE, and for unique violations by
 * constraint name. Messages never carry SQL text or parameter values (PostgreSQL's `detail`
 * repeats the offending values, so it is never copied), and neither messages nor `details` carry
 * the SQLSTATE (it stays on the original error, the `cause`, for logs).
 */
import { type HeliosError, isHeliosError } from '../errors';
import { DB_ERRORS, uniqueConstraintError } from './db.errors';

/** Domain codes of unique constraints (and unique indexes) by name; others become DB.UNIQUE_VIOLATION. */
export const UNIQUE_CONSTRAINT_CODES: Readonly<Record<string, string>> = {
  organization_users_email_key: 'USERS.EMAIL_TAKEN',
  user_secondary_emails_user_id_email_key: 'USERS.SECONDARY_EMAIL_TAKEN',
  user_initial_passwords_organization_id_user_email_key: 'USERS.INITIAL_PASSWORD_EXISTS',
  user_initial_passwords_organization_id_user_email_provider_key: 'USERS.INITIAL_PASSWORD_EXISTS',
  departments_organization_id_name_key: 'DEPARTMENTS.NAME_TAKEN',
  cost_centers_organization_id_code_key: 'COST_CENTERS.CODE_TAKEN',
  job_titles_organization_id_title_key: 'JOB_TITLES.TITLE_TAKEN',
  custom_labels_organization_id_canonical_name_key: 'CUSTOM_LABELS.NAME_TAKEN',
  custom_field_definitions_organization_id_field_key_key: 'CUSTOM_FIELDS.KEY_TAKEN',
  custom_field_values_definition_id_entity_id_key: 'CUSTOM_FIELDS.VALUE_EXISTS',
  email_templates_organization_id_template_key_key: 'EMAIL_TEMPLATES.KEY_TAKEN',
  feature_flags_feature_key_key: 'FEATURE_FLAGS.KEY_TAKEN',
  organization_settings_organization_id_key_key: 'SETTINGS.KEY_TAKEN',
  user_groups_organization_id_name_key: 'GROUPS.NAME_TAKEN',
  user_group_memberships_user_id_group_id_key: 'GROUPS.ALREADY_MEMBER',
  access_group_members_access_group_id_user_id_key: 'ACCESS_GROUPS.ALREADY_MEMBER',
  access_groups_organization_id_platform_external_id_key: 'ACCESS_GROUPS.EXTERNAL_ID_TAKEN',
  workspaces_organization_id_platform_external_id_key: 'WORKSPACES.EXTERNAL_ID_TAKEN',
  workspace_members_workspace_id_user_id_key: 'WORKSPACES.ALREADY_MEMBER',
  named_conditions_organization_id_name_key: 'AUTOMATION.CONDITION_NAME_TAKEN',
  sso_providers_organization_id_provider_name_key: 'SSO.PROVIDER_EXISTS',
  ai_config_organization_id_key: 'AI.CONFIG_EXISTS',
  gw_credentials_organization_id_key: 'GOOGLE_WORKSPACE.CREDENTIALS_EXIST',
  ms_credentials_organization_id_key: 'MICROSOFT_365.CREDENTIALS_EXIST',
  smtp_settings_organization_id_key: 'SMTP.SETTINGS_EXIST',
  available_modules_module_key_key: 'MODULES.KEY_TAKEN',
  available_modules_slug_key: 'MODULES.SLUG_TAKEN',
  modules_name_key: 'MODULES.NAME_TAKEN',
  modules_slug_key: 'MODULES.SLUG_TAKEN',
  organization_modules_organization_id_module_id_key: 'MODULES.ALREADY_ENABLED',
  media_asset_folders_organization_id_path_key: 'MEDIA.FOLDER_EXISTS',
  user_training_progress_user_id_content_id_key: 'TRAINING.ALREADY_ASSIGNED',
  user_signature_status_user_id_key: 'SIGNATURES.STATUS_EXISTS',
  signature_tracking_pixels_campaign_id_user_id_key: 'SIGNATURES.PIXEL_EXISTS',
  idx_signature_templates_organization_id_partial: 'SIGNATURES.DEFAULT_TEMPLATE_EXISTS',
  idx_onboarding_templates_organization_id_partial: 'LIFECYCLE.DEFAULT_TEMPLATE_EXISTS',
  idx_offboarding_templates_organization_id_partial: 'LIFECYCLE.DEFAULT_TEMPLATE_EXISTS',
};

/** The fields of a PostgreSQL error that node-postgres and PGlite both expose. */
interface PgErrorFields {
  code: string;
  message: string;
  severity?: string;
  detail?: string;
  table?: string;
  column?: string;
  constraint?: string;
}

/** True for an error raised by the server (a five-character SQLSTATE plus a severity). */
function isPgError(error: unknown): error is PgErrorFields {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as Record<string, unknown>;
  return (
    typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string'
  );
}

/** Only the facts that are identifiers (never values). */
function facts(
  e: PgErrorFields,
  keys: ReadonlyArray<'table' | 'column' | 'constraint'>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) if (typeof e[key] === 'string' && e[key]) out[key] = e[key] as string;
  return out;
}

const INVALID_VALUE_CODES = new Set(['22P02', '22007', '22008', '22003', '22001']);

/** Seconds a client is asked to wait (`Retry-After`) when the database is unavailable. */
export const DB_UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** Socket errors of a lost or refused database connection (node-postgres passes them through). */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Messages of node-postgres and its pool when the connection is gone or cannot be had in time. */
const CONNECTION_ERROR_MESSAGES = [
  /^Connection terminated/i,
  /terminating connection/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error and is not queryable/i,
  /Client was closed and is not queryable/i,
  /Cannot use a pool after calling end on the pool/i,
  // The handle was closed (the process is shutting down; the embedded database is closed).
  /driver has already been destroyed/i,
  /PGlite is closed/i,
];

/**
 * True when `error` means the database cannot be reached right now (refused or lost connection,
 * pool timeout, server shutting down or starting up: SQLSTATE class 08 and 57P01..57P03, 53300
 * too many connections), so the same call may succeed later.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; message?: unknown; errors?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code && CONNECTION_ERROR_CODES.has(code)) return true;
  if (
    code &&
    /^[0-9A-Z]{5}$/.test(code) &&
    (code.startsWith('08') || /^57P0[1-3]$/.test(code) || code === '53300')
  )
    return true;
  if (
    typeof e.message === 'string' &&
    CONNECTION_ERROR_MESSAGES.some((re) => re.test(e.message as string))
  )
    return true;
  // Node reports a refused dual-stack connect as an AggregateError of one error per address.
  if (Array.isArray(e.errors) && e.errors.length > 0)
    return e.errors.every((inner) => isDatabaseUnavailable(inner));
  return false;
}

/** The HeliosError of an unavailable database: kind UNAVAILABLE (HTTP 503 with Retry-After), retryable. */
export function databaseUnavailable(cause: unknown): HeliosError {
  return DB_ERRORS.UNAVAILABLE({
    details: { retryAfterSeconds: DB_UNAVAILABLE_RETRY_AFTER_SECONDS },
    cause,
    retryable: true,
  });
}

/**
 * Translates an error thrown by a query into a HeliosError. HeliosErrors come back unchanged;
 * errors that are not from PostgreSQL (or have no known meaning) become INTERNAL `DB.UNEXPECTED`
 * with the original as `cause`.
 *
 * @example
 * ```ts
 * try { await db.insertInto('organization_users').values(row).execute() } catch (e) { throw translatePgError(e) }
 * ```
 */
export function translatePgError(error: unknown): unknown {
  if (isHeliosError(error)) return error;
  if (isDatabaseUnavailable(error)) return databaseUnavailable(error);
  if (!isPgError(error)) {
    return DB_ERRORS.UNEXPECTED(
      { message: 'An unexpected error occurred while talking to the database.' },
      { cause: error },
    );
  }
  const cause = error;
  const sqlstate = error.code;
  switch (sqlstate) {
    case '23505': {
      const code = error.constraint ? UNIQUE_CONSTRAINT_CODES[error.constraint] : undefined;
      const options = { details: facts(error, ['table', 'constraint']), cause };
      return code ? uniqueConstraintError(code, options) : DB_ERRORS.UNIQUE_VIOLATION(options);
    }
    case '23001': // restrict_violation: ON DELETE RESTRICT
    case '23503': {
      // The referenced row is being removed (or its key changed) while others still point at it.
      const stillReferenced =
        sqlstate === '23001' ||
        /^update or delete on table/.test(error.message) ||
        /still referenced/.test(error.detail ?? '');
      if (stillReferenced) {
        return DB_ERRORS.STILL_REFERENCED({
          details: facts(error, ['table', 'constraint']),
          cause,
        });
      }
      return DB_ERRORS.REFERENCE_NOT_FOUND({
        details: facts(error, ['table', 'constraint']),
        cause,
      });
    }
    case '23502':
      return DB_ERRORS.MISSING_VALUE(error.column ? { column: error.column } : {}, {
        details: facts(error, ['table', 'column']),
        cause,
      });
    case '23514':
      return DB_ERRORS.CHECK_FAILED({
        details: facts(error, ['table', 'constraint']),
        cause,
      });
    case '40001':
    case '40P01':
      return DB_ERRORS.SERIALIZATION_FAILURE({
        cause,
        retryable: true,
      });
    case '57014':
      return DB_ERRORS.TIMEOUT({ cause, retryable: true });
    default:
      // Class 22 is "data exception": a value PostgreSQL cannot take for its column.
      if (INVALID_VALUE_CODES.has(sqlstate) || sqlstate.startsWith('22')) {
        return DB_ERRORS.INVALID_VALUE({
          details: facts(error, ['table', 'column']),
          cause,
        });
      }
      return DB_ERRORS.UNEXPECTED({ message: 'Unexpected database error.' }, { cause });
  }
}
