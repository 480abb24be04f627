/**
 * Per-user counts of the calls that suspended or lifted a suspension (a `users.update` or
 * `users.patch` answered 200 whose body set `suspended`), so a test can assert that each user was
 * suspended exactly once by counting calls, not state.
 */

/** Successful suspend and unsuspend calls per Google user id. */
export interface SuspensionCalls {
  /** Calls with `suspended: true`, by user id. */
  readonly suspend: Map<string, number>;
  /** Calls with `suspended: false`, by user id. */
  readonly unsuspend: Map<string, number>;
}

/** Empty counters. */
export function createSuspensionCalls(): SuspensionCalls {
  return { suspend: new Map(), unsuspend: new Map() };
}

/** Counts one answered call if it set `suspended` on a user. */
export function recordSuspensionCall(
  calls: SuspensionCalls,
  route: string,
  body: unknown,
  result: { status: number; body?: unknown },
): void {
  if (route !== 'users.update' && route !== 'users.patch') return;
  if (result.status !== 200 || !body || typeof body !== 'object') return;
  const suspended = (body as { suspended?: unknown }).suspended;
  const id = (result.body as { id?: unknown } | undefined)?.id;
  if (typeof suspended !== 'boolean' || typeof id !== 'string') return;
  const map = suspended ? calls.suspend : calls.unsuspend;
  map.set(id, (map.get(id) ?? 0) + 1);
}
