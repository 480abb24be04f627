import {
  createTestHelios,
  createTestUser,
  type GoogleDirectorySimulator,
  startGoogleDirectorySimulator,
  type TestHelios,
} from '@helios/testing';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceRuntime } from '../../runtime';
import { testRuntime } from '../../test-runtime';
import { killedApplyOptions, useTestBed } from '../integrations/writeback.test-kit';
import type { Actor } from '../policy/actor';
import { type SyncProgress, syncLockName, withSyncLock } from '../sync/engine';
import { createGoogleCredentialsService } from './credentials';
import { googleWorkspace } from './provider';
import { planAndApplyGoogle } from './sync.plan';
import { createGoogleSyncService, type GoogleSyncResult } from './sync.service';
import { dropGoogleStaging, stageGoogleDirectory } from './sync.stage';

const DOMAIN = 'sync.test';
const USERS = 300;
const GROUPS = 20;
let t: TestHelios;
let sim: GoogleDirectorySimulator;
const timings: Record<string, number> = {};

function runtime(actor: Actor | undefined): ServiceRuntime {
  return testRuntime(t, actor);
}
const adminActor = (): Actor => ({ type: 'user', userId: t.admin!.id });
const service = (actor: Actor | null = adminActor()) =>
  createGoogleSyncService(runtime(actor ?? undefined), {
    providerOverrides: {
      rootUrl: sim.url,
      tokenUrl: sim.tokenUrl,
      retry: { maxRetries: 8, baseDelayMs: 5, maxDelayMs: 100 },
      timeoutMs: 5000,
    },
  });
const db = () => t.helios.db;

async function timed(name: string, run: Promise<GoogleSyncResult>): Promise<GoogleSyncResult> {
  const result = await run;
  timings[name] = result.durationMs;
  return result;
}

/** Every synced row's content (no timestamps) plus its xmin (changes when a row is written). */
async function snapshot() {
  const users = await sql<{
    google_id: string;
    email: string;
    is_suspended: boolean;
    raw_data: unknown;
    x: string;
  }>`
    select google_id, email, is_suspended, raw_data, xmin::text as x from gw_synced_users order by google_id`.execute(
    db(),
  );
  const groups = await sql<{
    google_id: string;
    raw_data: unknown;
    x: string;
  }>`select google_id, raw_data, xmin::text as x from gw_groups order by google_id`.execute(db());
  const units = await sql<{
    google_id: string;
    raw_data: unknown;
    x: string;
  }>`select google_id, raw_data, xmin::text as x from gw_org_units order by google_id`.execute(
    db(),
  );
  const access = await sql<{
    id: string;
    external_id: string;
    name: string;
    is_active: boolean;
    x: string;
  }>`
    select id, external_id, name, is_active, xmin::text as x from access_groups where platform = 'google_workspace' order by external_id`.execute(
    db(),
  );
  const members = await sql<{
    external_id: string;
    user_id: string;
    member_type: string;
    is_active: boolean;
    x: string;
  }>`
    select ag.external_id, m.user_id, m.member_type, m.is_active, m.xmin::text as x from access_group_members m join access_groups ag on ag.id = m.access_group_id
    order by ag.external_id, m.user_id`.execute(db());
  const links = await sql<{
    id: string;
    google_workspace_id: string | null;
    google_workspace_sync_status: string | null;
    x: string;
  }>`
    select id, google_workspace_id, google_workspace_sync_status, xmin::text as x from organization_users order by id`.execute(
    db(),
  );
  return {
    users: users.rows,
    groups: groups.rows,
    units: units.rows,
    access: access.rows,
    members: members.rows,
    links: links.rows,
  };
}
const withoutXmin = <T extends { x: string }>(rows: T[]) => rows.map(({ x: _x, ...rest }) => rest);
const content = (s: Awaited<ReturnType<typeof snapshot>>) => ({
  users: withoutXmin(s.users),
  groups: withoutXmin(s.groups),
  units: withoutXmin(s.units),
  access: withoutXmin(s.access),
  members: withoutXmin(s.members),
  links: withoutXmin(s.links),
});
const moduleState = () =>
  db()
    .selectFrom('organization_modules as om')
    .innerJoin('modules as m', 'm.id', 'om.module_id')
    .select(['om.sync_status', 'om.sync_error', 'om.last_sync_at'])
    .where('m.slug', '=', 'google_workspace')
    .executeTakeFirst();
