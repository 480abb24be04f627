import {
  createTestHelios,
  createTestUser,
  type GraphSimulator,
  startGraphSimulator,
  type TestHelios,
} from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHeliosError } from '../../errors';
import { closeTestBed, collectPages } from '../integrations/writeback.test-kit';
import type { MicrosoftSyncedUser } from './directory.service';

// The public SDK end to end: createHelios({ integrations: { microsoft } }) points microsoft365,
// microsoftSync and microsoftDirectory at the simulator.
describe('helios.microsoftDirectory', () => {
  let t: TestHelios;
  let sim: GraphSimulator;
  let linkedId: string;

  beforeAll(async () => {
    sim = await startGraphSimulator({
      domain: 'msdir.test',
      seed: { users: 25, groups: 3, membersPerGroup: 4 },
    });
    t = await createTestHelios({
      integrations: {
        microsoft: {
          graphUrl: sim.url,
          loginUrl: sim.authorityHost,
          retry: { maxRetries: 3, baseDelayMs: 5 },
          timeoutMs: 5000,
        },
      },
    });
    linkedId = (await createTestUser(t.helios, { email: 'user000003@msdir.test' })).id;
    await t.asAdmin.microsoft365.configure({
      tenantId: sim.tenantId,
      clientId: sim.clientId,
      clientSecret: sim.clientSecret,
    });
    expect((await t.asAdmin.microsoft365.testConnection()).ok).toBe(true);
    const run = await t.asAdmin.microsoftSync.sync();
    expect(run).toMatchObject({ status: 'completed', mode: 'full' });
  });
  afterAll(() => closeTestBed(t, sim));

  it('pages every synced user once, by UPN, with the linked organization user', async () => {
    const { items: seen } = await collectPages<MicrosoftSyncedUser>((cursor) =>
      t.asAdmin.microsoftDirectory.listUsers({ limit: 10, cursor }),
    );
    expect(seen).toHaveLength(26);
    const upns = seen.map((u) => u.upn);
    expect(upns).toEqual([...upns].sort());
    expect(seen.find((u) => u.upn === 'user000003@msdir.test')).toMatchObject({
      localUserId: linkedId,
      removed: false,
    });
    expect(JSON.stringify(seen)).not.toContain('syncHash');
  });

  it('filters by state, admin role, licence and link; gets one user', async () => {
    const disabled = await t.asAdmin.microsoftDirectory.listUsers({ isAccountEnabled: false });
    expect(disabled.items.map((u) => u.upn)).toEqual(['user000017@msdir.test']);
    const admins = await t.asAdmin.microsoftDirectory.listUsers({ isAdmin: true });
    expect(admins.items.map((u) => u.upn)).toEqual(['admin@msdir.test']);
    const licences = await t.asAdmin.microsoftDirectory.listLicences();
    expect(licences.length).toBeGreaterThan(0);
    const sku = licences[0]!;
    expect(sku.availableUnits).toBe((sku.totalUnits ?? 0) - (sku.consumedUnits ?? 0));
    const holders = await t.asAdmin.microsoftDirectory.listUsers({ skuId: sku.skuId, limit: 500 });
    expect(holders.items.length).toBeGreaterThan(0);
    expect(holders.items.every((u) => JSON.stringify(u.assignedLicenses).includes(sku.skuId))).toBe(
      true,
    );
    expect(
      (await t.asAdmin.microsoftDirectory.listUsers({ linked: true })).items.map(
        (u) => u.localUserId,
      ),
    ).toEqual([linkedId]);
    const one = await t.asAdmin.microsoftDirectory.getUser('USER000003@msdir.test');
    expect(await t.asAdmin.microsoftDirectory.getUser(one.msId)).toEqual(one);
    const missing = await t.asAdmin.microsoftDirectory
      .getUser('nobody@msdir.test')
      .catch((e: unknown) => e);
    expect(isHeliosError(missing) && missing.code).toBe('MICROSOFT.USER_NOT_SYNCED');
  });

  it('lists groups with their access group to every user, and users only to admins', async () => {
    const plain = await createTestUser(t.helios, { role: 'user' });
    const asUser = t.helios.as({ type: 'user', userId: plain.id });
    const groups = await asUser.microsoftDirectory.listGroups();
    expect(groups.items).toHaveLength(3);
    expect(groups.items.every((g) => typeof g.accessGroupId === 'string')).toBe(true);
    const error = await asUser.microsoftDirectory.listUsers().catch((e: unknown) => e);
    expect(isHeliosError(error) && error.kind).toBe('FORBIDDEN');
  });

  it('the second sync is incremental', async () => {
    const user = [...sim.state.users.values()].find(
      (u) => u.userPrincipalName === 'user000004@msdir.test',
    );
    sim.touchUser(user.id, { department: 'Moved' });
    const run = await t.asAdmin.microsoftSync.sync();
    expect(run).toMatchObject({ mode: 'incremental' });
    expect(run.counts.users.updated).toBe(1);
    expect((await t.asAdmin.microsoftDirectory.getUser(user.id)).department).toBe('Moved');
  });
});
