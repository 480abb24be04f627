/**
 * The Drive file routes of the Google simulator over real HTTP, acting as the token's subject:
 * `'me' in owners`, folders in a shared drive, moves from My Drive into a shared drive (the drive
 * becomes the owner), the refusals Drive answers, and deletion for good.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GoogleDirectorySimulator, startGoogleDirectorySimulator } from './google-directory';
import { type ApiResult, apiAt, expectGoogleError, token } from './google-directory.test-kit';

const DOMAIN = 'files.test';
const DRIVE_SCOPE = 'https://www.googleapis.com/auth/drive';
const FOLDER = 'application/vnd.google-apps.folder';
const U1 = `user000001@${DOMAIN}`;
const U2 = `user000002@${DOMAIN}`;
let sim: GoogleDirectorySimulator;

const call = (tok: string, method: string, path: string, body?: unknown): Promise<ApiResult> =>
  apiAt(sim, tok, method, `drive/v3/${path}`, body);
const as = (sub: string) => token(sim, { sub, scope: DRIVE_SCOPE });
const q = (query: string) => encodeURIComponent(query);
const FIELDS = 'fields=nextPageToken,files(id,name,mimeType,parents,driveId,owners)';

beforeAll(async () => {
  sim = await startGoogleDirectorySimulator({
    domain: DOMAIN,
    seed: { users: 3, groups: 0, membersPerGroup: 0, orgUnits: 1 },
  });
});
afterAll(() => sim.close());

describe('Drive files as the subject', () => {
  it("lists the subject's own files with 'me' in owners, with their parents", async () => {
    const ws = sim.workspace;
    const doc = ws.addDriveFile(U1, 'Doc');
    const folder = ws.addDriveFile(U1, 'Projects', { mimeType: FOLDER });
    const inner = ws.addDriveFile(U1, 'Inner', { parentId: folder });
    ws.addDriveFile(U1, 'Binned', { trashed: true });
    ws.addDriveFile(U2, 'Not mine');
    const u1 = await as(U1);
    const list = await call(
      u1,
      'GET',
      `files?q=${q("'me' in owners and trashed = false")}&${FIELDS}`,
    );
    expect(list.status).toBe(200);
    const byId = new Map(list.body.files.map((f: any) => [f.id, f]));
    expect([...byId.keys()].sort()).toEqual([doc, folder, inner].sort());
    expect((byId.get(inner) as any).parents).toEqual([folder]);
    expect((byId.get(doc) as any).parents).toEqual((byId.get(folder) as any).parents);
    expect((byId.get(doc) as any).owners[0].emailAddress).toBe(U1);
    // U2's 'me' is U2.
    const u2 = await as(U2);
    const theirs = await call(u2, 'GET', `files?q=${q("'me' in owners")}&${FIELDS}`);
    expect(theirs.body.files.map((f: any) => f.name)).toEqual(['Not mine']);
  });

  it('creates a folder in a shared drive, finds it by name, moves a file in (the drive owns it)', async () => {
    const ws = sim.workspace;
    const drive = ws.addSharedDrive('Archive', [{ email: U1, role: 'fileOrganizer' }]);
    const doc = ws.addDriveFile(U1, 'Report');
    const myFolder = ws.addDriveFile(U1, 'Mine', { mimeType: FOLDER });
    const u1 = await as(U1);
    const body = { name: "Ann's (archived)", mimeType: FOLDER, parents: [drive] };
    // Without supportsAllDrives the shared drive is not there.
    expectGoogleError(await call(u1, 'POST', 'files', body), 404, 'notFound');
    const created = await call(
      u1,
      'POST',
      `files?supportsAllDrives=true&${'fields=id,driveId,owners'}`,
      body,
    );
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ driveId: drive, owners: [] });
    const folderId = created.body.id as string;
    const found = await call(
      u1,
      'GET',
      `files?corpora=drive&driveId=${drive}&includeItemsFromAllDrives=true&supportsAllDrives=true&q=${q(
        `name = 'Ann\\'s (archived)' and mimeType = '${FOLDER}' and '${drive}' in parents and trashed = false`,
      )}&fields=files(id)`,
    );
    expect(found.body.files).toEqual([{ id: folderId }]);

    const listed = await call(u1, 'GET', `files?q=${q("'me' in owners")}&${FIELDS}`);
    const root = listed.body.files.find((f: any) => f.id === doc).parents[0];
    // One parent only: adding without removing is refused.
    expectGoogleError(
      await call(u1, 'PATCH', `files/${doc}?supportsAllDrives=true&addParents=${folderId}`, {}),
      403,
      'cannotAddParent',
    );
    // Folders do not move into a shared drive.
    expectGoogleError(
      await call(
        u1,
        'PATCH',
        `files/${myFolder}?supportsAllDrives=true&addParents=${folderId}&removeParents=${root}`,
        {},
      ),
      403,
      'teamDrivesFolderMoveInNotSupported',
    );
    const moved = await call(
      u1,
      'PATCH',
      `files/${doc}?supportsAllDrives=true&addParents=${folderId}&removeParents=${root}&fields=id,parents,driveId,owners`,
      {},
    );
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ parents: [folderId], driveId: drive, owners: [] });
    expect(ws.driveFilesOwnedBy(U1)).not.toContain(doc);
    expect(ws.driveItems(folderId)).toEqual([
      { id: doc, name: 'Report', mimeType: expect.any(String), owner: null },
    ]);
    expect(sim.writeCalls.at(-1)).toMatchObject({ route: 'drive.files.update', subject: U1 });
  });

  it('refuses a move by a non-owner or into a drive where the user is only a writer', async () => {
    const ws = sim.workspace;
    const drive = ws.addSharedDrive('Writers', [
      { email: U1, role: 'writer' },
      { email: U2, role: 'organizer' },
    ]);
    const doc = ws.addDriveFile(U1, 'Draft');
    const u1 = await as(U1);
    const u2 = await as(U2);
    // U2 does not see U1's file.
    expectGoogleError(
      await call(u2, 'PATCH', `files/${doc}?supportsAllDrives=true&addParents=${drive}`, {}),
      404,
      'notFound',
    );
    const root = (await call(u1, 'GET', `files/${doc}?fields=parents`)).body.parents[0];
    expectGoogleError(
      await call(
        u1,
        'PATCH',
        `files/${doc}?supportsAllDrives=true&addParents=${drive}&removeParents=${root}`,
        {},
      ),
      403,
      'insufficientFilePermissions',
    );
    expect(ws.driveFilesOwnedBy(U1)).toContain(doc);
  });

  it('deletes for good: a folder takes its owner’s files along, others’ files lose the parent', async () => {
    const ws = sim.workspace;
    const folder = ws.addDriveFile(U1, 'Old stuff', { mimeType: FOLDER });
    const mine = ws.addDriveFile(U1, 'Mine inside', { parentId: folder });
    const theirs = ws.addDriveFile(U2, 'Theirs inside', { parentId: folder });
    const u1 = await as(U1);
    const u2 = await as(U2);
    // Only the owner deletes.
    expectGoogleError(await call(u2, 'DELETE', `files/${mine}`), 404, 'notFound');
    const del = await call(u1, 'DELETE', `files/${folder}`);
    expect(del.status).toBe(204);
    expect(ws.driveFileExists(folder)).toBe(false);
    expect(ws.driveFileExists(mine)).toBe(false);
    expect(ws.driveFileExists(theirs)).toBe(true);
    expectGoogleError(await call(u1, 'DELETE', `files/${folder}`), 404, 'notFound');
    expect(sim.writeCalls.filter((c) => c.route === 'drive.files.delete').at(-1)).toMatchObject({
      subject: U1,
      method: 'DELETE',
    });
  });
});
