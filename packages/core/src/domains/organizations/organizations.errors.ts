/**
 * The error codes of the organizations domain (setup, settings, modules, feature flags, labels),
 * with their kind and message.
 */
import { codesOf, defineErrors } from '../../errors';
import { issuesSpec } from '../../errors/core.errors';

const UNIQUE = 'A row with the same unique value already exists.';

/** Errors of setup, settings, modules, feature flags and labels. */
export const ORGANIZATIONS_ERRORS = defineErrors({
  NOT_SET_UP: {
    code: 'ORGANIZATIONS.NOT_SET_UP',
    kind: 'PRECONDITION_FAILED',
    message: 'Helios is not set up yet: run first-run setup (helios.organizations.setup).',
  },
  ALREADY_SET_UP: {
    code: 'ORGANIZATIONS.ALREADY_SET_UP',
    kind: 'CONFLICT',
    message: 'Helios is already set up: one organization per installation.',
  },
  SETTING_INVALID_KEY: issuesSpec(
    'SETTINGS.INVALID_KEY',
    'The setting key is malformed (`details.issues`).',
  ),
  SETTING_NOT_FOUND: {
    code: 'SETTINGS.NOT_FOUND',
    kind: 'NOT_FOUND',
    message: (p: { key: string }) => `No setting ${p.key}.`,
    summary: 'No setting with this key (REST API).',
  },
  SETTING_STAYS_SENSITIVE: {
    code: 'SETTINGS.STAYS_SENSITIVE',
    kind: 'PRECONDITION_FAILED',
    message: 'A sensitive setting cannot be made non-sensitive; delete it first.',
  },
  SETTING_REVEAL_FORBIDDEN: {
    code: 'SETTINGS.REVEAL_FORBIDDEN',
    kind: 'FORBIDDEN',
    message: 'Sensitive settings are only revealed to the system.',
  },
  SETTING_KEY_TAKEN: {
    code: 'SETTINGS.KEY_TAKEN',
    kind: 'CONFLICT',
    message: UNIQUE,
    summary: 'A setting with this key exists (unique constraint).',
  },
  MODULE_INVALID_SLUG: issuesSpec(
    'MODULES.INVALID_SLUG',
    'The module slug is malformed (`details.issues`).',
  ),
  MODULE_NOT_FOUND: {
    code: 'MODULES.NOT_FOUND',
    kind: 'NOT_FOUND',
    message: (p: { slug: string }) => `No module ${p.slug}.`,
    details: (p) => ({ slug: p.slug }),
    summary: 'No module with this slug in the catalog.',
  },
  MODULE_UNAVAILABLE: {
    code: 'MODULES.UNAVAILABLE',
    kind: 'PRECONDITION_FAILED',
    message: (p: { slug: string }) => `Module ${p.slug} is not available.`,
    summary: 'The module is not available for enabling.',
  },
  MODULE_INVALID_CONFIG: issuesSpec(
    'MODULES.INVALID_CONFIG',
    'The module configuration is not a valid JSON object (`details.issues`).',
  ),
  MODULE_KEY_TAKEN: {
    code: 'MODULES.KEY_TAKEN',
    kind: 'CONFLICT',
    message: UNIQUE,
    summary: 'An available module with this key exists (unique constraint).',
  },
  MODULE_SLUG_TAKEN: {
    code: 'MODULES.SLUG_TAKEN',
    kind: 'CONFLICT',
    message: UNIQUE,
    summary: 'A module with this slug exists (unique constraint).',
  },
  MODULE_NAME_TAKEN: {
    code: 'MODULES.NAME_TAKEN',
    kind: 'CONFLICT',
    message: UNIQUE,
    summary: 'A module with this name exists (unique constraint).',
  },
  MODULE_ALREADY_ENABLED: {
    code: 'MODULES.ALREADY_ENABLED',
    kind: 'CONFLICT',
    message: UNIQUE,
    summary: 'The organization already has a state row for this module (unique constraint).',
  },
  FLAG_INVALID_KEY: issuesSpec(
    'FEATURE_FLAGS.INVALID_KEY',
    'The feature flag key is malformed (`details.issues`).',
  ),
  FLAG_NOT_FOUND: {
    code: 'FEATURE_FLAGS.NOT_FOUND',
    kind: 'NOT_FOUND',
    message: (p: { key: string }) => `No feature flag ${p.key}.`,
    details: (p) => ({ key: p.key }),
    summary: 'No feature flag with this key.',
  },
  FLAG_KEY_TAKEN: {
    code: 'FEATURE_FLAGS.KEY_TAKEN',
    kind: 'CONFLICT',
    message: UNIQUE,
    summary: 'A feature flag with this key exists (unique constraint).',
  },
  LABEL_NOT_FOUND: {
    code: 'CUSTOM_LABELS.NOT_FOUND',
    kind: 'NOT_FOUND',
    message: (p: { canonicalName: string }) => `No label ${p.canonicalName}.`,
    summary: 'No label for this canonical name.',
  },
  LABEL_NAME_TAKEN: {
    code: 'CUSTOM_LABELS.NAME_TAKEN',
    kind: 'CONFLICT',
    message: UNIQUE,
    summary: 'A label for this canonical name exists (unique constraint).',
  },
});

/** The codes of {@link ORGANIZATIONS_ERRORS} by name. */
export const ORGANIZATIONS_ERROR_CODES = codesOf(ORGANIZATIONS_ERRORS);
