import { createTestHelios, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { createServer } from '../app';
import { createTestServer, signInNewUser } from '../test-support';

let t: TestHelios;
let app: ReturnType<typeof createServer>;
/** Authorization headers of each caller. */
const as: Record<'admin' | 'readKey' | 'manager' | 'user' | 'none', Record<string, string>> = {
  admin: {},
  readKey: {},
  manager: {},
  user: {},
  none: {},
};
let userId: string;
let managerId: string;
const MISSING = '00000000-0000-4000-8000-000000000000';

beforeAll(async () => {
  t = await createTestHelios();
  app = createTestServer(t);
  const admin = await t.asAdmin.apiKeys.create({
    name: 'admin',
    scopes: ['groups:write'],
    rateLimitPerMinute: 10_000,
  });
  as.admin = { authorization: `Bearer ${admin.secret}` };
  const reader = await t.asAdmin.apiKeys.create({
    name: 'reader',
    scopes: ['groups:read'],
    rateLimitPerMinute: 10_000,
  });
  as.readKey = { 'x-api-key': reader.secret };
  const manager = await signInNewUser(t, app, 'manager');
  as.manager = { cookie: manager.cookie, origin: 'http://localhost' };
  managerId = manager.id;
  const user = await signInNewUser(t, app, 'user');
  as.user = { cookie: user.cookie, origin: 'http://localhost' };
  userId = user.id;
});
afterAll(() => t.destroy());

async function call(
  who: keyof typeof as,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await app.request(`/api/v1${path}`, {
    method,
    headers: { ...as[who], ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 400)
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const count = (
  table:
    | 'access_groups'
    | 'access_group_members'
    | 'user_groups'
    | 'user_group_memberships'
    | 'workspaces'
    | 'workspace_members',
) => t.helios.repositories[table].count();
const names = (page: { items: { name: string }[] }) => page.items.map((g) => g.name);

describe('access groups', () => {
  it('creates, reads, lists, changes, deletes softly and restores a group', async () => {
    const group = await call('admin', 'POST', '/groups', {
      name: 'Engineering',
      email: 'eng@acme.test',
      isPublic: true,
    });
    expect(group.status).toBe(201);
    expect(group.body).toMatchObject({
      name: 'Engineering',
      email: 'eng@acme.test',
      isPublic: true,
      groupType: 'manual',
      memberCount: 0,
    });
    expect((await call('admin', 'GET', `/groups/${group.body.id}`)).body.name).toBe('Engineering');
    expect(names((await call('admin', 'GET', '/groups?q=eng&limit=5')).body)).toEqual([
      'Engineering',
    ]);

    const changed = await call('admin', 'PATCH', `/groups/${group.body.id}`, {
      description: 'Everyone who ships code',
    });
    expect(changed.status).toBe(200);
    expect(changed.body.description).toBe('Everyone who ships code');

    const deleted = await call('admin', 'DELETE', `/groups/${group.body.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.isActive).toBe(false);
    expect(names((await call('admin', 'GET', '/groups')).body)).not.toContain('Engineering');
    expect(names((await call('admin', 'GET', '/groups?isActive=false')).body)).toContain(
      'Engineering',
    );
    expect(names((await call('admin', 'GET', '/groups?isActive=any')).body)).toContain(
      'Engineering',
    );

    const restored = await call('admin', 'POST', `/groups/${group.body.id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body.isActive).toBe(true);
  });

  it('adds, lists, changes and removes a member (round trip)', async () => {
    const group = await call('admin', 'POST', '/groups', { name: 'Round trip' });
    const added = await call('admin', 'POST', `/groups/${group.body.id}/members`, { userId });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      groupId: group.body.id,
      userId,
      memberType: 'member',
      isActive: true,
    });
    const dup = await call('admin', 'POST', `/groups/${group.body.id}/members`, { userId });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('ACCESS_GROUPS.ALREADY_MEMBER');

    const members = await call('admin', 'GET', `/groups/${group.body.id}/members`);
    expect(members.body.items.map((m: { userId: string }) => m.userId)).toEqual([userId]);
    expect((await call('admin', 'GET', `/groups/${group.body.id}`)).body.memberCount).toBe(1);
    const mine = await call('user', 'GET', `/users/${userId}/groups`);
    expect(mine.status).toBe(200);
    expect(mine.body.map((m: { group: { id: string } }) => m.group.id)).toEqual([group.body.id]);
    // A private group is visible to its members.
    expect((await call('user', 'GET', `/groups/${group.body.id}/members`)).status).toBe(200);

    const promoted = await call('admin', 'PATCH', `/groups/${group.body.id}/members/${userId}`, {
      memberType: 'manager',
    });
    expect(promoted.status).toBe(200);
    expect(promoted.body.memberType).toBe('manager');
    expect(
      (await call('admin', 'GET', `/groups/${group.body.id}/members?memberType=manager`)).body
        .items,
    ).toHaveLength(1);

    const removed = await call('admin', 'DELETE', `/groups/${group.body.id}/members/${userId}`);
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ userId, isActive: false });
    expect((await call('admin', 'GET', `/groups/${group.body.id}/members`)).body.items).toEqual([]);
    expect(
      (await call('admin', 'GET', `/groups/${group.body.id}/members?includeRemoved=true`)).body
        .items,
    ).toHaveLength(1);
    expect((await call('user', 'GET', `/users/${userId}/groups`)).body).toEqual([]);
    const again = await call('admin', 'DELETE', `/groups/${group.body.id}/members/${userId}`);
    expect(again.status).toBe(404);
    expect(again.body.code).toBe('ACCESS_GROUPS.NOT_A_MEMBER');

    const readded = await call('admin', 'POST', `/groups/${group.body.id}/members`, {
      userId,
      memberType: 'owner',
    });
    expect(readded.body).toMatchObject({ id: added.body.id, memberType: 'owner', isActive: true });
  });

  it('lets every role read what the SDK shows them and refuses their writes with 403, writing nothing', async () => {
    const open = await call('admin', 'POST', '/groups', { name: 'Open house', isPublic: true });
    const closed = await call('admin', 'POST', '/groups', { name: 'Back office' });
    for (const who of ['manager', 'user'] as const) {
      const list = await call(who, 'GET', '/groups');
      expect(list.status).toBe(200);
      expect(names(list.body)).toContain('Open house');
      expect(names(list.body)).not.toContain('Back office');
      expect((await call(who, 'GET', `/groups/${open.body.id}`)).status).toBe(200);
      expect((await call(who, 'GET', `/groups/${closed.body.id}`)).status).toBe(404);
    }
    expect(names((await call('readKey', 'GET', '/groups')).body)).toEqual(
      expect.arrayContaining(['Open house', 'Back office']),
    );

    const groups = await count('access_groups');
    const members = await count('access_group_members');
    for (const who of ['manager', 'user', 'readKey'] as const) {
      const created = await call(who, 'POST', '/groups', { name: `By ${who}` });
      expect(created.status).toBe(403);
      expect(created.body.code).toBe('POLICY.FORBIDDEN');
      expect(
        (await call(who, 'PATCH', `/groups/${open.body.id}`, { name: 'Taken over' })).status,
      ).toBe(403);
      expect((await call(who, 'DELETE', `/groups/${open.body.id}`)).status).toBe(403);
      expect((await call(who, 'POST', `/groups/${open.body.id}/restore`)).status).toBe(403);
      expect((await call(who, 'POST', `/groups/${open.body.id}/members`, { userId })).status).toBe(
        403,
      );
      expect(
        (
          await call(who, 'PATCH', `/groups/${open.body.id}/members/${userId}`, {
            memberType: 'owner',
          })
        ).status,
      ).toBe(403);
      expect((await call(who, 'DELETE', `/groups/${open.body.id}/members/${userId}`)).status).toBe(
        403,
      );
    }
    expect(await count('access_groups')).toBe(groups);
    expect(await count('access_group_members')).toBe(members);
    expect((await call('admin', 'GET', `/groups/${open.body.id}`)).body).toMatchObject({
      name: 'Open house',
      isActive: true,
    });
  });

  it('answers 400, 401 and 404 (and 409 for a taken email), writing nothing', async () => {
    const groups = await count('access_groups');
    const bad = await call('admin', 'POST', '/groups', {
      name: '',
      email: 'not-an-email',
      externalUrl: 'ftp://x',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['name', 'email', 'externalUrl']),
    );
    expect((await call('admin', 'GET', '/groups?isActive=sometimes')).status).toBe(400);
    expect((await call('admin', 'GET', '/groups?limit=201')).status).toBe(400);
    expect((await call('admin', 'GET', '/groups/nope')).status).toBe(400);
    expect((await call('none', 'GET', '/groups')).status).toBe(401);
    expect((await call('none', 'POST', '/groups', { name: 'Anon' })).status).toBe(401);
    expect(await count('access_groups')).toBe(groups);

    for (const [method, path, body] of [
      ['GET', `/groups/${MISSING}`, undefined],
      ['PATCH', `/groups/${MISSING}`, { name: 'Ghost' }],
      ['DELETE', `/groups/${MISSING}`, undefined],
      ['POST', `/groups/${MISSING}/restore`, undefined],
      ['GET', `/groups/${MISSING}/members`, undefined],
      ['POST', `/groups/${MISSING}/members`, { userId }],
    ] as const) {
      const res = await call('admin', method, path, body);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('ACCESS_GROUPS.NOT_FOUND');
    }
    const group = await call('admin', 'POST', '/groups', {
      name: 'Mailers',
      email: 'mail@acme.test',
    });
    const noUser = await call('admin', 'POST', `/groups/${group.body.id}/members`, {
      userId: MISSING,
    });
    expect(noUser.status).toBe(404);
    expect(noUser.body.code).toBe('ACCESS_GROUPS.USER_NOT_FOUND');
    expect(
      (
        await call('admin', 'POST', `/groups/${group.body.id}/members`, {
          userId: 'x',
          memberType: 'boss',
        })
      ).status,
    ).toBe(400);
    expect((await call('admin', 'GET', `/users/${MISSING}/groups`)).body.code).toBe(
      'ACCESS_GROUPS.USER_NOT_FOUND',
    );
    const taken = await call('admin', 'POST', '/groups', {
      name: 'Other mailers',
      email: 'mail@acme.test',
    });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('ACCESS_GROUPS.EMAIL_TAKEN');
  });
});

describe('user groups', () => {
  it('creates, lists, changes a group, adds and removes members, and deletes it', async () => {
    const group = await call('admin', 'POST', '/user-groups', { name: 'Contractors' });
    expect(group.status).toBe(201);
    expect(group.body).toMatchObject({
      name: 'Contractors',
      groupType: 'security',
      memberCount: 0,
    });
    const dup = await call('admin', 'POST', '/user-groups', { name: 'contractors' });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('GROUPS.NAME_TAKEN');

    const added = await call('admin', 'POST', `/user-groups/${group.body.id}/members`, {
      userId,
      role: 'owner',
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ groupId: group.body.id, userId, role: 'owner' });
    expect(
      (await call('admin', 'GET', `/user-groups/${group.body.id}/members?role=owner`)).body.items,
    ).toHaveLength(1);
    // Non-admins see the groups they belong to, and only those.
    expect(names((await call('user', 'GET', '/user-groups')).body)).toEqual(['Contractors']);
    expect((await call('user', 'GET', `/user-groups/${group.body.id}/members`)).status).toBe(200);
    expect(names((await call('manager', 'GET', '/user-groups')).body)).toEqual([]);
    expect((await call('manager', 'GET', `/user-groups/${group.body.id}`)).status).toBe(404);

    const changed = await call('admin', 'PATCH', `/user-groups/${group.body.id}`, {
      description: 'External staff',
      isActive: false,
    });
    expect(changed.body).toMatchObject({ description: 'External staff', isActive: false });
    expect(names((await call('admin', 'GET', '/user-groups?isActive=false')).body)).toEqual([
      'Contractors',
    ]);

    expect(
      (await call('admin', 'DELETE', `/user-groups/${group.body.id}/members/${userId}`)).status,
    ).toBe(204);
    const notMember = await call(
      'admin',
      'DELETE',
      `/user-groups/${group.body.id}/members/${userId}`,
    );
    expect(notMember.status).toBe(404);
    expect(notMember.body.code).toBe('GROUPS.NOT_A_MEMBER');
    expect((await call('admin', 'DELETE', `/user-groups/${group.body.id}`)).status).toBe(204);
    expect((await call('admin', 'GET', `/user-groups/${group.body.id}`)).status).toBe(404);
  });

  it('answers 400, 401, 403 and 404, writing nothing', async () => {
    const group = await call('admin', 'POST', '/user-groups', { name: 'Guarded' });
    const groups = await count('user_groups');
    const memberships = await count('user_group_memberships');
    const bad = await call('admin', 'POST', '/user-groups', { name: '', groupType: 'Not A Slug' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['name', 'groupType']),
    );
    expect((await call('none', 'GET', '/user-groups')).status).toBe(401);
    for (const who of ['manager', 'user', 'readKey'] as const) {
      expect((await call(who, 'POST', '/user-groups', { name: `By ${who}` })).status).toBe(403);
      expect(
        (await call(who, 'PATCH', `/user-groups/${group.body.id}`, { name: 'Mine' })).status,
      ).toBe(403);
      expect((await call(who, 'DELETE', `/user-groups/${group.body.id}`)).status).toBe(403);
      expect(
        (await call(who, 'POST', `/user-groups/${group.body.id}/members`, { userId })).status,
      ).toBe(403);
      expect(
        (await call(who, 'DELETE', `/user-groups/${group.body.id}/members/${userId}`)).status,
      ).toBe(403);
    }
    expect(await count('user_groups')).toBe(groups);
    expect(await count('user_group_memberships')).toBe(memberships);
    for (const [method, path, body] of [
      ['GET', `/user-groups/${MISSING}`, undefined],
      ['PATCH', `/user-groups/${MISSING}`, { name: 'Ghost' }],
      ['DELETE', `/user-groups/${MISSING}`, undefined],
      ['GET', `/user-groups/${MISSING}/members`, undefined],
      ['POST', `/user-groups/${MISSING}/members`, { userId }],
    ] as const) {
      const res = await call('admin', method, path, body);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('GROUPS.NOT_FOUND');
    }
  });
});

describe('workspaces', () => {
  it('creates, lists, archives, deletes softly and restores a workspace, with members', async () => {
    const ws = await call('admin', 'POST', '/workspaces', {
      name: 'Design',
      platform: 'google_chat',
      externalId: 'spaces/AAA',
    });
    expect(ws.status).toBe(201);
    expect(ws.body).toMatchObject({
      name: 'Design',
      platform: 'google_chat',
      externalId: 'spaces/AAA',
      memberCount: 0,
    });
    const dup = await call('admin', 'POST', '/workspaces', {
      name: 'Design 2',
      platform: 'google_chat',
      externalId: 'spaces/AAA',
    });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('WORKSPACES.EXTERNAL_ID_TAKEN');

    const added = await call('admin', 'POST', `/workspaces/${ws.body.id}/members`, {
      userId: managerId,
      role: 'owner',
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      workspaceId: ws.body.id,
      userId: managerId,
      role: 'owner',
      isActive: true,
    });
    expect(names((await call('manager', 'GET', '/workspaces')).body)).toEqual(['Design']);
    expect(names((await call('user', 'GET', '/workspaces')).body)).toEqual([]);
    expect((await call('user', 'GET', `/workspaces/${ws.body.id}`)).status).toBe(404);
    expect(
      (await call('manager', 'GET', `/workspaces/${ws.body.id}/members`)).body.items,
    ).toHaveLength(1);

    const guest = await call('admin', 'PATCH', `/workspaces/${ws.body.id}/members/${managerId}`, {
      role: 'guest',
    });
    expect(guest.status).toBe(200);
    expect(guest.body.role).toBe('guest');

    const archived = await call('admin', 'PATCH', `/workspaces/${ws.body.id}`, {
      isArchived: true,
    });
    expect(archived.body.isArchived).toBe(true);
    expect(names((await call('admin', 'GET', '/workspaces?isArchived=true')).body)).toEqual([
      'Design',
    ]);
    expect(names((await call('admin', 'GET', '/workspaces?isArchived=false')).body)).toEqual([]);

    const removed = await call('admin', 'DELETE', `/workspaces/${ws.body.id}/members/${managerId}`);
    expect(removed.status).toBe(200);
    expect(removed.body.isActive).toBe(false);
    expect(
      (await call('admin', 'GET', `/workspaces/${ws.body.id}/members?includeRemoved=true`)).body
        .items,
    ).toHaveLength(1);

    const deleted = await call('admin', 'DELETE', `/workspaces/${ws.body.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.isActive).toBe(false);
    expect(names((await call('admin', 'GET', '/workspaces')).body)).toEqual([]);
    expect(names((await call('admin', 'GET', '/workspaces?isActive=any')).body)).toEqual([
      'Design',
    ]);
    const restored = await call('admin', 'POST', `/workspaces/${ws.body.id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body.isActive).toBe(true);
  });

  it('answers 400, 401, 403 and 404, writing nothing', async () => {
    const ws = await call('admin', 'POST', '/workspaces', { name: 'Guarded space' });
    const spaces = await count('workspaces');
    const members = await count('workspace_members');
    const bad = await call('admin', 'POST', '/workspaces', {
      name: '',
      platform: 'Bad Platform',
      externalUrl: 'nope',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['name', 'platform', 'externalUrl']),
    );
    expect(
      (await call('admin', 'POST', `/workspaces/${ws.body.id}/members`, { userId, role: 'king' }))
        .status,
    ).toBe(400);
    expect((await call('admin', 'GET', '/workspaces?isArchived=perhaps')).status).toBe(400);
    expect((await call('none', 'GET', '/workspaces')).status).toBe(401);
    for (const who of ['manager', 'user', 'readKey'] as const) {
      expect((await call(who, 'POST', '/workspaces', { name: `By ${who}` })).status).toBe(403);
      expect((await call(who, 'PATCH', `/workspaces/${ws.body.id}`, { name: 'Mine' })).status).toBe(
        403,
      );
      expect((await call(who, 'DELETE', `/workspaces/${ws.body.id}`)).status).toBe(403);
      expect((await call(who, 'POST', `/workspaces/${ws.body.id}/restore`)).status).toBe(403);
      expect(
        (await call(who, 'POST', `/workspaces/${ws.body.id}/members`, { userId })).status,
      ).toBe(403);
      expect(
        (await call(who, 'PATCH', `/workspaces/${ws.body.id}/members/${userId}`, { role: 'owner' }))
          .status,
      ).toBe(403);
      expect(
        (await call(who, 'DELETE', `/workspaces/${ws.body.id}/members/${userId}`)).status,
      ).toBe(403);
    }
    expect(await count('workspaces')).toBe(spaces);
    expect(await count('workspace_members')).toBe(members);
    for (const [method, path, body] of [
      ['GET', `/workspaces/${MISSING}`, undefined],
      ['PATCH', `/workspaces/${MISSING}`, { name: 'Ghost' }],
      ['DELETE', `/workspaces/${MISSING}`, undefined],
      ['POST', `/workspaces/${MISSING}/restore`, undefined],
      ['GET', `/workspaces/${MISSING}/members`, undefined],
      ['POST', `/workspaces/${MISSING}/members`, { userId }],
    ] as const) {
      const res = await call('admin', method, path, body);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('WORKSPACES.NOT_FOUND');
    }
    const notMember = await call('admin', 'PATCH', `/workspaces/${ws.body.id}/members/${userId}`, {
      role: 'owner',
    });
    expect(notMember.status).toBe(404);
    expect(notMember.body.code).toBe('WORKSPACES.NOT_A_MEMBER');
  });
});

describe('the OpenAPI document', () => {
  it('lists the group routes with their callers and scopes', async () => {
    const doc = (await (await app.request('/api/v1/openapi.json')).json()) as any;
    expect(doc.paths['/api/v1/groups'].get).toMatchObject({
      tags: ['Groups'],
      'x-helios-callers': ['admin', 'manager', 'user'],
      'x-helios-scope': 'groups:read',
    });
    expect(doc.paths['/api/v1/groups/{id}/members/{userId}'].delete).toMatchObject({
      'x-helios-callers': ['admin'],
      'x-helios-scope': 'groups:write',
    });
    expect(doc.paths['/api/v1/user-groups/{id}/members'].post.tags).toEqual(['User groups']);
    expect(doc.paths['/api/v1/workspaces/{id}/restore'].post.tags).toEqual(['Workspaces']);
    expect(doc.paths).toHaveProperty(['/api/v1/users/{id}/groups']);
  });
});
