import { GRAPH_APPLICATION_PERMISSIONS } from '@helios/testing';
import { describe, expect, it } from 'vitest';
import { useMicrosoftIntegrationBed } from './integration.test-kit';

// The OneDrive steps of Microsoft 365 through the integrations contract, over HTTP to the Graph
// simulator: write access granted once, files deleted for good over every page, retries that do
// nothing twice, a user without a drive, and the permissions named when missing.

const bed = useMicrosoftIntegrationBed('onedrive.test', 8, {
  pageSize: 2,
  retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 50 },
});
const { idOf } = bed;
const routeCount = (name: string) => bed.sim.requests.byRoute[name] ?? 0;

describe(`Microsoft 365 OneDrive steps (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded'})`, () => {
  it('grants write access to the OneDrive once, and a second call sends nothing', async () => {
    expect(bed.cloud.supports.has('grantDriveAccess')).toBe(true);
    expect(bed.cloud.supports.has('deleteUserFiles')).toBe(true);
    const [from, to] = [idOf(1), idOf(2)];
    expect(await bed.cloud.grantDriveAccess(from, to)).toEqual({ changed: true, items: [to] });
    const invites = routeCount('drive.invite');
    expect(await bed.cloud.grantDriveAccess(from, to)).toEqual({ changed: false, items: [] });
    expect(routeCount('drive.invite')).toBe(invites);
    const granted = bed.sim.drive(from)!.permissions.filter((p) => p.grantedToV2.user.id === to);
    expect(granted).toEqual([expect.objectContaining({ roles: ['write'] })]);
    // The owner has write access already.
    expect(await bed.cloud.grantDriveAccess(from, from)).toEqual({ changed: false, items: [] });
    const audit = await bed.t.asAdmin.audit.list({
      action: 'microsoft_365.drive_access_granted',
      limit: 10,
    });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]?.details).toMatchObject({ msId: from, to, role: 'write' });
  });

  it('says so when the user has no OneDrive', async () => {
    bed.sim.removeDrive(idOf(3));
    const error = await bed.cloud.grantDriveAccess(idOf(3), idOf(2)).catch((e) => e);
    expect(error).toMatchObject({ code: 'MICROSOFT.NOT_FOUND' });
    expect((error as Error).message).toContain('has no OneDrive');
    expect(await bed.cloud.deleteUserFiles(idOf(3))).toEqual({ changed: false, items: [] });
  });

  it('deletes every file and folder for good over several pages, and a retry deletes nothing', async () => {
    const id = idOf(4);
    const files = [
      bed.sim.addDriveItem(id, { name: 'a.docx' }),
      bed.sim.addDriveItem(id, { name: 'b.xlsx' }),
      bed.sim.addDriveItem(id, { name: 'c.pptx' }),
      bed.sim.addDriveItem(id, { name: 'Projects', folder: true }),
      bed.sim.addDriveItem(id, { name: 'd.txt' }),
    ];
    const kept = bed.sim.addDriveItem(idOf(5), { name: 'other.docx' });
    const pages = routeCount('drive.children');
    expect(await bed.cloud.deleteUserFiles(id)).toEqual({
      changed: true,
      items: [...files].sort(),
    });
    // Five items, pages of two.
    expect(routeCount('drive.children') - pages).toBe(3);
    expect(bed.sim.drive(id)).toMatchObject({ items: [], recycled: [] });
    expect(bed.sim.drive(idOf(5))!.items.map((i) => i.id)).toEqual([kept]);
    const deletes = routeCount('drive.items.permanentDelete');
    expect(await bed.cloud.deleteUserFiles(id)).toEqual({ changed: false, items: [] });
    expect(routeCount('drive.items.permanentDelete')).toBe(deletes);
    const audit = await bed.t.asAdmin.audit.list({
      action: 'microsoft_365.drive_files_deleted',
      limit: 10,
    });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]?.details).toMatchObject({ msId: id, deleted: [...files].sort() });
  });

  it('reports nothing changed for a user deleted in Microsoft 365 or unknown to the mirror', async () => {
    const id = idOf(6);
    bed.sim.addDriveItem(id, { name: 'left.docx' });
    bed.sim.deleteUser(id);
    expect(await bed.cloud.deleteUserFiles(id)).toEqual({ changed: false, items: [] });
    const total = bed.sim.requests.total;
    expect(await bed.cloud.deleteUserFiles('6a1f0c2e-0000-4000-8000-00000000abcd')).toEqual({
      changed: false,
      items: [],
    });
    expect(bed.sim.requests.total).toBe(total);
  });

  it('names the missing Files permission, and refuses a caller without users:write before calling Graph', async () => {
    const id = idOf(7);
    const file = bed.sim.addDriveItem(id, { name: 'keep.docx' });
    bed.sim.grantPermissions(
      GRAPH_APPLICATION_PERMISSIONS.filter((p) => p !== 'Files.ReadWrite.All'),
    );
    const error = await bed.cloud.deleteUserFiles(id).catch((e) => e);
    expect(error).toMatchObject({ code: 'MICROSOFT.PERMISSION_MISSING' });
    expect((error as Error).message).toContain('Files.ReadWrite.All');
    const grant = await bed.cloud.grantDriveAccess(id, idOf(2)).catch((e) => e);
    expect(grant).toMatchObject({ code: 'MICROSOFT.PERMISSION_MISSING' });
    bed.sim.grantPermissions(GRAPH_APPLICATION_PERMISSIONS.filter((p) => !p.startsWith('Files.')));
    const read = await bed.cloud.deleteUserFiles(id).catch((e) => e);
    expect((read as Error).message).toContain('Files.Read.All');
    expect(bed.sim.drive(id)!.items.map((i) => i.id)).toEqual([file]);

    const readOnly = bed.t.helios.as({
      type: 'apiKey',
      keyId: '00000000-0000-4000-8000-000000000002',
      scopes: ['users:read'],
    });
    const total = bed.sim.requests.total;
    await expect(
      readOnly.integrations.get('microsoft').grantDriveAccess(id, idOf(2)),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    expect(bed.sim.requests.total).toBe(total);
  });
});
