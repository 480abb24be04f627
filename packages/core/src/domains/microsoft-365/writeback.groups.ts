/** Microsoft 365 write-back of group members (groups themselves are created in Microsoft 365). */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.generated';
import type { OperationScope } from '../../runtime';
import { parseInput } from '../../shared/validation';
import { addAccessMember, removeAccessMember, runWriteback } from '../integrations/writeback';
import { MICROSOFT_ERRORS } from './errors';
import {
  findGroup,
  findUser,
  linkedMicrosoftUser,
  type MicrosoftWritebackContext,
  recount,
  syncedGroup,
  syncedUser,
} from './writeback.context';
import { microsoftMemberSchema } from './writeback.schema';
import type { MicrosoftWritebackService } from './writeback.service';

/** The access group mirroring a Microsoft group, if any. */
async function accessGroupOf(db: Kysely<Database>, organizationId: string, groupMsId: string) {
  const row = await db
    .selectFrom('access_groups')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('platform', '=', 'microsoft_365')
    .where('external_id', '=', groupMsId)
    .executeTakeFirst();
  return row?.id ?? null;
}

/** Mirrors a membership Graph now has (kept when already there); returns its id. */
async function insertMembership(
  db: Kysely<Database>,
  organizationId: string,
  groupId: string,
  userId: string,
  now: Date,
): Promise<string | null> {
  await db
    .insertInto('ms_group_memberships')
    .values({
      organization_id: organizationId,
      group_id: groupId,
      user_id: userId,
      membership_type: 'member',
      created_at: now,
    })
    .onConflict((oc) => oc.columns(['group_id', 'user_id']).doNothing())
    .execute();
  const row = await db
    .selectFrom('ms_group_memberships')
    .select('id')
    .where('group_id', '=', groupId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.id ?? null;
}

/** Validates both ids and loads the synced group and user. */
async function prepareMember(s: OperationScope, groupMsId: string, userMsId: string) {
  const ids = parseInput(microsoftMemberSchema, { groupId: groupMsId, userId: userMsId });
  return {
    group: await syncedGroup(s.db, s.organizationId, ids.groupId),
    user: await syncedUser(s.db, s.organizationId, ids.userId),
  };
}

export function microsoftGroupOperations(
  ctx: MicrosoftWritebackContext,
): Pick<MicrosoftWritebackService, 'addMember' | 'removeMember'> {
  const { rt } = ctx;
  return {
    addMember: (groupMsId, userMsId, options) =>
      runWriteback(rt, 'microsoftWriteback.addMember', 'groups:write', options, {
        prepare: (s) => prepareMember(s, groupMsId, userMsId),
        call: async ({ group, user }) =>
          (await ctx.provider()).addGroupMember(group.ms_id, user.ms_id),
        async record(s, _none, { group, user }) {
          const [g, u] = await Promise.all([
            findGroup(s.db, s.organizationId, group.ms_id),
            findUser(s.db, s.organizationId, user.ms_id),
          ]);
          let membershipId: string | null = null;
          if (g && u) {
            membershipId = await insertMembership(s.db, s.organizationId, g.id, u.id, s.now);
            await recount(s.db, [g.id]);
          }
          const accessGroupId = await accessGroupOf(s.db, s.organizationId, group.ms_id);
          const localUserId = await linkedMicrosoftUser(s.db, s.organizationId, user.ms_id);
          const accessGroupMemberId =
            accessGroupId && localUserId
              ? await addAccessMember(s.db, accessGroupId, localUserId, null, s.now)
              : null;
          await s.audit({
            action: 'microsoft_365.member_add',
            resource: 'ms_group_memberships',
            resourceId: membershipId,
            details: {
              groupMsId: group.ms_id,
              group: group.display_name,
              userMsId: user.ms_id,
              upn: user.upn,
              accessGroupId,
              localUserId,
            },
          });
          return {
            groupMsId: group.ms_id,
            userMsId: user.ms_id,
            changed: true,
            membershipId,
            accessGroupId,
            accessGroupMemberId,
            localUserId,
          };
        },
      }),

    removeMember: (groupMsId, userMsId, options) =>
      runWriteback(rt, 'microsoftWriteback.removeMember', 'groups:write', options, {
        prepare: (s) => prepareMember(s, groupMsId, userMsId),
        async call({ group, user }) {
          const ms = await ctx.provider();
          try {
            await ms.removeGroupMember(group.ms_id, user.ms_id);
            return true;
          } catch (error) {
            // Graph answers 404 both when the membership is gone and when the group is: a group that
            // still exists means the member was removed already (a retried step), not a failure.
            if (!MICROSOFT_ERRORS.NOT_FOUND.is(error)) throw error;
            await ms.getGroup(group.ms_id).catch(() => {
              throw error;
            });
            return false;
          }
        },
        async record(s, changed, { group, user }) {
          const [g, u] = await Promise.all([
            findGroup(s.db, s.organizationId, group.ms_id),
            findUser(s.db, s.organizationId, user.ms_id),
          ]);
          let removedId: string | null = null;
          if (g && u) {
            const removed = await s.db
              .deleteFrom('ms_group_memberships')
              .where('group_id', '=', g.id)
              .where('user_id', '=', u.id)
              .returning('id')
              .executeTakeFirst();
            removedId = removed?.id ?? null;
            await recount(s.db, [g.id]);
          }
          const accessGroupId = await accessGroupOf(s.db, s.organizationId, group.ms_id);
          const localUserId = await linkedMicrosoftUser(s.db, s.organizationId, user.ms_id);
          const accessGroupMemberId =
            accessGroupId && localUserId
              ? ((await removeAccessMember(s.db, accessGroupId, localUserId, s.now))?.id ?? null)
              : null;
          await s.audit({
            action: 'microsoft_365.member_remove',
            resource: 'ms_group_memberships',
            resourceId: removedId,
            details: {
              groupMsId: group.ms_id,
              group: group.display_name,
              userMsId: user.ms_id,
              upn: user.upn,
              accessGroupId,
              localUserId,
              changed,
            },
          });
          return {
            groupMsId: group.ms_id,
            userMsId: user.ms_id,
            changed,
            membershipId: null,
            accessGroupId,
            accessGroupMemberId,
            localUserId,
          };
        },
      }),
  };
}
