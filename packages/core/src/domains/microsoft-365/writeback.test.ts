import {
  createTestHelios,
  createTestUser,
  type GraphSimulator,
  startGraphSimulator,
  type TestHelios,
} from '@helios/testing';
import { type Kysely, sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.generated';
import { HeliosError } from '../../errors';
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
import { createMicrosoftCredentialsService, loadMicrosoftProvider } from './credentials';
import { MS_USER_FIELDS } from './provider';
import {
  createMicrosoftWritebackService,
  type MicrosoftWritebackServiceOptions,
} from './writeback.service';

const DOMAIN = 'wb.test';
const E5 = 'c7df2760-2c81-4ef7-b578-5b5392b571df';
const PBI = 'f8a1db68-be16-40ed-86d5-cb42ce701560';
let t: TestHelios;
let sim: GraphSimulator;

function runtime(actor: Actor | undefined, db?: Kysely<Database>): ServiceRuntime {
  return testRuntime(t, actor, {
    ...(db ? { db } : {}),
    integrations: {
      microsoft: {
        graphUrl: sim.url,
        loginUrl: sim.authorityHost,
        retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 50 },
        timeoutMs: 5000,
      },
    },
  });
}
const adminActor = (): Actor => ({ type: 'user', userId: t.admin!.id });
const service = (
  actor: Actor | null = adminActor(),
  options: MicrosoftWritebackServiceOptions = {},
) => createMicrosoftWritebackService(runtime(actor ?? undefined), options);
const db = () => t.helios.db;
const json = (value: unknown) => JSON.stringify(value);

/** Every local row the write-back touches (content only). */
async function snapshot() {
  const q = async (query: ReturnType<typeof sql>) => (await query.execute(db())).rows;
  return {
    users:
      await q(sql`select ms_id, upn, display_name, given_name, job_title, department, is_account_enabled, assigned_licenses, raw_data
      from ms_synced_users order by ms_id`),
    groups: await q(sql`select ms_id, member_count from ms_synced_groups order by ms_id`),
    memberships: await q(
      sql`select group_id, user_id from ms_group_memberships order by group_id, user_id`,
    ),
    access: await q(
      sql`select access_group_id, user_id, is_active, removed_at from access_group_members order by id`,
    ),
    passwords: await q(
      sql`select user_email, encrypted_password, revealed_at from user_initial_passwords order by user_email`,
    ),
    links: await q(
      sql`select id, microsoft_365_id, microsoft_365_upn, microsoft_365_sync_status from organization_users order by id`,
    ),
    licences: await q(
      sql`select sku_id, consumed_units, available_units from ms_licenses order by sku_id`,
    ),
  };
}
const auditOf = async (action: string) =>
  (await t.asAdmin.audit.list({ action, limit: 100 })).items;
const localRow = (msId: string) =>
  db()
    .selectFrom('ms_synced_users')
    .selectAll()
    .where('ms_id', '=', msId)
    .executeTakeFirstOrThrow();
const simUser = (id: string) => sim.state.users.get(id) as Record<string, any> | undefined;
const simUserByUpn = (upn: string) =>
  [...sim.state.users.values()].find((u) => u.userPrincipalName === upn) as Record<string, any>;
const routeCount = (name: string) => sim.requests.byRoute[name] ?? 0;

/** Mirrors a simulator user into ms_synced_users, as the sync would have. */
async function seedUser(upn: string) {
  const u = simUserByUpn(upn);
  const raw = Object.fromEntries(MS_USER_FIELDS.filter((f) => f in u).map((f) => [f, u[f]]));
  await db()
    .insertInto('ms_synced_users')
    .values({
      organization_id: t.organizationId!,
      ms_id: u.id,
      upn: upn.toLowerCase(),
      display_name: u.displayName,
      email: u.mail,
      is_account_enabled: u.accountEnabled,
      assigned_licenses: json(u.assignedLicenses),
      business_phones: json(u.businessPhones),
      raw_data: json(raw),
      sync_hash: 'seeded',
    })
    .execute();
  return u.id as string;
}

