/**
 * Directory integrations: the contract both clouds implement (`DirectoryIntegration`),
 * `helios.integrations` (`connected()`, `get(id)`), and the code both clouds share (initial
 * passwords, the synced-directory listing, write-back steps).
 */
export type {
  AutoReplyInput,
  CloudChange,
  CloudGroupRef,
  DataTransfer,
  DataTransferApplication,
  DirectoryAccount,
  DirectoryIntegration,
  DirectoryIntegrationTypes,
  DirectoryOperation,
  IntegrationId,
  LicenseAvailability,
  LifecycleOperation,
  LifecycleOperations,
  OrganizedMeetings,
} from './contract';
export { generateInitialPassword, type InitialPasswordProvider } from './initial-passwords';
export { INTEGRATIONS_ERRORS, isPermanentFailure } from './integrations.errors';
export { createIntegrationsService, type IntegrationsService } from './integrations.service';
