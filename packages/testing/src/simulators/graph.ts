/**
 * A Microsoft Graph v1.0 simulator for tests; the modules are under `./graph/` (over the shared
 * `./http-kit.ts`).
 */
export type { GraphSimDriveItemInput } from './graph/drive';
export type { GraphSimMeeting, GraphSimMeetingInput } from './graph/events';
export { GRAPH_APPLICATION_PERMISSIONS, GRAPH_REQUEST_UNIT_COSTS } from './graph/permissions';
export { startGraphSimulator } from './graph/simulator';
export type {
  GraphFaultKind,
  GraphSimulator,
  GraphSimulatorOptions,
  GraphThrottle,
} from './graph/types';
