/**
 * The error codes of the directory sync engine, with their kind and message. A sync called inside a
 * transaction gets the shared `EXTERNAL.IN_TRANSACTION` (shared/external-call.ts).
 */
import { codesOf, defineErrors } from '../../errors';

/** One entity's removals, as the safety limit reports them. */
export interface RemovalCount {
  entity: string;
  removed: number;
  existing: number;
}

/** Errors of the sync engine. */
export const SYNC_ERRORS = defineErrors({
  ALREADY_RUNNING: {
    code: 'SYNC.ALREADY_RUNNING',
    kind: 'CONFLICT',
    message: (p: { kind: string }) => `A ${p.kind} sync is already running for this organization.`,
    details: (p) => ({ kind: p.kind }),
    summary: 'A sync of this kind is already running for the organization.',
  },
  SAFETY_LIMIT: {
    code: 'SYNC.SAFETY_LIMIT',
    kind: 'PRECONDITION_FAILED',
    message: (p: { over: RemovalCount[]; ratio: number; removals: RemovalCount[] }) =>
      `The sync would remove ${p.over.map((c) => `${c.removed} of ${c.existing} ${c.entity}`).join(' and ')} (more than ${Math.round(p.ratio * 100)}%); nothing was written. Re-run with allowLargeRemovals to accept.`,
    details: (p) => ({ limitPercent: p.ratio * 100, removals: p.removals }),
    summary:
      'The run would remove more than the allowed share of synced rows; nothing was written (re-run with allowLargeRemovals).',
  },
  /** Journaled, never thrown. */
  INTERRUPTED: {
    code: 'SYNC.INTERRUPTED',
    kind: 'INTERNAL',
    message: 'interrupted: the process running it stopped',
    summary: 'Journaled (never thrown): the process running the sync stopped before it finished.',
  },
});

/** The codes of {@link SYNC_ERRORS} by name. */
export const SYNC_REGISTRY_CODES = codesOf(SYNC_ERRORS);
