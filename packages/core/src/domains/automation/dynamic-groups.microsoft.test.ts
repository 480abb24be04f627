import {
  createTestHelios,
  createTestUser,
  type GraphSimulator,
  startGraphSimulator,
  type TestHelios,
} from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestBed } from '../integrations/writeback.test-kit';

// A dynamic group pushed to its linked Microsoft 365 group, over HTTP to the Graph simulator, on
// whichever backend DATABASE_URL selects.

const DOMAIN = 'dynms.test';
const T = 'Pushed Engineer';
const upn = (i: number) => `user${String(i).padStart(6, '0')}@${DOMAIN}`;
let t: TestHelios;
let sim: GraphSimulator;
let groupMsId = '';
let accessGroupId = '';
const local: Record<number, string> = {};

const msIdOf = (i: number) =>
  [...sim.state.users.values()].find((u) => u.userPrincipalName === upn(i))!.id as string;
const inCloud = () => new Set(sim.state.members.get(groupMsId) ?? []);
const count = (route: string) => sim.requests.byRoute[route] ?? 0;
const memberWrites = () => count('groups.members.add') + count('groups.members.remove');
const setTitle = (i: number, title: string) =>
  t.helios.db
    .updateTable('organization_users')
    .set({ job_title: title })
    .where('id', '=', local[i]!)
    .execute();

beforeAll(async () => {
  sim = await startGraphSimulator({
    domain: DOMAIN,
    seed: { users: 6, groups: 1, membersPerGroup: 0 },
  });
  t = await createTestHelios({
    integrations: {
      microsoft: {
        graphUrl: sim.url,
        loginUrl: sim.authorityHost,
        retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 50 },
      },
    },
  });
  // Organization users 1..4 have Microsoft accounts (linked by the sync through their address).
  for (const i of [1, 2, 3, 4]) local[i] = (await createTestUser(t.helios, { email: upn(i) })).id;
  await t.asAdmin.microsoft.credentials.configure({
    tenantId: sim.tenantId,
    clientId: sim.clientId,
    clientSecret: sim.clientSecret,
  });
  await t.asAdmin.microsoft.sync.sync();
  groupMsId = [...sim.state.groups.keys()][0]!;
  accessGroupId = (
    await t.helios.db
      .selectFrom('access_groups')
      .select('id')
      .where('platform', '=', 'microsoft_365')
      .where('external_id', '=', groupMsId)
      .executeTakeFirstOrThrow()
  ).id;
}, 60_000);
afterAll(() => closeTestBed(t, sim));

describe(`dynamic group pushed to Microsoft 365 (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded'})`, () => {
  it('plans the adds and removes, applies them on Graph, and a second push is a no-op', async () => {
    const admin = t.asAdmin;
    const linked = await t.helios.db
      .selectFrom('organization_users')
      .select(['id', 'microsoft_365_id'])
      .where('id', 'in', Object.values(local))
      .execute();
    expect(linked.every((u) => u.microsoft_365_id !== null)).toBe(true);
    await setTitle(1, T);
    await setTitle(2, T);
    const unlinked = await createTestUser(t.helios, { job_title: T });
    expect(inCloud()).toEqual(new Set());

    await admin.dynamicGroups.setRule(
      accessGroupId,
      { all: [{ fact: 'jobTitle', operator: 'equal', value: T }] },
      { pushToPlatform: false },
    );
    expect(await admin.dynamicGroups.apply(accessGroupId)).toMatchObject({ added: 3, push: null });
    const plan = await admin.dynamicGroups.pushPlan(accessGroupId);
    expect(plan).toMatchObject({ integration: 'microsoft', unlinked: 1 });
    expect(plan.calls.map((c) => [c.operation, c.externalUserId]).sort()).toEqual(
      [
        ['addMember', msIdOf(1)],
        ['addMember', msIdOf(2)],
      ].sort(),
    );
    // A plan calls nothing.
    expect(memberWrites()).toBe(0);

    expect(await admin.dynamicGroups.push(accessGroupId)).toEqual({
      integration: 'microsoft',
      added: 2,
      removed: 0,
      failed: [],
      unlinked: 1,
    });
    expect(inCloud()).toEqual(new Set([msIdOf(1), msIdOf(2)]));
    expect(memberWrites()).toBe(2);
    // The rule's members stay the rule's after the write-back mirrored them.
    const rows = await t.helios.db
      .selectFrom('access_group_members')
      .select(['user_id', 'membership_source', 'is_active', 'synced_from_platform'])
      .where('access_group_id', '=', accessGroupId)
      .execute();
    expect(rows.find((r) => r.user_id === local[1])).toMatchObject({
      membership_source: 'dynamic',
      is_active: true,
      synced_from_platform: true,
    });
    expect(rows.find((r) => r.user_id === unlinked.id)).toMatchObject({
      membership_source: 'dynamic',
    });

    // Second push: nothing to do, nothing sent.
    expect(await admin.dynamicGroups.pushPlan(accessGroupId)).toMatchObject({ calls: [] });
    expect(await admin.dynamicGroups.push(accessGroupId)).toMatchObject({ added: 0, removed: 0 });
    expect(memberWrites()).toBe(2);

    // 2 stops matching, 3 starts matching but an admin already added 3 in Entra.
    await setTitle(2, 'Sales');
    await setTitle(3, T);
    sim.addGroupMember(groupMsId, msIdOf(3));
    expect(await admin.dynamicGroups.apply(accessGroupId)).toMatchObject({ added: 1, removed: 1 });
    const next = await admin.dynamicGroups.pushPlan(accessGroupId);
    expect(next.calls.map((c) => [c.operation, c.userId]).sort()).toEqual(
      [
        ['addMember', local[3]],
        ['removeMember', local[2]],
      ].sort(),
    );
    expect(await admin.dynamicGroups.push(accessGroupId)).toMatchObject({
      added: 1,
      removed: 1,
      failed: [],
    });
    expect(inCloud()).toEqual(new Set([msIdOf(1), msIdOf(3)]));

    // 1 was removed in Entra behind our back: removing it again is no error.
    sim.removeGroupMember(groupMsId, msIdOf(1));
    await setTitle(1, 'Sales');
    expect(await admin.dynamicGroups.apply(accessGroupId)).toMatchObject({ removed: 1 });
    expect(await admin.dynamicGroups.push(accessGroupId)).toMatchObject({
      removed: 1,
      failed: [],
    });
    expect(inCloud()).toEqual(new Set([msIdOf(3)]));

    const writes = memberWrites();
    expect(await admin.dynamicGroups.pushPlan(accessGroupId)).toMatchObject({ calls: [] });
    expect(await admin.dynamicGroups.push(accessGroupId)).toMatchObject({ added: 0, removed: 0 });
    expect(memberWrites()).toBe(writes);
  });
});
