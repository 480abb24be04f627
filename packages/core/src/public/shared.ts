// What every domain shares: clock, logger, mailer, encryption key, network options, the `Page` type, row types and database-error helpers.

export { isDatabaseUnavailable, UNIQUE_CONSTRAINT_CODES } from '../db/pg-errors';
export type {
  ColumnName,
  ListOptions,
  NewRow,
  PrimaryKeyColumn,
  Repositories,
  Row,
  RowId,
  RowPatch,
  SortableColumn,
  TableRepository,
  WhereFilter,
} from '../repositories';
export type { IntegrationOptions, RequestInfo } from '../runtime';
export type { Clock } from '../shared/clock';
export { fixedClock, systemClock } from '../shared/clock';
export { resolveEncryptionKey } from '../shared/encryption-key';
export { INTEGRATION_ENV, integrationOptionsFromEnv } from '../shared/integration-env';
export type { LogFields, Logger } from '../shared/logger';
export { consoleLogger, silentLogger } from '../shared/logger';
export type { Mailer, MailMessage, RecordingMailer } from '../shared/mailer';
export { recordingMailer } from '../shared/mailer';
export type { NetworkOptions } from '../shared/outbound-guard';
export {
  NETWORK_ENV,
  NETWORK_ERROR_CODES,
  SECRET_REENTRY_REQUIRED,
} from '../shared/outbound-guard';
export type { Page } from '../shared/paging';
export type { RetryInfo, RetryOptions } from '../shared/retry';
export type { SecretBox } from '../shared/secret-box';
export { generateEncryptionKey } from '../shared/secret-box';
export { SHARED_ERRORS } from '../shared/shared.errors';
export type { SmtpMailer, SmtpMailerOptions } from '../shared/smtp-mailer';
export type { FieldIssue } from '../shared/validation';
export { INPUT_LIMITS } from '../shared/validation';
