/** Google Workspace write-back of groups and their members. */
import type { Row } from '../../repositories/types';
import { camelize } from '../../shared/case';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import { emailKey, textOrNull } from '../integrations/normalize';
import { addAccessMember, removeAccessMember, runWriteback } from '../integrations/writeback';
import type { GoogleGroup } from './provider';
import {
  type GoogleWritebackContext,
  localGroup,
  localMember,
  syncedGoogleId,
} from './writeback.context';
import { googleCreateGroupSchema, googleWritebackMemberSchema } from './writeback.schema';
import type { GoogleWritebackMembership, GoogleWritebackService } from './writeback.service';

type GroupOperations = Pick<GoogleWritebackService, 'createGroup' | 'addMember' | 'removeMember'>;

const memberType = (role: string) =>
  role === 'OWNER' ? 'owner' : role === 'MANAGER' ? 'manager' : 'member';
const roleOf = (type: string | null | undefined): GoogleWritebackMembership['role'] =>
  type === 'owner' ? 'OWNER' : type === 'manager' ? 'MANAGER' : 'MEMBER';

export function googleGroupOperations(ctx: GoogleWritebackContext): GroupOperations {
  const rt = ctx.rt;
  return {
    createGroup: (input, options) =>
      runWriteback(rt, 'googleWriteback.createGroup', 'groups:write', options, {
        async prepare(s) {
          const data = parseInput(googleCreateGroupSchema, input);
          ctx.assertInDomain(data.email, await ctx.domainOf(s.db, s.organizationId));
          return data;
        },
        call: async (data): Promise<GoogleGroup> =>
          (await ctx.provider()).insertGroup({
            email: data.email,
            name: data.name,
            ...(data.description !== undefined ? { description: data.description } : {}),
          }),
        async record(s, created) {
          const columns = {
            email: emailKey(created.email),
            name: textOrNull(created.name),
            description: typeof created.description === 'string' ? created.description : null,
            member_count: Number.parseInt(String(created.directMembersCount ?? '0'), 10) || 0,
            raw_data: JSON.stringify(created),
            last_sync_at: s.now,
          };
          const group = (await s.db
            .insertInto('gw_groups')
            .values({
              organization_id: s.organizationId,
              google_id: created.id,
              ...columns,
            } as never)
            .onConflict((oc) =>
              oc.columns(['organization_id', 'google_id']).doUpdateSet(columns as never),
            )
            .returningAll()
            .executeTakeFirstOrThrow()) as Row<'gw_groups'>;
          const access = {
            name: (columns.name ?? columns.email).slice(0, 255),
            description: columns.description,
            email: columns.email,
            is_active: true,
            synced_at: s.now,
          };
          const accessGroup = await s.db
            .insertInto('access_groups')
            .values({
              organization_id: s.organizationId,
              platform: 'google_workspace',
              group_type: 'google',
              external_id: created.id,
              metadata: JSON.stringify({ googleGroupId: created.id }),
              created_by: s.principal.userId,
              ...access,
            } as never)
            .onConflict((oc) =>
              oc.columns(['organization_id', 'platform', 'external_id']).doUpdateSet(access),
            )
            .returning('id')
            .executeTakeFirstOrThrow();
          await s.audit({
            action: 'google_workspace.group_create',
            resource: 'gw_groups',
            resourceId: group.id,
            details: {
              googleId: created.id,
              accessGroupId: accessGroup.id,
              ...summarizeChange(null, {
                email: group.email,
                name: group.name,
                description: group.description,
              }),
            },
          });
          const { rawData: _raw, ...rest } = camelize(group);
          return { ...rest, accessGroupId: accessGroup.id };
        },
      }),

    addMember: (groupEmailOrId, userEmail, role, options) =>
      runWriteback(rt, 'googleWriteback.addMember', 'groups:write', options, {
        prepare: () =>
          parseInput(googleWritebackMemberSchema, {
            group: groupEmailOrId,
            userEmail,
            ...(role !== undefined ? { role } : {}),
          }),
        call: async (data) =>
          (await ctx.provider()).insertMember(data.group, {
            email: data.userEmail,
            role: data.role ?? 'MEMBER',
          }),
        async record(s, member, data) {
          const group = await localGroup(s.db, s.organizationId, data.group);
          const finalRole = (
            typeof member.role === 'string' ? member.role.toUpperCase() : (data.role ?? 'MEMBER')
          ) as GoogleWritebackMembership['role'];
          const userId = await localMember(
            s.db,
            s.organizationId,
            member.id ?? null,
            emailKey(member.email ?? data.userEmail),
          );
          const memberId =
            group?.access_group_id && userId
              ? await addAccessMember(
                  s.db,
                  group.access_group_id,
                  userId,
                  memberType(finalRole),
                  s.now,
                )
              : null;
          await s.audit({
            action: 'google_workspace.member_add',
            resource: 'access_group_members',
            resourceId: memberId,
            details: {
              group: data.group,
              groupGoogleId: group?.google_id ?? null,
              userEmail: data.userEmail,
              role: finalRole,
              localUserId: userId,
            },
          });
          return {
            groupGoogleId: group?.google_id ?? null,
            groupEmail: group?.email ?? data.group,
            userEmail: data.userEmail,
            role: finalRole,
            accessGroupMemberId: memberId,
            localUserId: userId,
          };
        },
      }),

    removeMember: (groupEmailOrId, userEmail, options) =>
      runWriteback(rt, 'googleWriteback.removeMember', 'groups:write', options, {
        prepare: () =>
          parseInput(googleWritebackMemberSchema, { group: groupEmailOrId, userEmail }),
        call: async (data) => (await ctx.provider()).deleteMember(data.group, data.userEmail),
        async record(s, _none, data) {
          const group = await localGroup(s.db, s.organizationId, data.group);
          const userId = await localMember(
            s.db,
            s.organizationId,
            await syncedGoogleId(s.db, s.organizationId, data.userEmail),
            data.userEmail,
          );
          const removed =
            group?.access_group_id && userId
              ? await removeAccessMember(s.db, group.access_group_id, userId, s.now)
              : undefined;
          const memberId = removed?.id ?? null;
          await s.audit({
            action: 'google_workspace.member_remove',
            resource: 'access_group_members',
            resourceId: memberId,
            details: {
              group: data.group,
              groupGoogleId: group?.google_id ?? null,
              userEmail: data.userEmail,
              localUserId: userId,
            },
          });
          return {
            groupGoogleId: group?.google_id ?? null,
            groupEmail: group?.email ?? data.group,
            userEmail: data.userEmail,
            role: roleOf(removed?.member_type),
            accessGroupMemberId: memberId,
            localUserId: userId,
          };
        },
      }),
  };
}
