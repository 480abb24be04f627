import type { Actor, HeliosScope } from '@helios/core';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let t: TestHelios;
let manager: HeliosScope;
let user: HeliosScope;
let userId: string;
const as = (actor: Actor) => t.helios.as(actor);
const keyWithout = () => as({ type: 'apiKey', keyId: 'k-none', scopes: ['users:write'] });
const keyRead = () => as({ type: 'apiKey', keyId: 'k-read', scopes: ['groups:read'] });
const keyWrite = () => as({ type: 'apiKey', keyId: 'k-write', scopes: ['groups:write'] });
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

async function counts() {
  const r = t.helios.repositories;
  return {
    userGroups: await r.user_groups.count(),
    memberships: await r.user_group_memberships.count(),
    workspaces: await r.workspaces.count(),
    workspaceMembers: await r.workspace_members.count(),
    audit: await r.audit_logs.count(),
  };
}

async function auditRows(action: string, resourceId: string) {
  return (await t.asAdmin.audit.list({ action, resourceId })).items;
}

beforeAll(async () => {
  t = await createTestHelios();
  const m = await createTestUser(t.helios, { role: 'manager' });
  const u = await createTestUser(t.helios, { role: 'user', reporting_manager_id: m.id });
  manager = as({ type: 'user', userId: m.id });
  user = as({ type: 'user', userId: u.id });
  userId = u.id;
});
afterAll(() => t.destroy());

