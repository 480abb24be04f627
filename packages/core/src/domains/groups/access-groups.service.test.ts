import { type Actor, type HeliosScope, systemActor } from '@helios/core';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let t: TestHelios;
let manager: HeliosScope;
let user: HeliosScope;
let userId: string;
const as = (actor: Actor) => t.helios.as(actor);
const keyWithout = () => as({ type: 'apiKey', keyId: 'k-none', scopes: ['users:read'] });
const keyRead = () => as({ type: 'apiKey', keyId: 'k-read', scopes: ['groups:read'] });
const keyWrite = () => as({ type: 'apiKey', keyId: 'k-write', scopes: ['groups:write'] });

/** Row counts that must not move when a call is refused. */
async function counts() {
  const r = t.helios.repositories;
  return {
    groups: await r.access_groups.count(),
    members: await r.access_group_members.count(),
    audit: await r.audit_logs.count(),
  };
}

async function auditRows(action: string, resourceId?: string) {
  return (await t.asAdmin.audit.list({ action, ...(resourceId ? { resourceId } : {}) })).items;
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

describe('access groups: create', () => {
  it('creates a manual group and audits groups.create', async () => {
    const group = await t.asAdmin.groups.create({
      name: ' Engineering ',
      email: 'ENG@acme.test',
      description: 'Builders',
      isPublic: true,
    });
    expect(group).toMatchObject({
      name: 'Engineering',
      email: 'eng@acme.test',
      platform: 'manual',
      groupType: 'manual',
      externalId: null,
      isPublic: true,
      isActive: true,
      createdBy: t.admin!.id,
      memberCount: 0,
    });
    const rows = await auditRows('groups.create', group.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      resource: 'access_group',
      actorType: 'user',
      actorId: t.admin!.id,
    });
    expect(rows[0]!.details).toMatchObject({ name: 'Engineering', platform: 'manual' });
  });

  it('rejects bad input with VALIDATION.FAILED and writes nothing', async () => {
    const before = await counts();
    for (const input of [
      { name: '' },
      { name: 'x', email: 'not-an-email' },
      { name: 'x', platform: 'google_workspace' },
      { name: 'x', externalUrl: 'javascript:alert(1)' },
      { name: 'x', groupType: 'Bad Type' },
      { name: 'x'.repeat(256) },
    ]) {
      await expect(t.asAdmin.groups.create(input as never)).rejects.toMatchObject({
        kind: 'INVALID_INPUT',
        code: 'VALIDATION.FAILED',
      });
    }
    expect(await counts()).toEqual(before);
  });

  it('refuses managers, users, keys without groups:write and anonymous callers, writing nothing', async () => {
    const before = await counts();
    for (const scope of [manager, user, keyWithout(), keyRead()]) {
      await expect(scope.groups.create({ name: 'Nope' })).rejects.toMatchObject({
        kind: 'FORBIDDEN',
        code: 'POLICY.FORBIDDEN',
      });
    }
    await expect(t.helios.groups.create({ name: 'Nope' })).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'POLICY.NO_ACTOR',
    });
    expect(await counts()).toEqual(before);
  });

  it('lets a key with groups:write create, audited as the key', async () => {
    const group = await keyWrite().groups.create({ name: 'Key Made' });
    expect(group.createdBy).toBeNull();
    expect((await auditRows('groups.create', group.id))[0]).toMatchObject({
      actorType: 'api_key',
      actorId: 'k-write',
    });
  });

  it('refuses an email another active group has with ACCESS_GROUPS.EMAIL_TAKEN', async () => {
    await t.asAdmin.groups.create({ name: 'Sales', email: 'sales@acme.test' });
    const before = await counts();
    await expect(
      t.asAdmin.groups.create({ name: 'Sales 2', email: 'SALES@acme.test' }),
    ).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'ACCESS_GROUPS.EMAIL_TAKEN',
    });
    expect(await counts()).toEqual(before);
  });
});

