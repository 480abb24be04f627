import {
  createTestHelios,
  createTestUser,
  type GoogleDirectorySimulator,
  startGoogleDirectorySimulator,
  type TestHelios,
} from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceRuntime } from '../../runtime';
import { testRuntime } from '../../test-runtime';
import {
  closeTestBed,
  expectInitialPasswordSealed,
  expectRefusedWithoutEffect,
  expectRevealedOnce,
  expectWithoutEffect,
  refusedWritebackCallers,
} from '../integrations/writeback.test-kit';
import type { Actor } from '../policy/actor';
import { createGoogleCredentialsService } from './credentials';
import { createGoogleSyncService } from './sync.service';
import { createGoogleWritebackService } from './writeback.service';

const DOMAIN = 'wb.test';
let t: TestHelios;
let sim: GoogleDirectorySimulator;

function runtime(actor: Actor | undefined): ServiceRuntime {
  return testRuntime(t, actor);
}
const adminActor = (): Actor => ({ type: 'user', userId: t.admin!.id });
const service = (actor: Actor | null = adminActor()) =>
  createGoogleWritebackService(runtime(actor ?? undefined), {
    providerOverrides: {
      rootUrl: sim.url,
      tokenUrl: sim.tokenUrl,
      retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 50 },
      timeoutMs: 5000,
    },
  });
const db = () => t.helios.db;

/** Every local row write-back touches (content only). */
async function snapshot() {
  const users =
    await sql`select google_id, email, given_name, family_name, is_suspended, org_unit_path, job_title, department, raw_data
    from gw_synced_users order by google_id`.execute(db());
  const groups =
    await sql`select google_id, email, name, raw_data from gw_groups order by google_id`.execute(
      db(),
    );
  const access =
    await sql`select id, external_id, name, email, is_active from access_groups order by id`.execute(
      db(),
    );
  const members =
    await sql`select access_group_id, user_id, member_type, is_active, removed_at from access_group_members order by id`.execute(
      db(),
    );
  const passwords =
    await sql`select user_email, encrypted_password, revealed_at from user_initial_passwords order by user_email`.execute(
      db(),
    );
  const links =
    await sql`select id, google_workspace_id, google_workspace_sync_status from organization_users order by id`.execute(
      db(),
    );
  return {
    users: users.rows,
    groups: groups.rows,
    access: access.rows,
    members: members.rows,
    passwords: passwords.rows,
    links: links.rows,
  };
}
const auditOf = async (action: string) =>
  (await t.asAdmin.audit.list({ action, limit: 100 })).items;
const syncedUser = (googleId: string) =>
  db()
    .selectFrom('gw_synced_users')
    .selectAll()
    .where('google_id', '=', googleId)
    .executeTakeFirstOrThrow();
const simUser = (googleId: string) => sim.state.users.get(googleId) as Record<string, any>;

beforeAll(async () => {
  [t, sim] = await Promise.all([
    createTestHelios(),
    startGoogleDirectorySimulator({
      domain: DOMAIN,
      seed: { users: 5, groups: 2, membersPerGroup: 2, orgUnits: 2 },
    }),
  ]);
  await createGoogleCredentialsService(runtime(adminActor())).configure({
    serviceAccountKey: sim.serviceAccountKey,
    adminEmail: sim.adminEmail,
    domain: DOMAIN,
  });
}, 60_000);
afterAll(() => closeTestBed(t, sim));

