/**
 * The membership use cases of the access groups service: add (with reactivation), change type,
 * remove (soft, with `removed_at`), list members and a user's groups. Membership is static.
 */
import { sql } from 'kysely';
import type { ServiceRuntime } from '../../runtime';
import { keysetPage } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import {
  activeMember,
  findVisibleGroup,
  type GroupRow,
  groupQuery,
  lockGroup,
  MEMBER_COLUMNS,
  memberOf,
  notFound,
  RESOURCE,
  toGroup,
  toMember,
} from './access-groups.rows';
import {
  accessGroupMemberSchema,
  accessGroupMemberTypeSchema,
  listAccessGroupMembersSchema,
} from './access-groups.schema';
import type { GroupsService } from './access-groups.service';
import { GROUPS_ERRORS } from './groups.errors';
import { idSchema, memberUserNotDeleted, requireMemberUser } from './groups.shared';

/** The member operations of `helios.groups`. */
export type AccessGroupMemberOperations = Pick<
  GroupsService,
  'addMember' | 'setMemberType' | 'removeMember' | 'listMembers' | 'groupsOfUser'
>;

/** Builds the member operations of the access groups service. */
export function createAccessGroupMemberOperations(rt: ServiceRuntime): AccessGroupMemberOperations {
  return {
    addMember: (groupId, userId, memberType, options) =>
      rt.write(options, async (s) => {
        await s.authorize('groups:write');
        const data = parseInput(accessGroupMemberSchema, { groupId, userId, memberType });
        const group = await lockGroup(s, data.groupId);
        if (group.is_active === false) {
          throw GROUPS_ERRORS.ACCESS_GROUP_INACTIVE({ id: group.id });
        }
        const user = await requireMemberUser(
          s,
          data.userId,
          GROUPS_ERRORS.ACCESS_GROUP_USER_NOT_FOUND,
        );
        const existing = await memberOf(s, group.id, user.id);
        if (existing && existing.is_active !== false) {
          throw GROUPS_ERRORS.ACCESS_GROUP_ALREADY_MEMBER({ groupId: group.id, userId: user.id });
        }
        const values = {
          member_type: data.memberType,
          is_active: true,
          joined_at: s.now,
          removed_at: null,
          synced_from_platform: false,
          membership_source: 'manual',
        };
        const row = existing
          ? await s.db
              .updateTable('access_group_members')
              .set(values)
              .where('id', '=', existing.id)
              .returningAll()
              .executeTakeFirstOrThrow()
          : await s.db
              .insertInto('access_group_members')
              .values({ access_group_id: group.id, user_id: user.id, ...values })
              .returningAll()
              .executeTakeFirstOrThrow();
        await s.audit({
          action: 'groups.member_add',
          resource: RESOURCE,
          resourceId: group.id,
          details: {
            userId: user.id,
            email: user.email,
            memberType: data.memberType,
            reactivated: existing !== undefined,
          },
        });
        await s.activity({
          userId: user.id,
          action: 'groups.member_add',
          resourceType: RESOURCE,
          resourceId: group.id,
          description: `Added to the group ${group.name}`,
        });
        return toMember({
          ...row,
          email: user.email,
          first_name: user.first_name,
          last_name: user.last_name,
        });
      }),

    setMemberType: (groupId, userId, memberType, options) =>
      rt.write(options, async (s) => {
        await s.authorize('groups:write');
        const data = parseInput(
          accessGroupMemberSchema.extend({ memberType: accessGroupMemberTypeSchema }),
          { groupId, userId, memberType },
        );
        const group = await lockGroup(s, data.groupId);
        const before = await activeMember(s, group.id, data.userId);
        if (before.member_type === data.memberType) return toMember(before);
        await s.db
          .updateTable('access_group_members')
          .set({ member_type: data.memberType })
          .where('id', '=', before.id)
          .execute();
        await s.audit({
          action: 'groups.member_update',
          resource: RESOURCE,
          resourceId: group.id,
          details: {
            userId: before.user_id,
            memberType: { from: before.member_type, to: data.memberType },
          },
        });
        return toMember({ ...before, member_type: data.memberType });
      }),

    removeMember: (groupId, userId, options) =>
      rt.write(options, async (s) => {
        await s.authorize('groups:write');
        const data = parseInput(accessGroupMemberSchema, { groupId, userId });
        const group = await lockGroup(s, data.groupId);
        const before = await activeMember(s, group.id, data.userId);
        await s.db
          .updateTable('access_group_members')
          .set({ is_active: false, removed_at: s.now })
          .where('id', '=', before.id)
          .execute();
        await s.audit({
          action: 'groups.member_remove',
          resource: RESOURCE,
          resourceId: group.id,
          details: { userId: before.user_id, email: before.email, memberType: before.member_type },
        });
        await s.activity({
          userId: before.user_id,
          action: 'groups.member_remove',
          resourceType: RESOURCE,
          resourceId: group.id,
          description: `Removed from the group ${group.name}`,
        });
        return toMember({ ...before, is_active: false, removed_at: s.now });
      }),

    listMembers: (groupId, filter, options) =>
      rt.read(options, async (s) => {
        await s.authorize('groups:read');
        const id = parseInput(idSchema, groupId);
        const f = parseInput(listAccessGroupMembersSchema, filter ?? {});
        if (!(await findVisibleGroup(s, id))) throw notFound(id);
        let q = s.db
          .selectFrom('access_group_members as m')
          .innerJoin('organization_users as u', 'u.id', 'm.user_id')
          .select(MEMBER_COLUMNS)
          .where('m.access_group_id', '=', id)
          .where(memberUserNotDeleted);
        if (!f.includeRemoved) q = q.where('m.is_active', '=', true);
        if (f.memberType) q = q.where('m.member_type', '=', f.memberType);
        const paging = keysetPage({
          list: 'access_group_members',
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

    groupsOfUser: (userId, options) =>
      rt.read(options, async (s) => {
        await s.authorize('groups:read');
        const id = parseInput(idSchema, userId);
        await requireMemberUser(s, id, GROUPS_ERRORS.ACCESS_GROUP_USER_NOT_FOUND);
        const rows = await groupQuery(s)
          .innerJoin('access_group_members as om', 'om.access_group_id', 'g.id')
          .select(['om.member_type as membership_type', 'om.joined_at as membership_joined_at'])
          .where('om.user_id', '=', id)
          .where('om.is_active', '=', true)
          .where(sql<boolean>`coalesce(g.is_active, true)`)
          .orderBy('g.name')
          .orderBy('g.id')
          .execute();
        return rows.map((row) => {
          const { membership_type, membership_joined_at, ...group } = row;
          return {
            group: toGroup(group as GroupRow),
            memberType: membership_type,
            joinedAt: membership_joined_at,
          };
        });
      }),
  };
}