describe('access groups: read rules', () => {
  it('gets and finds by id; unknown ids are NOT_FOUND / null, malformed ids INVALID_INPUT / null', async () => {
    const group = await t.asAdmin.groups.create({ name: 'Readable' });
    expect((await t.asAdmin.groups.get(group.id)).id).toBe(group.id);
    expect((await t.asAdmin.groups.find(group.id))?.name).toBe('Readable');
    const unknown = '00000000-0000-4000-8000-000000000000';
    await expect(t.asAdmin.groups.get(unknown)).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'ACCESS_GROUPS.NOT_FOUND',
    });
    await expect(t.asAdmin.groups.get('nope')).rejects.toMatchObject({ kind: 'INVALID_INPUT' });
    expect(await t.asAdmin.groups.find(unknown)).toBeNull();
    expect(await t.asAdmin.groups.find('nope')).toBeNull();
    await expect(t.helios.groups.get(group.id)).rejects.toMatchObject({ kind: 'UNAUTHENTICATED' });
  });

  it('shows users only public groups and their own; admins and keys with groups:read see all', async () => {
    const secret = await t.asAdmin.groups.create({ name: 'Vis Secret' });
    const open = await t.asAdmin.groups.create({ name: 'Vis Open', isPublic: true });
    const mine = await t.asAdmin.groups.create({ name: 'Vis Mine' });
    const closedPublic = await t.asAdmin.groups.create({ name: 'Vis Closed', isPublic: true });
    await t.asAdmin.groups.addMember(mine.id, userId);
    await t.asAdmin.groups.delete(closedPublic.id);

    const names = async (scope: HeliosScope) =>
      (await scope.groups.list({ q: 'Vis ', isActive: 'any' })).items.map((g) => g.name);
    expect(await names(user)).toEqual(['Vis Mine', 'Vis Open']);
    expect(await names(manager)).toEqual(['Vis Open']);
    expect(await names(t.asAdmin)).toEqual(['Vis Closed', 'Vis Mine', 'Vis Open', 'Vis Secret']);
    expect(await names(keyRead())).toHaveLength(4);
    await expect(user.groups.get(secret.id)).rejects.toMatchObject({
      code: 'ACCESS_GROUPS.NOT_FOUND',
    });
    expect(await user.groups.find(closedPublic.id)).toBeNull();
    expect((await user.groups.get(mine.id)).memberCount).toBe(1);
    expect((await manager.groups.get(open.id)).isPublic).toBe(true);
    await expect(user.groups.listMembers(secret.id)).rejects.toMatchObject({
      code: 'ACCESS_GROUPS.NOT_FOUND',
    });
    expect((await user.groups.listMembers(mine.id)).items.map((m) => m.userId)).toEqual([userId]);
    await expect(keyWithout().groups.list()).rejects.toMatchObject({ kind: 'FORBIDDEN' });
  });
});

describe('access groups: list', () => {
  it('filters by platform, text (name or email, wildcards literal) and active state', async () => {
    await t.helios.repositories.access_groups.insert({
      name: 'Flt Google',
      platform: 'google_workspace',
      group_type: 'google',
      external_id: 'g-flt',
    });
    await t.asAdmin.groups.create({ name: 'Flt 100% Manual', email: 'flt-manual@acme.test' });
    const gone = await t.asAdmin.groups.create({ name: 'Flt Gone' });
    await t.asAdmin.groups.delete(gone.id);

    const names = async (filter: Parameters<HeliosScope['groups']['list']>[0]) =>
      (await t.asAdmin.groups.list(filter)).items.map((g) => g.name);
    expect(await names({ q: 'flt' })).toEqual(['Flt 100% Manual', 'Flt Google']);
    expect(await names({ q: 'flt', platform: 'google_workspace' })).toEqual(['Flt Google']);
    expect(await names({ q: 'FLT-MANUAL@' })).toEqual(['Flt 100% Manual']);
    expect(await names({ q: '100%' })).toEqual(['Flt 100% Manual']);
    expect(await names({ q: 'flt _' })).toEqual([]);
    expect(await names({ q: 'flt', isActive: false })).toEqual(['Flt Gone']);
    expect(await names({ q: 'flt', isActive: 'any' })).toHaveLength(3);
  });

  it('pages by name with a keyset cursor and rejects bad page options', async () => {
    for (const n of ['Pg E', 'Pg A', 'Pg D', 'Pg B', 'Pg C'])
      await t.asAdmin.groups.create({ name: n });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<HeliosScope['groups']['list']>> = await t.asAdmin.groups.list({
        q: 'Pg ',
        limit: 2,
        cursor,
      });
      seen.push(...page.items.map((g) => g.name));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual(['Pg A', 'Pg B', 'Pg C', 'Pg D', 'Pg E']);
    expect(pages).toBe(3);
    await expect(t.asAdmin.groups.list({ cursor: "x' or 1=1" })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
    await expect(t.asAdmin.groups.list({ limit: 0 })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'VALIDATION.FAILED',
    });
    await expect(t.asAdmin.groups.list({ sort: 'name' } as never)).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
  });
});

