/**
 * A Google Workspace Directory API (Admin SDK, `admin/directory/v1`) simulator for tests; the
 * modules are under `./google/` (over the shared `./http-kit.ts`).
 */
export type { GoogleCalendarEventsKit } from './google/calendar-events';
export { nonEditableAliasOf } from './google/emails';
export { GOOGLE_DIRECTORY_SCOPES, GOOGLE_WORKSPACE_EXTRA_SCOPES } from './google/scopes';
export { startGoogleDirectorySimulator } from './google/simulator';
export type {
  GoogleDirectoryFaultKind,
  GoogleDirectoryQuota,
  GoogleDirectorySimulator,
  GoogleDirectorySimulatorOptions,
  GoogleWorkspaceSimKit,
} from './google/types';
export { CALENDAR_APPLICATION_ID, DRIVE_APPLICATION_ID } from './google/workspace';
