/**
 * The membership use cases of the workspaces service: add (with reactivation), change role, remove
 * (soft, with `removed_at`) and list members.
 */

import type { ServiceRuntime } from '../../runtime';
import { keysetPage } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import { GROUPS_ERRORS } from './groups.errors';
import { idSchema, memberUserNotDeleted, requireMemberUser } from './groups.shared';
import {
  activeMember,
  findVisibleWorkspace,
  lockWorkspace,
  MEMBER_COLUMNS,
  memberOf,
  notFound,
  RESOURCE,
  toMember,
} from './workspaces.rows';
import {
  listWorkspaceMembersSchema,
  workspaceMemberSchema,
  workspaceRoleSchema,
} from './workspaces.schema';
import type { WorkspacesService } from './workspaces.service';

/** The member operations of `helios.workspaces`. */
export type WorkspaceMemberOperations = Pick<
  WorkspacesService,
  'addMember' | 'setMemberRole' | 'removeMember' | 'listMembers'
>;

/** Builds the member operations of the workspaces service. */
export function createWorkspaceMemberOperations(rt: ServiceRuntime): WorkspaceMemberOperations {
  return {
    addMember: (workspaceId, userId, role, options) =>
      rt.write(options, async (s) => {
        await s.authorize('groups:write');
        const data = parseInput(workspaceMemberSchema, { workspaceId, userId, role });
        const workspace = await lockWorkspace(s, data.workspaceId);
        if (workspace.is_active === false) {
          throw GROUPS_ERRORS.WORKSPACE_INACTIVE({ id: workspace.id });
        }
        const user = await requireMemberUser(
          s,
          data.userId,
          GROUPS_ERRORS.WORKSPACE_USER_NOT_FOUND,
        );
        const existing = await memberOf(s, workspace.id, user.id);
        if (existing && existing.is_active !== false) {
          throw GROUPS_ERRORS.WORKSPACE_ALREADY_MEMBER({
            workspaceId: workspace.id,
            userId: user.id,
          });
        }
        const values = {
          role: data.role,
          is_active: true,
          joined_at: s.now,
          removed_at: null,
          synced_from_platform: false,
        };
        const row = existing
          ? await s.db
              .updateTable('workspace_members')
              .set(values)
              .where('id', '=', existing.id)
              .returningAll()
              .executeTakeFirstOrThrow()
          : await s.db
              .insertInto('workspace_members')
              .values({ workspace_id: workspace.id, user_id: user.id, ...values })
              .returningAll()
              .executeTakeFirstOrThrow();
        await s.audit({
          action: 'workspaces.member_add',
          resource: RESOURCE,
          resourceId: workspace.id,
          details: {
            userId: user.id,
            email: user.email,
            role: data.role,
            reactivated: existing !== undefined,
          },
        });
        await s.activity({
          userId: user.id,
          action: 'workspaces.member_add',
          resourceType: RESOURCE,
          resourceId: workspace.id,
          description: `Added to the workspace ${workspace.name}`,
        });
        return toMember({
          ...row,
          email: user.email,
          first_name: user.first_name,
          last_name: user.last_name,
        });
      }),

    setMemberRole: (workspaceId, userId, role, options) =>
      rt.write(options, async (s) => {
        await s.authorize('groups:write');
        const data = parseInput(workspaceMemberSchema.extend({ role: workspaceRoleSchema }), {
          workspaceId,
          userId,
          role,
        });
        const workspace = await lockWorkspace(s, data.workspaceId);
        const before = await activeMember(s, workspace.id, data.userId);
        if (before.role === data.role) return toMember(before);
        await s.db
          .updateTable('workspace_members')
          .set({ role: data.role })
          .where('id', '=', before.id)
          .execute();
        await s.audit({
          action: 'workspaces.member_update',
          resource: RESOURCE,
          resourceId: workspace.id,
          details: { userId: before.user_id, role: { from: before.role, to: data.role } },
        });
        return toMember({ ...before, role: data.role });
      }),

    removeMember: (workspaceId, userId, options) =>
      rt.write(options, async (s) => {
        await s.authorize('groups:write');
        const data = parseInput(workspaceMemberSchema, { workspaceId, userId });
        const workspace = await lockWorkspace(s, data.workspaceId);
        const before = await activeMember(s, workspace.id, data.userId);
        await s.db
          .updateTable('workspace_members')
          .set({ is_active: false, removed_at: s.now })
          .where('id', '=', before.id)
          .execute();
        await s.audit({
          action: 'workspaces.member_remove',
          resource: RESOURCE,
          resourceId: workspace.id,
          details: { userId: before.user_id, email: before.email, role: before.role },
        });
        await s.activity({
          userId: before.user_id,
          action: 'workspaces.member_remove',
          resourceType: RESOURCE,
          resourceId: workspace.id,
          description: `Removed from the workspace ${workspace.name}`,
        });
        return toMember({ ...before, is_active: false, removed_at: s.now });
      }),

    listMembers: (workspaceId, filter, options) =>
      rt.read(options, async (s) => {
        await s.authorize('groups:read');
        const id = parseInput(idSchema, workspaceId);
        const f = parseInput(listWorkspaceMembersSchema, filter ?? {});
        if (!(await findVisibleWorkspace(s, id))) throw notFound(id);
        let q = s.db
          .selectFrom('workspace_members as m')
          .innerJoin('organization_users as u', 'u.id', 'm.user_id')
          .select(MEMBER_COLUMNS)
          .where('m.workspace_id', '=', id)
          .where(memberUserNotDeleted);
        if (!f.includeRemoved) q = q.where('m.is_active', '=', true);
        if (f.role) q = q.where('m.role', '=', f.role);
        const paging = keysetPage({
          list: 'workspace_members',
          keys: [
            { by: 'u.email', kind: 'text' },
            { by: 'm.id', kind: 'uuid' },
          ],
          limit: f.limit,
          cursor: f.cursor,
        });
        const rows = await q.$call(paging.query).execute();
        return paging.page(rows, toMember);
      }),
  };
}