describe('access groups: update', () => {
  it('changes fields, audits only what changed and skips no-op updates', async () => {
    const group = await t.asAdmin.groups.create({ name: 'Upd', description: 'old' });
    const after = await t.asAdmin.groups.update(group.id, {
      description: 'new',
      isPublic: true,
      metadata: { tier: 1 },
    });
    expect(after).toMatchObject({ description: 'new', isPublic: true, metadata: { tier: 1 } });
    const rows = await auditRows('groups.update', group.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.details).toMatchObject({
      description: { from: 'old', to: 'new' },
      is_public: { from: false, to: true },
    });
    await t.asAdmin.groups.update(group.id, { description: 'new' });
    await t.asAdmin.groups.update(group.id, {});
    expect(await auditRows('groups.update', group.id)).toHaveLength(1);
  });

  it('refuses bad input, other roles and unknown groups, changing nothing', async () => {
    const group = await t.asAdmin.groups.create({ name: 'Upd Guarded' });
    const before = await counts();
    await expect(
      t.asAdmin.groups.update(group.id, { externalId: 'x' } as never),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    await expect(t.asAdmin.groups.update(group.id, { name: '' })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    for (const scope of [manager, user, keyWithout(), keyRead()]) {
      await expect(scope.groups.update(group.id, { name: 'Hacked' })).rejects.toMatchObject({
        kind: 'FORBIDDEN',
      });
    }
    await expect(t.helios.groups.update(group.id, { name: 'Hacked' })).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
    });
    await expect(
      t.asAdmin.groups.update('00000000-0000-4000-8000-000000000000', { name: 'X' }),
    ).rejects.toMatchObject({
      code: 'ACCESS_GROUPS.NOT_FOUND',
    });
    expect(await counts()).toEqual(before);
    expect((await t.asAdmin.groups.get(group.id)).name).toBe('Upd Guarded');
  });
});

describe('access groups: groups synced from a platform', () => {
  it('refuses identity changes and deletion with ACCESS_GROUPS.MANAGED_BY_PLATFORM but allows the rest', async () => {
    const row = await t.helios.repositories.access_groups.insert({
      name: 'GW Staff',
      email: 'staff@acme.test',
      platform: 'google_workspace',
      group_type: 'google',
      external_id: 'gw-staff',
    });
    const before = await counts();
    for (const change of [{ name: 'Renamed' }, { email: 'other@acme.test' }]) {
      await expect(t.asAdmin.groups.update(row.id, change)).rejects.toMatchObject({
        kind: 'PRECONDITION_FAILED',
        code: 'ACCESS_GROUPS.MANAGED_BY_PLATFORM',
      });
    }
    await expect(t.asAdmin.groups.delete(row.id)).rejects.toMatchObject({
      code: 'ACCESS_GROUPS.MANAGED_BY_PLATFORM',
    });
    await expect(t.asAdmin.groups.purge(row.id)).rejects.toMatchObject({
      code: 'ACCESS_GROUPS.MANAGED_BY_PLATFORM',
    });
    expect(await counts()).toEqual(before);

    expect(
      (
        await t.asAdmin.groups.update(row.id, {
          name: 'GW Staff',
          email: 'STAFF@acme.test',
          description: 'All staff',
        })
      ).description,
    ).toBe('All staff');
    const member = await t.asAdmin.groups.addMember(row.id, userId);
    expect(member).toMatchObject({ syncedFromPlatform: false, isActive: true });
    await t.asAdmin.groups.removeMember(row.id, userId);

    const renamed = await as(systemActor('google-sync')).groups.update(row.id, {
      name: 'GW Everyone',
    });
    expect(renamed).toMatchObject({
      id: row.id,
      name: 'GW Everyone',
      platform: 'google_workspace',
      externalId: 'gw-staff',
    });
  });
});