/** Mirrors a simulator group into ms_synced_groups and its access group, as the sync would have. */
async function seedGroup(index: number) {
  const g = [...sim.state.groups.values()][index] as Record<string, any>;
  const group = await db()
    .insertInto('ms_synced_groups')
    .values({
      organization_id: t.organizationId!,
      ms_id: g.id,
      display_name: g.displayName,
      group_types: json(g.groupTypes),
      raw_data: json(g),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const access = await db()
    .insertInto('access_groups')
    .values({
      organization_id: t.organizationId!,
      name: g.displayName,
      platform: 'microsoft_365',
      group_type: 'security',
      external_id: g.id,
      is_active: true,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { msId: g.id as string, id: group.id, accessGroupId: access.id };
}

beforeAll(async () => {
  [t, sim] = await Promise.all([
    createTestHelios(),
    startGraphSimulator({
      domain: DOMAIN,
      seed: { users: 10, groups: 2, membersPerGroup: 2 },
      skus: [
        { skuId: E5, skuPartNumber: 'ENTERPRISEPREMIUM', enabled: 20, consumed: 3 },
        { skuId: PBI, skuPartNumber: 'POWER_BI_PRO', enabled: 2, consumed: 2 },
      ],
    }),
  ]);
  await createMicrosoftCredentialsService(runtime(adminActor())).configure({
    tenantId: sim.tenantId,
    clientId: sim.clientId,
    clientSecret: sim.clientSecret,
  });
}, 60_000);
afterAll(() => closeTestBed(t, sim));
afterEach(() => {
  sim.setFaults(null);
});

describe('microsoftWriteback permissions and validation', () => {
  let seeded = '';
  let group = { msId: '', id: '', accessGroupId: '' };

  beforeAll(async () => {
    seeded = await seedUser(`user000009@${DOMAIN}`);
    group = await seedGroup(1);
  });

  it('refuses managers, plain users, keys without the scope and anonymous callers before calling Graph, writing nothing', async () => {
    const newUser = { userPrincipalName: `denied@${DOMAIN}`, displayName: 'Denied' };
    type S = ReturnType<typeof service>;
    const cases = await refusedWritebackCallers<S>(t, {
      everything: [
        { call: (s: S) => s.createUser(newUser), code: 'POLICY.FORBIDDEN' },
        (s) => s.disableUser(seeded),
        (s) => s.resetPassword(seeded),
        (s) => s.assignLicense(seeded, { add: [E5] }),
        (s) => s.addMember(group.msId, seeded),
        (s) => s.revealInitialPassword(`denied@${DOMAIN}`),
      ],
      readOnlyKey: [
        (s) => s.deleteUser(seeded),
        (s) => s.revokeSessions(seeded),
        (s) => s.removeMember(group.msId, seeded),
      ],
      usersWriteKey: [(s) => s.addMember(group.msId, seeded)],
      groupsWriteKey: [(s) => s.createUser(newUser)],
      anonymous: [(s) => s.createUser(newUser)],
    });
    await expectRefusedWithoutEffect(
      { service, requests: () => sim.requests.total, snapshot },
      cases,
    );
  });

  it('rejects invalid input and objects not synced yet without calling Graph', async () => {
    const s = service();
    await expectWithoutEffect({ requests: () => sim.requests.total, snapshot }, async () => {
      const invalid: Array<[string, () => Promise<unknown>]> = [
        ['a bad UPN', () => s.createUser({ userPrincipalName: 'not-an-upn', displayName: 'X' })],
        [
          'an empty display name',
          () => s.createUser({ userPrincipalName: `x@${DOMAIN}`, displayName: ' ' }),
        ],
        [
          'a bad usage location',
          () =>
            s.createUser({
              userPrincipalName: `x@${DOMAIN}`,
              displayName: 'X',
              usageLocation: 'USA',
            }),
        ],
        [
          'a bad local user id',
          () =>
            s.createUser({
              userPrincipalName: `x@${DOMAIN}`,
              displayName: 'X',
              localUserId: 'nope',
            }),
        ],
        [
          'an unknown field',
          () =>
            s.createUser({
              userPrincipalName: `x@${DOMAIN}`,
              displayName: 'X',
              password: 'x',
            } as never),
        ],
        ['an empty patch', () => s.updateUser(seeded, {})],
        ['a null display name', () => s.updateUser(seeded, { displayName: null } as never)],
        ['an id that is not a GUID', () => s.disableUser('user000009@wb.test')],
        ['no SKU', () => s.assignLicense(seeded, {})],
        ['a SKU added and removed', () => s.assignLicense(seeded, { add: [E5], remove: [E5] })],
        ['a SKU that is not a GUID', () => s.assignLicense(seeded, { add: ['ENTERPRISEPREMIUM'] })],
        ['a group id that is not a GUID', () => s.addMember('group0001', seeded)],
      ];
      for (const [what, call] of invalid)
        await expect(call(), what).rejects.toMatchObject({
          kind: 'INVALID_INPUT',
          code: 'VALIDATION.FAILED',
        });

      await expect(
        s.createUser({
          userPrincipalName: `x@${DOMAIN}`,
          displayName: 'X',
          localUserId: '00000000-0000-4000-8000-000000000000',
        }),
      ).rejects.toMatchObject({
        kind: 'NOT_FOUND',
        code: 'MICROSOFT_WRITEBACK.LOCAL_USER_NOT_FOUND',
      });
      const unsynced = simUserByUpn(`user000008@${DOMAIN}`).id;
      await expect(s.updateUser(unsynced, { jobTitle: 'X' })).rejects.toMatchObject({
        kind: 'NOT_FOUND',
        code: 'MICROSOFT_WRITEBACK.USER_NOT_SYNCED',
      });
      await expect(s.revokeSessions(unsynced)).rejects.toMatchObject({
        code: 'MICROSOFT_WRITEBACK.USER_NOT_SYNCED',
      });
      await expect(s.addMember(group.msId, unsynced)).rejects.toMatchObject({
        code: 'MICROSOFT_WRITEBACK.USER_NOT_SYNCED',
      });
      const otherGroup = ([...sim.state.groups.values()][0] as { id: string }).id;
      await expect(s.addMember(otherGroup, seeded)).rejects.toMatchObject({
        kind: 'NOT_FOUND',
        code: 'MICROSOFT_WRITEBACK.GROUP_NOT_SYNCED',
      });
    });
  });

  it('never calls Graph inside a transaction (EXTERNAL.IN_TRANSACTION)', async () => {
    const calls = sim.requests.total;
    await expect(
      db()
        .transaction()
        .execute((tx) =>
          createMicrosoftWritebackService(runtime(adminActor(), tx)).disableUser(seeded),
        ),
    ).rejects.toMatchObject({ kind: 'PRECONDITION_FAILED', code: 'EXTERNAL.IN_TRANSACTION' });
    expect(sim.requests.total).toBe(calls);
  });
});

describe('microsoftWriteback users round trip', () => {
  const upn = `grace.hopper@${DOMAIN}`;
  let msId = '';
  let local: { id: string };

  it('creates the user with an encrypted initial password and links the local user whose email is the UPN', async () => {
    local = await createTestUser(t.helios, { email: upn });
    const created = await service().createUser({
      userPrincipalName: upn,
      displayName: 'Grace Hopper',
      givenName: 'Grace',
      surname: 'Hopper',
      jobTitle: 'Rear Admiral',
      department: 'Navy',
      usageLocation: 'us',
    });
    msId = created.msId;
    expect(created).toMatchObject({
      upn,
      displayName: 'Grace Hopper',
      givenName: 'Grace',
      surname: 'Hopper',
      jobTitle: 'Rear Admiral',
      department: 'Navy',
      isAccountEnabled: true,
      removed: false,
      localUserId: local.id,
    });
    expect(created).not.toHaveProperty('rawData');
    const remote = simUser(msId)!;
    expect(remote).toMatchObject({
      userPrincipalName: upn,
      mailNickname: 'grace.hopper',
      usageLocation: 'US',
      accountEnabled: true,
    });
    const password = sim.state.passwords.get(msId)!;
    expect(JSON.stringify(created)).not.toContain(password);

    const row = await localRow(msId);
    expect(row).toMatchObject({
      upn,
      given_name: 'Grace',
      job_title: 'Rear Admiral',
      department: 'Navy',
      sync_hash: null,
      assigned_licenses: [],
    });
    expect(
      Object.keys(row.raw_data as object).every((k) =>
        (MS_USER_FIELDS as readonly string[]).includes(k),
      ),
    ).toBe(true);
    expect(row.raw_data).toMatchObject({
      id: msId,
      usageLocation: 'US',
      accountEnabled: true,
      createdDateTime: expect.any(String),
    });
    const link = await db()
      .selectFrom('organization_users')
      .select(['microsoft_365_id', 'microsoft_365_upn', 'microsoft_365_sync_status'])
      .where('id', '=', local.id)
      .executeTakeFirstOrThrow();
    expect(link).toEqual({
      microsoft_365_id: msId,
      microsoft_365_upn: upn,
      microsoft_365_sync_status: 'synced',
    });

    await expectInitialPasswordSealed(t, upn, password, 'ms_synced_users');
    const audit = await auditOf('microsoft_365.user_create');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      resourceId: row.id,
      details: { msId, upn, localUserId: local.id },
    });
  });

  it('reveals the initial password once to an administrator, audited', async () => {
    const revealed = await expectRevealedOnce(t, service, {
      cloud: 'microsoft',
      address: upn,
      password: sim.state.passwords.get(msId)!,
    });
    expect(revealed).toMatchObject({ userPrincipalName: upn, revealedAt: expect.any(Date) });
  });

  it('links the given localUserId for an API key with users:write, and refuses a second link', async () => {
    const other = await createTestUser(t.helios, { email: 'linus@acme.test' });
    const created = await service({
      type: 'apiKey',
      keyId: 'k',
      scopes: ['users:write'],
    }).createUser({
      userPrincipalName: `linus@${DOMAIN}`,
      displayName: 'Linus',
      localUserId: other.id,
    });
    expect(created.localUserId).toBe(other.id);
    expect(simUser(created.msId)!.userPrincipalName).toBe(`linus@${DOMAIN}`);
    const creates = routeCount('users.create');
    await expect(
      service().createUser({
        userPrincipalName: `linus2@${DOMAIN}`,
        displayName: 'Linus',
        localUserId: other.id,
      }),
    ).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'MICROSOFT_WRITEBACK.ALREADY_LINKED',
    });
    expect(routeCount('users.create')).toBe(creates);
  });

  it('leaves nothing written locally when Graph refuses the creation (UPN taken, unverified domain)', async () => {
    const before = await snapshot();
    const audits = (await auditOf('microsoft_365.user_create')).length;
    const users = sim.state.users.size;
    await expect(
      service().createUser({ userPrincipalName: upn, displayName: 'Grace Again' }),
    ).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'MICROSOFT.CONFLICT',
    });
    await expect(
      service().createUser({ userPrincipalName: 'ada@unverified.example', displayName: 'Ada' }),
    ).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'MICROSOFT.INVALID_REQUEST',
    });
    expect(sim.state.users.size).toBe(users);
    expect(await snapshot()).toEqual(before);
    expect(await auditOf('microsoft_365.user_create')).toHaveLength(audits);
  });

  it('updates, disables and enables the user, the local row and link following Graph', async () => {
    const s = service();
    const updated = await s.updateUser(msId, {
      jobTitle: 'Admiral',
      department: null,
      officeLocation: 'Arlington',
    });
    expect(updated).toMatchObject({
      jobTitle: 'Admiral',
      department: null,
      officeLocation: 'Arlington',
      givenName: 'Grace',
    });
    expect(simUser(msId)).toMatchObject({
      jobTitle: 'Admiral',
      department: null,
      officeLocation: 'Arlington',
    });
    expect(await localRow(msId)).toMatchObject({
      job_title: 'Admiral',
      department: null,
      office_location: 'Arlington',
      sync_hash: null,
    });
    const [update] = await auditOf('microsoft_365.user_update');
    expect(update!.details).toMatchObject({
      msId,
      job_title: { from: 'Rear Admiral', to: 'Admiral' },
      department: { from: 'Navy', to: null },
    });

    const link = async () =>
      (
        await db()
          .selectFrom('organization_users')
          .select('microsoft_365_sync_status')
          .where('id', '=', local.id)
          .executeTakeFirstOrThrow()
      ).microsoft_365_sync_status;
    const disabled = await s.disableUser(msId);
    expect(disabled.isAccountEnabled).toBe(false);
    expect(simUser(msId)!.accountEnabled).toBe(false);
    expect((await localRow(msId)).is_account_enabled).toBe(false);
    expect(await link()).toBe('disabled');

    await s.enableUser(msId);
    expect(simUser(msId)!.accountEnabled).toBe(true);
    expect((await localRow(msId)).is_account_enabled).toBe(true);
    expect(await link()).toBe('synced');
    for (const action of ['user_update', 'user_disable', 'user_enable'])
      expect(await auditOf(`microsoft_365.${action}`)).toHaveLength(1);
  });

  it('resets the password (stored encrypted for one reveal, nothing secret returned) and revokes the sessions', async () => {
    const first = sim.state.passwords.get(msId)!;
    const reset = await service().resetPassword(msId);
    expect(reset).toEqual({
      msId,
      userPrincipalName: upn,
      forceChangePasswordNextSignIn: true,
      storedAt: expect.any(Date),
    });
    const next = sim.state.passwords.get(msId)!;
    expect(next).not.toBe(first);
    expect(next).toMatch(/^(?=.*[A-Z])(?=.*[a-z])(?=.*\d)(?=.*[^A-Za-z0-9]).{20}$/);
    const stored = await db()
      .selectFrom('user_initial_passwords')
      .selectAll()
      .where('user_email', '=', upn)
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ revealed_at: null, created_by: t.admin!.id });
    expect(stored.encrypted_password).not.toContain(next);
    const [audit] = await auditOf('microsoft_365.password_reset');
    expect(audit).toMatchObject({ details: { msId, upn } });
    expect(JSON.stringify(audit)).not.toContain(next);
    expect((await service().revealInitialPassword(upn)).password).toBe(next);

    expect(sim.state.revokedSessions.has(msId)).toBe(false);
    const revoked = await service().revokeSessions(msId);
    expect(revoked).toMatchObject({ msId, userPrincipalName: upn, revokedAt: expect.any(Date) });
    expect(sim.state.revokedSessions.has(msId)).toBe(true);
    expect(await auditOf('microsoft_365.sessions_revoke')).toHaveLength(1);
  });

  it('leaves the local rows unchanged when Graph fails (user gone behind our back, server errors)', async () => {
    const gone = await seedUser(`user000007@${DOMAIN}`);
    sim.deleteUser(gone);
    const before = await snapshot();
    await expect(service().updateUser(gone, { jobTitle: 'Ghost' })).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'MICROSOFT.NOT_FOUND',
    });
    await expect(service().resetPassword(gone)).rejects.toMatchObject({
      code: 'MICROSOFT.NOT_FOUND',
    });
    sim.setFaults({ rate: 1, kinds: ['500'], seed: 3 });
    await expect(service().disableUser(msId)).rejects.toMatchObject({
      code: 'MICROSOFT.UNAVAILABLE',
    });
    await expect(service().resetPassword(msId)).rejects.toMatchObject({
      code: 'MICROSOFT.UNAVAILABLE',
    });
    sim.setFaults(null);
    expect(simUser(msId)!.accountEnabled).toBe(true);
    expect(await snapshot()).toEqual(before);
    expect(await auditOf('microsoft_365.user_disable')).toHaveLength(1);
  });

  it('still mirrors a created user and keeps its password when reading it back from Graph fails', async () => {
    const flaky = async (rt: ServiceRuntime) => {
      const real = await loadMicrosoftProvider(rt);
      return {
        ...real,
        getUser: async () => {
          throw new HeliosError(
            'EXTERNAL_SERVICE',
            'MICROSOFT.UNAVAILABLE',
            'Microsoft Graph could not be reached.',
          );
        },
      };
    };
    const ada = `ada@${DOMAIN}`;
    const created = await service(adminActor(), { provider: flaky }).createUser({
      userPrincipalName: ada,
      displayName: 'Ada',
      department: 'Maths',
    });
    expect(created).toMatchObject({
      upn: ada,
      displayName: 'Ada',
      department: 'Maths',
      isAccountEnabled: true,
      assignedLicenses: [],
    });
    expect((await localRow(created.msId)).raw_data).toMatchObject({
      id: created.msId,
      userPrincipalName: ada,
      accountEnabled: true,
    });
    expect((await service().revealInitialPassword(ada)).password).toBe(
      sim.state.passwords.get(created.msId),
    );
  });

  it('deletes the user in Graph and keeps the local row, flagged removed', async () => {
    const removed = await service().deleteUser(msId);
    expect(simUser(msId)).toBeUndefined();
    expect(sim.state.deletedUsers.has(msId)).toBe(true);
    expect(removed).toMatchObject({
      msId,
      removed: true,
      isAccountEnabled: false,
      localUserId: local.id,
    });
    const marker = await sql<{
      removed_at: string | null;
    }>`select raw_data -> '_helios' ->> 'removedAt' as removed_at from ms_synced_users
      where ms_id = ${msId}`.execute(db());
    expect(marker.rows[0]!.removed_at).toEqual(expect.any(String));
    expect(await localRow(msId)).toMatchObject({ upn, is_account_enabled: false, sync_hash: null });
    const link = await db()
      .selectFrom('organization_users')
      .select(['microsoft_365_id', 'microsoft_365_sync_status'])
      .where('id', '=', local.id)
      .executeTakeFirstOrThrow();
    expect(link).toEqual({ microsoft_365_id: msId, microsoft_365_sync_status: 'removed' });
    expect(await auditOf('microsoft_365.user_delete')).toHaveLength(1);
    // A removed user is no longer a write-back target.
    await expect(service().updateUser(msId, { jobTitle: 'X' })).rejects.toMatchObject({
      code: 'MICROSOFT_WRITEBACK.USER_NOT_SYNCED',
    });
  });
});

