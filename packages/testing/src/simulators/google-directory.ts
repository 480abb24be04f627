/**
 * A Google Workspace Directory API (Admin SDK, `admin/directory/v1`) simulator for tests; the
 * modules are under `./google/` (over the shared `./http-kit.ts`).
 */
export { nonEditableAliasOf } from './google/emails';
export { GOOGLE_DIRECTORY_SCOPES } from './google/scopes';
export { startGoogleDirectorySimulator } from './google/simulator';
export type {
  GoogleDirectoryFaultKind,
  GoogleDirectoryQuota,
  GoogleDirectorySimulator,
  GoogleDirectorySimulatorOptions,
} from './google/types';