describe('access groups: delete, restore and purge', () => {
  it('deletes softly, keeping the id and members, and restores', async () => {
    const group = await t.asAdmin.groups.create({ name: 'Soft' });
    await t.asAdmin.groups.addMember(group.id, userId);
    const deleted = await t.asAdmin.groups.delete(group.id);
    expect(deleted).toMatchObject({ id: group.id, isActive: false, memberCount: 1 });
    expect(await auditRows('groups.delete', group.id)).toHaveLength(1);
    await t.asAdmin.groups.delete(group.id);
    expect(await auditRows('groups.delete', group.id)).toHaveLength(1);
    expect((await t.asAdmin.groups.groupsOfUser(userId)).map((m) => m.group.id)).not.toContain(
      group.id,
    );
    const other = await createTestUser(t.helios);
    await expect(t.asAdmin.groups.addMember(group.id, other.id)).rejects.toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'ACCESS_GROUPS.INACTIVE',
    });
    for (const scope of [manager, user, keyRead()])
      await expect(scope.groups.restore(group.id)).rejects.toMatchObject({ kind: 'FORBIDDEN' });

    const restored = await t.asAdmin.groups.restore(group.id);
    expect(restored).toMatchObject({ id: group.id, isActive: true, memberCount: 1 });
    expect(await auditRows('groups.restore', group.id)).toHaveLength(1);
  });

  it('purges a group with its memberships, refusing with ACCESS_GROUPS.IN_USE while referenced', async () => {
    const group = await t.asAdmin.groups.create({ name: 'Purge Me' });
    await t.asAdmin.groups.addMember(group.id, userId);
    const template = await sql<{ id: string }>`
      insert into onboarding_templates (organization_id, name, group_ids)
      values (${t.organizationId}, 'Joiners', array[${group.id}]::uuid[]) returning id`.execute(
      t.helios.db,
    );
    const before = await counts();
    await expect(t.asAdmin.groups.purge(group.id)).rejects.toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'ACCESS_GROUPS.IN_USE',
      details: { references: { onboardingTemplates: 1 } },
    });
    for (const scope of [manager, user, keyWithout()])
      await expect(scope.groups.purge(group.id)).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    expect(await counts()).toEqual(before);

    await sql`delete from onboarding_templates where id = ${template.rows[0]!.id}`.execute(
      t.helios.db,
    );
    await t.asAdmin.groups.purge(group.id);
    expect(await t.asAdmin.groups.find(group.id)).toBeNull();
    expect(
      await t.helios.repositories.access_group_members.count({ access_group_id: group.id }),
    ).toBe(0);
    const rows = await auditRows('groups.purge', group.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.details).toMatchObject({ name: 'Purge Me', memberships: 1 });
    await expect(t.asAdmin.groups.purge(group.id)).rejects.toMatchObject({
      code: 'ACCESS_GROUPS.NOT_FOUND',
    });
  });
});

