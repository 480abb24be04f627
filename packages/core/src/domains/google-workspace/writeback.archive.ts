/**
 * Google Workspace lifecycle write-back, part 3: a leaver's Drive files, archived into a shared drive
 * or deleted, acting as the user (domain-wide delegation, subject = the user, scope `drive`).
 *
 * What is moved (`archiveUserFiles`): every file the user owns and has not trashed (`'me' in
 * owners and trashed = false`), wherever it is (My Drive's root, their own folders, folders of
 * others), one by one into the folder `<address> (archived)` at the root of the shared drive. Folders
 * are not moved: Drive refuses to move a folder into a shared drive (403
 * `teamDrivesFolderMoveInNotSupported`), so the user's folders stay in My Drive, emptied of their
 * files, and go with the account. A moved file belongs to the shared drive, so it no longer matches
 * `'me' in owners`: a retry moves only what is left, nothing twice. Files of others inside the user's
 * folders are not the user's and stay where they are.
 *
 * What is deleted (`deleteUserFiles`): the same set, folders included, for good (no trash); a folder
 * is deleted with the files of the user inside it, so only the top-most owned items are deleted.
 *
 * Google gives no token for a suspended user: both check the account first and refuse a suspended
 * one with a clear error (the offboarding plan orders them before the suspension); an account that no
 * longer exists has nothing left to delete.
 */
import { isHeliosError } from '../../errors';
import { parseInput } from '../../shared/validation';
import type { CloudChange } from '../integrations/contract';
import { runWriteback } from '../integrations/writeback';
import { GOOGLE_ERROR_CODES, GOOGLE_ERRORS } from './errors';
import type { GoogleWorkspaceProvider } from './provider';
import { GOOGLE_FOLDER_MIME_TYPE } from './provider.archive';
import type { GoogleWritebackContext } from './writeback.context';
import { already, auditChange } from './writeback.lifecycle';
import { googleResourceIdSchema } from './writeback.schema';
import type { GoogleWritebackService } from './writeback.service';

type Part3 = Pick<GoogleWritebackService, 'archiveUserFiles' | 'deleteUserFiles'>;

/** The roles on a shared drive that may add files to it (and move files in). */
const CAN_ADD = new Set(['organizer', 'fileOrganizer']);

/** The name of a user's archive folder in the shared drive. */
const archiveFolderName = (email: string) => `${email} (archived)`;

/**
 * The account's primary address, or null when Google has no such account.
 * @throws HeliosError `GOOGLE.INVALID_REQUEST` when it is suspended (Google gives no token for it)
 */
async function activeAccount(
  google: GoogleWorkspaceProvider,
  id: string,
  what: string,
): Promise<string | null> {
  let user: Awaited<ReturnType<GoogleWorkspaceProvider['getUser']>>;
  try {
    user = await google.getUser(id);
  } catch (error) {
    if (isHeliosError(error) && error.code === GOOGLE_ERROR_CODES.NOT_FOUND) return null;
    throw error;
  }
  const email = user.primaryEmail.toLowerCase();
  if (user.suspended)
    throw GOOGLE_ERRORS.INVALID_REQUEST({
      message: `${what} acts as ${email} in Drive, and Google gives no access token for a suspended user: restore the account (users.update suspended false), retry, then suspend it again.`,
    });
  return email;
}

/** The lifecycle operations of part 3. */
export function googleArchiveOperations(ctx: GoogleWritebackContext): Part3 {
  const { rt } = ctx;
  return {
    archiveUserFiles: (googleId, sharedDriveId, options) =>
      runWriteback(rt, 'googleWriteback.archiveUserFiles', 'users:write', options, {
        async prepare() {
          const id = ctx.parseUserId(googleId);
          return { id, driveId: parseInput(googleResourceIdSchema, sharedDriveId) };
        },
        async call({ id, driveId }): Promise<CloudChange> {
          const google = await ctx.provider();
          const email = await activeAccount(google, id, 'Archiving the files');
          if (!email)
            throw GOOGLE_ERRORS.NOT_FOUND({
              message: `Google has no user ${id} any more: its files went with the account.`,
            });
          let changed = false;
          // The user may add to the drive: at least a content manager (fileOrganizer).
          const perm = (await google.listDrivePermissions(driveId)).find(
            (p) => p.emailAddress?.toLowerCase() === email,
          );
          if (!perm) {
            await google.createDrivePermission(driveId, email, 'fileOrganizer');
            changed = true;
          } else if (!CAN_ADD.has(perm.role)) {
            await google.updateDrivePermission(driveId, perm.id, 'fileOrganizer');
            changed = true;
          }
          const name = archiveFolderName(email);
          let folder = await google.findSharedDriveFolder(email, driveId, name);
          if (!folder) {
            folder = await google.createSharedDriveFolder(email, driveId, name);
            changed = true;
          }
          const items: string[] = [];
          for (const file of await google.listOwnedFiles(email)) {
            if (file.mimeType === GOOGLE_FOLDER_MIME_TYPE || file.driveId) continue;
            await google.moveFile(email, file.id, folder.id, file.parents ?? []);
            items.push(file.id);
          }
          return { changed: changed || items.length > 0, items };
        },
        record: (s, change, { id, driveId }) =>
          auditChange(s, 'google_workspace.drive_files_archive', id, change, {
            sharedDriveId: driveId,
          }),
      }),

    deleteUserFiles: (googleId, options) =>
      runWriteback(rt, 'googleWriteback.deleteUserFiles', 'users:write', options, {
        async prepare() {
          return { id: ctx.parseUserId(googleId) };
        },
        async call({ id }): Promise<CloudChange> {
          const google = await ctx.provider();
          const email = await activeAccount(google, id, 'Deleting the files');
          // Gone with the account (deleted in Google): nothing is left to delete.
          if (!email) return { changed: false, items: [] };
          const owned = await google.listOwnedFiles(email);
          const folders = new Set(
            owned.filter((f) => f.mimeType === GOOGLE_FOLDER_MIME_TYPE).map((f) => f.id),
          );
          const items: string[] = [];
          for (const file of owned) {
            // Inside a folder of theirs: deleted with that folder.
            if ((file.parents ?? []).some((p) => folders.has(p))) continue;
            if (await already(google.deleteFile(email, file.id), GOOGLE_ERROR_CODES.NOT_FOUND))
              items.push(file.id);
          }
          return { changed: items.length > 0, items };
        },
        record: (s, change, { id }) =>
          auditChange(s, 'google_workspace.drive_files_delete', id, change),
      }),
  };
}
