/**
 * The error codes of dynamic groups (`helios.dynamicGroups`), with their kind and message.
 */
import { codesOf, defineErrors } from '../../errors';

type Group = { groupId: string };

/** Every error dynamic groups throw. */
export const DYNAMIC_GROUPS_ERRORS = defineErrors({
  /** No access group of this id in the organization. */
  GROUP_NOT_FOUND: {
    code: 'DYNAMIC_GROUPS.GROUP_NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such access group.',
    details: (p: Group) => p,
  },
  /** The access group has no rule (`setRule` first). */
  RULE_NOT_FOUND: {
    code: 'DYNAMIC_GROUPS.RULE_NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'The access group has no membership rule.',
    details: (p: Group) => p,
  },
  /** The access group is deactivated: its membership is not computed. */
  GROUP_INACTIVE: {
    code: 'DYNAMIC_GROUPS.GROUP_INACTIVE',
    kind: 'PRECONDITION_FAILED',
    message: 'The access group is deactivated.',
    details: (p: Group) => p,
  },
  /** The rule is disabled (`automation_rules.is_enabled` false): it is not applied. */
  RULE_DISABLED: {
    code: 'DYNAMIC_GROUPS.RULE_DISABLED',
    kind: 'PRECONDITION_FAILED',
    message: 'The membership rule of the access group is disabled.',
    details: (p: Group & { ruleId: string }) => p,
  },
  /** `pushToPlatform` on a group that mirrors no Google or Microsoft group. */
  NOT_LINKED: {
    code: 'DYNAMIC_GROUPS.NOT_LINKED',
    kind: 'PRECONDITION_FAILED',
    message:
      'The access group is not linked to a Google Workspace or Microsoft 365 group: its membership cannot be pushed.',
    details: (p: Group & { platform: string | null }) => p,
    summary: 'Pushing needs a group mirrored from Google Workspace or Microsoft 365.',
  },
});

/** The codes of {@link DYNAMIC_GROUPS_ERRORS} by name. */
export const DYNAMIC_GROUPS_ERROR_CODES = codesOf(DYNAMIC_GROUPS_ERRORS);