describe('access groups: members', () => {
  it('adds a member with a type, audits groups.member_add and lists them with name and email', async () => {
    const group = await t.asAdmin.groups.create({ name: 'Mem Add' });
    const bo = await createTestUser(t.helios, { first_name: 'Bo', last_name: 'Li' });
    const member = await t.asAdmin.groups.addMember(group.id, bo.id, 'manager');
    expect(member).toMatchObject({
      groupId: group.id,
      userId: bo.id,
      memberType: 'manager',
      email: bo.email,
      firstName: 'Bo',
      lastName: 'Li',
      isActive: true,
    });
    const rows = await auditRows('groups.member_add', group.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.details).toMatchObject({
      userId: bo.id,
      memberType: 'manager',
      reactivated: false,
    });
    expect((await t.asAdmin.audit.activity({ userId: bo.id })).items[0]).toMatchObject({
      action: 'groups.member_add',
    });
    expect((await t.asAdmin.groups.get(group.id)).memberCount).toBe(1);
    expect((await t.asAdmin.groups.listMembers(group.id)).items).toEqual([member]);
  });

  it('refuses a second active membership with ACCESS_GROUPS.ALREADY_MEMBER', async () => {
    const group = await t.asAdmin.groups.create({ name: 'Mem Twice' });
    await t.asAdmin.groups.addMember(group.id, userId);
    const before = await counts();
    await expect(t.asAdmin.groups.addMember(group.id, userId, 'owner')).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'ACCESS_GROUPS.ALREADY_MEMBER',
    });
    expect(await counts()).toEqual(before);
  });

  it('refuses deleted, unknown and malformed users and bad member types, writing nothing', async () => {
    const group = await t.asAdmin.groups.create({ name: 'Mem Bad' });
    const deleted = await createTestUser(t.helios, {
      user_status: 'deleted',
      is_active: false,
      deleted_at: new Date(),
    });
    const before = await counts();
    await expect(t.asAdmin.groups.addMember(group.id, deleted.id)).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'ACCESS_GROUPS.USER_NOT_FOUND',
    });
    await expect(
      t.asAdmin.groups.addMember(group.id, '00000000-0000-4000-8000-000000000000'),
    ).rejects.toMatchObject({
      code: 'ACCESS_GROUPS.USER_NOT_FOUND',
    });
    await expect(t.asAdmin.groups.addMember(group.id, 'not-a-uuid')).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await expect(
      t.asAdmin.groups.addMember(group.id, userId, 'boss' as never),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    await expect(
      t.asAdmin.groups.addMember('00000000-0000-4000-8000-000000000000', userId),
    ).rejects.toMatchObject({ code: 'ACCESS_GROUPS.NOT_FOUND' });
    expect(await counts()).toEqual(before);
  });

  it('refuses membership changes to managers, users, keys without groups:write and anonymous callers', async () => {
    const group = await t.asAdmin.groups.create({ name: 'Mem Perm', isPublic: true });
    const other = await createTestUser(t.helios);
    await t.asAdmin.groups.addMember(group.id, other.id);
    const before = await counts();
    for (const scope of [manager, user, keyWithout(), keyRead()]) {
      await expect(scope.groups.addMember(group.id, userId)).rejects.toMatchObject({
        kind: 'FORBIDDEN',
      });
      await expect(scope.groups.removeMember(group.id, other.id)).rejects.toMatchObject({
        kind: 'FORBIDDEN',
      });
      await expect(scope.groups.setMemberType(group.id, other.id, 'owner')).rejects.toMatchObject({
        kind: 'FORBIDDEN',
      });
    }
    await expect(t.helios.groups.addMember(group.id, userId)).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
    });
    expect(await counts()).toEqual(before);
    expect(await keyWrite().groups.addMember(group.id, userId)).toMatchObject({ userId });
  });

  it('removes softly (is_active false, removed_at set) and re-adding reactivates the same row', async () => {
    const clockNow = Date.now();
    const group = await t.asAdmin.groups.create({ name: 'Mem Cycle' });
    const added = await t.asAdmin.groups.addMember(group.id, userId);
    const removed = await t.asAdmin.groups.removeMember(group.id, userId);
    expect(removed).toMatchObject({ id: added.id, isActive: false });
    expect(removed.removedAt).toBeInstanceOf(Date);
    const row = await t.helios.repositories.access_group_members.getById(added.id);
    expect(row.is_active).toBe(false);
    expect(row.removed_at?.getTime()).toBeGreaterThanOrEqual(clockNow - 60_000);
    expect((await auditRows('groups.member_remove', group.id))[0]!.details).toMatchObject({
      userId,
    });
    await expect(t.asAdmin.groups.removeMember(group.id, userId)).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'ACCESS_GROUPS.NOT_A_MEMBER',
    });
    expect((await t.asAdmin.groups.listMembers(group.id)).items).toHaveLength(0);
    expect(
      (await t.asAdmin.groups.listMembers(group.id, { includeRemoved: true })).items,
    ).toHaveLength(1);
    expect((await t.asAdmin.groups.get(group.id)).memberCount).toBe(0);

    const again = await t.asAdmin.groups.addMember(group.id, userId, 'owner');
    expect(again).toMatchObject({
      id: added.id,
      isActive: true,
      removedAt: null,
      memberType: 'owner',
    });
    expect(
      await t.helios.repositories.access_group_members.count({ access_group_id: group.id }),
    ).toBe(1);
    const adds = await auditRows('groups.member_add', group.id);
    expect(adds[0]!.details).toMatchObject({ reactivated: true, memberType: 'owner' });
  });

  it('changes a member type and audits groups.member_update', async () => {
    const group = await t.asAdmin.groups.create({ name: 'Mem Type' });
    await t.asAdmin.groups.addMember(group.id, userId);
    expect(await t.asAdmin.groups.setMemberType(group.id, userId, 'owner')).toMatchObject({
      memberType: 'owner',
    });
    expect((await auditRows('groups.member_update', group.id))[0]!.details).toMatchObject({
      memberType: { from: 'member', to: 'owner' },
    });
    const other = await createTestUser(t.helios);
    await expect(t.asAdmin.groups.setMemberType(group.id, other.id, 'owner')).rejects.toMatchObject(
      { code: 'ACCESS_GROUPS.NOT_A_MEMBER' },
    );
    await expect(
      t.asAdmin.groups.setMemberType(group.id, userId, undefined as never),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
  });

  it('pages members by email and filters by member type', async () => {
    const group = await t.asAdmin.groups.create({ name: 'Mem Page' });
    const emails: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const u = await createTestUser(t.helios, { email: `page-${i}@acme.test` });
      emails.push(u.email);
      await t.asAdmin.groups.addMember(group.id, u.id, i === 0 ? 'owner' : 'member');
    }
    const first = await t.asAdmin.groups.listMembers(group.id, { limit: 3 });
    expect(first.items.map((m) => m.email)).toEqual(emails.slice(0, 3));
    const second = await t.asAdmin.groups.listMembers(group.id, {
      limit: 3,
      cursor: first.nextCursor,
    });
    expect(second.items.map((m) => m.email)).toEqual(emails.slice(3));
    expect(second.nextCursor).toBeNull();
    expect(
      (await t.asAdmin.groups.listMembers(group.id, { memberType: 'owner' })).items.map(
        (m) => m.email,
      ),
    ).toEqual([emails[0]]);
    await expect(
      t.asAdmin.groups.listMembers(group.id, {
        cursor: first.nextCursor,
        memberType: 'bad',
      } as never),
    ).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
    await expect(t.asAdmin.groups.listMembers(group.id, { cursor: 'abc' })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
  });

  it("lists a user's groups with their membership, limited to what the caller may see", async () => {
    const someone = await createTestUser(t.helios);
    const a = await t.asAdmin.groups.create({ name: 'Of A', isPublic: true });
    const b = await t.asAdmin.groups.create({ name: 'Of B' });
    const c = await t.asAdmin.groups.create({ name: 'Of C' });
    await t.asAdmin.groups.addMember(a.id, someone.id, 'owner');
    await t.asAdmin.groups.addMember(b.id, someone.id);
    await t.asAdmin.groups.addMember(c.id, someone.id);
    await t.asAdmin.groups.removeMember(c.id, someone.id);
    const mine = await t.asAdmin.groups.groupsOfUser(someone.id);
    expect(mine.map((m) => [m.group.name, m.memberType])).toEqual([
      ['Of A', 'owner'],
      ['Of B', 'member'],
    ]);
    expect((await user.groups.groupsOfUser(someone.id)).map((m) => m.group.name)).toEqual(['Of A']);
    await expect(
      t.asAdmin.groups.groupsOfUser('00000000-0000-4000-8000-000000000000'),
    ).rejects.toMatchObject({ code: 'ACCESS_GROUPS.USER_NOT_FOUND' });
    await expect(keyWithout().groups.groupsOfUser(someone.id)).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
  });
});