describe('googleWriteback permissions and validation', () => {
  it('refuses managers, plain users, keys without the scope and anonymous callers before calling Google, writing nothing', async () => {
    const newUser = { primaryEmail: `denied@${DOMAIN}`, givenName: 'De', familyName: 'Nied' };
    type S = ReturnType<typeof service>;
    const cases = await refusedWritebackCallers<S>(t, {
      everything: [
        (s) => s.createUser(newUser),
        (s) => s.suspend('100000000000000000001'),
        (s) => s.createGroup({ email: `g@${DOMAIN}`, name: 'G' }),
        (s) => s.addMember(`group0001@${DOMAIN}`, `user000001@${DOMAIN}`),
        (s) => s.revealInitialPassword(`user000001@${DOMAIN}`),
      ],
      readOnlyKey: [
        (s) => s.createUser(newUser),
        (s) => s.deleteUser('100000000000000000001'),
        (s) => s.createGroup({ email: `g@${DOMAIN}`, name: 'G' }),
        (s) => s.removeMember(`group0001@${DOMAIN}`, `user000001@${DOMAIN}`),
      ],
      usersWriteKey: [(s) => s.createGroup({ email: `g@${DOMAIN}`, name: 'G' })],
      groupsWriteKey: [(s) => s.createUser(newUser)],
      anonymous: [(s) => s.createUser(newUser)],
    });
    await expectRefusedWithoutEffect(
      { service, requests: () => sim.requests.total, snapshot },
      cases,
    );
  });

  it('rejects invalid input and emails outside the Google domain without calling Google', async () => {
    const s = service();
    await expectWithoutEffect({ requests: () => sim.requests.total, snapshot }, async () => {
      await expect(
        s.createUser({ primaryEmail: 'ada@elsewhere.test', givenName: 'Ada', familyName: 'L' }),
      ).rejects.toMatchObject({
        kind: 'INVALID_INPUT',
        code: 'GOOGLE_WRITEBACK.EMAIL_OUTSIDE_DOMAIN',
      });
      await expect(
        s.createUser({ primaryEmail: 'not-an-email', givenName: 'Ada', familyName: 'L' }),
      ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
      await expect(
        s.createUser({ primaryEmail: `ada@${DOMAIN}`, givenName: '', familyName: 'L' }),
      ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
      await expect(
        s.createUser({
          primaryEmail: `ada@${DOMAIN}`,
          givenName: 'A',
          familyName: 'L',
          localUserId: 'nope',
        }),
      ).rejects.toMatchObject({
        code: 'VALIDATION.FAILED',
      });
      await expect(
        s.createUser({
          primaryEmail: `ada@${DOMAIN}`,
          givenName: 'A',
          familyName: 'L',
          localUserId: '00000000-0000-4000-8000-000000000000',
        }),
      ).rejects.toMatchObject({ kind: 'NOT_FOUND', code: 'GOOGLE_WRITEBACK.LOCAL_USER_NOT_FOUND' });
      await expect(s.updateUser('100000000000000000001', {})).rejects.toMatchObject({
        code: 'VALIDATION.FAILED',
      });
      await expect(s.moveOrgUnit('100000000000000000001', 'Engineering')).rejects.toMatchObject({
        code: 'VALIDATION.FAILED',
      });
      await expect(s.suspend('bad id!')).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
      await expect(
        s.createGroup({ email: 'team@elsewhere.test', name: 'T' }),
      ).rejects.toMatchObject({ code: 'GOOGLE_WRITEBACK.EMAIL_OUTSIDE_DOMAIN' });
      await expect(
        s.addMember(`group0001@${DOMAIN}`, `user000001@${DOMAIN}`, 'BOSS' as never),
      ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    });
  });
});

describe('googleWriteback users round trip', () => {
  let googleId = '';
  let local: { id: string };
  const email = `grace.hopper@${DOMAIN}`;

  it('creates the user in Google with an encrypted initial password and links the local user with that email', async () => {
    local = await createTestUser(t.helios, { email });
    const created = await service().createUser({
      primaryEmail: email,
      givenName: 'Grace',
      familyName: 'Hopper',
      orgUnitPath: '/Engineering',
      title: 'Rear Admiral',
      department: 'Navy',
    });
    googleId = created.googleId;
    expect(created).toMatchObject({
      email,
      givenName: 'Grace',
      familyName: 'Hopper',
      orgUnitPath: '/Engineering',
      jobTitle: 'Rear Admiral',
      department: 'Navy',
    });
    expect(created.localUserId).toBe(local.id);
    expect(JSON.stringify(created)).not.toContain(sim.state.passwords.get(googleId)!);
    const remote = simUser(googleId);
    expect(remote).toMatchObject({
      primaryEmail: email,
      orgUnitPath: '/Engineering',
      changePasswordAtNextLogin: true,
      name: { givenName: 'Grace' },
    });
    const row = await syncedUser(googleId);
    expect(row).toMatchObject({
      email,
      given_name: 'Grace',
      family_name: 'Hopper',
      org_unit_path: '/Engineering',
      is_suspended: false,
    });
    expect((row.raw_data as { id: string }).id).toBe(googleId);
    const link = await db()
      .selectFrom('organization_users')
      .select(['google_workspace_id', 'google_workspace_sync_status'])
      .where('id', '=', local.id)
      .executeTakeFirstOrThrow();
    expect(link).toEqual({ google_workspace_id: googleId, google_workspace_sync_status: 'synced' });

    // The password: strong, in the simulator, never in clear in the database.
    await expectInitialPasswordSealed(
      t,
      email,
      sim.state.passwords.get(googleId)!,
      'gw_synced_users',
    );

    const audit = await auditOf('google_workspace.user_create');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ resourceId: row.id });
  });

  it('reveals the initial password once to an administrator, audited', async () => {
    const revealed = await expectRevealedOnce(t, service, {
      cloud: 'google',
      address: email,
      password: sim.state.passwords.get(googleId)!,
    });
    expect(revealed.email).toBe(email);
  });

  it('links the given localUserId and works for an API key with users:write', async () => {
    const other = await createTestUser(t.helios, { email: 'linus@acme.test' });
    const created = await service({
      type: 'apiKey',
      keyId: 'k',
      scopes: ['users:write'],
    }).createUser({
      primaryEmail: `linus@${DOMAIN}`,
      givenName: 'Linus',
      familyName: 'T',
      localUserId: other.id,
    });
    expect(created.localUserId).toBe(other.id);
    expect(simUser(created.googleId).primaryEmail).toBe(`linus@${DOMAIN}`);
    await expect(
      service().createUser({
        primaryEmail: `linus2@${DOMAIN}`,
        givenName: 'Linus',
        familyName: 'T',
        localUserId: other.id,
      }),
    ).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'GOOGLE_WRITEBACK.ALREADY_LINKED',
    });
  });

  it('leaves nothing written locally when Google refuses a duplicate (409)', async () => {
    const before = await snapshot();
    const audits = (await auditOf('google_workspace.user_create')).length;
    await expect(
      service().createUser({ primaryEmail: email, givenName: 'Grace', familyName: 'Again' }),
    ).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'GOOGLE.CONFLICT',
    });
    await expect(
      service().createUser({
        primaryEmail: `user000001@${DOMAIN}`,
        givenName: 'X',
        familyName: 'Y',
      }),
    ).rejects.toMatchObject({
      code: 'GOOGLE.CONFLICT',
    });
    expect(await snapshot()).toEqual(before);
    expect(await auditOf('google_workspace.user_create')).toHaveLength(audits);
  });

  it('updates, suspends, unsuspends and moves the user, the local row following Google', async () => {
    const s = service();
    const updated = await s.updateUser(googleId, { givenName: 'Amazing', title: 'Admiral' });
    expect(updated).toMatchObject({
      givenName: 'Amazing',
      familyName: 'Hopper',
      jobTitle: 'Admiral',
      department: 'Navy',
    });
    expect(simUser(googleId).name.givenName).toBe('Amazing');
    expect(simUser(googleId).organizations[0]).toMatchObject({
      title: 'Admiral',
      department: 'Navy',
    });
    expect(await syncedUser(googleId)).toMatchObject({
      given_name: 'Amazing',
      job_title: 'Admiral',
    });

    const suspended = await s.suspend(googleId);
    expect(suspended.isSuspended).toBe(true);
    expect(simUser(googleId).suspended).toBe(true);
    expect((await syncedUser(googleId)).is_suspended).toBe(true);
    const link = () =>
      db()
        .selectFrom('organization_users')
        .select('google_workspace_sync_status')
        .where('id', '=', local.id)
        .executeTakeFirstOrThrow();
    expect((await link()).google_workspace_sync_status).toBe('suspended');

    await s.unsuspend(googleId);
    expect(simUser(googleId).suspended).toBe(false);
    expect((await syncedUser(googleId)).is_suspended).toBe(false);
    expect((await link()).google_workspace_sync_status).toBe('synced');

    const moved = await s.moveOrgUnit(googleId, '/Sales');
    expect(moved.orgUnitPath).toBe('/Sales');
    expect(simUser(googleId).orgUnitPath).toBe('/Sales');
    expect((await syncedUser(googleId)).raw_data).toEqual(simUser(googleId));

    for (const action of ['user_update', 'user_suspend', 'user_unsuspend', 'user_move']) {
      expect(await auditOf(`google_workspace.${action}`)).toHaveLength(1);
    }
  });

  it('leaves the local row unchanged when Google fails (unknown user or org unit)', async () => {
    const before = await snapshot();
    await expect(service().suspend('199999999999999999999')).rejects.toMatchObject({
      code: 'GOOGLE.NOT_FOUND',
    });
    await expect(service().moveOrgUnit(googleId, '/Nowhere')).rejects.toMatchObject({
      code: expect.stringMatching(/^GOOGLE\./),
    });
    expect(await snapshot()).toEqual(before);
  });

  it('deletes the user in Google and marks the local row removed without deleting it', async () => {
    const removed = await service().deleteUser(googleId);
    expect(sim.state.users.has(googleId)).toBe(false);
    expect(removed).toMatchObject({ googleId, removed: true, isSuspended: true });
    const row = await syncedUser(googleId);
    expect((row.raw_data as { _helios?: { removedAt?: string } })._helios?.removedAt).toEqual(
      expect.any(String),
    );
    const link = await db()
      .selectFrom('organization_users')
      .select(['google_workspace_id', 'google_workspace_sync_status'])
      .where('id', '=', local.id)
      .executeTakeFirstOrThrow();
    expect(link).toEqual({
      google_workspace_id: googleId,
      google_workspace_sync_status: 'removed',
    });
    expect(await auditOf('google_workspace.user_delete')).toHaveLength(1);
  });
});

