/**
 * What a sync run tells of its provider's retries, so a user sees why a run slows down: each wait
 * as progress (`phase: 'throttled'` or `'retrying'`, with a message such as "throttled, waiting 12 s
 * (members.list)") and, in the run's journal (audit row `details.retries`), how many retries there
 * were and how long they waited.
 */
import type { RetryInfo } from '../../shared/retry';
import type { SyncProgress } from './engine';

/** The retries of a run, as journaled. */
export interface SyncRetrySummary {
  /** Retries in all (throttled and failed calls). */
  retries: number;
  /** Of which the service throttled. */
  throttled: number;
  /** The waits added up, in ms (concurrent calls wait together: can exceed the run's duration). */
  waitedMs: number;
}

/** A retry as a progress message, e.g. `throttled, waiting 12 s (members.list, retry 2)`. */
export function retryMessage(info: RetryInfo): string {
  const seconds =
    info.delayMs >= 10_000 ? Math.round(info.delayMs / 1000) : Math.round(info.delayMs / 100) / 10;
  return `${info.throttled ? 'throttled' : 'retrying after a failure'}, waiting ${seconds} s (${info.operation}, retry ${info.attempt})`;
}

/**
 * Listens to a provider's retries for the length of a run: reports each as progress and counts them.
 * Call `stop` when the run ends.
 *
 * @example
 * ```ts
 * const retries = watchSyncRetries(google, data.onProgress);
 * try { ... } finally { retries.stop(); }
 * await auditRun(conn, journal, { ..., retries: retries.summary() }, at);
 * ```
 */
export function watchSyncRetries(
  provider: { watchRetries(listener: (info: RetryInfo) => void): () => void },
  onProgress?: (progress: SyncProgress) => void,
): { summary(): SyncRetrySummary; stop(): void } {
  const summary: SyncRetrySummary = { retries: 0, throttled: 0, waitedMs: 0 };
  const stop = provider.watchRetries((info) => {
    summary.retries += 1;
    if (info.throttled) summary.throttled += 1;
    summary.waitedMs += info.delayMs;
    onProgress?.({
      phase: info.throttled ? 'throttled' : 'retrying',
      done: info.attempt,
      total: null,
      message: retryMessage(info),
      waitMs: info.delayMs,
      operation: info.operation,
    });
  });
  return { summary: () => ({ ...summary }), stop };
}