const auditRows = async () =>
  (await t.asAdmin.audit.list({ action: 'google_workspace.sync', limit: 100 })).items;

const simUsers = () => [...sim.state.users.values()] as Array<Record<string, any>>;
const userByEmail = (email: string) => simUsers().find((u) => u.primaryEmail === email)!;
const seededEmails = new Map<number, string>();
/** The primary email of seeded user i (from the simulator's initial state). */
const seededEmail = (i: number) => seededEmails.get(i)!;

const linkedIds: Record<string, string> = {};
let firstPlanMemberships = -1;

beforeAll(async () => {
  [t, sim] = await Promise.all([
    createTestHelios(),
    startGoogleDirectorySimulator({
      domain: DOMAIN,
      seed: { users: USERS, groups: GROUPS, membersPerGroup: 10, orgUnits: 4 },
    }),
  ]);
  for (const u of simUsers()) {
    if (u.primaryEmail.startsWith('user'))
      seededEmails.set(
        Number(u.primaryEmail.slice(4, u.primaryEmail.indexOf('@'))),
        u.primaryEmail,
      );
  }
  await createGoogleCredentialsService(runtime(adminActor())).configure({
    serviceAccountKey: sim.serviceAccountKey,
    adminEmail: sim.adminEmail,
    domain: DOMAIN,
  });
  // Local users: 30 matching by primary email, one by alias, one already linked by Google id under another email.
  for (let i = 1; i <= 30; i++) {
    const row = await createTestUser(t.helios, { email: seededEmail(i) });
    linkedIds[seededEmail(i)] = row.id;
  }
  const aliasOwner = simUsers().find(
    (u) =>
      Array.isArray(u.aliases) && u.aliases.length > 0 && Number(u.primaryEmail.slice(4, 10)) > 30,
  )!;
  linkedIds.alias = (await createTestUser(t.helios, { email: aliasOwner.aliases[0] })).id;
  linkedIds.aliasGoogleId = aliasOwner.id;
  const byId = userByEmail(seededEmail(200));
  linkedIds.byId = (
    await createTestUser(t.helios, {
      email: 'someone.else@acme.test',
      google_workspace_id: byId.id,
    })
  ).id;
  linkedIds.byIdGoogleId = byId.id;
}, 60_000);
afterAll(async () => {
  console.info('google sync run times (ms):', JSON.stringify(timings));
  await sim?.close();
  await t?.destroy();
});

describe('googleSync.sync permissions', () => {
  it('refuses managers, plain users, API keys without organization:write and anonymous callers, writing nothing', async () => {
    const manager = await createTestUser(t.helios, { role: 'manager' });
    const user = await createTestUser(t.helios, { role: 'user' });
    const before = await snapshot();
    await expect(
      service({ type: 'user', userId: manager.id }).sync({ dryRun: true }),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(service({ type: 'user', userId: user.id }).sync()).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    await expect(
      service({ type: 'apiKey', keyId: 'k', scopes: ['organization:read'] }).sync(),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(service(null).sync()).rejects.toMatchObject({ kind: 'UNAUTHENTICATED' });
    await expect(service().sync({ dryRun: 'yes' } as never)).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'VALIDATION.FAILED',
    });
    expect(content(await snapshot())).toEqual(content(before));
    expect(await auditRows()).toHaveLength(0);
  });
});

