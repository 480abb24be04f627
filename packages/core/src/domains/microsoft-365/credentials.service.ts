/**
 * @deprecated The old path of ./credentials.ts, kept only while branches written against it merge;
 * import from './credentials'. Remove after the merge.
 */

export type {
  MicrosoftConnectionStep,
  MicrosoftConnectionTestResult,
  MicrosoftCredentialsService,
  MicrosoftCredentialsStatus,
  MicrosoftMissingPermission,
} from './credentials';
export { createMicrosoftCredentialsService, loadMicrosoftProvider, microsoftSecretFingerprint, missingMicrosoftPermissions } from './credentials';
