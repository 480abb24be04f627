/**
 * The error codes of user groups, access groups and workspaces, with their kind and message.
 */
import { codesOf, defineErrors } from '../../errors';

const IN_USE = 'The group is still used by other records; remove those first.';
const NO_SUCH_MEMBER_USER = 'No such user in this organization.';

/** Errors of user groups (`GROUPS.*`), access groups (`ACCESS_GROUPS.*`) and workspaces (`WORKSPACES.*`). */
export const GROUPS_ERRORS = defineErrors({
  NOT_FOUND: {
    code: 'GROUPS.NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such user group.',
    details: (p: { id: string }) => p,
  },
  NAME_TAKEN: {
    code: 'GROUPS.NAME_TAKEN',
    kind: 'CONFLICT',
    message: 'A user group with this name already exists.',
    details: (p: { name: string }) => p,
  },
  SYSTEM_GROUP: {
    code: 'GROUPS.SYSTEM_GROUP',
    kind: 'PRECONDITION_FAILED',
    message: (p: { id: string; what: string }) => `A system group cannot be ${p.what}.`,
    details: (p) => ({ id: p.id }),
    summary: 'A system group cannot be renamed, deactivated or deleted.',
  },
  IN_USE: {
    code: 'GROUPS.IN_USE',
    kind: 'PRECONDITION_FAILED',
    message: IN_USE,
    details: (p: { id: string; references: Record<string, number> }) => p,
  },
  USER_NOT_FOUND: {
    code: 'GROUPS.USER_NOT_FOUND',
    kind: 'NOT_FOUND',
    message: NO_SUCH_MEMBER_USER,
    details: (p: { userId: string }) => p,
  },
  ALREADY_MEMBER: {
    code: 'GROUPS.ALREADY_MEMBER',
    kind: 'CONFLICT',
    message: 'The user is already a member of this group.',
    details: (p: { groupId: string; userId: string }) => p,
  },
  NOT_A_MEMBER: {
    code: 'GROUPS.NOT_A_MEMBER',
    kind: 'NOT_FOUND',
    message: 'The user is not a member of this group.',
    details: (p: { groupId: string; userId: string }) => p,
  },
  ACCESS_GROUP_NOT_FOUND: {
    code: 'ACCESS_GROUPS.NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such access group.',
    details: (p: { id: string }) => p,
  },
  ACCESS_GROUP_EMAIL_TAKEN: {
    code: 'ACCESS_GROUPS.EMAIL_TAKEN',
    kind: 'CONFLICT',
    message: 'An active group already has this email.',
    details: (p: { email: string }) => p,
  },
  ACCESS_GROUP_MANAGED_BY_PLATFORM: {
    code: 'ACCESS_GROUPS.MANAGED_BY_PLATFORM',
    kind: 'PRECONDITION_FAILED',
    message: (p: { id: string; platform: string; fields: string[] }) =>
      `This group is synced from ${p.platform}: change ${p.fields.join(', ')} there.`,
    details: (p) => ({ id: p.id, platform: p.platform, fields: p.fields }),
    summary: 'The group is synced from a cloud platform: change these fields there.',
  },
  ACCESS_GROUP_IN_USE: {
    code: 'ACCESS_GROUPS.IN_USE',
    kind: 'PRECONDITION_FAILED',
    message: IN_USE,
    details: (p: { id: string; references: Record<string, number> }) => p,
  },
  ACCESS_GROUP_INACTIVE: {
    code: 'ACCESS_GROUPS.INACTIVE',
    kind: 'PRECONDITION_FAILED',
    message: 'The group is deleted; restore it first.',
    details: (p: { id: string }) => p,
  },
  ACCESS_GROUP_USER_NOT_FOUND: {
    code: 'ACCESS_GROUPS.USER_NOT_FOUND',
    kind: 'NOT_FOUND',
    message: NO_SUCH_MEMBER_USER,
    details: (p: { userId: string }) => p,
  },
  ACCESS_GROUP_ALREADY_MEMBER: {
    code: 'ACCESS_GROUPS.ALREADY_MEMBER',
    kind: 'CONFLICT',
    message: 'The user is already a member of this group.',
    details: (p: { groupId: string; userId: string }) => p,
  },
  ACCESS_GROUP_NOT_A_MEMBER: {
    code: 'ACCESS_GROUPS.NOT_A_MEMBER',
    kind: 'NOT_FOUND',
    message: 'The user is not a member of this group.',
    details: (p: { groupId: string; userId: string }) => p,
  },
  ACCESS_GROUP_EXTERNAL_ID_TAKEN: {
    code: 'ACCESS_GROUPS.EXTERNAL_ID_TAKEN',
    kind: 'CONFLICT',
    message: 'A row with the same unique value already exists.',
    summary: 'An access group of this platform already has this external id (unique constraint).',
  },
  WORKSPACE_NOT_FOUND: {
    code: 'WORKSPACES.NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such workspace.',
    details: (p: { id: string }) => p,
  },
  WORKSPACE_EXTERNAL_ID_TAKEN: {
    code: 'WORKSPACES.EXTERNAL_ID_TAKEN',
    kind: 'CONFLICT',
    message: 'A workspace of this platform already has this external id.',
    details: (p: { platform: string; externalId: string }) => p,
  },
  WORKSPACE_INACTIVE: {
    code: 'WORKSPACES.INACTIVE',
    kind: 'PRECONDITION_FAILED',
    message: 'The workspace is deleted; restore it first.',
    details: (p: { id: string }) => p,
  },
  WORKSPACE_USER_NOT_FOUND: {
    code: 'WORKSPACES.USER_NOT_FOUND',
    kind: 'NOT_FOUND',
    message: NO_SUCH_MEMBER_USER,
    details: (p: { userId: string }) => p,
  },
  WORKSPACE_ALREADY_MEMBER: {
    code: 'WORKSPACES.ALREADY_MEMBER',
    kind: 'CONFLICT',
    message: 'The user is already a member of this workspace.',
    details: (p: { workspaceId: string; userId: string }) => p,
  },
  WORKSPACE_NOT_A_MEMBER: {
    code: 'WORKSPACES.NOT_A_MEMBER',
    kind: 'NOT_FOUND',
    message: 'The user is not a member of this workspace.',
    details: (p: { workspaceId: string; userId: string }) => p,
  },
});

/** The codes of {@link GROUPS_ERRORS} by name. */
export const GROUPS_ERROR_CODES = codesOf(GROUPS_ERRORS);
