export type {
  AccessGroup,
  AccessGroupMember,
  AccessGroupMembership,
  AccessGroupMemberType,
  CreateAccessGroupInput,
  ListAccessGroupMembersInput,
  ListAccessGroupsInput,
  MembershipSource,
  UpdateAccessGroupInput,
} from './access-groups.schema';
export {
  accessGroupMemberSchema,
  accessGroupMemberTypeSchema,
  createAccessGroupSchema,
  groupMetadataSchema,
  groupSlugSchema,
  listAccessGroupMembersSchema,
  listAccessGroupsSchema,
  updateAccessGroupSchema,
} from './access-groups.schema';
export type { GroupsService } from './access-groups.service';
export { createGroupsService } from './access-groups.service';
export { GROUPS_ERRORS } from './groups.errors';
export type { GroupReferences, GroupsPage } from './groups.shared';
export type {
  CreateUserGroupInput,
  ListUserGroupMembersInput,
  ListUserGroupsInput,
  UpdateUserGroupInput,
} from './user-groups.schema';
export {
  createUserGroupSchema,
  listUserGroupMembersSchema,
  listUserGroupsSchema,
  updateUserGroupSchema,
  userGroupMemberSchema,
} from './user-groups.schema';
export type { UserGroup, UserGroupMember, UserGroupsService } from './user-groups.service';
export { createUserGroupsService } from './user-groups.service';
export type {
  CreateWorkspaceInput,
  ListWorkspaceMembersInput,
  ListWorkspacesInput,
  UpdateWorkspaceInput,
  Workspace,
  WorkspaceMember,
  WorkspaceRole,
} from './workspaces.schema';
export {
  createWorkspaceSchema,
  listWorkspaceMembersSchema,
  listWorkspacesSchema,
  updateWorkspaceSchema,
  workspaceMemberSchema,
  workspaceRoleSchema,
} from './workspaces.schema';
export type { WorkspacesService } from './workspaces.service';
export { createWorkspacesService } from './workspaces.service';
