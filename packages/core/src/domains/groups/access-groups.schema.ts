import { z } from 'zod';
import type { Row } from '../../repositories/types';
import type { Camelize } from '../../shared/case';
import { emailSchema, jsonObject } from '../../shared/validation';
import { pageFields } from './groups.shared';

/** The role of a member in an access group. */
export const accessGroupMemberTypeSchema = z.enum(['member', 'manager', 'owner']);
/** The role of a member in an access group: `member`, `manager` or `owner`. */
export type AccessGroupMemberType = z.output<typeof accessGroupMemberTypeSchema>;

/** A lower-case identifier such as `manual`, `google_workspace` or `security`. */
export const groupSlugSchema = z
  .string()
  .trim()
  .min(1)
  .max(50)
  .regex(/^[a-z][a-z0-9_]*$/, 'Lower-case letters, digits and underscores, starting with a letter');

/** Free-form metadata stored as jsonb. */
export const groupMetadataSchema = jsonObject();

const groupName = z.string().trim().min(1, 'Required').max(255);
const description = z.string().max(10_000);
const externalUrl = z.url({ protocol: /^https?$/ }).max(500);

/** A new access group; it is always a `manual` group (synced groups come from their platform). */
export const createAccessGroupSchema = z
  .object({
    name: groupName,
    description: description.nullish(),
    /** The group's mail address, unique among active groups. */
    email: emailSchema.nullish(),
    /** What kind of group this is (default `manual`). */
    groupType: groupSlugSchema.default('manual'),
    /** Visible to every user of the organization, not only its members. */
    isPublic: z.boolean().default(false),
    allowExternalMembers: z.boolean().default(false),
    externalUrl: externalUrl.nullish(),
    metadata: groupMetadataSchema.nullish(),
  })
  .strict();
/** A new access group. */
export type CreateAccessGroupInput = z.input<typeof createAccessGroupSchema>;

/** Changes to an access group (name and email are fixed on groups synced from a platform). */
export const updateAccessGroupSchema = z
  .object({
    name: groupName.optional(),
    description: description.nullable().optional(),
    email: emailSchema.nullable().optional(),
    groupType: groupSlugSchema.optional(),
    isPublic: z.boolean().optional(),
    allowExternalMembers: z.boolean().optional(),
    externalUrl: externalUrl.nullable().optional(),
    metadata: groupMetadataSchema.nullable().optional(),
  })
  .strict();
/** Changes to an access group. */
export type UpdateAccessGroupInput = z.input<typeof updateAccessGroupSchema>;

/** Filters and page of `groups.list`. */
export const listAccessGroupsSchema = z
  .object({
    /** Only groups of this platform (`manual`, `google_workspace`...). */
    platform: groupSlugSchema.optional(),
    /** Text searched in the name and the email (case-insensitive). */
    q: z.string().trim().min(1).max(255).optional(),
    /** `true` (default): active groups; `false`: deleted (deactivated) groups; `'any'`: both. */
    isActive: z.union([z.boolean(), z.literal('any')]).default(true),
    ...pageFields,
  })
  .strict();
/** Filters and page of `groups.list`. */
export type ListAccessGroupsInput = z.input<typeof listAccessGroupsSchema>;

/** Filters and page of `groups.listMembers`. */
export const listAccessGroupMembersSchema = z
  .object({
    /** Only members of this type. */
    memberType: accessGroupMemberTypeSchema.optional(),
    /** Also list removed members (default false). */
    includeRemoved: z.boolean().default(false),
    ...pageFields,
  })
  .strict();
/** Filters and page of `groups.listMembers`. */
export type ListAccessGroupMembersInput = z.input<typeof listAccessGroupMembersSchema>;

/** Adding (or re-adding) a member. */
export const accessGroupMemberSchema = z
  .object({
    groupId: z.uuid(),
    userId: z.uuid(),
    memberType: accessGroupMemberTypeSchema.default('member'),
  })
  .strict();

/** An access group, with the number of its active members. */
export type AccessGroup = Camelize<Row<'access_groups'>> & {
  /** Active members (deleted users are not counted). */
  memberCount: number;
};

/** A member of an access group, with the user's name and email. */
export interface AccessGroupMember {
  /** The membership's id. */
  id: string;
  groupId: string;
  userId: string;
  email: string;
  firstName: string;
  lastName: string;
  memberType: string;
  /** False once removed. */
  isActive: boolean;
  joinedAt: Date | null;
  /** When the member was removed (null while active). */
  removedAt: Date | null;
  /** True when the membership came from the platform's sync. */
  syncedFromPlatform: boolean;
  /** Where the membership comes from: the platform's sync, a person, or the group's rule (`helios.dynamicGroups`). */
  membershipSource: MembershipSource;
}

/** Where an access group membership comes from. */
export type MembershipSource = 'platform' | 'manual' | 'dynamic';

/** A group a user belongs to, with the user's membership. */
export interface AccessGroupMembership {
  group: AccessGroup;
  memberType: string;
  joinedAt: Date | null;
}
