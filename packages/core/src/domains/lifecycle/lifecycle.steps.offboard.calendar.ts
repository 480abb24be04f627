/**
 * The offboarding steps for the user's calendar and signature, per cloud: meeting ownership to the
 * manager or `calendarTransferToUserId` (a Data Transfer of the `calendar` application, when its
 * target is not the Drive target; else it rides with `transfer_data`), the future meetings declined
 * (`declineFutureMeetings`, after the ownership transfer), and the signature of the primary address
 * cleared or replaced (`setSignature`). Microsoft 365 has neither an ownership transfer nor a
 * signature API in Graph: those steps are skipped with that reason.
 */
import type { OrganizedMeetings } from '../integrations';
import type { PlanBuilder, PlanCloud } from './lifecycle.runs.plan';
import type { OffboardingTemplate } from './lifecycle.templates';

/** A person as the offboarding plan names them. */
interface Person {
  id: string;
  email: string;
}

/**
 * Plans `<cloud>.transfer_calendar`: ownership of the meetings the user organizes to `target`.
 * Returns the step's id (planned or skipped), for the decline step to run after it.
 */
export function planCalendarTransfer(
  plan: PlanBuilder,
  c: PlanCloud,
  linked: boolean,
  target: Person | null,
  /** The target's account in the cloud. */
  targetId: string | null,
  t: OffboardingTemplate,
): string {
  const id = `${c.id}.transfer_calendar`;
  const name = c.cloud.displayName;
  const kind = 'transfer_calendar';
  const extra = { taskAction: 'transfer_data' };
  const reason = target
    ? `Ownership of the meetings the user organizes to ${target.email}`
    : 'Ownership of the meetings the user organizes';
  if (!target)
    plan.skip(
      id,
      kind,
      c.id,
      reason,
      `skipped: no ${t.calendarTransferToManager ? 'manager' : 'target user'} to transfer the meetings to`,
      extra,
    );
  else if (c.connected && linked && !c.cloud.supports.has('transferData'))
    plan.skip(
      id,
      kind,
      c.id,
      reason,
      `skipped: ${name} has no transfer of meeting ownership (Graph cannot change a meeting's organizer); the meetings the user organizes stay theirs`,
      extra,
    );
  else if (c.connected && linked && !targetId)
    plan.skip(
      id,
      kind,
      c.id,
      reason,
      `skipped: ${target.email} has no ${name} account linked`,
      extra,
    );
  else
    plan.cloud(
      c,
      linked,
      'transfer_calendar',
      kind,
      reason,
      ['transferData'],
      () => ({ operation: 'transferData', args: [c.externalId, targetId, ['calendar']] }),
      [],
      extra,
    );
  return id;
}

/**
 * Plans `<cloud>.decline_meetings`: every future meeting the user was invited to declined; the
 * meetings they organize are left to the ownership transfer when the template transfers ownership
 * (even where the cloud cannot: they stay as they are), else cancelled. Runs after `after`.
 */
export function planDeclineMeetings(
  plan: PlanBuilder,
  c: PlanCloud,
  linked: boolean,
  t: OffboardingTemplate,
  after: string | null,
): void {
  const organized: OrganizedMeetings = t.calendarTransferMeetingOwnership ? 'keep' : 'cancel';
  plan.cloud(
    c,
    linked,
    'decline_meetings',
    'decline_meetings',
    organized === 'keep'
      ? 'Every future meeting the user was invited to declined; the meetings they organize are left to the ownership transfer'
      : 'Every future meeting the user was invited to declined, and the meetings they organize cancelled',
    ['declineFutureMeetings'],
    () => ({ operation: 'declineFutureMeetings', args: [c.externalId, organized] }),
    after ? [after] : [],
  );
}

/**
 * Plans `<cloud>.signature`: the offboarding signature set (`setOffboardingSignature`, which wins
 * over `removeSignature`) or the signature removed. Graph has no signature API: skipped there.
 */
export function planSignature(
  plan: PlanBuilder,
  c: PlanCloud,
  linked: boolean,
  t: OffboardingTemplate,
): void {
  const set = t.setOffboardingSignature && t.offboardingSignatureText !== null;
  if (!set && !t.removeSignature) return;
  const reason = set
    ? 'The signature of the primary address replaced by the offboarding signature'
    : 'The signature of the primary address removed';
  if (c.connected && linked && !c.cloud.supports.has('setSignature')) {
    plan.skip(
      `${c.id}.signature`,
      'signature',
      c.id,
      reason,
      `skipped: ${c.cloud.displayName} has no signature API (Outlook signatures are not in Microsoft Graph)`,
    );
    return;
  }
  plan.cloud(c, linked, 'signature', 'signature', reason, ['setSignature'], () => ({
    operation: 'setSignature',
    args: [c.externalId, set ? t.offboardingSignatureText : null],
  }));
}
