/**
 * Google Workspace: the provider (a typed Directory API client through a service account with
 * domain-wide delegation), its errors, the organization's stored credentials, the directory sync,
 * the synced directory and the write-back. The folder's public names; other domains import only these.
 */

export { generateInitialPassword } from '../integrations/initial-passwords';
export type {
  GoogleConnectionStep,
  GoogleConnectionTestResult,
  GoogleCredentialsService,
  GoogleCredentialsStatus,
} from './credentials';
export { createGoogleCredentialsService, loadGoogleProvider } from './credentials';
export type {
  GoogleDirectoryService,
  GoogleSyncedGroup,
  GoogleSyncedOrgUnit,
  GoogleSyncedPage,
  GoogleSyncedUser,
  ListSyncedGoogleGroupsInput,
  ListSyncedGoogleOrgUnitsInput,
  ListSyncedGoogleUsersInput,
} from './directory.service';
export {
  createGoogleDirectoryService,
  listSyncedGoogleGroupsSchema,
  listSyncedGoogleOrgUnitsSchema,
  listSyncedGoogleUsersSchema,
} from './directory.service';
export type { GoogleErrorCode, GoogleErrorContext } from './errors';
export { GOOGLE_ERROR_CODES, GOOGLE_ERRORS, scopeForOperation, toGoogleError } from './errors';
export type { GoogleIntegration, GoogleIntegrationTypes } from './integration';
export { googleIntegration } from './integration';
export type {
  GoogleGroup,
  GoogleGroupInput,
  GoogleMember,
  GoogleMemberInput,
  GoogleOrgUnit,
  GooglePage,
  GoogleProviderOverrides,
  GoogleRetryInfo,
  GoogleRetryOptions,
  GoogleUser,
  GoogleUserInput,
  GoogleUserPatch,
  GoogleWorkspaceCredentials,
  GoogleWorkspaceOptions,
  GoogleWorkspaceProvider,
  ListGoogleUsersOptions,
} from './provider';
export { googleWorkspace, serviceAccountKeyFingerprint } from './provider';
export type { GoogleArchiveCalls, GoogleDriveFile } from './provider.archive';
export type {
  GoogleCalendarEvent,
  GoogleCalendarEventCalls,
  GoogleEventAttendee,
  GoogleSendUpdates,
} from './provider.calendar';
export type {
  GoogleAutoForwarding,
  GoogleCalendarAclRule,
  GoogleCollaborationCalls,
  GoogleDrivePermission,
  GoogleForwardingAddress,
  GoogleSendAs,
  GoogleVacationSettings,
} from './provider.collaboration';
export type {
  GoogleDeviceCalls,
  GoogleMobileDevice,
  GoogleMobileDeviceAction,
} from './provider.devices';
export type {
  GoogleApiRoots,
  GoogleAppPassword,
  GoogleDataTransfer,
  GoogleLicenseAssignment,
  GoogleSecurityCalls,
  GoogleToken,
} from './provider.security';
export { DEFAULT_GOOGLE_LICENSE_SKUS, GOOGLE_LIFECYCLE_SCOPES } from './provider.security';
export type { ConfigureGoogleInput, ServiceAccountKey, TestGoogleConnectionInput } from './schema';
export {
  configureGoogleSchema,
  DEFAULT_GOOGLE_SCOPES,
  GOOGLE_API_ROOT,
  GOOGLE_TOKEN_URL,
  googleScopeSchema,
  serviceAccountKeyInputSchema,
  serviceAccountKeySchema,
  testGoogleConnectionSchema,
} from './schema';
export type {
  GoogleSyncCounts,
  GoogleSyncEntity,
  GoogleSyncPassOptions,
  GoogleSyncPassResult,
} from './sync.plan';
export { GOOGLE_MODULE_SLUG, planAndApplyGoogle } from './sync.plan';
export type {
  GoogleSyncInput,
  GoogleSyncResult,
  GoogleSyncService,
  GoogleSyncServiceOptions,
} from './sync.service';
export { createGoogleSyncService, GOOGLE_SYNC_ACTION, googleSyncSchema } from './sync.service';
export type { GoogleStageOptions, StagedCounts } from './sync.stage';
export { dropGoogleStaging, stageGoogleDirectory } from './sync.stage';
export { googleUserFields } from './synced-user';
export type {
  GoogleCreateGroupInput,
  GoogleCreateUserInput,
  GoogleUpdateUserInput,
  GoogleWritebackMemberInput,
} from './writeback.schema';
export {
  googleCreateGroupSchema,
  googleCreateUserSchema,
  googleEmailSchema,
  googleIdSchema,
  googleOrgUnitPathSchema,
  googleUpdateUserSchema,
  googleWritebackMemberSchema,
} from './writeback.schema';
export type {
  GoogleInitialPassword,
  GoogleLicenseChange,
  GooglePasswordReset,
  GoogleSignOut,
  GoogleWritebackGroup,
  GoogleWritebackMembership,
  GoogleWritebackService,
  GoogleWritebackServiceOptions,
  GoogleWritebackUser,
} from './writeback.service';
export { createGoogleWritebackService } from './writeback.service';