describe('user groups', () => {
  it('creates, reads, updates and audits a group', async () => {
    const group = await t.asAdmin.userGroups.create({
      name: 'Contractors',
      email: 'Contractors@acme.test',
    });
    expect(group).toMatchObject({
      name: 'Contractors',
      email: 'contractors@acme.test',
      groupType: 'security',
      isActive: true,
      isSystem: false,
      memberCount: 0,
    });
    expect((await auditRows('user_groups.create', group.id))[0]).toMatchObject({
      resource: 'user_group',
      actorId: t.admin!.id,
    });
    expect((await t.asAdmin.userGroups.get(group.id)).name).toBe('Contractors');
    const updated = await t.asAdmin.userGroups.update(group.id, {
      description: 'External staff',
      isActive: false,
    });
    expect(updated).toMatchObject({ description: 'External staff', isActive: false });
    expect((await auditRows('user_groups.update', group.id))[0]!.details).toMatchObject({
      is_active: { from: true, to: false },
    });
    expect(await t.asAdmin.userGroups.find(UNKNOWN)).toBeNull();
    await expect(t.asAdmin.userGroups.get(UNKNOWN)).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'GROUPS.NOT_FOUND',
    });
  });

  it('refuses a name already used in the organization with GROUPS.NAME_TAKEN', async () => {
    const a = await t.asAdmin.userGroups.create({ name: 'Finance' });
    const b = await t.asAdmin.userGroups.create({ name: 'Legal' });
    const before = await counts();
    await expect(t.asAdmin.userGroups.create({ name: 'finance' })).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'GROUPS.NAME_TAKEN',
    });
    await expect(t.asAdmin.userGroups.update(b.id, { name: 'Finance' })).rejects.toMatchObject({
      code: 'GROUPS.NAME_TAKEN',
    });
    expect(await counts()).toEqual(before);
    expect((await t.asAdmin.userGroups.update(a.id, { name: 'Finance' })).name).toBe('Finance');
  });

  it('rejects bad input and refuses other roles, writing nothing', async () => {
    const group = await t.asAdmin.userGroups.create({ name: 'Guarded UG' });
    const before = await counts();
    await expect(t.asAdmin.userGroups.create({ name: ' ' })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await expect(
      t.asAdmin.userGroups.create({ name: 'x', isSystem: true } as never),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    await expect(t.asAdmin.userGroups.update(group.id, { email: 'bad' })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    for (const scope of [manager, user, keyWithout(), keyRead()]) {
      await expect(scope.userGroups.create({ name: 'Nope' })).rejects.toMatchObject({
        kind: 'FORBIDDEN',
      });
      await expect(scope.userGroups.update(group.id, { name: 'Nope' })).rejects.toMatchObject({
        kind: 'FORBIDDEN',
      });
      await expect(scope.userGroups.delete(group.id)).rejects.toMatchObject({ kind: 'FORBIDDEN' });
      await expect(scope.userGroups.addMember(group.id, userId)).rejects.toMatchObject({
        kind: 'FORBIDDEN',
      });
    }
    await expect(t.helios.userGroups.create({ name: 'Nope' })).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
    });
    expect(await counts()).toEqual(before);
    expect(await keyWrite().userGroups.create({ name: 'By Key' })).toMatchObject({
      name: 'By Key',
    });
  });

  it('adds, lists and removes members; refuses duplicates and unknown users', async () => {
    const group = await t.asAdmin.userGroups.create({ name: 'UG Members' });
    const member = await t.asAdmin.userGroups.addMember(group.id, userId, 'owner');
    expect(member).toMatchObject({ groupId: group.id, userId, role: 'owner' });
    expect((await auditRows('user_groups.member_add', group.id))[0]!.details).toMatchObject({
      userId,
      role: 'owner',
    });
    const before = await counts();
    await expect(t.asAdmin.userGroups.addMember(group.id, userId)).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'GROUPS.ALREADY_MEMBER',
    });
    await expect(t.asAdmin.userGroups.addMember(group.id, UNKNOWN)).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'GROUPS.USER_NOT_FOUND',
    });
    await expect(
      t.asAdmin.userGroups.addMember(group.id, userId, 'chief' as never),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    expect(await counts()).toEqual(before);
    expect((await t.asAdmin.userGroups.listMembers(group.id)).items).toEqual([member]);
    expect((await t.asAdmin.userGroups.get(group.id)).memberCount).toBe(1);

    await t.asAdmin.userGroups.removeMember(group.id, userId);
    expect((await auditRows('user_groups.member_remove', group.id))[0]!.details).toMatchObject({
      userId,
    });
    await expect(t.asAdmin.userGroups.removeMember(group.id, userId)).rejects.toMatchObject({
      code: 'GROUPS.NOT_A_MEMBER',
    });
    expect((await t.asAdmin.userGroups.listMembers(group.id)).items).toEqual([]);
  });

  it('shows non-admins only the groups they belong to', async () => {
    const mine = await t.asAdmin.userGroups.create({ name: 'UGV Mine' });
    const other = await t.asAdmin.userGroups.create({ name: 'UGV Other' });
    await t.asAdmin.userGroups.addMember(mine.id, userId);
    expect((await user.userGroups.list({ q: 'UGV' })).items.map((g) => g.name)).toEqual([
      'UGV Mine',
    ]);
    expect((await keyRead().userGroups.list({ q: 'UGV' })).items).toHaveLength(2);
    await expect(user.userGroups.get(other.id)).rejects.toMatchObject({ code: 'GROUPS.NOT_FOUND' });
    await expect(user.userGroups.listMembers(other.id)).rejects.toMatchObject({
      code: 'GROUPS.NOT_FOUND',
    });
  });

  it('pages groups by name', async () => {
    for (const n of ['UGP c', 'UGP a', 'UGP b']) await t.asAdmin.userGroups.create({ name: n });
    const first = await t.asAdmin.userGroups.list({ q: 'UGP', limit: 2 });
    const second = await t.asAdmin.userGroups.list({
      q: 'UGP',
      limit: 2,
      cursor: first.nextCursor,
    });
    expect([...first.items, ...second.items].map((g) => g.name)).toEqual([
      'UGP a',
      'UGP b',
      'UGP c',
    ]);
    expect(second.nextCursor).toBeNull();
  });

  it('deletes a group with its memberships, refusing with GROUPS.IN_USE while dynamic rules use it and for system groups', async () => {
    const group = await t.asAdmin.userGroups.create({ name: 'UG Delete' });
    await t.asAdmin.userGroups.addMember(group.id, userId);
    const rule = await t.helios.repositories.dynamic_group_rules.insert({
      group_id: group.id,
      rule_type: 'include',
      field_name: 'department',
      operator: 'equals',
      value: 'Sales',
    });
    const system = await t.helios.repositories.user_groups.insert({
      name: 'Everyone',
      is_system: true,
    });
    const before = await counts();
    await expect(t.asAdmin.userGroups.delete(group.id)).rejects.toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'GROUPS.IN_USE',
      details: { references: { dynamicRules: 1 } },
    });
    await expect(t.asAdmin.userGroups.delete(system.id)).rejects.toMatchObject({
      code: 'GROUPS.SYSTEM_GROUP',
    });
    await expect(t.asAdmin.userGroups.update(system.id, { name: 'All' })).rejects.toMatchObject({
      code: 'GROUPS.SYSTEM_GROUP',
    });
    expect(await counts()).toEqual(before);

    await t.helios.repositories.dynamic_group_rules.delete(rule.id);
    await t.asAdmin.userGroups.delete(group.id);
    expect(await t.asAdmin.userGroups.find(group.id)).toBeNull();
    expect(await t.helios.repositories.user_group_memberships.count({ group_id: group.id })).toBe(
      0,
    );
    expect((await auditRows('user_groups.delete', group.id))[0]!.details).toMatchObject({
      name: 'UG Delete',
      memberships: 1,
    });
  });
});

