// The directory sync journal's public types, codes and warnings (both clouds).

export type {
  SyncChange,
  SyncEntityCounts,
  SyncJournal,
  SyncProgress,
  SyncRemovalCheck,
  SyncRetrySummary,
  SyncWarning,
  SyncWarnings,
} from '../domains/sync';
export {
  SYNC_ERROR_CODES,
  SYNC_ERRORS,
  SYNC_INTERRUPTED_REASON,
  SYNC_WARNING_LAST_ADMIN,
} from '../domains/sync';
