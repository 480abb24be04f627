/**
 * The retry policy of the integrations' HTTP clients (Google Workspace and Microsoft 365), and small
 * helpers: waiting, bounding concurrency, reading Retry-After.
 *
 * One policy for both providers:
 * - a **throttled** call (the service refused it without processing it: HTTP 429, Google's 403
 *   `userRateLimitExceeded` / `rateLimitExceeded` / `quotaExceeded`) is retried, writes included,
 *   until the call's time budget (`budgetMs`, default 5 minutes) would be passed. A `Retry-After` is
 *   waited in full; a throttle without one (Google's per-minute quotas) is retried once after a short
 *   backoff, then waits into the next quota window (`quotaWindowMs` after the first refusal). While a
 *   call waits, the provider's other calls hold too (they would be refused as well);
 * - a **failed** call (5xx, network error, timeout) is retried with exponential backoff and jitter
 *   at most `maxRetries` times, reads only (a write may have been processed);
 * - `maxRetries: 0` turns every retry off; `onRetry` (and `watch` listeners) hear of each wait.
 * When the budget runs out the call fails with its last error, its details completed with
 * `retryAfterSeconds` (the wait that did not fit), `budgetMs`, `elapsedMs` and `attempts`.
 */
import { type HeliosError, restateError } from '../errors';

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A counting semaphore: at most `limit` callers run `fn` at once; the others wait in order. */
export function semaphore(limit: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await fn();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}

/** Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or null. */
export function parseRetryAfter(value: string | null, now: Date = new Date()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed));
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - now.getTime()) / 1000));
}

/** One retry a provider is about to make (for logs and progress). */
export interface RetryInfo {
  /** The operation, e.g. `users.list`, `batch:GET /users/{id}`. */
  operation: string;
  /** 1 for the first retry of the call. */
  attempt: number;
  /** The wait before the retry, in ms. */
  delayMs: number;
  /** What is left of the call's time budget after this wait, in ms. */
  remainingMs: number;
  /** True when the service throttled the call (429, Google's rate and quota 403s). */
  throttled: boolean;
  /** The HTTP status of the failure, or null (network error, timeout). */
  status: number | null;
  /** The failure, as the provider would throw it. */
  error: HeliosError;
}

/** How a provider retries its calls (the `retry` option of `googleWorkspace` and `microsoft365`). */
export interface RetryOptions {
  /**
   * Retries of a call that failed (5xx, network error, timeout; reads only). Throttled calls are
   * retried until `budgetMs` runs out, whatever this says. 0 turns every retry off, throttled ones
   * included. Default 3 (Google), 4 (Microsoft).
   */
  maxRetries?: number;
  /** First backoff in ms, doubled each retry; each wait is jittered between half and all of it (default 500). */
  baseDelayMs?: number;
  /**
   * Longest backoff in ms (default 32000 Google, 60000 Microsoft). A Retry-After and a wait for the
   * next quota window are not capped by it: they are waited in full when they fit in the budget.
   */
  maxDelayMs?: number;
  /** Total time one call may take, waits included, in ms (default 300000: 5 minutes). */
  budgetMs?: number;
  /**
   * The length of a quota window without Retry-After (Google's per-minute quotas), in ms (default
   * 60000): a call still throttled after one short backoff waits until this long after its first refusal.
   */
  quotaWindowMs?: number;
  /** Called before each retry (logs, progress). */
  onRetry?: (info: RetryInfo) => void;
}

/** A failure as the policy needs to see it (the provider classifies its errors). */
export interface RetryFailure {
  /** The error to throw when the call is not retried. */
  error: HeliosError;
  /** Whether the call may be retried at all (e.g. a write that was not throttled may not). */
  retryable: boolean;
  /** The service refused the call without processing it. */
  throttled: boolean;
  /** Seconds the service asked to wait (Retry-After), or null. */
  retryAfterSeconds: number | null;
  /** A throttle without Retry-After from a per-window quota: wait into the next window. */
  quotaWindow?: boolean;
  /** The HTTP status, or null. */
  status: number | null;
}

/** The bookkeeping of one call (or one `$batch` sub-request) across its attempts. */
export interface RetryCall {
  /** The ms to wait before the next attempt, or the error to throw (not retryable, retries or budget used up). */
  next(failure: RetryFailure): number | HeliosError;
}

/** A provider's retry policy, shared by all its calls. */
export interface RetryPolicy {
  /** Starts the bookkeeping of one call. */
  begin(operation: string): RetryCall;
  /** Resolves when no throttle pause is on (call before each attempt). */
  ready(): Promise<void>;
  /**
   * Runs `attempt` until it succeeds or the policy gives up. `classify` turns what it threw into a
   * failure; `'again'` retries at once, uncounted (e.g. after renewing a revoked token, once).
   */
  run<T>(
    operation: string,
    attempt: () => Promise<T>,
    classify: (raw: unknown) => RetryFailure | 'again',
  ): Promise<T>;
  /** Adds a listener of retries (besides `onRetry`); returns the function that removes it. */
  watch(listener: (info: RetryInfo) => void): () => void;
}

/** Defaults of the policy that differ between providers. */
export interface RetryDefaults {
  maxRetries: number;
  maxDelayMs: number;
}

