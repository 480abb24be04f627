import { z } from 'zod';
import { emailSchema } from '../../shared/validation';
import { accessGroupMemberTypeSchema, groupSlugSchema } from './access-groups.schema';
import { pageFields } from './groups.shared';

const groupName = z.string().trim().min(1, 'Required').max(255);
const description = z.string().max(10_000);

/** A new (legacy) user group. */
export const createUserGroupSchema = z
  .object({
    /** Unique in the organization (case-insensitive). */
    name: groupName,
    description: description.nullish(),
    email: emailSchema.nullish(),
    /** What kind of group this is (default `security`). */
    groupType: groupSlugSchema.default('security'),
  })
  .strict();
/** A new (legacy) user group. */
export type CreateUserGroupInput = z.input<typeof createUserGroupSchema>;

/** Changes to a user group. */
export const updateUserGroupSchema = z
  .object({
    name: groupName.optional(),
    description: description.nullable().optional(),
    email: emailSchema.nullable().optional(),
    groupType: groupSlugSchema.optional(),
    isActive: z.boolean().optional(),
  })
  .strict();
/** Changes to a user group. */
export type UpdateUserGroupInput = z.input<typeof updateUserGroupSchema>;

/** Filters and page of `userGroups.list`. */
export const listUserGroupsSchema = z
  .object({
    /** Text searched in the name and the email (case-insensitive). */
    q: z.string().trim().min(1).max(255).optional(),
    /** `'any'` (default), or only active (`true`) / inactive (`false`) groups. */
    isActive: z.union([z.boolean(), z.literal('any')]).default('any'),
    ...pageFields,
  })
  .strict();
/** Filters and page of `userGroups.list`. */
export type ListUserGroupsInput = z.input<typeof listUserGroupsSchema>;

/** Filters and page of `userGroups.listMembers`. */
export const listUserGroupMembersSchema = z
  .object({
    /** Only members with this role. */
    role: accessGroupMemberTypeSchema.optional(),
    ...pageFields,
  })
  .strict();
/** Filters and page of `userGroups.listMembers`. */
export type ListUserGroupMembersInput = z.input<typeof listUserGroupMembersSchema>;

/** Adding a member to a user group. */
export const userGroupMemberSchema = z
  .object({
    groupId: z.uuid(),
    userId: z.uuid(),
    role: accessGroupMemberTypeSchema.default('member'),
  })
  .strict();
