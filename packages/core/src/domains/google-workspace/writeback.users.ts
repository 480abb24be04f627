/** Google Workspace write-back of users: create, update, suspend, restore, move, delete. */
import type { Row } from '../../repositories/types';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import {
  generateInitialPassword,
  initialPasswordsNeedKey,
  storeInitialPassword,
} from '../integrations/initial-passwords';
import { emailKey } from '../integrations/normalize';
import {
  linkUser,
  markRemoved,
  readLiveUser,
  runWriteback,
  setLinkStatus,
  unlinkedUserByEmail,
  userToLink,
} from '../integrations/writeback';
import type { CallOptions } from '../policy/actor';
import { GOOGLE_ERRORS } from './errors';
import { syncedUserAliases } from './synced-user';
import {
  type GoogleWritebackContext,
  linkedGoogleUser,
  upsertSyncedUser,
  userAuditView,
  userDto,
} from './writeback.context';
import {
  googleCreateUserSchema,
  googleIdSchema,
  googleOrgUnitPathSchema,
  googleUpdateUserSchema,
} from './writeback.schema';
import type { GoogleWritebackService } from './writeback.service';

/** The user operations of `helios.googleWriteback`. */
export function googleUserOperations(
  ctx: GoogleWritebackContext,
): Pick<
  GoogleWritebackService,
  | 'getUser'
  | 'createUser'
  | 'updateUser'
  | 'suspendUser'
  | 'restoreUser'
  | 'moveOrgUnit'
  | 'deleteUser'