/** Default total time budget of one call: 5 minutes. */
export const DEFAULT_RETRY_BUDGET_MS = 300_000;
/** Default quota window without Retry-After: a minute (Google's per-minute quotas). */
export const DEFAULT_QUOTA_WINDOW_MS = 60_000;

const nonNegative = (value: number | undefined, fallback: number) =>
  typeof value === 'number' && Number.isFinite(value) ? Math.max(0, value) : fallback;

/**
 * Builds a provider's retry policy from its `retry` option.
 *
 * @example
 * ```ts
 * const policy = createRetryPolicy({ budgetMs: 60_000 }, { maxRetries: 3, maxDelayMs: 32_000 });
 * const page = await policy.run('users.list', () => listPage(), (raw) => classify(raw));
 * ```
 */
export function createRetryPolicy(
  options: RetryOptions = {},
  defaults: RetryDefaults,
  random: () => number = Math.random,
): RetryPolicy {
  const maxRetries = nonNegative(options.maxRetries, defaults.maxRetries);
  const baseDelayMs = nonNegative(options.baseDelayMs, 500);
  const maxDelayMs = nonNegative(options.maxDelayMs, defaults.maxDelayMs);
  const budgetMs = nonNegative(options.budgetMs, DEFAULT_RETRY_BUDGET_MS);
  const quotaWindowMs = nonNegative(options.quotaWindowMs, DEFAULT_QUOTA_WINDOW_MS);
  const listeners = new Set<(info: RetryInfo) => void>();
  if (options.onRetry) listeners.add(options.onRetry);
  /** No attempt starts before this time (a throttle applies to the provider's every call). */
  let pausedUntil = 0;

  /** Exponential backoff with equal jitter: between half and all of min(max, base * 2^n). */
  const backoff = (n: number) => {
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(n, 30));
    return Math.round(ceiling / 2 + random() * (ceiling / 2));
  };
  /** A little spread on top of a fixed wait, so waiting calls do not all retry at the same instant. */
  const spread = (ms: number) => Math.round(random() * Math.min(1000, ms * 0.05));

  const begin = (operation: string): RetryCall => {
    const startedAt = Date.now();
    let attempts = 1;
    let failedRetries = 0;
    let throttledRetries = 0;
    let firstThrottleAt: number | null = null;
    return {
      next(failure) {
        const now = Date.now();
        if (!failure.retryable || maxRetries === 0) return failure.error;
        if (!failure.throttled && failedRetries >= maxRetries) return failure.error;
        let delayMs: number;
        if (failure.retryAfterSeconds !== null && failure.retryAfterSeconds > 0) {
          const asked = failure.retryAfterSeconds * 1000;
          delayMs = asked + spread(asked);
        } else if (failure.throttled && failure.quotaWindow) {
          firstThrottleAt ??= now;
          delayMs =
            throttledRetries === 0
              ? backoff(0)
              : Math.max(backoff(throttledRetries), firstThrottleAt + quotaWindowMs - now) +
                spread(quotaWindowMs);
        } else {
          delayMs = backoff(failure.throttled ? throttledRetries : failedRetries);
        }
        const elapsedMs = now - startedAt;
        const remainingMs = budgetMs - elapsedMs - delayMs;
        if (remainingMs < 0)
          return outOfBudget(failure.error, { delayMs, elapsedMs, budgetMs, attempts });
        if (failure.throttled) {
          throttledRetries += 1;
          pausedUntil = Math.max(pausedUntil, now + delayMs);
        } else failedRetries += 1;
        attempts += 1;
        const info: RetryInfo = {
          operation,
          attempt: attempts - 1,
          delayMs,
          remainingMs,
          throttled: failure.throttled,
          status: failure.status,
          error: failure.error,
        };
        for (const listener of listeners) {
          try {
            listener(info);
          } catch {
            // A listener's failure must not change the call's outcome.
          }
        }
        return delayMs;
      },
    };
  };

  const ready = async () => {
    const wait = pausedUntil - Date.now();
    if (wait > 0) await sleep(wait);
  };

  return {
    begin,
    ready,
    async run(operation, attempt, classify) {
      const call = begin(operation);
      for (;;) {
        await ready();
        try {
          return await attempt();
        } catch (raw) {
          const failure = classify(raw);
          if (failure === 'again') continue;
          const next = call.next(failure);
          if (typeof next !== 'number') throw next;
          await sleep(next);
        }
      }
    },
    watch(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

/** The last error of a call whose next wait would pass its time budget, with the facts of it. */
function outOfBudget(
  error: HeliosError,
  facts: { delayMs: number; elapsedMs: number; budgetMs: number; attempts: number },
): HeliosError {
  const seconds = (ms: number) => Math.round(ms / 10) / 100;
  return restateError(
    error,
    `${error.message} Gave up after ${facts.attempts} attempt${facts.attempts === 1 ? '' : 's'} in ${seconds(facts.elapsedMs)} s: the next wait (${seconds(facts.delayMs)} s) would pass the time budget of ${seconds(facts.budgetMs)} s (retry option budgetMs).`,
    {
      retryAfterSeconds: Math.ceil(facts.delayMs / 1000),
      budgetMs: facts.budgetMs,
      elapsedMs: facts.elapsedMs,
      attempts: facts.attempts,
    },
  );
}
