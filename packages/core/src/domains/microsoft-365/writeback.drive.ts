/**
 * Microsoft 365 write-back of the OneDrive steps of an offboarding. OneDrive has no ownership
 * transfer: `grantDriveAccess` gives another user write access to the root of the user's own
 * OneDrive (a sharing invitation, no mail sent), so the files stay reachable after the user is
 * gone; the files still belong to the user's drive and go with it when the account is deleted
 * (OneDrive keeps a deleted user's drive for the tenant's retention period, 30 days by default).
 * `deleteUserFiles` deletes every item at the root of the user's OneDrive for good
 * (`permanentDelete`, no recycle bin; a folder goes with what is in it).
 *
 * Both read first, so a retry does nothing twice: the grant reads the root's permissions (a `write`
 * or `owner` permission of the target already there: nothing sent), the deletion lists what is
 * left. Need `users:write`; audited `microsoft_365.drive_access_granted` and
 * `microsoft_365.drive_files_deleted` when something changed. Graph permissions Files.Read.All and
 * Files.ReadWrite.All (application permissions act on a blocked account too).
 */
import { isHeliosError } from '../../errors';
import type { Row } from '../../repositories/types';
import type { OperationScope } from '../../runtime';
import { parseInput } from '../../shared/validation';
import type { CloudChange } from '../integrations/contract';
import { runWriteback } from '../integrations/writeback';
import { MICROSOFT_ERROR_CODES, MICROSOFT_ERRORS } from './errors';
import type { GraphObject } from './provider';
import type { MicrosoftWritebackContext } from './writeback.context';
import { microsoftObjectIdSchema } from './writeback.schema';
import type { MicrosoftWritebackService } from './writeback.service';

const isNotFound = (error: unknown) =>
  isHeliosError(error) && error.code === MICROSOFT_ERROR_CODES.NOT_FOUND;

/** Whether a permission gives `userId` write (or owner) access. */
function canWrite(permission: GraphObject, userId: string): boolean {
  const roles: unknown[] = Array.isArray(permission.roles) ? permission.roles : [];
  if (!roles.includes('write') && !roles.includes('owner')) return false;
  type Grantee = { user?: { id?: unknown } } | undefined;
  const v2 = permission.grantedToV2 as Grantee;
  const v1 = permission.grantedTo as Grantee;
  const holder = v2?.user?.id ?? v1?.user?.id;
  return typeof holder === 'string' && holder.toLowerCase() === userId.toLowerCase();
}

/** Audits a change of the user's OneDrive (nothing when nothing changed); returns the change. */
async function audited(
  s: OperationScope,
  action: string,
  row: Row<'ms_synced_users'>,
  change: CloudChange,
  details: Record<string, unknown>,
): Promise<CloudChange> {
  if (change.changed)
    await s.audit({
      action,
      resource: 'ms_synced_users',
      resourceId: row.id,
      details: { msId: row.ms_id, upn: row.upn, ...details },
    });
  return change;
}

/** The OneDrive operations. */
export function microsoftDriveOperations(
  ctx: MicrosoftWritebackContext,
): Pick<MicrosoftWritebackService, 'grantDriveAccess' | 'deleteUserFiles'> {
  const { rt } = ctx;
  return {
    grantDriveAccess: (msId, toMsId, options) =>
      runWriteback(rt, 'microsoftWriteback.grantDriveAccess', 'users:write', options, {
        async prepare(s) {
          const target = parseInput(microsoftObjectIdSchema, toMsId);
          return { row: await ctx.prepareUser(s, msId), target };
        },
        async call({ row, target }) {
          const ms = await ctx.provider();
          let permissions: GraphObject[];
          try {
            permissions = await ms.listDriveRootPermissions(row.ms_id);
          } catch (error) {
            if (!isNotFound(error)) throw error;
            throw MICROSOFT_ERRORS.NOT_FOUND(
              {
                message: `${row.upn ?? row.ms_id} has no OneDrive (never provisioned, or deleted): there are no files to give ${target} access to.`,
              },
              { details: { msId: row.ms_id, upn: row.upn } },
            );
          }
          if (permissions.some((p) => canWrite(p, target)))
            return { changed: false, items: [] as string[] };
          await ms.inviteToDriveRoot(row.ms_id, target, 'write');
          return { changed: true, items: [target] };
        },
        record: (s, change, { row, target }) =>
          audited(s, 'microsoft_365.drive_access_granted', row, change, {
            to: target,
            role: 'write',
          }),
      }),
    deleteUserFiles: (msId, options) =>
      runWriteback(rt, 'microsoftWriteback.deleteUserFiles', 'users:write', options, {
        async prepare(s) {
          const id = parseInput(microsoftObjectIdSchema, msId);
          try {
            return await ctx.prepareUser(s, id);
          } catch (error) {
            // A user removed from the directory (or never synced here): nothing left to delete.
            if (
              isHeliosError(error) &&
              error.code === MICROSOFT_ERROR_CODES.WRITEBACK_USER_NOT_SYNCED
            )
              return null;
            throw error;
          }
        },
        async call(row) {
          if (!row) return { changed: false, items: [] as string[] };
          const ms = await ctx.provider();
          let children: GraphObject[];
          try {
            children = await ms.listDriveRootChildren(row.ms_id);
          } catch (error) {
            if (isNotFound(error)) return { changed: false, items: [] as string[] };
            throw error;
          }
          const items: string[] = [];
          for (const item of children) {
            try {
              await ms.deleteDriveItem(row.ms_id, item.id);
              items.push(item.id);
            } catch (error) {
              if (!isNotFound(error)) throw error;
            }
          }
          return { changed: items.length > 0, items };
        },
        record: async (s, change, row) =>
          row
            ? audited(s, 'microsoft_365.drive_files_deleted', row, change, {
                deleted: change.items,
              })
            : change,
      }),
  };
}
