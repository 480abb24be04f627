import {
  accessGroupMemberTypeSchema,
  createAccessGroupSchema,
  createUserGroupSchema,
  createWorkspaceSchema,
  groupSlugSchema,
  updateAccessGroupSchema,
  updateUserGroupSchema,
  updateWorkspaceSchema,
  workspaceRoleSchema,
} from '@helios/core';
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import {
  anyJson,
  type Caller,
  defineRoute,
  dto,
  IdParam,
  nullableText,
  nullableTime,
  pageOf,
} from '../route';
import type { RouteDeps } from './index';

const ALL: Caller[] = ['admin', 'manager', 'user'];
const READ = 'groups:read';
const WRITE = 'groups:write';

// Query strings carry text: booleans are `true`/`false`, numbers are coerced; the SDK validates again.
const boolQuery = z
  .enum(['true', 'false'])
  .transform((v) => v === 'true')
  .optional();
const activeQuery = z
  .enum(['true', 'false', 'any'])
  .transform((v) => (v === 'any' ? ('any' as const) : v === 'true'))
  .optional();
const limitQuery = z.coerce
  .number()
  .int()
  .min(1)
  .max(200)
  .optional()
  .openapi({ description: 'Page size, 1..200 (default 50)' });
const cursorQuery = z
  .string()
  .min(1)
  .max(2000)
  .optional()
  .openapi({ description: 'The `nextCursor` of the previous page' });
const textQuery = z
  .string()
  .min(1)
  .max(255)
  .optional()
  .openapi({ description: 'Text searched in the name and the email' });

const MemberParams = z.object({
  id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }),
  userId: z.uuid().openapi({ param: { name: 'userId', in: 'path' } }),
});

const member = {
  userId: z.string(),
  email: z.string(),
  firstName: z.string(),
  lastName: z.string(),
};
const membership = {
  joinedAt: nullableTime,
  removedAt: nullableTime,
  syncedFromPlatform: z.boolean(),
};
const accessMembership = {
  ...membership,
  membershipSource: z.enum(['platform', 'manual', 'dynamic']),
};
const AccessGroup = dto('AccessGroup', {
  organizationId: z.string(),
  name: z.string(),
  description: nullableText,
  email: z.string().nullable(),
  platform: z.string(),
  groupType: z.string(),
  externalId: nullableText,
  externalUrl: nullableText,
  allowExternalMembers: z.boolean().nullable(),
  isPublic: z.boolean().nullable(),
  isActive: z.boolean().nullable(),
  metadata: anyJson,
  createdAt: nullableTime,
  createdBy: nullableText,
  updatedAt: nullableTime,
  syncedAt: nullableTime,
  memberCount: z.number(),
});
const AccessGroupMember = dto('AccessGroupMember', {
  groupId: z.string(),
  ...member,
  memberType: z.string(),
  isActive: z.boolean(),
  ...accessMembership,
});
const AccessGroupMembership = z
  .object({ group: AccessGroup, memberType: z.string(), joinedAt: z.string().nullable() })
  .openapi('AccessGroupMembership');
const UserGroup = dto('UserGroup', {
  organizationId: z.string(),
  name: z.string(),
  description: nullableText,
  email: nullableText,
  groupType: nullableText,
  isActive: z.boolean().nullable(),
  isDynamic: z.boolean().nullable(),
  isSystem: z.boolean().nullable(),
  googleGroupId: nullableText,
  googleWorkspaceGroupId: nullableText,
  microsoft365GroupId: nullableText,
  createdAt: nullableTime,
  updatedAt: nullableTime,
  memberCount: z.number(),
});
const UserGroupMember = dto('UserGroupMember', {
  groupId: z.string(),
  ...member,
  role: z.string(),
  joinedAt: nullableTime,
});
const Workspace = dto('Workspace', {
  organizationId: z.string(),
  name: z.string(),
  description: nullableText,
  email: nullableText,
  platform: z.string().nullable(),
  externalId: nullableText,
  externalUrl: nullableText,
  workspaceType: nullableText,
  isActive: z.boolean().nullable(),
  isArchived: z.boolean().nullable(),
  archivedAt: nullableTime,
  metadata: anyJson,
  createdAt: nullableTime,
  createdBy: nullableText,
  updatedAt: nullableTime,
  syncedAt: nullableTime,
  memberCount: z.number(),
});
const WorkspaceMember = dto('WorkspaceMember', {
  workspaceId: z.string(),
  ...member,
  role: z.string(),
  isActive: z.boolean(),
  ...membership,
});

