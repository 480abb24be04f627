/**
 * `@helios/server`: the Helios reference server, the portal's REST API on Hono.
 * @packageDocumentation
 */
export type { ServerOptions } from './app';
export { clientIp, createServer } from './app';
export type { TrustProxy } from './client-ip';
export { parseTrustProxy } from './client-ip';
export type { ServerConfig } from './config';
export { loadConfig } from './config';
export type { AppEnv } from './env';
export type { RunningServer } from './node';
export { startServer } from './node';
export type { Problem } from './problem';
export { problemOf, STATUS_OF_KIND } from './problem';
export type { Caller, RouteInput, RouteSpec } from './route';
export { defineRoute } from './route';
export type { RunningWorker, WorkerOptions } from './worker';
export { startWorker } from './worker';
