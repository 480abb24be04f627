/**
 * `@helios/core`: the TypeScript SDK of the Helios administration portal for Google Workspace and
 * Microsoft 365.
 * @packageDocumentation
 */
export * from './db';
export { DB_UNAVAILABLE_RETRY_AFTER_SECONDS, databaseUnavailable, isDatabaseUnavailable, translatePgError, UNIQUE_CONSTRAINT_CODES } from './db/pg-errors';
export { inTransaction } from './db/transaction';
export * from './domains/audit';
export * from './domains/auth';
export type { CredentialsService, SessionInfo } from './domains/auth/credentials.service';
export { PASSWORD_LENGTH, passwordSchema } from './domains/auth/credentials.service';
export * from './domains/auth/invitations.service';
export * from './domains/auth/sso.service';
export * from './domains/auth/two-factor.service';
export * from './domains/directory';
export * from './domains/google-workspace';
export * from './domains/groups';
export * from './domains/jobs';
export * from './domains/microsoft-365';
export * from './domains/operations';
export * from './domains/organizations';
export * from './domains/people';
export * from './domains/policy';
export * from './domains/sync';
export * from './domains/users';
export * from './error-registries';
export type { ErrorCodeEntry, ErrorFactory, ErrorParams, ErrorRegistry, ErrorSpec, HeliosErrorKind, HeliosErrorOptions } from './errors';
export { codesOf, defineErrors, entriesOf, HeliosError, isHeliosError } from './errors';
export type { Helios, HeliosDatabaseOptions, HeliosOptions, HeliosScope, HeliosServices } from './helios';
export { createHelios } from './helios';
export type {
  ColumnName,
  ListOptions,
  NewRow,
  Page,
  PrimaryKeyColumn,
  Repositories,
  RepositoriesOptions,
  Row,
  RowId,
  RowPatch,
  SortableColumn,
  TableRepository,
  WhereFilter,
} from './repositories';
export { createRepositories, DEFAULT_LIMIT, MAX_LIMIT } from './repositories';
export type { ActivityEntry, AuditEntry, InstanceState, IntegrationOptions, OperationScope, RequestInfo, ServiceRuntime } from './runtime';
export type { CamelCase, Camelize } from './shared/case';
export { camelize, snakeize } from './shared/case';
export type { Clock } from './shared/clock';
export { fixedClock, systemClock } from './shared/clock';
export type { ResolvedKey, ResolveKeyOptions } from './shared/encryption-key';
export { resolveEncryptionKey } from './shared/encryption-key';
export { INTEGRATION_ENV, integrationOptionsFromEnv } from './shared/integration-env';
export type { LogFields, Logger } from './shared/logger';
export { consoleLogger, silentLogger } from './shared/logger';
export type { Mailer, MailMessage, RecordingMailer } from './shared/mailer';
export { recordingMailer } from './shared/mailer';
export type { AddressClass, NetworkOptions } from './shared/outbound-guard';
export { classifyAddress, NETWORK_ENV, NETWORK_ERROR_CODES, SECRET_REENTRY_REQUIRED } from './shared/outbound-guard';
export type { RetryInfo, RetryOptions } from './shared/retry';
export { DEFAULT_QUOTA_WINDOW_MS, DEFAULT_RETRY_BUDGET_MS } from './shared/retry';
export type { SecretBox } from './shared/secret-box';
export { createSecretBox, generateEncryptionKey, parseEncryptionKey } from './shared/secret-box';
export type { RotationProgress, RotationResult } from './shared/secret-rotation';
export { findPlaintextSecrets, rotateSecrets } from './shared/secret-rotation';
export type { SecretStore } from './shared/secret-stores';
export { openSecret, SECRET_STORES, sealSecret, secretContext } from './shared/secret-stores';
export type { FieldIssue } from './shared/validation';
export { INPUT_LIMITS, inspectInput, jsonObject, jsonValue, parseInput, sanitizeText, textProblem } from './shared/validation';
