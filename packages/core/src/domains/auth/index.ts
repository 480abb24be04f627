export type {
  ApiKeyEnvironment,
  ApiKeyRequestContext,
  CreateApiKeyInput,
  IpRule,
  ListApiKeysInput,
  ListApiKeyUsageInput,
  UpdateApiKeyInput,
} from './api-keys.schema';
export {
  API_KEY_ENVIRONMENTS,
  API_KEY_RATE_LIMIT,
  API_KEY_SECRET_PATTERN,
  apiKeyIdSchema,
  buildIpMatcher,
  createApiKeySchema,
  formatIpRule,
  ipAllowlistEntrySchema,
  ipAllowlistSchema,
  listApiKeysSchema,
  listApiKeyUsageSchema,
  MAX_IP_ALLOWLIST,
  normalizeIp,
  parseIpRule,
  scopesSchema,
  updateApiKeySchema,
} from './api-keys.schema';
export type {
  ApiKey,
  ApiKeyStatus,
  ApiKeysService,
  ApiKeyUsageLogEntry,
  CreatedApiKey,
} from './api-keys.service';
export { createApiKeysService } from './api-keys.service';
export { AUTH_ERRORS } from './auth.errors';
export type { CredentialsService, SessionInfo } from './credentials.service';
export {
  hashUserPassword,
  PASSWORD_LENGTH,
  passwordSchema,
  storePasswordHash,
} from './credentials.service';
export type { InviteInput } from './invitations.schema';
export {
  INVITATION_TTL_HOURS,
  INVITATIONS_ERROR_CODES,
  inviteSchema,
  PUBLIC_URL_SETTING,
  publicUrlSchema,
  RESET_TTL_HOURS,
  resetEmailSchema,
  setupTokenSchema,
} from './invitations.schema';
export type {
  InvitationResult,
  InvitationsService,
  PasswordSetResult,
  SetupTokenCheck,
  SetupTokenPurpose,
} from './invitations.service';
export { createInvitationsService, hashSetupToken } from './invitations.service';
export type {
  ListSecurityEventsInput,
  RecordSecurityEventInput,
  SecurityEventData,
  SecuritySeverity,
} from './security-events.schema';
export {
  listSecurityEventsSchema,
  recordSecurityEventSchema,
  resolveSecurityEventSchema,
  SECURITY_EVENT_TYPES,
  SECURITY_SEVERITIES,
  securityEventTypeSchema,
} from './security-events.schema';
export type { SecurityEvent, SecurityEventsService } from './security-events.service';
export {
  createSecurityEventsService,
  recordSecurityEvent,
  securityEventRow,
} from './security-events.service';
export type {
  CreateSsoProviderInput,
  ListSsoProvidersInput,
  UpdateSsoProviderInput,
} from './sso.schema';
export {
  createSsoProviderSchema,
  DEFAULT_SSO_SCOPES,
  isAllowedSsoUrl,
  listSsoProvidersSchema,
  RESERVED_SSO_PROVIDER_NAMES,
  ssoIssuerSchema,
  ssoProviderIdSchema,
  ssoProviderNameSchema,
  ssoScopesSchema,
  ssoUrlSchema,
  updateSsoProviderSchema,
} from './sso.schema';
export type { SsoProviderPage, SsoService, SsoValidationResult } from './sso.service';
export { createSsoService } from './sso.service';
export type { SsoProvider } from './sso.shared';
export type {
  BeginEnrolmentInput,
  DisableTwoFactorInput,
  TwoFactorBackupCodes,
  TwoFactorEnrolment,
  TwoFactorStatus,
  TwoFactorVerification,
} from './two-factor.schema';
export {
  BACKUP_CODE_COUNT,
  BACKUP_CODE_LENGTH,
  beginEnrolmentSchema,
  disableTwoFactorSchema,
  TOTP_DIGITS,
  TOTP_ISSUER,
  TOTP_PERIOD_SECONDS,
  totpCodeSchema,
  twoFactorCodeSchema,
} from './two-factor.schema';
export type { TwoFactorService } from './two-factor.service';
export { createTwoFactorService, generateTotpCode } from './two-factor.service';
