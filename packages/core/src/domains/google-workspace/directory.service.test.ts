import {
  createTestHelios,
  createTestUser,
  type GoogleDirectorySimulator,
  startGoogleDirectorySimulator,
  type TestHelios,
} from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHeliosError } from '../../errors';
import { closeTestBed, collectPages } from '../integrations/writeback.test-kit';
import type { GoogleSyncedUser } from './directory.service';

// The public SDK end to end: createHelios({ integrations }) points googleWorkspace, googleSync and
// googleDirectory at the simulator; nothing is wired by hand.
describe('helios.googleDirectory', () => {
  let t: TestHelios;
  let sim: GoogleDirectorySimulator;
  let linkedId: string;

  beforeAll(async () => {
    sim = await startGoogleDirectorySimulator({
      domain: 'acme.test',
      seed: { users: 30, groups: 3, membersPerGroup: 4, orgUnits: 2 },
    });
    t = await createTestHelios({
      integrations: {
        google: {
          rootUrl: sim.url,
          tokenUrl: sim.tokenUrl,
          retry: { maxRetries: 2, baseDelayMs: 5 },
        },
      },
    });
    linkedId = (
      await createTestUser(t.helios, {
        email: 'user000002@acme.test',
        first_name: 'Two',
        last_name: 'Local',
      })
    ).id;
    await t.asAdmin.googleWorkspace.configure({
      serviceAccountKey: sim.serviceAccountKey,
      adminEmail: sim.adminEmail,
      domain: 'acme.test',
    });
    const test = await t.asAdmin.googleWorkspace.testConnection();
    expect(test.ok).toBe(true);
    const run = await t.asAdmin.googleSync.sync();
    expect(run.status).toBe('completed');
    expect(run.fetched.users).toBe(31);
  });
  afterAll(() => closeTestBed(t, sim));

  it('pages every synced user once, by email, with the linked organization user', async () => {
    const { items: seen, pages } = await collectPages<GoogleSyncedUser>((cursor) =>
      t.asAdmin.googleDirectory.listUsers({ limit: 8, cursor }),
    );
    expect(pages).toBe(4);
    expect(seen).toHaveLength(31);
    const emails = seen.map((u) => u.email);
    expect(emails).toEqual([...emails].sort());
    expect(new Set(emails).size).toBe(31);
    expect(seen.find((u) => u.email === 'user000002@acme.test')).toMatchObject({
      localUserId: linkedId,
      removed: false,
    });
    expect(JSON.stringify(seen[0])).not.toContain('rawData');
  });

  it('filters by text, suspension, org unit and link', async () => {
    const search = await t.asAdmin.googleDirectory.listUsers({ search: 'USER00001' });
    expect(search.items.map((u) => u.email)).toEqual(
      Array.from({ length: 10 }, (_, i) => `user0000${10 + i}@acme.test`),
    );
    const suspended = await t.asAdmin.googleDirectory.listUsers({ isSuspended: true });
    expect(suspended.items.map((u) => u.email)).toEqual(['user000017@acme.test']);
    // The simulator's super admin is admin@acme.test: the organization's admin, linked too.
    const linked = await t.asAdmin.googleDirectory.listUsers({ linked: true });
    expect(linked.items.map((u) => u.localUserId)).toEqual([t.admin!.id, linkedId]);
    const unlinked = await t.asAdmin.googleDirectory.listUsers({ linked: false, limit: 500 });
    expect(unlinked.items).toHaveLength(29);
    expect(unlinked.items.every((u) => u.localUserId === null)).toBe(true);
    const path = linked.items[1]!.orgUnitPath!;
    const inUnit = await t.asAdmin.googleDirectory.listUsers({ orgUnitPath: path, limit: 500 });
    expect(inUnit.items.length).toBeGreaterThan(0);
    expect(inUnit.items.every((u) => u.orgUnitPath === path)).toBe(true);
  });

  it('gets a user by Google id or email, and explains an unknown one', async () => {
    const byEmail = await t.asAdmin.googleDirectory.getUser('User000002@acme.test');
    const byId = await t.asAdmin.googleDirectory.getUser(byEmail.googleId);
    expect(byId).toEqual(byEmail);
    const missing = await t.asAdmin.googleDirectory
      .getUser('nobody@acme.test')
      .catch((e: unknown) => e);
    expect(isHeliosError(missing) && missing.code).toBe('GOOGLE.USER_NOT_SYNCED');
  });

  it('lists groups with their stable access group, and org units by path', async () => {
    const groups = await t.asAdmin.googleDirectory.listGroups();
    expect(groups.items).toHaveLength(3);
    const accessGroups = await t.helios.db
      .selectFrom('access_groups')
      .select(['id', 'external_id'])
      .where('platform', '=', 'google_workspace')
      .execute();
    for (const group of groups.items) {
      expect(group.accessGroupId).toBe(
        accessGroups.find((a) => a.external_id === group.googleId)?.id,
      );
    }
    const units = await t.asAdmin.googleDirectory.listOrgUnits();
    const paths = units.items.map((u) => u.path);
    expect(paths).toEqual([...paths].sort());
    expect(paths.length).toBeGreaterThanOrEqual(2);
  });

  it('hides users gone from Google unless asked, and flags them removed', async () => {
    const gone = [...sim.state.users.values()].find(
      (u) => u.primaryEmail === 'user000030@acme.test',
    );
    sim.state.users.delete(gone.id);
    await t.asAdmin.googleSync.sync();
    const active = await t.asAdmin.googleDirectory.listUsers({ search: 'user000030' });
    expect(active.items).toEqual([]);
    const all = await t.asAdmin.googleDirectory.listUsers({
      search: 'user000030',
      includeRemoved: true,
    });
    expect(all.items).toHaveLength(1);
    expect(all.items[0]).toMatchObject({ removed: true, isSuspended: true });
  });

  it('shows Google users to admins (users:read on everyone) and groups and org units to every user', async () => {
    const plain = await createTestUser(t.helios, { role: 'user' });
    const asUser = t.helios.as({ type: 'user', userId: plain.id });
    for (const call of [
      () => asUser.googleDirectory.listUsers(),
      () => asUser.googleDirectory.getUser('user000002@acme.test'),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(isHeliosError(error) && error.kind).toBe('FORBIDDEN');
    }
    expect((await asUser.googleDirectory.listGroups()).items).toHaveLength(3);
    expect((await asUser.googleDirectory.listOrgUnits()).items.length).toBeGreaterThan(0);
    const error = await t.asAdmin.googleDirectory
      .listUsers({ limit: 0 } as never)
      .catch((e: unknown) => e);
    expect(isHeliosError(error) && error.code).toBe('VALIDATION.FAILED');
  });
});
