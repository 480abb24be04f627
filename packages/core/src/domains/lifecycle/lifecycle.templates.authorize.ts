/**
 * Who may write which template fields. A template's values are what `helios.lifecycle.onboard` and
 * `.offboard` do without further checks ("the administrators' choice"), so the fields a run's
 * overrides may only set with extra rights need the same rights in a template:
 * - offboarding: who receives the leaver's files, mail and calendar, and what is mailed to whom,
 *   needs an administrator (an `organization:write` key could otherwise write a template that
 *   forwards a colleague's mail to itself, then run it with `users:write`);
 * - onboarding: groups, shared drives and calendars grant access, and need `groups:write`.
 */
import type { OperationScope } from '../../runtime';
import { assertAdministrator } from '../policy/policy';

/**
 * Offboarding fields that choose who receives the leaver's data or mail, or what is mailed to
 * whom: in a template or a run's overrides, only an administrator sets them.
 */
export const STEERING_OFFBOARDING_FIELDS = [
  'driveTransferToUserId',
  'driveArchiveSharedDriveId',
  'emailForwardToUserId',
  'emailAutoReplySubject',
  'emailAutoReplyMessage',
  'calendarTransferToUserId',
  'notificationEmailAddresses',
  'notificationMessage',
  'offboardingSignatureText',
] as const;

const ACCESS_ONBOARDING_FIELDS = ['groupIds', 'sharedDriveAccess', 'calendarSubscriptions'];

const isSet = (value: unknown) =>
  value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0);

/** Refuses a caller who may not write these template fields (see above). */
export async function authorizeTemplateFields(
  s: OperationScope,
  kind: 'onboarding' | 'offboarding',
  data: Record<string, unknown>,
): Promise<void> {
  if (kind === 'offboarding') {
    const steering = STEERING_OFFBOARDING_FIELDS.filter((f) => isSet(data[f]));
    if (steering.length > 0)
      assertAdministrator(
        s.principal,
        'organization:write',
        `An offboarding template choosing where the leaver's data, mail or notices go (${steering.join(', ')})`,
      );
  } else if (ACCESS_ONBOARDING_FIELDS.some((f) => isSet(data[f]))) {
    await s.authorize('groups:write');
  }
}
