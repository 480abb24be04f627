/**
 * Microsoft 365: the provider (Entra ID client credentials through MSAL, Microsoft Graph), its
 * errors, the stored credentials, the directory sync (full and incremental), the synced directory
 * and the write-back. The folder's public names; other domains import only these.
 */

export type {
  MicrosoftConnectionFacts,
  MicrosoftConnectionStep,
  MicrosoftConnectionTestResult,
  MicrosoftCredentialsService,
  MicrosoftCredentialsStatus,
  MicrosoftMissingPermission,
} from './credentials';
export {
  createMicrosoftCredentialsService,
  loadMicrosoftProvider,
  microsoftSecretFingerprint,
  missingMicrosoftPermissions,
} from './credentials';
export type {
  ListSyncedMicrosoftGroupsInput,
  ListSyncedMicrosoftUsersInput,
  MicrosoftDirectoryService,
  MicrosoftLicence,
  MicrosoftLicense,
  MicrosoftSyncedGroup,
  MicrosoftSyncedPage,
  MicrosoftSyncedUser,
} from './directory.service';
export {
  createMicrosoftDirectoryService,
  listSyncedMicrosoftGroupsSchema,
  listSyncedMicrosoftUsersSchema,
} from './directory.service';
export type { GraphFailure, MicrosoftErrorCode, MicrosoftErrorContext } from './errors';
export {
  aadstsCode,
  fromGraphError,
  fromGraphFailure,
  fromTokenError,
  isTransient,
  MICROSOFT_ERROR_CODES,
  MICROSOFT_ERRORS,
  permissionsForOperation,
  readGraphFailure,
} from './errors';
export type { MicrosoftIntegration, MicrosoftIntegrationTypes } from './integration';
export { microsoftIntegration } from './integration';
export type {
  BatchRequest,
  BatchResponse,
  DeltaPage,
  DeltaPageBody,
  DeltaRound,
  GraphObject,
  Microsoft365Options,
  Microsoft365Provider,
  MicrosoftCredentials,
  MicrosoftProviderOverrides,
  MicrosoftRetryOptions,
  MicrosoftSku,
  MicrosoftTokenCache,
} from './provider';
export {
  batchFailure,
  GLOBAL_ADMIN_ROLE_TEMPLATE_ID,
  GRAPH_DEFAULT_SCOPE,
  GRAPH_URL,
  LOGIN_URL,
  MS_GROUP_FIELDS,
  MS_USER_FIELDS,
  microsoft365,
} from './provider';
export type {
  ConfigureMicrosoftInput,
  MicrosoftPermissionRequirement,
  TestMicrosoftConnectionInput,
} from './schema';
export {
  configureMicrosoftSchema,
  MICROSOFT_PERMISSION_REQUIREMENTS,
  microsoftClientIdSchema,
  microsoftClientSecretSchema,
  microsoftGuidSchema,
  microsoftTenantIdSchema,
  testMicrosoftConnectionSchema,
} from './schema';
export type {
  MicrosoftDeltaLinks,
  MicrosoftFetched,
  MicrosoftPassOptions,
  MicrosoftSyncCounts,
} from './sync.plan';
export {
  clearDeltaLinks,
  MICROSOFT_MODULE_SLUG,
  planAndApplyMicrosoft,
  readDeltaLinks,
} from './sync.plan';
export type {
  MicrosoftSyncInput,
  MicrosoftSyncResult,
  MicrosoftSyncService,
  MicrosoftSyncServiceOptions,
} from './sync.service';
export {
  createMicrosoftSyncService,
  MICROSOFT_SYNC_ACTION,
  microsoftSyncSchema,
} from './sync.service';
export {
  dropMicrosoftStaging,
  isDeltaExpired,
  MICROSOFT_STAGING_TABLES,
  stageMicrosoftDirectory,
} from './sync.stage';
export type {
  MicrosoftAssignLicenseInput,
  MicrosoftCreateUserInput,
  MicrosoftMemberInput,
  MicrosoftUpdateUserInput,
} from './writeback.schema';
export {
  MICROSOFT_WRITEBACK_ERROR_CODES,
  microsoftAssignLicenseSchema,
  microsoftCreateUserSchema,
  microsoftMemberSchema,
  microsoftObjectIdSchema,
  microsoftUpdateUserSchema,
  userPrincipalNameSchema,
} from './writeback.schema';
export type {
  MicrosoftInitialPassword,
  MicrosoftLicenceAssignment,
  MicrosoftLicenceUnits,
  MicrosoftLicenseAssignment,
  MicrosoftLicenseUnits,
  MicrosoftPasswordReset,
  MicrosoftSessionsRevoked,
  MicrosoftWritebackMembership,
  MicrosoftWritebackService,
  MicrosoftWritebackServiceOptions,
  MicrosoftWritebackUser,
} from './writeback.service';
export { createMicrosoftWritebackService } from './writeback.service';
