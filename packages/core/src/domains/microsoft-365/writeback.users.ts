/** Microsoft 365 write-back of users: create, update, suspend (block sign-in), restore, delete, sign out. */
import type { Row } from '../../repositories/types';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import {
  generateInitialPassword,
  initialPasswordsNeedKey,
  storeInitialPassword,
} from '../integrations/initial-passwords';
import {
  linkUser,
  markRemoved,
  readLiveUser,
  runWriteback,
  unlinkedUserByEmail,
  userToLink,
} from '../integrations/writeback';
import type { CallOptions } from '../policy/actor';
import { MICROSOFT_ERRORS } from './errors';
import { syncedUserRaw } from './synced-user';
import {
  findUser,
  type GraphUserRaw,
  linkedMicrosoftUser,
  type MicrosoftWritebackContext,
  recount,
  syncedUser,
  updateLink,
  upsertSyncedUser,
  userAuditView,
  userDto,
} from './writeback.context';
import {
  microsoftCreateUserSchema,
  microsoftObjectIdSchema,
  microsoftUpdateUserSchema,
} from './writeback.schema';
import type { MicrosoftWritebackService } from './writeback.service';

/** Who a new account links to: checked before Graph is called. */
const LINK_ERRORS = {
  notFound: MICROSOFT_ERRORS.WRITEBACK_LOCAL_USER_NOT_FOUND,
  alreadyLinked: (msId: string) => MICROSOFT_ERRORS.WRITEBACK_ALREADY_LINKED({ msId }),
};

/** Blocks or allows sign-in (`accountEnabled`), then mirrors Graph's record. */
function setEnabled(
  ctx: MicrosoftWritebackContext,
  enabled: boolean,
  msId: string,
  options: CallOptions | undefined,
) {
  return runWriteback(
    ctx.rt,
    enabled ? 'microsoftWriteback.restoreUser' : 'microsoftWriteback.suspendUser',
    'users:write',
    options,
    {
      prepare: (s) => ctx.prepareUser(s, msId),
      async call(row) {
        const ms = await ctx.provider();
        await ms.updateUser(row.ms_id, { accountEnabled: enabled });
        // Graph answers the PATCH with 204: the mirror takes the stored user with the new flag, no
        // re-read (one GET per suspension saved; the next sync refreshes the rest).
        return syncedUserRaw({
          ...(row.raw_data as object),
          id: row.ms_id,
          accountEnabled: enabled,
        });
      },
      record: (s, raw) =>
        ctx.recordUserChange(
          s,
          enabled ? 'microsoft_365.user_enable' : 'microsoft_365.user_disable',
          raw,
        ),
    },
  );
}

/** The user operations of `helios.microsoftWriteback`. */
export function microsoftUserOperations(
  ctx: MicrosoftWritebackContext,
): Pick<
  MicrosoftWritebackService,
  'getUser' | 'createUser' | 'updateUser' | 'suspendUser' | 'restoreUser' | 'deleteUser' | 'signOut'