describe('workspaces', () => {
  it('creates, reads and updates a workspace, auditing each change', async () => {
    const ws = await t.asAdmin.workspaces.create({
      name: 'Design',
      platform: 'google_chat',
      externalId: 'spaces/AAA',
      workspaceType: 'space',
    });
    expect(ws).toMatchObject({
      name: 'Design',
      platform: 'google_chat',
      externalId: 'spaces/AAA',
      isActive: true,
      isArchived: false,
      memberCount: 0,
    });
    expect((await auditRows('workspaces.create', ws.id))[0]).toMatchObject({
      resource: 'workspace',
    });
    expect((await t.asAdmin.workspaces.update(ws.id, { description: 'Pixels' })).description).toBe(
      'Pixels',
    );
    expect((await auditRows('workspaces.update', ws.id))[0]!.details).toMatchObject({
      description: { from: null, to: 'Pixels' },
    });
    const archived = await t.asAdmin.workspaces.update(ws.id, { isArchived: true });
    expect(archived.isArchived).toBe(true);
    expect(archived.archivedAt).toBeInstanceOf(Date);
    expect(await auditRows('workspaces.archive', ws.id)).toHaveLength(1);
    expect(
      (await t.asAdmin.workspaces.list({ q: 'Design', isArchived: true })).items.map((w) => w.id),
    ).toEqual([ws.id]);
    expect((await t.asAdmin.workspaces.list({ q: 'Design', isArchived: false })).items).toEqual([]);
    await expect(t.asAdmin.workspaces.get(UNKNOWN)).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'WORKSPACES.NOT_FOUND',
    });
  });

  it('refuses a platform external id already used with WORKSPACES.EXTERNAL_ID_TAKEN', async () => {
    await t.asAdmin.workspaces.create({
      name: 'Team A',
      platform: 'microsoft_teams',
      externalId: 'team-1',
    });
    const b = await t.asAdmin.workspaces.create({
      name: 'Team B',
      platform: 'microsoft_teams',
      externalId: 'team-2',
    });
    const before = await counts();
    await expect(
      t.asAdmin.workspaces.create({
        name: 'Team C',
        platform: 'microsoft_teams',
        externalId: 'team-1',
      }),
    ).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'WORKSPACES.EXTERNAL_ID_TAKEN',
    });
    await expect(t.asAdmin.workspaces.update(b.id, { externalId: 'team-1' })).rejects.toMatchObject(
      { code: 'WORKSPACES.EXTERNAL_ID_TAKEN' },
    );
    expect(await counts()).toEqual(before);
    expect(
      await t.asAdmin.workspaces.create({
        name: 'Team C',
        platform: 'google_chat',
        externalId: 'team-1',
      }),
    ).toMatchObject({ externalId: 'team-1' });
  });

  it('rejects bad input and refuses other roles, writing nothing', async () => {
    const ws = await t.asAdmin.workspaces.create({ name: 'Guarded WS' });
    const before = await counts();
    await expect(t.asAdmin.workspaces.create({ name: '' })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await expect(
      t.asAdmin.workspaces.create({ name: 'x', platform: 'Google Chat' }),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    await expect(
      t.asAdmin.workspaces.update(ws.id, { isActive: false } as never),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    for (const scope of [manager, user, keyWithout(), keyRead()]) {
      await expect(scope.workspaces.create({ name: 'Nope' })).rejects.toMatchObject({
        kind: 'FORBIDDEN',
      });
      await expect(scope.workspaces.update(ws.id, { name: 'Nope' })).rejects.toMatchObject({
        kind: 'FORBIDDEN',
      });
      await expect(scope.workspaces.delete(ws.id)).rejects.toMatchObject({ kind: 'FORBIDDEN' });
      await expect(scope.workspaces.addMember(ws.id, userId)).rejects.toMatchObject({
        kind: 'FORBIDDEN',
      });
    }
    await expect(t.helios.workspaces.list()).rejects.toMatchObject({ kind: 'UNAUTHENTICATED' });
    expect(await counts()).toEqual(before);
    expect(await keyWrite().workspaces.create({ name: 'Key WS' })).toMatchObject({
      platform: 'manual',
    });
  });

  it('adds members with roles, removes softly and reactivates on re-add', async () => {
    const ws = await t.asAdmin.workspaces.create({ name: 'WS Members' });
    const added = await t.asAdmin.workspaces.addMember(ws.id, userId, 'owner');
    expect(added).toMatchObject({
      workspaceId: ws.id,
      userId,
      role: 'owner',
      isActive: true,
      syncedFromPlatform: false,
    });
    expect((await auditRows('workspaces.member_add', ws.id))[0]!.details).toMatchObject({
      role: 'owner',
      reactivated: false,
    });
    const before = await counts();
    await expect(t.asAdmin.workspaces.addMember(ws.id, userId)).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'WORKSPACES.ALREADY_MEMBER',
    });
    await expect(t.asAdmin.workspaces.addMember(ws.id, UNKNOWN)).rejects.toMatchObject({
      code: 'WORKSPACES.USER_NOT_FOUND',
    });
    await expect(
      t.asAdmin.workspaces.addMember(ws.id, userId, 'king' as never),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    expect(await counts()).toEqual(before);

    expect(await t.asAdmin.workspaces.setMemberRole(ws.id, userId, 'guest')).toMatchObject({
      role: 'guest',
    });
    expect(await auditRows('workspaces.member_update', ws.id)).toHaveLength(1);
    const removed = await t.asAdmin.workspaces.removeMember(ws.id, userId);
    expect(removed).toMatchObject({ id: added.id, isActive: false });
    const row = await t.helios.repositories.workspace_members.getById(added.id);
    expect(row).toMatchObject({ is_active: false });
    expect(row.removed_at).toBeInstanceOf(Date);
    await expect(t.asAdmin.workspaces.removeMember(ws.id, userId)).rejects.toMatchObject({
      code: 'WORKSPACES.NOT_A_MEMBER',
    });
    expect(
      (await t.asAdmin.workspaces.listMembers(ws.id, { includeRemoved: true })).items,
    ).toHaveLength(1);

    const again = await t.asAdmin.workspaces.addMember(ws.id, userId);
    expect(again).toMatchObject({ id: added.id, isActive: true, removedAt: null, role: 'member' });
    expect((await t.asAdmin.workspaces.listMembers(ws.id)).items.map((m) => m.userId)).toEqual([
      userId,
    ]);
  });

  it('deletes softly and restores; members of a deleted workspace cannot be added', async () => {
    const ws = await t.asAdmin.workspaces.create({ name: 'WS Soft' });
    const deleted = await t.asAdmin.workspaces.delete(ws.id);
    expect(deleted).toMatchObject({ id: ws.id, isActive: false });
    expect(await auditRows('workspaces.delete', ws.id)).toHaveLength(1);
    expect((await t.asAdmin.workspaces.list({ q: 'WS Soft' })).items).toEqual([]);
    expect((await t.asAdmin.workspaces.list({ q: 'WS Soft', isActive: false })).items).toHaveLength(
      1,
    );
    await expect(t.asAdmin.workspaces.addMember(ws.id, userId)).rejects.toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'WORKSPACES.INACTIVE',
    });
    expect(await t.asAdmin.workspaces.restore(ws.id)).toMatchObject({ isActive: true });
    expect(await auditRows('workspaces.restore', ws.id)).toHaveLength(1);
  });

  it('shows non-admins only the active workspaces they belong to, and pages by name', async () => {
    const mine = await t.asAdmin.workspaces.create({ name: 'WSV b mine' });
    await t.asAdmin.workspaces.create({ name: 'WSV a other' });
    await t.asAdmin.workspaces.create({ name: 'WSV c other' });
    await t.asAdmin.workspaces.addMember(mine.id, userId);
    expect((await user.workspaces.list({ q: 'WSV' })).items.map((w) => w.name)).toEqual([
      'WSV b mine',
    ]);
    expect((await manager.workspaces.list({ q: 'WSV' })).items).toEqual([]);
    expect((await user.workspaces.get(mine.id)).memberCount).toBe(1);
    const first = await keyRead().workspaces.list({ q: 'WSV', limit: 2 });
    const second = await keyRead().workspaces.list({
      q: 'WSV',
      limit: 2,
      cursor: first.nextCursor,
    });
    expect([...first.items, ...second.items].map((w) => w.name)).toEqual([
      'WSV a other',
      'WSV b mine',
      'WSV c other',
    ]);
    await expect(
      t.asAdmin.workspaces.list({ cursor: first.nextCursor, q: 'WSV', limit: 2, platform: 'Bad!' }),
    ).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
  });
});
