/**
 * `@helios/testing`: real test databases for code built on @helios/core.
 * @packageDocumentation
 */

export { prepareTestDatabases } from './prepare';
export type { TestDatabaseConfig } from './shared';
export type {
  GoogleCalendarEventsKit,
  GoogleDirectoryFaultKind,
  GoogleDirectoryQuota,
  GoogleDirectorySimulator,
  GoogleDirectorySimulatorOptions,
  GoogleWorkspaceSimKit,
} from './simulators/google-directory';
export {
  GOOGLE_DIRECTORY_SCOPES,
  GOOGLE_WORKSPACE_EXTRA_SCOPES,
  startGoogleDirectorySimulator,
} from './simulators/google-directory';
export type {
  GraphFaultKind,
  GraphSimDriveItemInput,
  GraphSimMeeting,
  GraphSimMeetingInput,
  GraphSimulator,
  GraphSimulatorOptions,
  GraphThrottle,
} from './simulators/graph';
export {
  GRAPH_APPLICATION_PERMISSIONS,
  GRAPH_REQUEST_UNIT_COSTS,
  startGraphSimulator,
} from './simulators/graph';
export type {
  OidcSimulator,
  OidcSimulatorOptions,
  OidcSimulatorRequest,
  OidcSimulatorUser,
} from './simulators/oidc';
export { startOidcSimulator } from './simulators/oidc';
export type { CreateTestDatabaseOptions, TestDatabase } from './test-database';
export { createTestDatabase } from './test-database';
export type { CreateTestHeliosOptions, TestHelios } from './test-helios';
export { createTestHelios, createTestUser } from './test-helios';
export type { TrafficRecorder, TrafficRecorderOptions } from './traffic-recorder';
export { startTrafficRecorder } from './traffic-recorder';