> {
  const { rt } = ctx;
  return {
    getUser: (msId, options) =>
      readLiveUser(rt, 'microsoftWriteback.getUser', options, {
        parseId: () => parseInput(microsoftObjectIdSchema, msId),
        fetch: async (id) =>
          syncedUserRaw(await (await ctx.provider()).getUser(id)) as GraphUserRaw,
        notFoundCode: 'MICROSOFT.NOT_FOUND',
        async record(s, raw) {
          const row = await upsertSyncedUser(s.db, s.organizationId, raw, s.now);
          return userDto(row, await linkedMicrosoftUser(s.db, s.organizationId, raw.id));
        },
      }),
    createUser: (input, options) =>
      runWriteback(rt, 'microsoftWriteback.createUser', 'users:write', options, {
        async prepare(s) {
          const data = parseInput(microsoftCreateUserSchema, input);
          if (!rt.secretBox) throw initialPasswordsNeedKey();
          return {
            data,
            localUserId: await userToLink(s, 'microsoft_365', data.localUserId, LINK_ERRORS),
            password: generateInitialPassword(),
          };
        },
        async call({ data, password }) {
          const ms = await ctx.provider();
          const fields = {
            accountEnabled: true,
            displayName: data.displayName,
            userPrincipalName: data.userPrincipalName,
            mailNickname: data.mailNickname ?? data.userPrincipalName.split('@')[0]!.slice(0, 64),
            ...(data.givenName !== undefined ? { givenName: data.givenName } : {}),
            ...(data.surname !== undefined ? { surname: data.surname } : {}),
            ...(data.jobTitle !== undefined ? { jobTitle: data.jobTitle } : {}),
            ...(data.department !== undefined ? { department: data.department } : {}),
            ...(data.usageLocation !== undefined ? { usageLocation: data.usageLocation } : {}),
          };
          const created = await ms.createUser({
            ...fields,
            passwordProfile: { password, forceChangePasswordNextSignIn: true },
          });
          // Graph answers a creation with the default properties only: read the selected ones back.
          return ctx.reread(ms, created.id, {
            assignedLicenses: [],
            businessPhones: [],
            ...fields,
            ...syncedUserRaw(created),
          });
        },
        async record(s, raw, { data, localUserId, password }) {
          const row = await upsertSyncedUser(s.db, s.organizationId, raw, s.now);
          const address = row.upn ?? data.userPrincipalName;
          await storeInitialPassword(rt, s, 'microsoft_365', address, password);
          // Link: the given organization user, else one whose email is the UPN (or the mail) not linked yet.
          const emails = [
            ...new Set([address, row.email].filter((e): e is string => typeof e === 'string')),
          ];
          const link =
            localUserId ??
            (await unlinkedUserByEmail(s.db, s.organizationId, 'microsoft_365', emails));
          await linkUser(s, 'microsoft_365', link, raw.id, 'synced', {
            microsoft_365_upn: row.upn,
          });
          await s.audit({
            action: 'microsoft_365.user_create',
            resource: 'ms_synced_users',
            resourceId: row.id,
            details: {
              msId: raw.id,
              upn: row.upn,
              localUserId: link,
              ...summarizeChange(null, userAuditView(row)),
            },
          });
          return userDto(row, await linkedMicrosoftUser(s.db, s.organizationId, raw.id));
        },
      }),

    updateUser: (msId, patch, options) =>
      runWriteback(rt, 'microsoftWriteback.updateUser', 'users:write', options, {
        async prepare(s) {
          const id = parseInput(microsoftObjectIdSchema, msId);
          const data = parseInput(microsoftUpdateUserSchema, patch);
          return {
            row: await syncedUser(s.db, s.organizationId, id),
            changes: Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined)),
          };
        },
        async call({ row, changes }) {
          const ms = await ctx.provider();
          await ms.updateUser(row.ms_id, changes);
          return ctx.reread(ms, row.ms_id, { ...(row.raw_data as object), ...changes });
        },
        record: (s, raw, { changes }) =>
          ctx.recordUserChange(s, 'microsoft_365.user_update', raw, {
            fields: Object.keys(changes),
          }),
      }),

    suspendUser: (msId, options) => setEnabled(ctx, false, msId, options),
    restoreUser: (msId, options) => setEnabled(ctx, true, msId, options),

    deleteUser: (msId, options) =>
      runWriteback(rt, 'microsoftWriteback.deleteUser', 'users:write', options, {
        prepare: (s) => ctx.prepareUser(s, msId),
        call: async (target) => (await ctx.provider()).deleteUser(target.ms_id),
        async record(s, _none, target) {
          const before = await findUser(s.db, s.organizationId, target.ms_id);
          let row: Row<'ms_synced_users'> | undefined;
          let groups: string[] = [];
          if (before) {
            row = await s.db
              .updateTable('ms_synced_users')
              .set({
                is_account_enabled: false,
                raw_data: markRemoved(s.now),
                sync_hash: null,
                last_sync_at: s.now,
                updated_at: s.now,
              })
              .where('id', '=', before.id)
              .returningAll()
              .executeTakeFirstOrThrow();
            // Microsoft drops a deleted user's memberships: so does the mirror.
            groups = (
              await s.db
                .deleteFrom('ms_group_memberships')
                .where('user_id', '=', before.id)
                .returning('group_id')
                .execute()
            ).map((m) => m.group_id);
            await recount(s.db, [...new Set(groups)]);
            await updateLink(s, row);
          }
          const localUserId = await linkedMicrosoftUser(s.db, s.organizationId, target.ms_id);
          if (localUserId) {
            await s.db
              .updateTable('access_group_members')
              .set({ is_active: false, removed_at: s.now })
              .where('user_id', '=', localUserId)
              .where('is_active', '=', true)
              .where('synced_from_platform', '=', true)
              .where('access_group_id', 'in', (eb) =>
                eb
                  .selectFrom('access_groups')
                  .select('id')
                  .where('organization_id', '=', s.organizationId)
                  .where('platform', '=', 'microsoft_365'),
              )
              .execute();
          }
          await s.audit({
            action: 'microsoft_365.user_delete',
            resource: 'ms_synced_users',
            resourceId: before?.id ?? null,
            details: {
              msId: target.ms_id,
              upn: before?.upn ?? target.upn,
              removed: true,
              membershipsDropped: groups.length,
              localUserId,
            },
          });
          return row ? userDto(row, localUserId) : null;
        },
      }),

    signOut: (msId, options) =>
      runWriteback(rt, 'microsoftWriteback.signOut', 'users:write', options, {
        prepare: (s) => ctx.prepareUser(s, msId),
        call: async (row) => (await ctx.provider()).revokeSignInSessions(row.ms_id),
        async record(s, _none, row) {
          await s.audit({
            action: 'microsoft_365.sessions_revoke',
            resource: 'ms_synced_users',
            resourceId: row.id,
            details: { msId: row.ms_id, upn: row.upn },
          });
          return { msId: row.ms_id, userPrincipalName: row.upn, revokedAt: s.now };
        },
      }),
  };
}
