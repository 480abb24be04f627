import {
  createTestHelios,
  createTestUser,
  type GoogleDirectorySimulator,
  startGoogleDirectorySimulator,
  type TestHelios,
} from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedGoogleOverrides, testRuntime } from '../../test-runtime';
import { closeTestBed } from '../integrations/writeback.test-kit';
import { withSyncLock } from '../sync/engine';
import { createGoogleCredentialsService } from './credentials';
import { googleWorkspace } from './provider';
import { rowHash, sqlHash52Hex } from './sync.hash';
import { createGoogleSyncService, type GoogleSyncInput } from './sync.service';
import { dropGoogleStaging, stageGoogleDirectory } from './sync.stage';

describe('googleSync.sync re-syncs: only what changed is staged, and each kind of change is applied exactly', () => {
  let own: TestHelios;
  let dir: GoogleDirectorySimulator;
  const owner = () => testRuntime(own, { type: 'user', userId: own.admin!.id });
  const run = (input: GoogleSyncInput = {}) =>
    createGoogleSyncService(owner(), { providerOverrides: simulatedGoogleOverrides(dir) }).sync(
      input,
    );
  const ownDb = () => own.helios.db;
  const users = () => [...dir.state.users.values()] as Array<Record<string, any>>;
  const userNo = (i: number) =>
    users().find((u) => u.primaryEmail.startsWith(`user${String(i).padStart(6, '0')}@`))!;
  const groupNo = (i: number) => [...dir.state.groups.values()][i] as Record<string, any>;
  const membersOf = (groupId: string) => dir.state.members.get(groupId)!;
  /** Seeded users 1-30 got a local user before the first sync. */
  const linkedSeed = (email: string) =>
    /^user\d{6}@/.test(email) && Number(email.slice(4, 10)) <= 30;
  const localOf = async (googleId: string) =>
    (
      await ownDb()
        .selectFrom('organization_users')
        .select(['id'])
        .where('google_workspace_id', '=', googleId)
        .executeTakeFirst()
    )?.id ?? null;

  /** The row version (xmin) of every synced row, by a readable key. */
  async function versions() {
    const read = async (query: ReturnType<typeof sql<{ k: string; x: string }>>) =>
      new Map((await query.execute(ownDb())).rows.map((r) => [r.k, r.x]));
    return {
      users: await read(sql`select google_id as k, xmin::text as x from gw_synced_users`),
      groups: await read(sql`select google_id as k, xmin::text as x from gw_groups`),
      units: await read(sql`select google_id as k, xmin::text as x from gw_org_units`),
      access: await read(
        sql`select external_id as k, xmin::text as x from access_groups where platform = 'google_workspace'`,
      ),
      members: await read(
        sql`select ag.external_id || '/' || m.user_id as k, m.xmin::text as x from access_group_members m join access_groups ag on ag.id = m.access_group_id`,
      ),
      links: await read(sql`select id::text as k, xmin::text as x from organization_users`),
    };
  }
  type Versions = Awaited<ReturnType<typeof versions>>;
  /** The keys of the rows written (or created) between two snapshots, per table. */
  const written = (before: Versions, after: Versions) =>
    Object.fromEntries(
      (Object.keys(after) as Array<keyof Versions>).map((table) => [
        table,
        [...after[table]]
          .filter(([k, x]) => before[table].get(k) !== x)
          .map(([k]) => k)
          .sort(),
      ]),
    ) as Record<keyof Versions, string[]>;
  const nothing = { users: [], groups: [], units: [], access: [], members: [], links: [] };
  /** `<group id>/<local user id>` of a Google user's USER memberships. */
  const membershipKeys = (googleId: string, localId: string) =>
    [...dir.state.members.entries()]
      .filter(([, m]) => m.has(googleId) && m.get(googleId).type === 'USER')
      .map(([g]) => `${g}/${localId}`);

  /** Stages the directory as a run would and counts the staging tables. */
  async function stagedCounts() {
    const google = googleWorkspace({
      ...simulatedGoogleOverrides(dir),
      credentials: { serviceAccountKey: dir.serviceAccountKey, adminEmail: dir.adminEmail },
    });
    return withSyncLock(
      ownDb(),
      { organizationId: own.organizationId!, kind: 'google_workspace' },
      async (conn) => {
        try {
          await stageGoogleDirectory(conn, google, { organizationId: own.organizationId! });
          const count = async (table: string) =>
            Number(
              (
                await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(
                  conn,
                )
              ).rows[0]!.n,
            );
          return {
            users: await count('gs_stage_users'),
            seenUsers: await count('gs_seen_users'),
            groups: await count('gs_stage_groups'),
            seenGroups: await count('gs_seen_groups'),
            members: await count('gs_stage_members'),
            memberGroups: await count('gs_member_groups'),
          };
        } finally {
          await dropGoogleStaging(conn);
        }
      },
    );
  }

  beforeAll(async () => {
    [own, dir] = await Promise.all([
      createTestHelios(),
      startGoogleDirectorySimulator({
        domain: 'resync.test',
        seed: { users: 40, groups: 5, membersPerGroup: 8, orgUnits: 3 },
      }),
    ]);
    await createGoogleCredentialsService(owner()).configure({
      serviceAccountKey: dir.serviceAccountKey,
      adminEmail: dir.adminEmail,
      domain: 'resync.test',
    });
    // Users 1-30 have a local user (linked by the first sync); 31-40 have none.
    for (let i = 1; i <= 30; i++)
      await createTestUser(own.helios, { email: userNo(i).primaryEmail });
    const first = await run();
    expect(first.counts.links.linked).toBe(30);
    expect(first.counts.memberships.created).toBeGreaterThan(0);
  }, 60_000);
  afterAll(() => closeTestBed(own, dir));

  it('hashes fetched JSON exactly as the database hashes the stored jsonb (key order, escapes, numbers, Unicode)', async () => {
    const values: unknown[] = [
      {
        bb: 1,
        a: [1, 2.5, { é: 'x\u0001\\"/\t\u007f', ü: 1, z: 2 }],
        c: {},
        d: [],
        z: null,
        y: true,
        f: 0.1,
        big: 1234567890123456,
        skip: undefined,
      },
      {
        id: '1',
        name: { givenName: 'Ä', fullName: '日本 😀' },
        emails: [{ address: 'x', primary: true }],
        holes: [undefined, null],
      },
      { B: 4, b: 2, e: 6, aa: 1, ab: 3, zz: 8, é: 5, ée: 7 },
      [],
      {},
    ];
    for (const value of values) {
      const stored = await sql<{
        h: string;
      }>`select ${sqlHash52Hex(sql`${JSON.stringify(value)}::jsonb::text`)} as h`.execute(ownDb());
      expect(rowHash(value)).toBe(Number.parseInt(stored.rows[0]!.h, 16));
    }
    // JS writes 1e21 with an exponent, the database does not: no hash (the row is staged and compared in SQL).
    expect(rowHash({ n: 1e21 })).toBeNull();
  });

  it('stages no user, group or member when nothing changed (only the ids seen), and writes no synced row', async () => {
    expect(await stagedCounts()).toEqual({
      users: 0,
      seenUsers: users().length,
      groups: 0,
      seenGroups: 5,
      members: 0,
      memberGroups: 0,
    });
    const before = await versions();
    const result = await run();
    expect(written(before, await versions())).toEqual(nothing);
    expect(result.counts.users).toEqual({
      created: 0,
      updated: 0,
      unchanged: users().length,
      deactivated: 0,
    });
    expect(result.counts.groups).toEqual({ created: 0, updated: 0, unchanged: 5, deactivated: 0 });
    const active = await sql<{
      n: string;
    }>`select count(*) as n from access_group_members where is_active`.execute(ownDb());
    expect(result.counts.memberships).toEqual({
      created: 0,
      updated: 0,
      unchanged: Number(active.rows[0]!.n),
      deactivated: 0,
    });
  });

  it('applies a changed field, a user moved to another org unit and a moved org unit, writing only those rows', async () => {
    const titled = userNo(5);
    titled.organizations = [{ title: 'Chief Tester', department: 'QA', primary: true }];
    const moved = userNo(6);
    const paths = [...dir.state.orgUnits.keys()].filter(
      (p) => p !== '/' && p !== moved.orgUnitPath,
    );
    moved.orgUnitPath = paths[0];
    const unit = dir.state.orgUnits.get(paths[1]!)!;
    const parent = dir.state.orgUnits.get(paths[0]!)!;
    unit.parentOrgUnitId = parent.orgUnitId;
    unit.parentOrgUnitPath = parent.orgUnitPath;
    expect(await stagedCounts()).toMatchObject({ users: 2, groups: 0, members: 0 });

    const before = await versions();
    const result = await run();
    expect(written(before, await versions())).toEqual({
      ...nothing,
      users: [titled.id, moved.id].sort(),
      units: [unit.orgUnitId],
    });
    expect(result.counts.users).toMatchObject({ created: 0, updated: 2, deactivated: 0 });
    const rows = await ownDb()
      .selectFrom('gw_synced_users')
      .select(['google_id', 'job_title', 'department', 'org_unit_path'])
      .where('google_id', 'in', [titled.id, moved.id])
      .execute();
    expect(rows.find((r) => r.google_id === titled.id)).toMatchObject({
      job_title: 'Chief Tester',
      department: 'QA',
    });
    expect(rows.find((r) => r.google_id === moved.id)?.org_unit_path).toBe(paths[0]);
    const stored = await ownDb()
      .selectFrom('gw_org_units')
      .select('parent_id')
      .where('google_id', '=', unit.orgUnitId)
      .executeTakeFirstOrThrow();
    expect(stored.parent_id).toBe(parent.orgUnitId);
  });

  it('applies a suspension and its end: the Google user row and the linked local user, nothing else', async () => {
    const suspended = userNo(7);
    const local = (await localOf(suspended.id))!;
    suspended.suspended = true;
    let before = await versions();
    const result = await run();
    expect(written(before, await versions())).toEqual({
      ...nothing,
      users: [suspended.id],
      links: [local],
    });
    expect(result.counts.accounts).toEqual({ suspended: 1, reactivated: 0 });
    const row = await ownDb()
      .selectFrom('organization_users')
      .select(['user_status', 'google_workspace_sync_status'])
      .where('id', '=', local)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ user_status: 'suspended', google_workspace_sync_status: 'suspended' });

    suspended.suspended = false;
    before = await versions();
    expect((await run()).counts.accounts).toEqual({ suspended: 0, reactivated: 1 });
    expect(written(before, await versions())).toEqual({
      ...nothing,
      users: [suspended.id],
      links: [local],
    });
  });

  it('applies a changed role, a removed and an added membership, writing only those memberships', async () => {
    const group = groupNo(1);
    const members = membersOf(group.id);
    const [promoted, dropped] = [...members.values()].filter(
      (m) => m.type === 'USER' && m.role === 'MEMBER' && linkedSeed(m.email),
    );
    promoted.role = 'MANAGER';
    members.delete(dropped.id);
    const joiner = users().find(
      (u) =>
        !members.has(u.id) && u.id !== dropped.id && linkedSeed(u.primaryEmail) && !u.suspended,
    )!;
    const joinerLocal = (await localOf(joiner.id))!;
    members.set(joiner.id, {
      kind: 'admin#directory#member',
      id: joiner.id,
      email: joiner.primaryEmail,
      role: 'MEMBER',
      type: 'USER',
      status: 'ACTIVE',
    });
    expect(await stagedCounts()).toMatchObject({
      users: 0,
      groups: 0,
      memberGroups: 1,
      members: members.size,
    });

    const before = await versions();
    const result = await run();
    const keys = [promoted.id, dropped.id].map(async (id) => `${group.id}/${await localOf(id)}`);
    expect(written(before, await versions())).toEqual({
      ...nothing,
      members: [...(await Promise.all(keys)), `${group.id}/${joinerLocal}`].sort(),
    });
    expect(result.counts.memberships).toMatchObject({ created: 1, updated: 1, deactivated: 1 });
    const types = await sql<{ user_id: string; member_type: string; is_active: boolean }>`
      select m.user_id, m.member_type, m.is_active from access_group_members m join access_groups ag on ag.id = m.access_group_id
      where ag.external_id = ${group.id}`.execute(ownDb());
    const byUser = new Map(types.rows.map((r) => [r.user_id, r]));
    expect(byUser.get((await localOf(promoted.id))!)).toMatchObject({
      member_type: 'manager',
      is_active: true,
    });
    expect(byUser.get((await localOf(dropped.id))!)).toMatchObject({ is_active: false });
    expect(byUser.get(joinerLocal)).toMatchObject({ member_type: 'member', is_active: true });
  });

  it('links a new local user by an alias added in Google, and creates its memberships in groups that did not change', async () => {
    const google = users().find(
      (u) => Number(u.primaryEmail.slice(4, 10)) > 30 && membershipKeys(u.id, 'x').length > 0,
    )!;
    dir.state.users.set(google.id, {
      ...google,
      aliases: [...(google.aliases ?? []), 'new.alias@resync.test'],
    });
    const local = await createTestUser(own.helios, { email: 'new.alias@resync.test' });
    const before = await versions();
    const result = await run();
    expect(result.counts.links.linked).toBe(1);
    expect(written(before, await versions())).toEqual({
      ...nothing,
      users: [google.id],
      links: [local.id],
      members: membershipKeys(google.id, local.id).sort(),
    });
    expect(await localOf(google.id)).toBe(local.id);
  });

  it('links a new local user to an unchanged Google user by its primary email, with its memberships', async () => {
    const google = users().find(
      (u) =>
        Number(u.primaryEmail.slice(4, 10)) > 30 &&
        membershipKeys(u.id, 'x').length > 0 &&
        !u.aliases?.includes('new.alias@resync.test'),
    )!;
    const local = await createTestUser(own.helios, { email: google.primaryEmail });
    const before = await versions();
    const result = await run();
    expect(result.counts.links.linked).toBe(1);
    expect(written(before, await versions())).toEqual({
      ...nothing,
      links: [local.id],
      members: membershipKeys(google.id, local.id).sort(),
    });
  });

  it('repairs local drift: a membership deactivated and an access group renamed by hand are restored', async () => {
    const group = groupNo(2);
    const member = [...membersOf(group.id).values()].find(
      (m) => m.type === 'USER' && m.role === 'MEMBER' && linkedSeed(m.email),
    );
    const local = (await localOf(member.id))!;
    await sql`update access_group_members m set is_active = false, removed_at = now() from access_groups ag
      where ag.id = m.access_group_id and ag.external_id = ${group.id} and m.user_id = ${local}`.execute(
      ownDb(),
    );
    const renamed = groupNo(3);
    await sql`update access_groups set name = 'renamed by hand' where external_id = ${renamed.id}`.execute(
      ownDb(),
    );
    const before = await versions();
    await run();
    expect(written(before, await versions())).toEqual({
      ...nothing,
      access: [renamed.id],
      members: [`${group.id}/${local}`],
    });
    const restored = await sql<{
      name: string;
    }>`select name from access_groups where external_id = ${renamed.id}`.execute(ownDb());
    expect(restored.rows[0]?.name).toBe(renamed.name);
  });

  it('applies a removed user and a removed group: marked removed, the link and the memberships deactivated', async () => {
    const gone = userNo(8);
    const local = (await localOf(gone.id))!;
    const goneKeys = membershipKeys(gone.id, local);
    dir.state.users.delete(gone.id);
    // Google drops a deleted user's memberships: those groups change (their member count).
    const touched = [...dir.state.members.entries()]
      .filter(([, m]) => m.delete(gone.id))
      .map(([g]) => g);
    const group = groupNo(4);
    const groupLocals = await Promise.all(
      [...membersOf(group.id).values()].map((m) => localOf(m.id)),
    );
    const groupKeys = groupLocals.filter((id) => id !== null).map((id) => `${group.id}/${id}`);
    dir.state.groups.delete(group.id);
    const before = await versions();
    const result = await run({ allowLargeRemovals: true });
    expect(result.counts.users.deactivated).toBe(1);
    expect(result.counts.groups.deactivated).toBe(1);
    expect(written(before, await versions())).toEqual({
      ...nothing,
      users: [gone.id],
      groups: [...new Set([...touched.filter((g) => g !== group.id), group.id])].sort(),
      access: [group.id],
      members: [...new Set([...goneKeys, ...groupKeys])].sort(),
      links: [local],
    });
    const link = await ownDb()
      .selectFrom('organization_users')
      .select('google_workspace_sync_status')
      .where('id', '=', local)
      .executeTakeFirstOrThrow();
    expect(link.google_workspace_sync_status).toBe('removed');
    // And the run after it writes nothing.
    const settled = await versions();
    await run();
    expect(written(settled, await versions())).toEqual(nothing);
  });
});