> {
  const { rt } = ctx;
  const linkErrors = {
    notFound: () => GOOGLE_ERRORS.WRITEBACK_LOCAL_USER_NOT_FOUND(),
    alreadyLinked: (googleId: string) => GOOGLE_ERRORS.WRITEBACK_ALREADY_LINKED({ googleId }),
  };
  // Suspending and restoring differ only in the call and the audit action.
  const setSuspended = (suspended: boolean, googleId: string, options: CallOptions | undefined) =>
    runWriteback(
      rt,
      suspended ? 'googleWriteback.suspendUser' : 'googleWriteback.restoreUser',
      'users:write',
      options,
      {
        prepare: () => ctx.parseUserId(googleId),
        call: async (id) => {
          const google = await ctx.provider();
          return suspended ? google.suspendUser(id) : google.unsuspendUser(id);
        },
        record: (s, updated) =>
          ctx.recordUserChange(
            s,
            suspended ? 'google_workspace.user_suspend' : 'google_workspace.user_unsuspend',
            updated,
          ),
      },
    );

  return {
    getUser: (googleId, options) =>
      readLiveUser(rt, 'googleWriteback.getUser', options, {
        parseId: () => ctx.parseUserId(googleId),
        fetch: async (id) => (await ctx.provider()).getUser(id),
        notFoundCode: 'GOOGLE.NOT_FOUND',
        async record(s, google) {
          const row = await upsertSyncedUser(s.db, s.organizationId, google, s.now);
          return userDto(row, await linkedGoogleUser(s.db, s.organizationId, google.id));
        },
      }),
    createUser: (input, options) =>
      runWriteback(rt, 'googleWriteback.createUser', 'users:write', options, {
        async prepare(s) {
          const data = parseInput(googleCreateUserSchema, input);
          ctx.assertInDomain(data.primaryEmail, await ctx.domainOf(s.db, s.organizationId));
          if (!rt.secretBox) throw initialPasswordsNeedKey();
          return {
            data,
            localUserId: await userToLink(s, 'google_workspace', data.localUserId, linkErrors),
            password: generateInitialPassword(),
          };
        },
        async call({ data, password }) {
          const organizations =
            data.title || data.department
              ? [{ title: data.title, department: data.department, primary: true }]
              : undefined;
          return (await ctx.provider()).insertUser({
            primaryEmail: data.primaryEmail,
            name: { givenName: data.givenName, familyName: data.familyName },
            password,
            changePasswordAtNextLogin: true,
            ...(data.orgUnitPath ? { orgUnitPath: data.orgUnitPath } : {}),
            ...(organizations ? { organizations } : {}),
          });
        },
        async record(s, created, { localUserId, password }) {
          const row = await upsertSyncedUser(s.db, s.organizationId, created, s.now);
          const email = emailKey(created.primaryEmail);
          await storeInitialPassword(rt, s, 'google_workspace', email, password);
          // Link: the given organization user, else one not linked yet whose email is the account's
          // primary address or one of its aliases (as the sync links).
          const link =
            localUserId ??
            (await unlinkedUserByEmail(s.db, s.organizationId, 'google_workspace', [
              ...new Set([email, ...syncedUserAliases(created)]),
            ]));
          await linkUser(
            s,
            'google_workspace',
            link,
            created.id,
            created.suspended === true ? 'suspended' : 'synced',
          );
          await s.audit({
            action: 'google_workspace.user_create',
            resource: 'gw_synced_users',
            resourceId: row.id,
            details: {
              googleId: created.id,
              email,
              localUserId: link,
              ...summarizeChange(null, userAuditView(row)),
            },
          });
          return userDto(row, await linkedGoogleUser(s.db, s.organizationId, created.id));
        },
      }),

    updateUser: (googleId, patch, options) =>
      runWriteback(rt, 'googleWriteback.updateUser', 'users:write', options, {
        prepare: () => ({
          id: parseInput(googleIdSchema, googleId),
          data: parseInput(googleUpdateUserSchema, patch),
        }),
        async call({ id, data }) {
          const google = await ctx.provider();
          const current =
            data.title !== undefined || data.department !== undefined
              ? await google.getUser(id)
              : null;
          const primary =
            current?.organizations?.find((o) => o.primary) ?? current?.organizations?.[0];
          const names = {
            ...(data.givenName !== undefined ? { givenName: data.givenName } : {}),
            ...(data.familyName !== undefined ? { familyName: data.familyName } : {}),
          };
          return google.updateUser(id, {
            ...(Object.keys(names).length > 0 ? { name: names } : {}),
            ...(current
              ? {
                  organizations: [
                    {
                      ...(primary ?? {}),
                      primary: true,
                      ...(data.title !== undefined ? { title: data.title } : {}),
                      ...(data.department !== undefined ? { department: data.department } : {}),
                    },
                    ...(current.organizations ?? []).filter((o) => o !== primary),
                  ],
                }
              : {}),
          });
        },
        record: (s, updated) => ctx.recordUserChange(s, 'google_workspace.user_update', updated),
      }),

    suspendUser: (googleId, options) => setSuspended(true, googleId, options),
    restoreUser: (googleId, options) => setSuspended(false, googleId, options),

    moveOrgUnit: (googleId, orgUnitPath, options) =>
      runWriteback(rt, 'googleWriteback.moveOrgUnit', 'users:write', options, {
        prepare: () => ({
          id: parseInput(googleIdSchema, googleId),
          path: parseInput(googleOrgUnitPathSchema, orgUnitPath),
        }),
        call: async ({ id, path }) => (await ctx.provider()).moveUserToOrgUnit(id, path),
        record: (s, updated, { path }) =>
          ctx.recordUserChange(s, 'google_workspace.user_move', updated, { orgUnitPath: path }),
      }),

    deleteUser: (googleId, options) =>
      runWriteback(rt, 'googleWriteback.deleteUser', 'users:write', options, {
        prepare: () => ctx.parseUserId(googleId),
        call: async (id) => (await ctx.provider()).deleteUser(id),
        async record(s, _none, id) {
          const before = await s.db
            .selectFrom('gw_synced_users')
            .selectAll()
            .where('organization_id', '=', s.organizationId)
            .where('google_id', '=', id)
            .executeTakeFirst();
          let row: Row<'gw_synced_users'> | undefined;
          if (before) {
            row = (await s.db
              .updateTable('gw_synced_users')
              .set({ is_suspended: true, raw_data: markRemoved(s.now), last_sync_at: s.now })
              .where('id', '=', before.id)
              .returningAll()
              .executeTakeFirstOrThrow()) as Row<'gw_synced_users'>;
          }
          await setLinkStatus(s, 'google_workspace', id, 'removed');
          await s.audit({
            action: 'google_workspace.user_delete',
            resource: 'gw_synced_users',
            resourceId: before?.id ?? null,
            details: { googleId: id, email: before?.email ?? null, removed: true },
          });
          return row ? userDto(row, await linkedGoogleUser(s.db, s.organizationId, id)) : null;
        },
      }),
  };
}
