// The directory-integration contract both clouds implement (`helios.integrations`).

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
  InitialPasswordProvider,
  IntegrationId,
  IntegrationsService,
  LicenseAvailability,
  LifecycleOperation,
  LifecycleOperations,
  OrganizedMeetings,
} from '../domains/integrations';
export { INTEGRATIONS_ERRORS } from '../domains/integrations';
