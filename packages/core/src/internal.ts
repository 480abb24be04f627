/**
 * `@helios/core/internal`: the building blocks under `createHelios`, for the Helios server, CLI,
 * tests and benchmarks: the service factories (`create*Service`, which bypass `createHelios`), the
 * sync engine, the providers' internals, repositories, the audit chain, secret stores and the
 * runtime's types.
 *
 * No semver promise: any name here may change or go in a minor or patch release. Applications use
 * `createHelios` from `@helios/core`.
 * @packageDocumentation
 */
export {
  DB_UNAVAILABLE_RETRY_AFTER_SECONDS,
  databaseUnavailable,
  translatePgError,
} from './db/pg-errors';
export { inTransaction } from './db/transaction';
export {
  canonicalJson,
  createAuditService,
  deriveAuditKeys,
  formatAuditHead,
  GENESIS_HASH,
  hashEntry,
  KEYED_HASH_PREFIX,
  macEntry,
  parseAuditHead,
  redact,
  summarizeChange,
  verifyAuditChain,
} from './domains/audit';
export {
  buildIpMatcher,
  createApiKeysService,
  createInvitationsService,
  createSecurityEventsService,
  createSsoService,
  createTwoFactorService,
  formatIpRule,
  generateTotpCode,
  hashSetupToken,
  isAllowedSsoUrl,
  normalizeIp,
  parseIpRule,
  recordSecurityEvent,
  securityEventRow,
} from './domains/auth';
export {
  createCostCentersService,
  createCustomFieldsService,
  createDepartmentsService,
  createJobTitlesService,
  createLocationsService,
} from './domains/directory';
export {
  createGoogleCredentialsService,
  createGoogleDirectoryService,
  createGoogleSyncService,
  createGoogleWritebackService,
  dropGoogleStaging,
  generateInitialPassword,
  googleUserFields,
  googleWorkspace,
  loadGoogleProvider,
  planAndApplyGoogle,
  scopeForOperation,
  serviceAccountKeyFingerprint,
  stageGoogleDirectory,
  toGoogleError,
} from './domains/google-workspace';
export {
  createGroupsService,
  createUserGroupsService,
  createWorkspacesService,
} from './domains/groups';
export { createIntegrationsService } from './domains/integrations';
export {
  aadstsCode,
  batchFailure,
  clearDeltaLinks,
  createMicrosoftCredentialsService,
  createMicrosoftDirectoryService,
  createMicrosoftSyncService,
  createMicrosoftWritebackService,
  dropMicrosoftStaging,
  fromGraphError,
  fromGraphFailure,
  fromTokenError,
  GLOBAL_ADMIN_ROLE_TEMPLATE_ID,
  GRAPH_DEFAULT_SCOPE,
  GRAPH_URL,
  isDeltaExpired,
  isTransient,
  LOGIN_URL,
  loadMicrosoftProvider,
  MICROSOFT_STAGING_TABLES,
  MS_GROUP_FIELDS,
  MS_USER_FIELDS,
  microsoft365,
  microsoftSecretFingerprint,
  missingMicrosoftPermissions,
  permissionsForOperation,
  planAndApplyMicrosoft,
  readDeltaLinks,
  readGraphFailure,
  stageMicrosoftDirectory,
} from './domains/microsoft-365';
export { createSmtpService, findMailer, resolveMailer } from './domains/operations';
export { createOrganizationsService, isAdministratorSetting } from './domains/organizations';
export {
  canViewField,
  createDashboardService,
  createPeopleService,
  createProfileService,
  normalizeVisibility,
} from './domains/people';
export {
  assertAdministrator,
  createPolicy,
  isInReportingLine,
  isScope,
  resolvePrincipal,
  scopesAllow,
} from './domains/policy';
export type { SanitizedValueWarning, SuspensionOutcome, SuspensionSource } from './domains/sync';
export {
  applySourceSuspensions,
  assertSafetyLimit,
  auditRun,
  closeInterruptedRun,
  closeInterruptedSyncRuns,
  countsOf,
  DEFAULT_MAX_REMOVAL_RATIO,
  failJournal,
  forEachLimited,
  insertBatch,
  inTransactionOn,
  MAX_SYNC_WARNINGS,
  noSyncWarnings,
  retryMessage,
  sanitizeFetched,
  setModuleSyncState,
  startJournal,
  syncLockName,
  watchSyncRetries,
  withSyncLock,
} from './domains/sync';
export {
  canTransition,
  createUsersService,
  csvField,
  csvRecord,
  EXPORT_PAGE_SIZE,
} from './domains/users';
export type { RepositoriesOptions } from './repositories';
export { createRepositories, DEFAULT_LIMIT, MAX_LIMIT } from './repositories';
export type {
  ActivityEntry,
  AuditEntry,
  InstanceState,
  OperationScope,
  ServiceRuntime,
} from './runtime';
export type { CamelCase, Camelize } from './shared/case';
export { camelize, snakeize } from './shared/case';
export type { ResolvedKey, ResolveKeyOptions } from './shared/encryption-key';
export { assertOutsideTransaction, runExternalCall } from './shared/external-call';
export type { AddressClass } from './shared/outbound-guard';
export { classifyAddress } from './shared/outbound-guard';
export { DEFAULT_QUOTA_WINDOW_MS, DEFAULT_RETRY_BUDGET_MS, parseRetryAfter } from './shared/retry';
export { createSecretBox, parseEncryptionKey } from './shared/secret-box';
export type { RotationProgress, RotationResult } from './shared/secret-rotation';
export { findPlaintextSecrets, rotateSecrets } from './shared/secret-rotation';
export type { SecretStore } from './shared/secret-stores';
export { openSecret, SECRET_STORES, sealSecret, secretContext } from './shared/secret-stores';
export { smtpMailer } from './shared/smtp-mailer';
export {
  inspectInput,
  jsonObject,
  jsonValue,
  parseInput,
  sanitizeText,
  textProblem,
} from './shared/validation';