describe('googleSync.sync against the Directory simulator', () => {
  let accessIds: Map<string, string>;

  it('plans a first sync in a dry run without writing anything', async () => {
    const before = await snapshot();
    const plan = await timed('dryRunFirst', service().sync({ dryRun: true }));
    expect(plan).toMatchObject({ dryRun: true, status: 'planned' });
    expect(plan.counts.users).toEqual({
      created: USERS + 1,
      updated: 0,
      unchanged: 0,
      deactivated: 0,
    });
    expect(plan.counts.groups.created).toBe(GROUPS);
    expect(plan.counts.memberships.created).toBeGreaterThan(0);
    firstPlanMemberships = plan.counts.memberships.created;
    expect(plan.sample.length).toBeGreaterThan(0);
    expect(plan.sample.length).toBeLessThanOrEqual(20);
    expect(plan.sample[0]).toMatchObject({ entity: 'users', action: 'create' });
    expect(content(await snapshot())).toEqual(content(before));
    expect(await auditRows()).toHaveLength(0);
    expect((await moduleState())?.sync_status ?? null).toBeNull();
  });

  it('runs a first full sync: users, org units, groups, access groups, memberships and links, with progress and a journal', async () => {
    const progress: SyncProgress[] = [];
    const result = await timed('first', service().sync({ onProgress: (p) => progress.push(p) }));
    expect(result.status).toBe('completed');
    expect(result.fetched).toMatchObject({ users: USERS + 1, groups: GROUPS });
    expect(result.counts.users).toEqual({
      created: USERS + 1,
      updated: 0,
      unchanged: 0,
      deactivated: 0,
    });
    expect(result.counts.groups).toEqual({
      created: GROUPS,
      updated: 0,
      unchanged: 0,
      deactivated: 0,
    });
    expect(result.counts.orgUnits.created).toBe(result.fetched.orgUnits);
    // 30 by primary email and one by alias; the one linked by Google id was linked already.
    expect(result.counts.links.linked).toBe(31);
    expect(result.counts.links.unlinked).toBe(USERS + 1 - 32);
    expect(result.counts.memberships.created).toBe(firstPlanMemberships);
    expect(result.counts.skippedMembers).toBeGreaterThan(0);
    expect(new Set(progress.map((p) => p.phase))).toEqual(
      new Set(['orgUnits', 'users', 'groups', 'members', 'plan', 'apply']),
    );
    expect(progress.filter((p) => p.phase === 'users').at(-1)?.done).toBe(USERS + 1);

    const counts = await sql<{ users: string; groups: string; access: string }>`select
      (select count(*) from gw_synced_users) as users, (select count(*) from gw_groups) as groups,
      (select count(*) from access_groups where platform = 'google_workspace' and group_type = 'google') as access`.execute(
      db(),
    );
    expect(counts.rows[0]).toEqual({
      users: String(USERS + 1),
      groups: String(GROUPS),
      access: String(GROUPS),
    });

    const linked = await db()
      .selectFrom('organization_users')
      .select(['id', 'google_workspace_id', 'google_workspace_sync_status'])
      .execute();
    const byId = new Map(linked.map((r) => [r.id, r]));
    expect(byId.get(linkedIds[seededEmail(1)]!)?.google_workspace_id).toBe(
      userByEmail(seededEmail(1)).id,
    );
    expect(byId.get(linkedIds.alias!)?.google_workspace_id).toBe(linkedIds.aliasGoogleId);
    expect(byId.get(linkedIds.byId!)).toMatchObject({
      google_workspace_id: linkedIds.byIdGoogleId,
      google_workspace_sync_status: 'synced',
    });

    // Group 1's owner is user 1 (linked): stored with member_type from the role.
    const owner = await sql<{
      member_type: string;
    }>`select m.member_type from access_group_members m where m.user_id = ${linkedIds[seededEmail(1)]!}`.execute(
      db(),
    );
    expect(owner.rows.map((r) => r.member_type)).toContain('owner');

    expect(await moduleState()).toMatchObject({
      sync_status: 'completed',
      sync_error: null,
      last_sync_at: expect.any(Date),
    });
    const audits = await auditRows();
    expect(audits).toHaveLength(1);
    expect(audits[0]!.details).toMatchObject({
      status: 'completed',
      counts: { users: { created: USERS + 1 } },
    });
    accessIds = new Map((await snapshot()).access.map((a) => [a.external_id, a.id]));
  });

  it('re-syncs with no change in Google without writing a single synced row', async () => {
    const before = await snapshot();
    const result = await timed('noChange', service().sync());
    expect(result.counts.users).toEqual({
      created: 0,
      updated: 0,
      unchanged: USERS + 1,
      deactivated: 0,
    });
    expect(result.counts.groups).toEqual({
      created: 0,
      updated: 0,
      unchanged: GROUPS,
      deactivated: 0,
    });
    expect(
      result.counts.memberships.created +
        result.counts.memberships.updated +
        result.counts.memberships.deactivated,
    ).toBe(0);
    expect(result.counts.links.linked).toBe(0);
    // Same rows, same row versions: nothing was rewritten.
    expect(await snapshot()).toEqual(before);
    expect(await auditRows()).toHaveLength(2);
  });

  it('picks up a changed user and a removed membership; access group ids stay the same', async () => {
    const changed = userByEmail(seededEmail(2));
    changed.name = { ...changed.name, givenName: 'Renamed' };
    const group = [...sim.state.groups.values()][0] as Record<string, any>;
    const members = sim.state.members.get(group.id)!;
    const owner = [...members.values()].find((m) => m.role === 'OWNER' && linkedIds[m.email]);
    members.delete(owner.id);

    const plan = await service().sync({ dryRun: true });
    expect(plan.counts.users.updated).toBe(1);
    const result = await timed('oneChange', service().sync());
    expect(result.counts.users).toMatchObject({
      updated: 1,
      created: 0,
      deactivated: 0,
      unchanged: USERS,
    });
    expect(result.counts.memberships.deactivated).toBe(1);
    const row = await db()
      .selectFrom('gw_synced_users')
      .select(['given_name'])
      .where('google_id', '=', changed.id)
      .executeTakeFirstOrThrow();
    expect(row.given_name).toBe('Renamed');
    const membership = await sql<{ is_active: boolean; removed_at: Date | null }>`
      select m.is_active, m.removed_at from access_group_members m join access_groups ag on ag.id = m.access_group_id
      where ag.external_id = ${group.id} and m.user_id = ${linkedIds[owner.email]!}`.execute(db());
    expect(membership.rows[0]).toMatchObject({ is_active: false, removed_at: expect.any(Date) });
    expect(new Map((await snapshot()).access.map((a) => [a.external_id, a.id]))).toEqual(accessIds);
  });

  it('marks users removed from Google within the safety limit as removed, never deleting them', async () => {
    const gone = [seededEmail(3), seededEmail(250), seededEmail(251)].map(userByEmail);
    for (const u of gone) sim.state.users.delete(u.id);
    const result = await timed('threeRemoved', service().sync());
    expect(result.counts.users).toMatchObject({ deactivated: 3, created: 0 });
    const rows = await db()
      .selectFrom('gw_synced_users')
      .select(['google_id', 'is_suspended', 'raw_data'])
      .where(
        'google_id',
        'in',
        gone.map((u) => u.id),
      )
      .execute();
    expect(rows).toHaveLength(3);
    for (const r of rows)
      expect(r).toMatchObject({
        is_suspended: true,
        raw_data: { _helios: { removedAt: expect.any(String) } },
      });
    const link = await db()
      .selectFrom('organization_users')
      .select(['google_workspace_sync_status', 'is_active'])
      .where('id', '=', linkedIds[seededEmail(3)]!)
      .executeTakeFirstOrThrow();
    expect(link).toEqual({ google_workspace_sync_status: 'removed', is_active: true });
    // Already marked: the next run does not count them again.
    const again = await service().sync();
    expect(again.counts.users.deactivated).toBe(0);
    // Back in Google: reactivated.
    for (const u of gone) sim.state.users.set(u.id, u);
    const back = await service().sync();
    expect(back.counts.users.updated).toBe(3);
    const status = await db()
      .selectFrom('organization_users')
      .select('google_workspace_sync_status')
      .where('id', '=', linkedIds[seededEmail(3)]!)
      .executeTakeFirstOrThrow();
    expect(status.google_workspace_sync_status).toBe('synced');
  });

  it('aborts before any write when more than 10% of the users would be removed, unless allowLargeRemovals', async () => {
    const gone = simUsers()
      .filter((u) => u.primaryEmail.startsWith('user'))
      .slice(100, 140);
    for (const u of gone) sim.state.users.delete(u.id);
    const before = await snapshot();
    const audits = (await auditRows()).length;
    const refused = service().sync();
    await expect(refused).rejects.toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'SYNC.SAFETY_LIMIT',
    });
    await refused.catch((error) =>
      expect(error.details.removals).toContainEqual({
        entity: 'users',
        existing: USERS + 1,
        removed: 40,
      }),
    );
    expect(await snapshot()).toEqual(before);
    expect(await moduleState()).toMatchObject({
      sync_status: 'failed',
      sync_error: expect.stringContaining('SYNC.SAFETY_LIMIT'),
    });
    const failed = await auditRows();
    expect(failed).toHaveLength(audits + 1);
    expect(failed[0]!.details).toMatchObject({
      status: 'failed',
      error: { code: 'SYNC.SAFETY_LIMIT' },
    });

    const plan = await service().sync({ dryRun: true, allowLargeRemovals: true });
    expect(plan.counts.users.deactivated).toBe(40);
    expect(await snapshot()).toEqual(before);
    for (const u of gone) sim.state.users.set(u.id, u);
    const clean = await service().sync();
    expect(clean.counts.users).toMatchObject({ created: 0, updated: 0, deactivated: 0 });
    expect(await moduleState()).toMatchObject({ sync_status: 'completed', sync_error: null });
  });

  it('converges to the clean-run state when 10% of Google calls fail (429, 500, connection resets)', async () => {
    const changed = userByEmail(seededEmail(5));
    changed.name = { ...changed.name, familyName: 'Faulty' };
    sim.setFaults({ rate: 0.1, kinds: ['429', '500', 'reset'], seed: 7, retryAfterSeconds: 0 });
    const faultsBefore = sim.requests.faultsInjected;
    let faulted: GoogleSyncResult;
    try {
      faulted = await timed('faults10pct', service().sync());
    } finally {
      sim.setFaults(null);
    }
    expect(sim.requests.faultsInjected).toBeGreaterThan(faultsBefore);
    expect(faulted.counts.users.updated).toBe(1);
    const afterFaults = await snapshot();
    const clean = await service().sync();
    expect(clean.counts.users).toEqual({
      created: 0,
      updated: 0,
      unchanged: USERS + 1,
      deactivated: 0,
    });
    expect(clean.counts.groups).toMatchObject({ created: 0, updated: 0, deactivated: 0 });
    expect(clean.counts.memberships).toMatchObject({ created: 0, updated: 0, deactivated: 0 });
    expect(await snapshot()).toEqual(afterFaults);
  });

  it('lets one run at a time: a concurrent run gets SYNC.ALREADY_RUNNING', async () => {
    const results = await Promise.allSettled([service().sync(), service().sync()]);
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect((rejected[0] as PromiseRejectedResult).reason).toMatchObject({
      kind: 'CONFLICT',
      code: 'SYNC.ALREADY_RUNNING',
    });
    // The lock is released afterwards.
    await expect(service().sync({ dryRun: true })).resolves.toMatchObject({ status: 'planned' });
  });

  it('accepts API keys with organization:write and the system actor; group ids are stable across every run', async () => {
    await expect(
      service({ type: 'apiKey', keyId: 'k', scopes: ['organization:write'] }).sync({
        dryRun: true,
      }),
    ).resolves.toMatchObject({ status: 'planned' });
    await expect(service({ type: 'system' }).sync()).resolves.toMatchObject({
      status: 'completed',
    });
    expect(new Map((await snapshot()).access.map((a) => [a.external_id, a.id]))).toEqual(accessIds);
  });

  it('deactivates access groups of groups deleted in Google, keeping their ids', async () => {
    const group = [...sim.state.groups.values()][3] as Record<string, any>;
    sim.state.groups.delete(group.id);
    const result = await service().sync();
    expect(result.counts.groups.deactivated).toBe(1);
    const row = await db()
      .selectFrom('access_groups')
      .select(['id', 'is_active'])
      .where('external_id', '=', group.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ id: accessIds.get(group.id), is_active: false });
  });

  it('rolls back a run that fails in the middle of the apply; the re-run converges with nothing lost or duplicated', async () => {
    const renamed = userByEmail(seededEmail(7));
    renamed.name = { ...renamed.name, givenName: 'Crashy' };
    const added = {
      ...userByEmail(seededEmail(8)),
      id: '109999999999999999999',
      primaryEmail: `late.joiner@${DOMAIN}`,
      aliases: undefined,
      emails: [],
    };
    sim.state.users.set(added.id, added);
    const before = await snapshot();
    const google = googleWorkspace({
      rootUrl: sim.url,
      tokenUrl: sim.tokenUrl,
      credentials: { serviceAccountKey: sim.serviceAccountKey, adminEmail: sim.adminEmail },
    });
    const crash = withSyncLock(
      t.helios.db,
      { organizationId: t.organizationId!, kind: 'google_workspace' },
      async (conn) => {
        try {
          const fetched = await stageGoogleDirectory(conn, google, {});
          return await planAndApplyGoogle(conn, fetched, killedApplyOptions(t.organizationId!));
        } finally {
          await dropGoogleStaging(conn);
        }
      },
    );
    await expect(crash).rejects.toThrow('killed midway');
    expect(await snapshot()).toEqual(before);

    const rerun = await service().sync();
    expect(rerun.counts.users).toMatchObject({ created: 1, updated: 1, deactivated: 0 });
    const rows = await db()
      .selectFrom('gw_synced_users')
      .select(['google_id', 'given_name'])
      .where('google_id', 'in', [renamed.id, added.id])
      .execute();
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.google_id === renamed.id)?.given_name).toBe('Crashy');
    const dupes = await sql<{
      n: string;
    }>`select count(*) as n from (select google_id from gw_synced_users group by google_id having count(*) > 1) d`.execute(
      db(),
    );
    expect(dupes.rows[0]?.n).toBe('0');
    expect((await service().sync()).counts.users).toMatchObject({
      created: 0,
      updated: 0,
      deactivated: 0,
    });
  });

  it('refuses a run while another database session holds the advisory lock (server backend; the embedded one has a single session)', async () => {
    const url = t.database.connectionString;
    if (url === null) {
      // Embedded: one session, one process; the in-process guard is what refuses (tested above).
      await expect(service().sync({ dryRun: true })).resolves.toMatchObject({ status: 'planned' });
      return;
    }
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      await other.query('select pg_advisory_lock(hashtext($1))', [
        syncLockName(t.organizationId!, 'google_workspace'),
      ]);
      await expect(service().sync()).rejects.toMatchObject({
        kind: 'CONFLICT',
        code: 'SYNC.ALREADY_RUNNING',
      });
      await other.query('select pg_advisory_unlock(hashtext($1))', [
        syncLockName(t.organizationId!, 'google_workspace'),
      ]);
      await expect(service().sync({ dryRun: true })).resolves.toMatchObject({ status: 'planned' });
    } finally {
      await other.end();
    }
  });
});

