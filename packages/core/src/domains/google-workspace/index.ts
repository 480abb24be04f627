/**
 * Google Workspace: the provider (a typed Directory API client through a service account with
 * domain-wide delegation), its errors, and the organization's stored credentials.
 */
export * from './credentials';
export * from './directory.service';
export * from './errors';
export * from './integration';
export * from './provider';
export * from './schema';
export * from './sync.plan';
export * from './sync.service';
export * from './sync.stage';
export { googleUserFields } from './synced-user';
export * from './writeback.schema';
export * from './writeback.service';