describe('googleWriteback groups and members round trip', () => {
  let group: { googleId: string; accessGroupId: string; email: string };
  const memberEmail = `member.one@${DOMAIN}`;
  let memberLocalId = '';

  it('creates a group, mirrored into gw_groups and access_groups', async () => {
    const created = await service().createGroup({
      email: `team@${DOMAIN}`,
      name: 'Team',
      description: 'The team',
    });
    group = created;
    expect(sim.state.groups.get(created.googleId)).toMatchObject({
      email: `team@${DOMAIN}`,
      name: 'Team',
      description: 'The team',
    });
    const access = await db()
      .selectFrom('access_groups')
      .selectAll()
      .where('id', '=', created.accessGroupId)
      .executeTakeFirstOrThrow();
    expect(access).toMatchObject({
      platform: 'google_workspace',
      external_id: created.googleId,
      name: 'Team',
      email: `team@${DOMAIN}`,
      is_active: true,
    });
    const row = await db()
      .selectFrom('gw_groups')
      .selectAll()
      .where('google_id', '=', created.googleId)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ email: `team@${DOMAIN}`, name: 'Team', description: 'The team' });
    expect(await auditOf('google_workspace.group_create')).toHaveLength(1);
  });

  it('works for an API key with groups:write and leaves nothing written on a duplicate group (409)', async () => {
    const key: Actor = { type: 'apiKey', keyId: 'k', scopes: ['groups:write'] };
    const other = await service(key).createGroup({ email: `ops@${DOMAIN}`, name: 'Ops' });
    expect(sim.state.groups.has(other.googleId)).toBe(true);
    const before = await snapshot();
    await expect(
      service().createGroup({ email: `team@${DOMAIN}`, name: 'Team again' }),
    ).rejects.toMatchObject({ kind: 'CONFLICT', code: 'GOOGLE.CONFLICT' });
    expect(await snapshot()).toEqual(before);
  });

  it('adds a member in Google and the local membership, then removes it (soft)', async () => {
    const created = await service().createUser({
      primaryEmail: memberEmail,
      givenName: 'Member',
      familyName: 'One',
    });
    memberLocalId = (
      await createTestUser(t.helios, {
        email: 'member.one.local@acme.test',
        google_workspace_id: created.googleId,
      })
    ).id;

    const added = await service().addMember(group.email, memberEmail, 'MANAGER');
    expect(added).toMatchObject({
      groupGoogleId: group.googleId,
      role: 'MANAGER',
      localUserId: memberLocalId,
    });
    expect(sim.state.members.get(group.googleId)?.get(created.googleId)).toMatchObject({
      email: memberEmail,
      role: 'MANAGER',
    });
    const row = () =>
      db()
        .selectFrom('access_group_members')
        .selectAll()
        .where('access_group_id', '=', group.accessGroupId)
        .where('user_id', '=', memberLocalId)
        .executeTakeFirstOrThrow();
    expect(await row()).toMatchObject({
      id: added.accessGroupMemberId,
      member_type: 'manager',
      is_active: true,
      removed_at: null,
    });

    // Already a member: Google refuses, nothing changes.
    const before = await snapshot();
    await expect(service().addMember(group.googleId, memberEmail)).rejects.toMatchObject({
      code: 'GOOGLE.CONFLICT',
    });
    expect(await snapshot()).toEqual(before);

    const removed = await service().removeMember(group.googleId, memberEmail);
    expect(removed.accessGroupMemberId).toBe(added.accessGroupMemberId);
    expect(sim.state.members.get(group.googleId)?.has(created.googleId) ?? false).toBe(false);
    expect(await row()).toMatchObject({ is_active: false, removed_at: expect.any(Date) });

    // Re-adding reactivates the same row.
    const again = await service().addMember(group.googleId, memberEmail);
    expect(again.accessGroupMemberId).toBe(added.accessGroupMemberId);
    expect(await row()).toMatchObject({ member_type: 'member', is_active: true, removed_at: null });

    expect(await auditOf('google_workspace.member_add')).toHaveLength(2);
    expect(await auditOf('google_workspace.member_remove')).toHaveLength(1);
  });
});

describe('googleWriteback and the directory sync', () => {
  it('a later full sync agrees with the written-back rows and keeps the access group ids', async () => {
    const groupsBefore = await db()
      .selectFrom('access_groups')
      .select(['id', 'external_id'])
      .where('platform', '=', 'google_workspace')
      .execute();
    const usersBefore = await db()
      .selectFrom('gw_synced_users')
      .select(['id', 'google_id'])
      .execute();
    const sync = createGoogleSyncService(runtime(adminActor()), {
      providerOverrides: { rootUrl: sim.url, tokenUrl: sim.tokenUrl, timeoutMs: 5000 },
    });
    const result = await sync.sync({ allowLargeRemovals: true });
    expect(result.counts.groups.created).toBe(2); // the two seeded groups only
    const groupsAfter = await db()
      .selectFrom('access_groups')
      .select(['id', 'external_id'])
      .where('platform', '=', 'google_workspace')
      .execute();
    for (const g of groupsBefore) expect(groupsAfter).toContainEqual(g);
    const usersAfter = await db()
      .selectFrom('gw_synced_users')
      .select(['id', 'google_id'])
      .execute();
    for (const u of usersBefore) expect(usersAfter).toContainEqual(u);
  });
});