describe('googleSync.sync of an account with a secondary domain', () => {
  const bed = useTestBed(
    () =>
      startGoogleDirectorySimulator({
        domain: 'main.test',
        secondaryDomains: ['branch.test'],
        seed: { users: 12, groups: 2, membersPerGroup: 4, orgUnits: 2 },
      }),
    ({ t: own, sim }) =>
      createGoogleCredentialsService(
        testRuntime(own, { type: 'user', userId: own.admin!.id }),
      ).configure({
        serviceAccountKey: sim.serviceAccountKey,
        adminEmail: sim.adminEmail,
        domain: 'main.test',
      }),
  );

  it('syncs a user of the secondary domain (lists by customer, not by the primary domain), with custom schemas', async () => {
    const template = [...bed.sim.state.users.values()].find(
      (u) => u.primaryEmail === 'user000003@main.test',
    )!;
    const id = '109999999999999999991';
    bed.sim.state.users.set(id, {
      ...structuredClone(template),
      id,
      primaryEmail: 'grace@branch.test',
      name: { givenName: 'Grace', familyName: 'Hopper', fullName: 'Grace Hopper' },
      emails: [{ address: 'grace@branch.test', primary: true }],
      customSchemas: { HR: { costCenter: 'B-7' } },
    });
    delete bed.sim.state.users.get(id).aliases;
    const group = [...bed.sim.state.groups.values()][0]!;
    bed.sim.state.members.get(group.id)!.set(id, {
      kind: 'admin#directory#member',
      id,
      email: 'grace@branch.test',
      role: 'MEMBER',
      type: 'USER',
      status: 'ACTIVE',
    });
    const local = await createTestUser(bed.t.helios, { email: 'grace@branch.test' });

    const run = await createGoogleSyncService(
      testRuntime(bed.t, { type: 'user', userId: bed.t.admin!.id }),
      {
        providerOverrides: {
          rootUrl: bed.sim.url,
          tokenUrl: bed.sim.tokenUrl,
          retry: { maxRetries: 8, baseDelayMs: 5, maxDelayMs: 100 },
          timeoutMs: 5000,
        },
      },
    ).sync();
    expect(run.status).toBe('completed');
    const synced = await sql<{
      email: string;
      raw_data: any;
    }>`select email, raw_data from gw_synced_users where google_id = ${id}`.execute(
      bed.t.helios.db,
    );
    expect(synced.rows[0]?.email).toBe('grace@branch.test');
    expect(synced.rows[0]?.raw_data.customSchemas).toEqual({ HR: { costCenter: 'B-7' } });
    const linked = await bed.t.helios.db
      .selectFrom('organization_users')
      .select('google_workspace_id')
      .where('id', '=', local.id)
      .executeTakeFirstOrThrow();
    expect(linked.google_workspace_id).toBe(id);
    const membership = await sql<{ external_id: string }>`
      select ag.external_id from access_group_members m join access_groups ag on ag.id = m.access_group_id where m.user_id = ${local.id}`.execute(
      bed.t.helios.db,
    );
    expect(membership.rows.map((r) => r.external_id)).toEqual([group.id]);
  });
});
