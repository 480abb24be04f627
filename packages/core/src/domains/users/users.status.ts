/**
 * The one user-state model, in `organization_users.user_status`:
 *
 * ```
 * staged -> invited -> active <-> suspended
 * active | suspended -> blocked -> active (unblock)
 * any state but deleted -> deleted (soft delete) -> active (restore)
 * ```
 *
 * `is_active` is kept equal to `user_status === 'active'`; `deleted_at` is set while deleted.
 */

import type { OperationScope } from '../../runtime';
import { endSessions } from '../../shared/auth-rows';
import { summarizeChange } from '../audit';
import { USERS_ERRORS } from './users.errors';
import { toUser, type User } from './users.model';
import { assertNotLastAdmin, getUserRow, isActiveAdmin } from './users.rules';
import type { UserStatus } from './users.schema';

/** The allowed state changes: from -> the states it may go to. */
export const USER_TRANSITIONS: Readonly<Record<UserStatus, readonly UserStatus[]>> = {
  staged: ['invited', 'deleted'],
  invited: ['active', 'deleted'],
  active: ['suspended', 'blocked', 'deleted'],
  suspended: ['active', 'blocked', 'deleted'],
  blocked: ['active', 'deleted'],
  deleted: ['active'],
};

/** True when `from -> to` is an allowed state change. */
export function canTransition(from: UserStatus, to: UserStatus): boolean {
  return USER_TRANSITIONS[from].includes(to);
}

const SELF_FORBIDDEN: readonly UserStatus[] = ['deleted', 'suspended', 'blocked'];

const VERBS: Record<UserStatus, string> = {
  staged: 'staged',
  invited: 'invited',
  active: 'activated',
  suspended: 'suspended',
  blocked: 'blocked',
  deleted: 'deleted',
};

/**
 * Moves a user to `to` (the caller has been authorized as an admin). `from`, when given, narrows
 * the states this named action starts from (e.g. `unblock` only from `blocked`).
 *
 * @throws HeliosError NOT_FOUND `USERS.NOT_FOUND`; PRECONDITION_FAILED `USERS.INVALID_TRANSITION`,
 *   `USERS.SELF_ACTION`, `USERS.LAST_ADMIN`
 */
export async function transitionUser(
  s: OperationScope,
  id: string,
  to: UserStatus,
  from?: readonly UserStatus[],
): Promise<User> {
  if (SELF_FORBIDDEN.includes(to) && s.principal.userId === id) {
    throw USERS_ERRORS.SELF_ACTION({ to });
  }
  const before = await getUserRow(s, id, true);
  const current = (before.user_status ?? 'active') as UserStatus;
  if (!canTransition(current, to) || (from && !from.includes(current))) {
    throw USERS_ERRORS.INVALID_TRANSITION({ from: current, to, verb: VERBS[to] });
  }
  if (isActiveAdmin(before) && to !== 'active') await assertNotLastAdmin(s, id, VERBS[to]);

  await s.db
    .updateTable('organization_users')
    .set({
      user_status: to,
      is_active: to === 'active',
      ...(to === 'deleted'
        ? { deleted_at: s.now }
        : current === 'deleted'
          ? { deleted_at: null }
          : {}),
      updated_at: s.now,
    })
    .where('id', '=', id)
    .where('organization_id', '=', s.organizationId)
    .execute();
  // A user who may no longer sign in loses their sessions at once.
  const sessionsEnded = to === 'active' ? 0 : await endSessions(s.db, id);
  const after = toUser(await getUserRow(s, id));
  const action =
    to === 'deleted' ? 'users.delete' : current === 'deleted' ? 'users.restore' : 'users.status';
  await s.audit({
    action,
    resource: 'user',
    resourceId: id,
    details: {
      from: current,
      to,
      email: after.email,
      sessionsEnded,
      ...summarizeChange(toUser(before), after),
    },
  });
  await s.activity({
    userId: id,
    action,
    resourceType: 'user',
    resourceId: id,
    description: `${after.firstName} ${after.lastName} was ${current === 'deleted' ? 'restored' : VERBS[to]}.`,
    metadata: { from: current, to },
  });
  return after;
}
