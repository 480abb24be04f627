/**
 * Microsoft 365: the provider (Entra ID client credentials through MSAL, Microsoft Graph), its
 * errors, the stored credentials, the directory sync (full and incremental) and the synced directory.
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
export * from './writeback.schema';
export * from './writeback.service';