describe('microsoftWriteback group members round trip', () => {
  let group = { msId: '', id: '', accessGroupId: '' };
  let member = '';
  let memberLocal = '';
  let unlinked = '';
  const accessRow = () =>
    db()
      .selectFrom('access_group_members')
      .selectAll()
      .where('access_group_id', '=', group.accessGroupId)
      .where('user_id', '=', memberLocal)
      .executeTakeFirstOrThrow();
  const membership = async (userMsId: string) =>
    (
      await sql<{
        n: string;
      }>`select count(*) as n from ms_group_memberships m join ms_synced_users u on u.id = m.user_id
        where m.group_id = ${group.id} and u.ms_id = ${userMsId}`.execute(db())
    ).rows[0]!.n;

  beforeAll(async () => {
    group = await seedGroup(0);
    const members = sim.state.members.get(group.msId) ?? new Set<string>();
    const outsiders = [...sim.state.users.values()].filter(
      (u) => !members.has(u.id) && /^user00000[1-6]@/.test(u.userPrincipalName),
    );
    member = await seedUser(outsiders[0]!.userPrincipalName);
    unlinked = await seedUser(outsiders[1]!.userPrincipalName);
    memberLocal = (
      await createTestUser(t.helios, { email: 'member.local@acme.test', microsoft_365_id: member })
    ).id;
  });

  it('adds a member in Graph, then ms_group_memberships and the linked user’s access group membership', async () => {
    const added = await service().addMember(group.msId, member);
    expect(sim.state.members.get(group.msId)?.has(member)).toBe(true);
    expect(added).toMatchObject({
      groupMsId: group.msId,
      userMsId: member,
      accessGroupId: group.accessGroupId,
      localUserId: memberLocal,
    });
    expect(added.membershipId).toEqual(expect.any(String));
    expect(await membership(member)).toBe('1');
    expect(await accessRow()).toMatchObject({
      id: added.accessGroupMemberId,
      is_active: true,
      removed_at: null,
      synced_from_platform: true,
    });
    expect(
      (
        await db()
          .selectFrom('ms_synced_groups')
          .select('member_count')
          .where('id', '=', group.id)
          .executeTakeFirstOrThrow()
      ).member_count,
    ).toBe(1);

    // Already a member: Graph refuses, nothing changes.
    const before = await snapshot();
    await expect(service().addMember(group.msId, member)).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'MICROSOFT.CONFLICT',
    });
    expect(await snapshot()).toEqual(before);
  });

  it('removes the member (row deleted, access membership soft-removed) and re-adding reactivates the same row', async () => {
    const first = await accessRow();
    const removed = await service().removeMember(group.msId, member);
    expect(removed.accessGroupMemberId).toBe(first.id);
    expect(sim.state.members.get(group.msId)?.has(member)).toBe(false);
    expect(await membership(member)).toBe('0');
    expect(await accessRow()).toMatchObject({ is_active: false, removed_at: expect.any(Date) });
    expect(
      (
        await db()
          .selectFrom('ms_synced_groups')
          .select('member_count')
          .where('id', '=', group.id)
          .executeTakeFirstOrThrow()
      ).member_count,
    ).toBe(0);

    // Removed already (a retried step): no error, nothing changes.
    const before = await snapshot();
    expect(await service().removeMember(group.msId, member)).toMatchObject({ changed: false });
    expect(await snapshot()).toEqual(before);

    const again = await service({ type: 'apiKey', keyId: 'k', scopes: ['groups:write'] }).addMember(
      group.msId,
      member,
    );
    expect(again.accessGroupMemberId).toBe(first.id);
    expect(await accessRow()).toMatchObject({ is_active: true, removed_at: null });
    expect(await auditOf('microsoft_365.member_add')).toHaveLength(2);
    expect(await auditOf('microsoft_365.member_remove')).toHaveLength(2);
  });

  it('adds an unlinked user to ms_group_memberships only', async () => {
    const added = await service().addMember(group.msId, unlinked);
    expect(added).toMatchObject({
      accessGroupId: group.accessGroupId,
      accessGroupMemberId: null,
      localUserId: null,
    });
    expect(await membership(unlinked)).toBe('1');
    expect(sim.state.members.get(group.msId)?.has(unlinked)).toBe(true);
  });
});

