/** The provider-neutral directory sync engine (lock, staging batches, safety limit, journal). */
export type {
  SanitizedValueWarning,
  SyncChange,
  SyncEntityCounts,
  SyncJournal,
  SyncProgress,
  SyncRemovalCheck,
  SyncWarnings,
} from './engine';
export {
  assertSafetyLimit,
  auditRun,
  closeInterruptedRun,
  closeInterruptedSyncRuns,
  countsOf,
  DEFAULT_MAX_REMOVAL_RATIO,
  failJournal,
  forEachLimited,
  insertBatch,
  inTransactionOn,
  MAX_SYNC_WARNINGS,
  noSyncWarnings,
  SYNC_ERROR_CODES,
  SYNC_INTERRUPTED_REASON,
  sanitizeFetched,
  setModuleSyncState,
  startJournal,
  syncLockName,
  withSyncLock,
} from './engine';
export type { SyncRetrySummary } from './retries';
export { retryMessage, watchSyncRetries } from './retries';
export type { SuspensionOutcome, SuspensionSource, SyncWarning } from './suspensions';
export { applySourceSuspensions, SYNC_WARNING_LAST_ADMIN } from './suspensions';
export { SYNC_ERRORS } from './sync.errors';
