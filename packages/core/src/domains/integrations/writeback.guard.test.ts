import type { GoogleDirectorySimulator, GraphSimulator, TestHelios } from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Helios } from '../../helios';
import { startGoogleIntegrationBed } from '../google-workspace/integration.test-kit';
import { startMicrosoftIntegrationBed } from '../microsoft-365/integration.test-kit';
import { closeTestBed } from './writeback.test-kit';

// Who may change which cloud account through the write-backs (writeback.guard.ts), over HTTP to
// the simulators: a users:write key reaches ordinary synced accounts only; an administrator's
// account (in the cloud or in the organization), an account never synced, and handing a user's
// mail or files to someone else need an administrator.

const G = 'guard-g.test';
const M = 'guard-m.test';
let g: { t: TestHelios; sim: GoogleDirectorySimulator };
let m: { t: TestHelios; sim: GraphSimulator };

const key = (t: TestHelios, scopes: string[] = ['users:write']) =>
  (t.helios as Helios).as({ type: 'apiKey', keyId: 'k', scopes } as never);
const forbidden = { kind: 'FORBIDDEN', code: 'POLICY.FORBIDDEN' };

const googleIdOf = (email: string) =>
  [...g.sim.state.users.values()].find((u: any) => u.primaryEmail === email)!.id as string;
const msIdOf = (i: number) =>
  [...m.sim.state.users.values()].find((u: any) =>
    u.userPrincipalName.startsWith(`user${String(i).padStart(6, '0')}@`),
  )!.id as string;

beforeAll(async () => {
  const google = await startGoogleIntegrationBed({ domain: G, seed: { users: 4, groups: 0 } }, {});
  g = google;
  // A Google super administrator, synced as one.
  (g.sim.state.users.get(googleIdOf(`user000002@${G}`)) as { isAdmin: boolean }).isAdmin = true;
  await g.t.asAdmin.google.sync.sync();
  m = await startMicrosoftIntegrationBed({ domain: M, seed: { users: 4, groups: 0 } }, {});
}, 90_000);
afterAll(async () => {
  await closeTestBed(g?.t, g?.sim);
  await closeTestBed(m?.t, m?.sim);
});

describe(`write-backs: who may change which account (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded'})`, () => {
  it('Google: a users:write key signs out an ordinary user, but not a super administrator, an unsynced account, or forwards mail', async () => {
    const wb = key(g.t).google.writeback;
    const plain = googleIdOf(`user000001@${G}`);
    const admin = googleIdOf(`user000002@${G}`);
    await expect(wb.signOut(plain)).resolves.toBeTruthy();
    const resets = g.sim.requests.byRoute['users.update'] ?? 0;
    await expect(wb.resetPassword(admin)).rejects.toMatchObject({
      ...forbidden,
      message: expect.stringContaining("administrator's account"),
    });
    await expect(wb.suspendUser(admin)).rejects.toMatchObject(forbidden);
    // Nothing reached Google.
    expect(g.sim.requests.byRoute['users.update'] ?? 0).toBe(resets);
    // An account Helios never synced could be anyone's.
    const fresh = googleIdOf(`user000003@${G}`);
    await sql`delete from gw_synced_users where google_id = ${fresh}`.execute(g.t.helios.db);
    await expect(wb.resetPassword(fresh)).rejects.toMatchObject({
      ...forbidden,
      message: expect.stringContaining('has not synced'),
    });
    // Handing an ordinary user's mail or data to someone else.
    await expect(wb.setMailForwarding(plain, `user000004@${G}`)).rejects.toMatchObject(forbidden);
    await expect(wb.setMailForwarding(plain, null)).resolves.toBeTruthy();
    await expect(
      wb.transferData(plain, googleIdOf(`user000004@${G}`), ['drive']),
    ).rejects.toMatchObject(forbidden);
    await expect(wb.addToSharedDrive('drive-1', plain, 'reader')).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    // An administrator may.
    await expect(g.t.asAdmin.google.writeback.signOut(admin)).resolves.toBeTruthy();
  });

  it('Google: an account linked to an organization administrator needs an administrator', async () => {
    const linked = googleIdOf(`user000004@${G}`);
    await sql`update organization_users set google_workspace_id = ${linked} where id = ${g.t.admin!.id}`.execute(
      g.t.helios.db,
    );
    await expect(key(g.t).google.writeback.revokeTokens(linked)).rejects.toMatchObject(forbidden);
  });

  it('Microsoft: a users:write key reaches an ordinary user, not a directory administrator, and forwards no mail', async () => {
    const wb = key(m.t).microsoft.writeback;
    const plain = msIdOf(1);
    const admin = msIdOf(2);
    await sql`update ms_synced_users set is_admin = true where ms_id = ${admin}`.execute(
      m.t.helios.db,
    );
    await expect(wb.signOut(plain)).resolves.toBeTruthy();
    // The id as typed by a caller (upper case) is the same account.
    await expect(wb.resetPassword(admin.toUpperCase())).rejects.toMatchObject(forbidden);
    await expect(wb.suspendUser(admin)).rejects.toMatchObject(forbidden);
    await expect(wb.setMailForwarding(plain, `user000003@${M}`)).rejects.toMatchObject(forbidden);
    await expect(wb.grantDriveAccess(plain, msIdOf(3))).rejects.toMatchObject(forbidden);
    await expect(wb.shareCalendar(admin, plain, 'read')).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    await expect(m.t.asAdmin.microsoft.writeback.signOut(admin)).resolves.toBeTruthy();
  });
});