describe('microsoftWriteback licences', () => {
  let msId = '';
  const sku = (id: string) =>
    sim.state.skus.get(id) as { consumedUnits: number; prepaidUnits: { enabled: number } };
  const licences = async () => (await localRow(msId)).assigned_licenses as Array<{ skuId: string }>;

  beforeAll(async () => {
    msId = await seedUser(`user000006@${DOMAIN}`);
  });

  it('assigns a licence with free units, then the user row and ms_licenses follow', async () => {
    expect(simUser(msId)!.assignedLicenses).toEqual([]);
    const result = await service({
      type: 'apiKey',
      keyId: 'k',
      scopes: ['users:write'],
    }).assignLicense(msId, { add: [E5.toUpperCase()] });
    expect(simUser(msId)!.assignedLicenses).toEqual([{ skuId: E5, disabledPlans: [] }]);
    expect(sku(E5).consumedUnits).toBe(4);
    expect(result).toMatchObject({
      added: [E5],
      removed: [],
      licences: [
        {
          skuId: E5,
          skuPartNumber: 'ENTERPRISEPREMIUM',
          totalUnits: 20,
          consumedUnits: 4,
          availableUnits: 16,
        },
      ],
    });
    expect(result.user.assignedLicenses).toEqual([{ skuId: E5, disabledPlans: [] }]);
    expect((await licences()).map((l) => l.skuId)).toEqual([E5]);
    const row = await db()
      .selectFrom('ms_licenses')
      .selectAll()
      .where('sku_id', '=', E5)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      sku_part_number: 'ENTERPRISEPREMIUM',
      total_units: 20,
      consumed_units: 4,
      available_units: 16,
    });
    const [audit] = await auditOf('microsoft_365.license_assign');
    expect(audit).toMatchObject({ details: { msId, added: [E5], removed: [] } });
  });

  it('refuses a SKU with no units left with MICROSOFT.NO_LICENSES_AVAILABLE, sending nothing', async () => {
    const before = await snapshot();
    const assigns = routeCount('users.assignLicense');
    const error = await service()
      .assignLicense(msId, { add: [PBI] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'CONFLICT',
      code: 'MICROSOFT.NO_LICENSES_AVAILABLE',
      details: { skuId: PBI, skuPartNumber: 'POWER_BI_PRO' },
    });
    expect((error as Error).message).toContain('POWER_BI_PRO');
    expect(routeCount('users.assignLicense')).toBe(assigns);
    expect(sku(PBI).consumedUnits).toBe(2);
    expect(simUser(msId)!.assignedLicenses).toHaveLength(1);
    await expect(
      service().assignLicense(msId, { add: ['00000000-0000-4000-8000-00000000abcd'] }),
    ).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'MICROSOFT_WRITEBACK.UNKNOWN_SKU',
    });
    expect(routeCount('users.assignLicense')).toBe(assigns);
    expect(await snapshot()).toEqual(before);
  });

  it('maps Graph’s own refusal when the units ran out meanwhile, writing nothing', async () => {
    const before = await snapshot();
    // A provider whose SKU list is stale: the local check passes, Graph refuses.
    const stale = async (rt: ServiceRuntime) => {
      const real = await loadMicrosoftProvider(rt);
      return {
        ...real,
        listSubscribedSkus: async () =>
          (await real.listSubscribedSkus()).map((s) => ({ ...s, consumedUnits: 0 })),
      };
    };
    const assigns = routeCount('users.assignLicense');
    await expect(
      service(adminActor(), { provider: stale }).assignLicense(msId, { add: [PBI] }),
    ).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'MICROSOFT.NO_LICENSES_AVAILABLE',
    });
    expect(routeCount('users.assignLicense')).toBe(assigns + 1);
    expect(sku(PBI).consumedUnits).toBe(2);
    expect(await snapshot()).toEqual(before);
  });

  it('removes the licence, freeing its unit', async () => {
    const result = await service().assignLicense(msId, { remove: [E5] });
    expect(result).toMatchObject({
      added: [],
      removed: [E5],
      licences: [{ skuId: E5, consumedUnits: 3, availableUnits: 17 }],
    });
    expect(simUser(msId)!.assignedLicenses).toEqual([]);
    expect(sku(E5).consumedUnits).toBe(3);
    expect(await licences()).toEqual([]);
    expect(
      await db()
        .selectFrom('ms_licenses')
        .select('available_units')
        .where('sku_id', '=', E5)
        .executeTakeFirstOrThrow(),
    ).toEqual({
      available_units: 17,
    });
  });
});
