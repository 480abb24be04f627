/**
 * The Drive calls of the Google Workspace provider that act on a user's own files, as that user
 * (domain-wide delegation with `subject` = the user, scope `drive`): `'me'` in a query is the
 * subject, so `'me' in owners` lists the files the user owns. Used to archive a leaver's files into
 * a shared drive and to delete them. Google gives no token for a suspended user, so these run
 * before a suspension.
 */
import type { DirectoryConnection } from './provider.http';
import { GOOGLE_LIFECYCLE_SCOPES, type GoogleApiRoots } from './provider.security';

/** Drive's MIME type of a folder. */
export const GOOGLE_FOLDER_MIME_TYPE = 'application/vnd.google-apps.folder';

/** A Drive file as the archive calls read it. */
export interface GoogleDriveFile {
  id: string;
  name: string;
  mimeType: string;
  /** The folders the file is in (one in practice; My Drive's root has its own id). */
  parents?: string[];
  /** The shared drive the file is in, if any. */
  driveId?: string;
  [field: string]: unknown;
}

/** The Drive calls that act as a user on the files they own. */
export interface GoogleArchiveCalls {
  /**
   * Every file and folder the user owns and has not trashed (`files.list`, `q` `'me' in owners and
   * trashed = false`, as the user). @throws HeliosError `GOOGLE.*`
   */
  listOwnedFiles(user: string): Promise<GoogleDriveFile[]>;
  /**
   * The folder of that name directly in a shared drive's root, if any (`files.list` on the drive's
   * corpus, as the user). @throws HeliosError `GOOGLE.NOT_FOUND` (no access to the drive) and `GOOGLE.*`
   */
  findSharedDriveFolder(
    user: string,
    driveId: string,
    name: string,
  ): Promise<GoogleDriveFile | null>;
  /** Creates a folder in a shared drive's root, as the user. @throws HeliosError `GOOGLE.*` */
  createSharedDriveFolder(user: string, driveId: string, name: string): Promise<GoogleDriveFile>;
  /**
   * Moves a file into a folder (`files.update` with `addParents` and `removeParents`), as the user;
   * into a shared drive the shared drive becomes its owner.
   * (Drive answers 403 `teamDrivesFolderMoveInNotSupported` for a folder: only files move into a shared drive.)
   * @throws HeliosError `GOOGLE.NOT_FOUND` and `GOOGLE.*`
   */
  moveFile(
    user: string,
    fileId: string,
    toFolderId: string,
    fromParents: string[],
  ): Promise<GoogleDriveFile>;
  /**
   * Deletes a file the user owns for good, without the trash (`files.delete`, as the user); a
   * folder takes the files of the user inside it along. @throws HeliosError `GOOGLE.NOT_FOUND` and `GOOGLE.*`
   */
  deleteFile(user: string, fileId: string): Promise<void>;
}

const enc = encodeURIComponent;
/** A string literal of a Drive query (`\` and `'` escaped). */
const literal = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function archiveCalls(
  google: DirectoryConnection,
  roots: Required<GoogleApiRoots>,
): GoogleArchiveCalls {
  const { callAs } = google;
  const as = (user: string) => ({ subject: user, scopes: [GOOGLE_LIFECYCLE_SCOPES.drive] });
  const files = `${roots.drive}drive/v3/files`;
  const fileFields = 'id,name,mimeType,parents,driveId';

  return {
    async listOwnedFiles(user) {
      const out: GoogleDriveFile[] = [];
      let pageToken: string | undefined;
      do {
        const data = await callAs<{ files?: GoogleDriveFile[]; nextPageToken?: string }>(
          'drive.files.list',
          true,
          as(user),
          {
            url: files,
            params: {
              q: "'me' in owners and trashed = false",
              pageSize: 1000,
              fields: `nextPageToken,files(${fileFields})`,
              ...(pageToken ? { pageToken } : {}),
            },
          },
        );
        out.push(...(data.files ?? []));
        pageToken = data.nextPageToken;
      } while (pageToken);
      return out;
    },
    async findSharedDriveFolder(user, driveId, name) {
      const data = await callAs<{ files?: GoogleDriveFile[] }>('drive.files.list', true, as(user), {
        url: files,
        params: {
          corpora: 'drive',
          driveId,
          includeItemsFromAllDrives: true,
          supportsAllDrives: true,
          q: `name = ${literal(name)} and mimeType = '${GOOGLE_FOLDER_MIME_TYPE}' and ${literal(driveId)} in parents and trashed = false`,
          pageSize: 10,
          fields: `files(${fileFields})`,
        },
      });
      return data.files?.[0] ?? null;
    },
    // Not retried: a repeated create would make a second folder (the caller looks it up first).
    createSharedDriveFolder: (user, driveId, name) =>
      callAs<GoogleDriveFile>('drive.files.create', false, as(user), {
        url: files,
        method: 'POST',
        params: { supportsAllDrives: true, fields: fileFields },
        data: { name, mimeType: GOOGLE_FOLDER_MIME_TYPE, parents: [driveId] },
      }),
    moveFile: (user, fileId, toFolderId, fromParents) =>
      callAs<GoogleDriveFile>('drive.files.update', true, as(user), {
        url: `${files}/${enc(fileId)}`,
        method: 'PATCH',
        params: {
          supportsAllDrives: true,
          addParents: toFolderId,
          ...(fromParents.length > 0 ? { removeParents: fromParents.join(',') } : {}),
          fields: fileFields,
        },
        data: {},
      }),
    deleteFile: async (user, fileId) => {
      await callAs('drive.files.delete', true, as(user), {
        url: `${files}/${enc(fileId)}`,
        method: 'DELETE',
        params: { supportsAllDrives: true },
      });
    },
  };
}
