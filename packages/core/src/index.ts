/**
 * `@helios/core`: the TypeScript SDK of the Helios administration portal for Google Workspace and
 * Microsoft 365.
 * @packageDocumentation
 */
export * from './db';
export type { HeliosErrorKind, HeliosErrorOptions } from './errors';
export { HeliosError, isHeliosError } from './errors';
