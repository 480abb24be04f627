// The directory-integration contract both clouds implement (`helios.integrations`).

export type {
  DirectoryAccount,
  DirectoryIntegration,
  DirectoryIntegrationTypes,
  DirectoryOperation,
  InitialPasswordProvider,
  IntegrationId,
  IntegrationsService,
} from '../domains/integrations';
export { INTEGRATIONS_ERRORS } from '../domains/integrations';