/** Access groups, legacy user groups and workspaces, with their members. */
export function registerGroupRoutes(app: OpenAPIHono<AppEnv>, _deps: RouteDeps): void {
  registerAccessGroups(app);
  registerUserGroups(app);
  registerWorkspaces(app);
}

function registerAccessGroups(app: OpenAPIHono<AppEnv>): void {
  const tag = 'Groups';
  defineRoute(app, {
    method: 'get',
    path: '/groups',
    tag,
    summary: 'Access groups by name, one page at a time',
    description:
      'Admins and API keys see every group; other users see public groups and the groups they belong to.',
    callers: ALL,
    scope: READ,
    query: z.object({
      platform: groupSlugSchema.optional(),
      q: textQuery,
      isActive: activeQuery,
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    response: pageOf(AccessGroup),
    handler: (c, { query }) => c.var.sdk.accessGroups.list(query),
  });
  defineRoute(app, {
    method: 'post',
    path: '/groups',
    tag,
    summary: 'Create a manual access group',
    scope: WRITE,
    body: createAccessGroupSchema,
    response: AccessGroup,
    handler: (c, { body }) => c.var.sdk.accessGroups.create(body),
  });
  defineRoute(app, {
    method: 'get',
    path: '/groups/{id}',
    tag,
    summary: 'One access group (404 when the caller may not see it)',
    callers: ALL,
    scope: READ,
    params: IdParam,
    response: AccessGroup,
    handler: (c, { params }) => c.var.sdk.accessGroups.get(params.id),
  });
  defineRoute(app, {
    method: 'patch',
    path: '/groups/{id}',
    tag,
    summary: 'Change an access group',
    description:
      'The name and email of a group synced from a platform are changed by its sync only (409 ACCESS_GROUPS.MANAGED_BY_PLATFORM).',
    scope: WRITE,
    params: IdParam,
    body: updateAccessGroupSchema,
    response: AccessGroup,
    handler: (c, { params, body }) => c.var.sdk.accessGroups.update(params.id, body),
  });
  defineRoute(app, {
    method: 'delete',
    path: '/groups/{id}',
    tag,
    summary: 'Delete an access group softly (it keeps its id and members; restore undoes it)',
    scope: WRITE,
    params: IdParam,
    response: AccessGroup,
    handler: (c, { params }) => c.var.sdk.accessGroups.delete(params.id),
  });
  defineRoute(app, {
    method: 'post',
    path: '/groups/{id}/restore',
    tag,
    summary: 'Make a deleted access group active again',
    scope: WRITE,
    params: IdParam,
    response: AccessGroup,
    status: 200,
    handler: (c, { params }) => c.var.sdk.accessGroups.restore(params.id),
  });
  defineRoute(app, {
    method: 'get',
    path: '/groups/{id}/members',
    tag,
    summary: 'The members of an access group, by email',
    callers: ALL,
    scope: READ,
    params: IdParam,
    query: z.object({
      memberType: accessGroupMemberTypeSchema.optional(),
      includeRemoved: boolQuery,
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    response: pageOf(AccessGroupMember),
    handler: (c, { params, query }) => c.var.sdk.accessGroups.listMembers(params.id, query),
  });
  defineRoute(app, {
    method: 'post',
    path: '/groups/{id}/members',
    operationId: 'addGroupMember',
    tag,
    summary: 'Add a member (or reactivate a removed one)',
    scope: WRITE,
    params: IdParam,
    body: z
      .object({ userId: z.uuid(), memberType: accessGroupMemberTypeSchema.optional() })
      .strict(),
    response: AccessGroupMember,
    handler: (c, { params, body }) =>
      c.var.sdk.accessGroups.addMember(params.id, body.userId, body.memberType),
  });
  defineRoute(app, {
    method: 'patch',
    path: '/groups/{id}/members/{userId}',
    tag,
    summary: "Change an active member's type",
    scope: WRITE,
    params: MemberParams,
    body: z.object({ memberType: accessGroupMemberTypeSchema }).strict(),
    response: AccessGroupMember,
    handler: (c, { params, body }) =>
      c.var.sdk.accessGroups.setMemberType(params.id, params.userId, body.memberType),
  });
  defineRoute(app, {
    method: 'delete',
    path: '/groups/{id}/members/{userId}',
    operationId: 'removeGroupMember',
    tag,
    summary: 'Remove a member softly (the membership is kept, inactive)',
    scope: WRITE,
    params: MemberParams,
    response: AccessGroupMember,
    handler: (c, { params }) => c.var.sdk.accessGroups.removeMember(params.id, params.userId),
  });
  defineRoute(app, {
    method: 'get',
    path: '/users/{id}/groups',
    operationId: 'listUserAccessGroups',
    tag,
    summary: 'The active access groups a user belongs to, by name',
    description: 'Non-admins see only the groups they may see.',
    callers: ALL,
    scope: READ,
    params: IdParam,
    response: z.array(AccessGroupMembership),
    handler: (c, { params }) => c.var.sdk.accessGroups.groupsOfUser(params.id),
  });
}

function registerUserGroups(app: OpenAPIHono<AppEnv>): void {
  const tag = 'User groups';
  defineRoute(app, {
    method: 'get',
    path: '/user-groups',
    tag,
    summary: 'Legacy user groups by name, one page at a time',
    description: 'Admins and API keys see every group; other users see the groups they belong to.',
    callers: ALL,
    scope: READ,
    query: z.object({
      q: textQuery,
      isActive: activeQuery,
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    response: pageOf(UserGroup),
    handler: (c, { query }) => c.var.sdk.userGroups.list(query),
  });
  defineRoute(app, {
    method: 'post',
    path: '/user-groups',
    tag,
    summary: 'Create a user group',
    scope: WRITE,
    body: createUserGroupSchema,
    response: UserGroup,
    handler: (c, { body }) => c.var.sdk.userGroups.create(body),
  });
  defineRoute(app, {
    method: 'get',
    path: '/user-groups/{id}',
    tag,
    summary: 'One user group (404 when the caller may not see it)',
    callers: ALL,
    scope: READ,
    params: IdParam,
    response: UserGroup,
    handler: (c, { params }) => c.var.sdk.userGroups.get(params.id),
  });
  defineRoute(app, {
    method: 'patch',
    path: '/user-groups/{id}',
    tag,
    summary: 'Change a user group (system groups cannot be renamed)',
    scope: WRITE,
    params: IdParam,
    body: updateUserGroupSchema,
    response: UserGroup,
    handler: (c, { params, body }) => c.var.sdk.userGroups.update(params.id, body),
  });
  defineRoute(app, {
    method: 'delete',
    path: '/user-groups/{id}',
    tag,
    summary: 'Delete a user group and its memberships',
    description:
      'Refused with 409 GROUPS.IN_USE while other records name it, and for system groups (GROUPS.SYSTEM_GROUP).',
    scope: WRITE,
    params: IdParam,
    status: 204,
    handler: async (c, { params }) => {
      await c.var.sdk.userGroups.delete(params.id);
      return undefined;
    },
  });
  defineRoute(app, {
    method: 'get',
    path: '/user-groups/{id}/members',
    tag,
    summary: 'The members of a user group, by email',
    callers: ALL,
    scope: READ,
    params: IdParam,
    query: z.object({
      role: accessGroupMemberTypeSchema.optional(),
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    response: pageOf(UserGroupMember),
    handler: (c, { params, query }) => c.var.sdk.userGroups.listMembers(params.id, query),
  });
  defineRoute(app, {
    method: 'post',
    path: '/user-groups/{id}/members',
    operationId: 'addUserGroupMember',
    tag,
    summary: 'Add a member',
    scope: WRITE,
    params: IdParam,
    body: z.object({ userId: z.uuid(), role: accessGroupMemberTypeSchema.optional() }).strict(),
    response: UserGroupMember,
    handler: (c, { params, body }) =>
      c.var.sdk.userGroups.addMember(params.id, body.userId, body.role),
  });
  defineRoute(app, {
    method: 'delete',
    path: '/user-groups/{id}/members/{userId}',
    operationId: 'removeUserGroupMember',
    tag,
    summary: 'Remove a member',
    scope: WRITE,
    params: MemberParams,
    status: 204,
    handler: async (c, { params }) => {
      await c.var.sdk.userGroups.removeMember(params.id, params.userId);
      return undefined;
    },
  });
}

function registerWorkspaces(app: OpenAPIHono<AppEnv>): void {
  const tag = 'Workspaces';
  defineRoute(app, {
    method: 'get',
    path: '/workspaces',
    tag,
    summary: 'Workspaces by name, one page at a time',
    description:
      'Admins and API keys see every workspace; other users see the active workspaces they are an active member of.',
    callers: ALL,
    scope: READ,
    query: z.object({
      platform: groupSlugSchema.optional(),
      q: textQuery,
      isActive: activeQuery,
      isArchived: boolQuery,
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    response: pageOf(Workspace),
    handler: (c, { query }) => c.var.sdk.workspaces.list(query),
  });
  defineRoute(app, {
    method: 'post',
    path: '/workspaces',
    tag,
    summary: 'Create a workspace (no platform is called)',
    scope: WRITE,
    body: createWorkspaceSchema,
    response: Workspace,
    handler: (c, { body }) => c.var.sdk.workspaces.create(body),
  });
  defineRoute(app, {
    method: 'get',
    path: '/workspaces/{id}',
    tag,
    summary: 'One workspace (404 when the caller may not see it)',
    callers: ALL,
    scope: READ,
    params: IdParam,
    response: Workspace,
    handler: (c, { params }) => c.var.sdk.workspaces.get(params.id),
  });
  defineRoute(app, {
    method: 'patch',
    path: '/workspaces/{id}',
    tag,
    summary: 'Change, archive or unarchive a workspace',
    scope: WRITE,
    params: IdParam,
    body: updateWorkspaceSchema,
    response: Workspace,
    handler: (c, { params, body }) => c.var.sdk.workspaces.update(params.id, body),
  });
  defineRoute(app, {
    method: 'delete',
    path: '/workspaces/{id}',
    tag,
    summary: 'Delete a workspace softly (it keeps its id and members; restore undoes it)',
    scope: WRITE,
    params: IdParam,
    response: Workspace,
    handler: (c, { params }) => c.var.sdk.workspaces.delete(params.id),
  });
  defineRoute(app, {
    method: 'post',
    path: '/workspaces/{id}/restore',
    tag,
    summary: 'Make a deleted workspace active again',
    scope: WRITE,
    params: IdParam,
    response: Workspace,
    status: 200,
    handler: (c, { params }) => c.var.sdk.workspaces.restore(params.id),
  });
  defineRoute(app, {
    method: 'get',
    path: '/workspaces/{id}/members',
    tag,
    summary: 'The members of a workspace, by email',
    callers: ALL,
    scope: READ,
    params: IdParam,
    query: z.object({
      role: workspaceRoleSchema.optional(),
      includeRemoved: boolQuery,
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    response: pageOf(WorkspaceMember),
    handler: (c, { params, query }) => c.var.sdk.workspaces.listMembers(params.id, query),
  });
  defineRoute(app, {
    method: 'post',
    path: '/workspaces/{id}/members',
    operationId: 'addWorkspaceMember',
    tag,
    summary: 'Add a member (or reactivate a removed one)',
    scope: WRITE,
    params: IdParam,
    body: z.object({ userId: z.uuid(), role: workspaceRoleSchema.optional() }).strict(),
    response: WorkspaceMember,
    handler: (c, { params, body }) =>
      c.var.sdk.workspaces.addMember(params.id, body.userId, body.role),
  });
  defineRoute(app, {
    method: 'patch',
    path: '/workspaces/{id}/members/{userId}',
    tag,
    summary: "Change an active member's role",
    scope: WRITE,
    params: MemberParams,
    body: z.object({ role: workspaceRoleSchema }).strict(),
    response: WorkspaceMember,
    handler: (c, { params, body }) =>
      c.var.sdk.workspaces.setMemberRole(params.id, params.userId, body.role),
  });
  defineRoute(app, {
    method: 'delete',
    path: '/workspaces/{id}/members/{userId}',
    operationId: 'removeWorkspaceMember',
    tag,
    summary: 'Remove a member softly (the membership is kept, inactive)',
    scope: WRITE,
    params: MemberParams,
    response: WorkspaceMember,
    handler: (c, { params }) => c.var.sdk.workspaces.removeMember(params.id, params.userId),
  });
}
