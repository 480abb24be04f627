import { z } from 'zod';
import type { Row } from '../../repositories/types';
import type { Camelize } from '../../shared/case';
import { emailSchema } from '../../shared/validation';
import { groupMetadataSchema, groupSlugSchema } from './access-groups.schema';
import { pageFields } from './groups.shared';

/** The role of a member in a workspace. */
export const workspaceRoleSchema = z.enum(['owner', 'manager', 'member', 'guest']);
/** The role of a member in a workspace: `owner`, `manager`, `member` or `guest`. */
export type WorkspaceRole = z.output<typeof workspaceRoleSchema>;

const workspaceName = z.string().trim().min(1, 'Required').max(255);
const description = z.string().max(10_000);
const externalId = z.string().trim().min(1).max(255);
const externalUrl = z.url({ protocol: /^https?$/ }).max(500);

/** A new workspace (a team or chat space; no platform is called). */
export const createWorkspaceSchema = z
  .object({
    name: workspaceName,
    description: description.nullish(),
    email: emailSchema.nullish(),
    /** Where the workspace lives (`manual`, `google_chat`, `microsoft_teams`...; default `manual`). */
    platform: groupSlugSchema.default('manual'),
    /** The platform's id of the workspace, unique per platform. */
    externalId: externalId.nullish(),
    externalUrl: externalUrl.nullish(),
    workspaceType: groupSlugSchema.nullish(),
    metadata: groupMetadataSchema.nullish(),
  })
  .strict();
/** A new workspace. */
export type CreateWorkspaceInput = z.input<typeof createWorkspaceSchema>;

/** Changes to a workspace. */
export const updateWorkspaceSchema = z
  .object({
    name: workspaceName.optional(),
    description: description.nullable().optional(),
    email: emailSchema.nullable().optional(),
    platform: groupSlugSchema.optional(),
    externalId: externalId.nullable().optional(),
    externalUrl: externalUrl.nullable().optional(),
    workspaceType: groupSlugSchema.nullable().optional(),
    metadata: groupMetadataSchema.nullable().optional(),
    /** Archive (read-only, still listed) or unarchive the workspace. */
    isArchived: z.boolean().optional(),
  })
  .strict();
/** Changes to a workspace. */
export type UpdateWorkspaceInput = z.input<typeof updateWorkspaceSchema>;

/** Filters and page of `workspaces.list`. */
export const listWorkspacesSchema = z
  .object({
    platform: groupSlugSchema.optional(),
    /** Text searched in the name and the email (case-insensitive). */
    q: z.string().trim().min(1).max(255).optional(),
    /** `true` (default): active workspaces; `false`: deleted ones; `'any'`: both. */
    isActive: z.union([z.boolean(), z.literal('any')]).default(true),
    /** Only archived (`true`) or only unarchived (`false`) workspaces. */
    isArchived: z.boolean().optional(),
    ...pageFields,
  })
  .strict();
/** Filters and page of `workspaces.list`. */
export type ListWorkspacesInput = z.input<typeof listWorkspacesSchema>;

/** Filters and page of `workspaces.listMembers`. */
export const listWorkspaceMembersSchema = z
  .object({
    role: workspaceRoleSchema.optional(),
    /** Also list removed members (default false). */
    includeRemoved: z.boolean().default(false),
    ...pageFields,
  })
  .strict();
/** Filters and page of `workspaces.listMembers`. */
export type ListWorkspaceMembersInput = z.input<typeof listWorkspaceMembersSchema>;

/** Adding (or re-adding) a member. */
export const workspaceMemberSchema = z
  .object({
    workspaceId: z.uuid(),
    userId: z.uuid(),
    role: workspaceRoleSchema.default('member'),
  })
  .strict();

/** A workspace, with its number of active members. */
export type Workspace = Camelize<Row<'workspaces'>> & {
  /** Active members (deleted users are not counted). */
  memberCount: number;
};

/** A member of a workspace, with the user's name and email. */
export interface WorkspaceMember {
  /** The membership's id. */
  id: string;
  workspaceId: string;
  userId: string;
  email: string;
  firstName: string;
  lastName: string;
  role: string;
  /** False once removed. */
  isActive: boolean;
  joinedAt: Date | null;
  /** When the member was removed (null while active). */
  removedAt: Date | null;
  /** True when the membership came from the platform's sync. */
  syncedFromPlatform: boolean;
}
