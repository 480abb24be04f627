import { createTestHelios, createTestUser, type GoogleDirectorySimulator, startGoogleDirectorySimulator, type TestHelios } from '@helios/testing';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceRuntime } from '../../runtime';
import { simulatedGoogleOverrides, testRuntime } from '../../test-runtime';
import type { Actor } from '../policy/actor';
import { type SyncProgress, syncLockName, withSyncLock } from '../sync/engine';
import { createGoogleCredentialsService } from './credentials';
import { googleWorkspace } from './provider';
import { dropGoogleStaging, planAndApplyGoogle, stageGoogleDirectory } from './sync';
import { rowHash, sqlHash52Hex } from './sync.hash';
import { createGoogleSyncService, type GoogleSyncInput, type GoogleSyncResult } from './sync.service';

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
    providerOverrides: { rootUrl: sim.url, tokenUrl: sim.tokenUrl, retry: { maxRetries: 8, baseDelayMs: 5, maxDelayMs: 100 }, timeoutMs: 5000 },
  });
const db = () => t.helios.db;

async function timed(name: string, run: Promise<GoogleSyncResult>): Promise<GoogleSyncResult> {
  const result = await run;
  timings[name] = result.durationMs;
  return result;
}

/** Every synced row's content (no timestamps) plus its xmin (changes when a row is written). */
async function snapshot() {
  const users = await sql<{ google_id: string; email: string; is_suspended: boolean; raw_data: unknown; x: string }>`
    select google_id, email, is_suspended, raw_data, xmin::text as x from gw_synced_users order by google_id`.execute(db());
  const groups = await sql<{
    google_id: string;
    raw_data: unknown;
    x: string;
  }>`select google_id, raw_data, xmin::text as x from gw_groups order by google_id`.execute(db());
  const units = await sql<{
    google_id: string;
    raw_data: unknown;
    x: string;
  }>`select google_id, raw_data, xmin::text as x from gw_org_units order by google_id`.execute(db());
  const access = await sql<{ id: string; external_id: string; name: string; is_active: boolean; x: string }>`
    select id, external_id, name, is_active, xmin::text as x from access_groups where platform = 'google_workspace' order by external_id`.execute(db());
  const members = await sql<{ external_id: string; user_id: string; member_type: string; is_active: boolean; x: string }>`
    select ag.external_id, m.user_id, m.member_type, m.is_active, m.xmin::text as x from access_group_members m join access_groups ag on ag.id = m.access_group_id
    order by ag.external_id, m.user_id`.execute(db());
  const links = await sql<{ id: string; google_workspace_id: string | null; google_workspace_sync_status: string | null; x: string }>`
    select id, google_workspace_id, google_workspace_sync_status, xmin::text as x from organization_users order by id`.execute(db());
  return { users: users.rows, groups: groups.rows, units: units.rows, access: access.rows, members: members.rows, links: links.rows };
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
const auditRows = async () => (await t.asAdmin.audit.list({ action: 'google_workspace.sync', limit: 100 })).items;

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
    startGoogleDirectorySimulator({ domain: DOMAIN, seed: { users: USERS, groups: GROUPS, membersPerGroup: 10, orgUnits: 4 } }),
  ]);
  for (const u of simUsers()) {
    if (u.primaryEmail.startsWith('user')) seededEmails.set(Number(u.primaryEmail.slice(4, u.primaryEmail.indexOf('@'))), u.primaryEmail);
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
  const aliasOwner = simUsers().find((u) => Array.isArray(u.aliases) && u.aliases.length > 0 && Number(u.primaryEmail.slice(4, 10)) > 30)!;
  linkedIds.alias = (await createTestUser(t.helios, { email: aliasOwner.aliases[0] })).id;
  linkedIds.aliasGoogleId = aliasOwner.id;
  const byId = userByEmail(seededEmail(200));
  linkedIds.byId = (await createTestUser(t.helios, { email: 'someone.else@acme.test', google_workspace_id: byId.id })).id;
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
    await expect(service({ type: 'user', userId: manager.id }).sync({ dryRun: true })).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(service({ type: 'user', userId: user.id }).sync()).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(service({ type: 'apiKey', keyId: 'k', scopes: ['organization:read'] }).sync()).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(service(null).sync()).rejects.toMatchObject({ kind: 'UNAUTHENTICATED' });
    await expect(service().sync({ dryRun: 'yes' } as never)).rejects.toMatchObject({ kind: 'INVALID_INPUT', code: 'VALIDATION.FAILED' });
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
    expect(plan.counts.users).toEqual({ created: USERS + 1, updated: 0, unchanged: 0, deactivated: 0 });
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
    expect(result.counts.users).toEqual({ created: USERS + 1, updated: 0, unchanged: 0, deactivated: 0 });
    expect(result.counts.groups).toEqual({ created: GROUPS, updated: 0, unchanged: 0, deactivated: 0 });
    expect(result.counts.orgUnits.created).toBe(result.fetched.orgUnits);
    // 30 by primary email and one by alias; the one linked by Google id was linked already.
    expect(result.counts.links.linked).toBe(31);
    expect(result.counts.links.unlinked).toBe(USERS + 1 - 32);
    expect(result.counts.memberships.created).toBe(firstPlanMemberships);
    expect(result.counts.skippedMembers).toBeGreaterThan(0);
    expect(new Set(progress.map((p) => p.phase))).toEqual(new Set(['orgUnits', 'users', 'groups', 'members', 'plan', 'apply']));
    expect(progress.filter((p) => p.phase === 'users').at(-1)?.done).toBe(USERS + 1);

    const counts = await sql<{ users: string; groups: string; access: string }>`select
      (select count(*) from gw_synced_users) as users, (select count(*) from gw_groups) as groups,
      (select count(*) from access_groups where platform = 'google_workspace' and group_type = 'google') as access`.execute(db());
    expect(counts.rows[0]).toEqual({ users: String(USERS + 1), groups: String(GROUPS), access: String(GROUPS) });

    const linked = await db().selectFrom('organization_users').select(['id', 'google_workspace_id', 'google_workspace_sync_status']).execute();
    const byId = new Map(linked.map((r) => [r.id, r]));
    expect(byId.get(linkedIds[seededEmail(1)]!)?.google_workspace_id).toBe(userByEmail(seededEmail(1)).id);
    expect(byId.get(linkedIds.alias!)?.google_workspace_id).toBe(linkedIds.aliasGoogleId);
    expect(byId.get(linkedIds.byId!)).toMatchObject({ google_workspace_id: linkedIds.byIdGoogleId, google_workspace_sync_status: 'synced' });

    // Group 1's owner is user 1 (linked): stored with member_type from the role.
    const owner = await sql<{ member_type: string }>`select m.member_type from access_group_members m where m.user_id = ${linkedIds[seededEmail(1)]!}`.execute(
      db(),
    );
    expect(owner.rows.map((r) => r.member_type)).toContain('owner');

    expect(await moduleState()).toMatchObject({ sync_status: 'completed', sync_error: null, last_sync_at: expect.any(Date) });
    const audits = await auditRows();
    expect(audits).toHaveLength(1);
    expect(audits[0]!.details).toMatchObject({ status: 'completed', counts: { users: { created: USERS + 1 } } });
    accessIds = new Map((await snapshot()).access.map((a) => [a.external_id, a.id]));
  });

  it('re-syncs with no change in Google without writing a single synced row', async () => {
    const before = await snapshot();
    const result = await timed('noChange', service().sync());
    expect(result.counts.users).toEqual({ created: 0, updated: 0, unchanged: USERS + 1, deactivated: 0 });
    expect(result.counts.groups).toEqual({ created: 0, updated: 0, unchanged: GROUPS, deactivated: 0 });
    expect(result.counts.memberships.created + result.counts.memberships.updated + result.counts.memberships.deactivated).toBe(0);
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
    expect(result.counts.users).toMatchObject({ updated: 1, created: 0, deactivated: 0, unchanged: USERS });
    expect(result.counts.memberships.deactivated).toBe(1);
    const row = await db().selectFrom('gw_synced_users').select(['given_name']).where('google_id', '=', changed.id).executeTakeFirstOrThrow();
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
    for (const r of rows) expect(r).toMatchObject({ is_suspended: true, raw_data: { _helios: { removedAt: expect.any(String) } } });
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
    await expect(refused).rejects.toMatchObject({ kind: 'PRECONDITION_FAILED', code: 'SYNC.SAFETY_LIMIT' });
    await refused.catch((error) => expect(error.details.removals).toContainEqual({ entity: 'users', existing: USERS + 1, removed: 40 }));
    expect(await snapshot()).toEqual(before);
    expect(await moduleState()).toMatchObject({ sync_status: 'failed', sync_error: expect.stringContaining('SYNC.SAFETY_LIMIT') });
    const failed = await auditRows();
    expect(failed).toHaveLength(audits + 1);
    expect(failed[0]!.details).toMatchObject({ status: 'failed', error: { code: 'SYNC.SAFETY_LIMIT' } });

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
    expect(clean.counts.users).toEqual({ created: 0, updated: 0, unchanged: USERS + 1, deactivated: 0 });
    expect(clean.counts.groups).toMatchObject({ created: 0, updated: 0, deactivated: 0 });
    expect(clean.counts.memberships).toMatchObject({ created: 0, updated: 0, deactivated: 0 });
    expect(await snapshot()).toEqual(afterFaults);
  });

  it('lets one run at a time: a concurrent run gets SYNC.ALREADY_RUNNING', async () => {
    const results = await Promise.allSettled([service().sync(), service().sync()]);
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect((rejected[0] as PromiseRejectedResult).reason).toMatchObject({ kind: 'CONFLICT', code: 'SYNC.ALREADY_RUNNING' });
    // The lock is released afterwards.
    await expect(service().sync({ dryRun: true })).resolves.toMatchObject({ status: 'planned' });
  });

  it('accepts API keys with organization:write and the system actor; group ids are stable across every run', async () => {
    await expect(service({ type: 'apiKey', keyId: 'k', scopes: ['organization:write'] }).sync({ dryRun: true })).resolves.toMatchObject({ status: 'planned' });
    await expect(service({ type: 'system' }).sync()).resolves.toMatchObject({ status: 'completed' });
    expect(new Map((await snapshot()).access.map((a) => [a.external_id, a.id]))).toEqual(accessIds);
  });

  it('deactivates access groups of groups deleted in Google, keeping their ids', async () => {
    const group = [...sim.state.groups.values()][3] as Record<string, any>;
    sim.state.groups.delete(group.id);
    const result = await service().sync();
    expect(result.counts.groups.deactivated).toBe(1);
    const row = await db().selectFrom('access_groups').select(['id', 'is_active']).where('external_id', '=', group.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ id: accessIds.get(group.id), is_active: false });
  });

  it('rolls back a run that fails in the middle of the apply; the re-run converges with nothing lost or duplicated', async () => {
    const renamed = userByEmail(seededEmail(7));
    renamed.name = { ...renamed.name, givenName: 'Crashy' };
    const added = { ...userByEmail(seededEmail(8)), id: '109999999999999999999', primaryEmail: `late.joiner@${DOMAIN}`, aliases: undefined, emails: [] };
    sim.state.users.set(added.id, added);
    const before = await snapshot();
    const google = googleWorkspace({
      rootUrl: sim.url,
      tokenUrl: sim.tokenUrl,
      credentials: { serviceAccountKey: sim.serviceAccountKey, adminEmail: sim.adminEmail },
    });
    const crash = withSyncLock(t.helios.db, { organizationId: t.organizationId!, kind: 'google_workspace' }, async (conn) => {
      try {
        const fetched = await stageGoogleDirectory(conn, google, {});
        return await planAndApplyGoogle(conn, fetched, {
          organizationId: t.organizationId!,
          now: new Date(),
          dryRun: false,
          allowLargeRemovals: false,
          maxRemovalRatio: 0.1,
          inApply: async () => {
            throw new Error('killed midway');
          },
        });
      } finally {
        await dropGoogleStaging(conn);
      }
    });
    await expect(crash).rejects.toThrow('killed midway');
    expect(await snapshot()).toEqual(before);

    const rerun = await service().sync();
    expect(rerun.counts.users).toMatchObject({ created: 1, updated: 1, deactivated: 0 });
    const rows = await db().selectFrom('gw_synced_users').select(['google_id', 'given_name']).where('google_id', 'in', [renamed.id, added.id]).execute();
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.google_id === renamed.id)?.given_name).toBe('Crashy');
    const dupes = await sql<{ n: string }>`select count(*) as n from (select google_id from gw_synced_users group by google_id having count(*) > 1) d`.execute(
      db(),
    );
    expect(dupes.rows[0]?.n).toBe('0');
    expect((await service().sync()).counts.users).toMatchObject({ created: 0, updated: 0, deactivated: 0 });
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
      await other.query('select pg_advisory_lock(hashtext($1))', [syncLockName(t.organizationId!, 'google_workspace')]);
      await expect(service().sync()).rejects.toMatchObject({ kind: 'CONFLICT', code: 'SYNC.ALREADY_RUNNING' });
      await other.query('select pg_advisory_unlock(hashtext($1))', [syncLockName(t.organizationId!, 'google_workspace')]);
      await expect(service().sync({ dryRun: true })).resolves.toMatchObject({ status: 'planned' });
    } finally {
      await other.end();
    }
  });
});

describe('googleSync.sync of an account with a secondary domain', () => {
  let own: TestHelios;
  let branchSim: GoogleDirectorySimulator;
  beforeAll(async () => {
    [own, branchSim] = await Promise.all([
      createTestHelios(),
      startGoogleDirectorySimulator({
        domain: 'main.test',
        secondaryDomains: ['branch.test'],
        seed: { users: 12, groups: 2, membersPerGroup: 4, orgUnits: 2 },
      }),
    ]);
    await createGoogleCredentialsService(testRuntime(own, { type: 'user', userId: own.admin!.id })).configure({
      serviceAccountKey: branchSim.serviceAccountKey,
      adminEmail: branchSim.adminEmail,
      domain: 'main.test',
    });
  }, 60_000);
  afterAll(async () => {
    await branchSim?.close();
    await own?.destroy();
  });

  it('syncs a user of the secondary domain (lists by customer, not by the primary domain), with custom schemas', async () => {
    const template = [...branchSim.state.users.values()].find((u) => u.primaryEmail === 'user000003@main.test')!;
    const id = '109999999999999999991';
    branchSim.state.users.set(id, {
      ...structuredClone(template),
      id,
      primaryEmail: 'grace@branch.test',
      name: { givenName: 'Grace', familyName: 'Hopper', fullName: 'Grace Hopper' },
      emails: [{ address: 'grace@branch.test', primary: true }],
      customSchemas: { HR: { costCenter: 'B-7' } },
    });
    delete branchSim.state.users.get(id).aliases;
    const group = [...branchSim.state.groups.values()][0]!;
    branchSim.state.members
      .get(group.id)!
      .set(id, { kind: 'admin#directory#member', id, email: 'grace@branch.test', role: 'MEMBER', type: 'USER', status: 'ACTIVE' });
    const local = await createTestUser(own.helios, { email: 'grace@branch.test' });

    const run = await createGoogleSyncService(testRuntime(own, { type: 'user', userId: own.admin!.id }), {
      providerOverrides: { rootUrl: branchSim.url, tokenUrl: branchSim.tokenUrl, retry: { maxRetries: 8, baseDelayMs: 5, maxDelayMs: 100 }, timeoutMs: 5000 },
    }).sync();
    expect(run.status).toBe('completed');
    const synced = await sql<{ email: string; raw_data: any }>`select email, raw_data from gw_synced_users where google_id = ${id}`.execute(own.helios.db);
    expect(synced.rows[0]?.email).toBe('grace@branch.test');
    expect(synced.rows[0]?.raw_data.customSchemas).toEqual({ HR: { costCenter: 'B-7' } });
    const linked = await own.helios.db.selectFrom('organization_users').select('google_workspace_id').where('id', '=', local.id).executeTakeFirstOrThrow();
    expect(linked.google_workspace_id).toBe(id);
    const membership = await sql<{ external_id: string }>`
      select ag.external_id from access_group_members m join access_groups ag on ag.id = m.access_group_id where m.user_id = ${local.id}`.execute(
      own.helios.db,
    );
    expect(membership.rows.map((r) => r.external_id)).toEqual([group.id]);
  });
});

describe('googleSync.sync re-syncs: only what changed is staged, and each kind of change is applied exactly', () => {
  let own: TestHelios;
  let dir: GoogleDirectorySimulator;
  const owner = () => testRuntime(own, { type: 'user', userId: own.admin!.id });
  const run = (input: GoogleSyncInput = {}) => createGoogleSyncService(owner(), { providerOverrides: simulatedGoogleOverrides(dir) }).sync(input);
  const ownDb = () => own.helios.db;
  const users = () => [...dir.state.users.values()] as Array<Record<string, any>>;
  const userNo = (i: number) => users().find((u) => u.primaryEmail.startsWith(`user${String(i).padStart(6, '0')}@`))!;
  const groupNo = (i: number) => [...dir.state.groups.values()][i] as Record<string, any>;
  const membersOf = (groupId: string) => dir.state.members.get(groupId)!;
  /** Seeded users 1-30 got a local user before the first sync. */
  const linkedSeed = (email: string) => /^user\d{6}@/.test(email) && Number(email.slice(4, 10)) <= 30;
  const localOf = async (googleId: string) =>
    (await ownDb().selectFrom('organization_users').select(['id']).where('google_workspace_id', '=', googleId).executeTakeFirst())?.id ?? null;

  /** The row version (xmin) of every synced row, by a readable key. */
  async function versions() {
    const read = async (query: ReturnType<typeof sql<{ k: string; x: string }>>) => new Map((await query.execute(ownDb())).rows.map((r) => [r.k, r.x]));
    return {
      users: await read(sql`select google_id as k, xmin::text as x from gw_synced_users`),
      groups: await read(sql`select google_id as k, xmin::text as x from gw_groups`),
      units: await read(sql`select google_id as k, xmin::text as x from gw_org_units`),
      access: await read(sql`select external_id as k, xmin::text as x from access_groups where platform = 'google_workspace'`),
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
    [...dir.state.members.entries()].filter(([, m]) => m.has(googleId) && m.get(googleId).type === 'USER').map(([g]) => `${g}/${localId}`);

  /** Stages the directory as a run would and counts the staging tables. */
  async function stagedCounts() {
    const google = googleWorkspace({ ...simulatedGoogleOverrides(dir), credentials: { serviceAccountKey: dir.serviceAccountKey, adminEmail: dir.adminEmail } });
    return withSyncLock(ownDb(), { organizationId: own.organizationId!, kind: 'google_workspace' }, async (conn) => {
      try {
        await stageGoogleDirectory(conn, google, { organizationId: own.organizationId! });
        const count = async (table: string) => Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(conn)).rows[0]!.n);
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
    });
  }

  beforeAll(async () => {
    [own, dir] = await Promise.all([
      createTestHelios(),
      startGoogleDirectorySimulator({ domain: 'resync.test', seed: { users: 40, groups: 5, membersPerGroup: 8, orgUnits: 3 } }),
    ]);
    await createGoogleCredentialsService(owner()).configure({ serviceAccountKey: dir.serviceAccountKey, adminEmail: dir.adminEmail, domain: 'resync.test' });
    // Users 1-30 have a local user (linked by the first sync); 31-40 have none.
    for (let i = 1; i <= 30; i++) await createTestUser(own.helios, { email: userNo(i).primaryEmail });
    const first = await run();
    expect(first.counts.links.linked).toBe(30);
    expect(first.counts.memberships.created).toBeGreaterThan(0);
  }, 60_000);
  afterAll(async () => {
    await dir?.close();
    await own?.destroy();
  });

  it('hashes fetched JSON exactly as the database hashes the stored jsonb (key order, escapes, numbers, Unicode)', async () => {
    const values: unknown[] = [
      { bb: 1, a: [1, 2.5, { é: 'x\u0001\\"/\t\u007f', ü: 1, z: 2 }], c: {}, d: [], z: null, y: true, f: 0.1, big: 1234567890123456, skip: undefined },
      { id: '1', name: { givenName: 'Ä', fullName: '日本 😀' }, emails: [{ address: 'x', primary: true }], holes: [undefined, null] },
      { B: 4, b: 2, e: 6, aa: 1, ab: 3, zz: 8, é: 5, ée: 7 },
      [],
      {},
    ];
    for (const value of values) {
      const stored = await sql<{ h: string }>`select ${sqlHash52Hex(sql`${JSON.stringify(value)}::jsonb::text`)} as h`.execute(ownDb());
      expect(rowHash(value)).toBe(Number.parseInt(stored.rows[0]!.h, 16));
    }
    // JS writes 1e21 with an exponent, the database does not: no hash (the row is staged and compared in SQL).
    expect(rowHash({ n: 1e21 })).toBeNull();
  });

  it('stages no user, group or member when nothing changed (only the ids seen), and writes no synced row', async () => {
    expect(await stagedCounts()).toEqual({ users: 0, seenUsers: users().length, groups: 0, seenGroups: 5, members: 0, memberGroups: 0 });
    const before = await versions();
    const result = await run();
    expect(written(before, await versions())).toEqual(nothing);
    expect(result.counts.users).toEqual({ created: 0, updated: 0, unchanged: users().length, deactivated: 0 });
    expect(result.counts.groups).toEqual({ created: 0, updated: 0, unchanged: 5, deactivated: 0 });
    const active = await sql<{ n: string }>`select count(*) as n from access_group_members where is_active`.execute(ownDb());
    expect(result.counts.memberships).toEqual({ created: 0, updated: 0, unchanged: Number(active.rows[0]!.n), deactivated: 0 });
  });

  it('applies a changed field, a user moved to another org unit and a moved org unit, writing only those rows', async () => {
    const titled = userNo(5);
    titled.organizations = [{ title: 'Chief Tester', department: 'QA', primary: true }];
    const moved = userNo(6);
    const paths = [...dir.state.orgUnits.keys()].filter((p) => p !== '/' && p !== moved.orgUnitPath);
    moved.orgUnitPath = paths[0];
    const unit = dir.state.orgUnits.get(paths[1]!)!;
    const parent = dir.state.orgUnits.get(paths[0]!)!;
    unit.parentOrgUnitId = parent.orgUnitId;
    unit.parentOrgUnitPath = parent.orgUnitPath;
    expect(await stagedCounts()).toMatchObject({ users: 2, groups: 0, members: 0 });

    const before = await versions();
    const result = await run();
    expect(written(before, await versions())).toEqual({ ...nothing, users: [titled.id, moved.id].sort(), units: [unit.orgUnitId] });
    expect(result.counts.users).toMatchObject({ created: 0, updated: 2, deactivated: 0 });
    const rows = await ownDb()
      .selectFrom('gw_synced_users')
      .select(['google_id', 'job_title', 'department', 'org_unit_path'])
      .where('google_id', 'in', [titled.id, moved.id])
      .execute();
    expect(rows.find((r) => r.google_id === titled.id)).toMatchObject({ job_title: 'Chief Tester', department: 'QA' });
    expect(rows.find((r) => r.google_id === moved.id)?.org_unit_path).toBe(paths[0]);
    const stored = await ownDb().selectFrom('gw_org_units').select('parent_id').where('google_id', '=', unit.orgUnitId).executeTakeFirstOrThrow();
    expect(stored.parent_id).toBe(parent.orgUnitId);
  });

  it('applies a suspension and its end: the Google user row and the linked local user, nothing else', async () => {
    const suspended = userNo(7);
    const local = (await localOf(suspended.id))!;
    suspended.suspended = true;
    let before = await versions();
    const result = await run();
    expect(written(before, await versions())).toEqual({ ...nothing, users: [suspended.id], links: [local] });
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
    expect(written(before, await versions())).toEqual({ ...nothing, users: [suspended.id], links: [local] });
  });

  it('applies a changed role, a removed and an added membership, writing only those memberships', async () => {
    const group = groupNo(1);
    const members = membersOf(group.id);
    const [promoted, dropped] = [...members.values()].filter((m) => m.type === 'USER' && m.role === 'MEMBER' && linkedSeed(m.email));
    promoted.role = 'MANAGER';
    members.delete(dropped.id);
    const joiner = users().find((u) => !members.has(u.id) && u.id !== dropped.id && linkedSeed(u.primaryEmail) && !u.suspended)!;
    const joinerLocal = (await localOf(joiner.id))!;
    members.set(joiner.id, { kind: 'admin#directory#member', id: joiner.id, email: joiner.primaryEmail, role: 'MEMBER', type: 'USER', status: 'ACTIVE' });
    expect(await stagedCounts()).toMatchObject({ users: 0, groups: 0, memberGroups: 1, members: members.size });

    const before = await versions();
    const result = await run();
    const keys = [promoted.id, dropped.id].map(async (id) => `${group.id}/${await localOf(id)}`);
    expect(written(before, await versions())).toEqual({ ...nothing, members: [...(await Promise.all(keys)), `${group.id}/${joinerLocal}`].sort() });
    expect(result.counts.memberships).toMatchObject({ created: 1, updated: 1, deactivated: 1 });
    const types = await sql<{ user_id: string; member_type: string; is_active: boolean }>`
      select m.user_id, m.member_type, m.is_active from access_group_members m join access_groups ag on ag.id = m.access_group_id
      where ag.external_id = ${group.id}`.execute(ownDb());
    const byUser = new Map(types.rows.map((r) => [r.user_id, r]));
    expect(byUser.get((await localOf(promoted.id))!)).toMatchObject({ member_type: 'manager', is_active: true });
    expect(byUser.get((await localOf(dropped.id))!)).toMatchObject({ is_active: false });
    expect(byUser.get(joinerLocal)).toMatchObject({ member_type: 'member', is_active: true });
  });

  it('links a new local user by an alias added in Google, and creates its memberships in groups that did not change', async () => {
    const google = users().find((u) => Number(u.primaryEmail.slice(4, 10)) > 30 && membershipKeys(u.id, 'x').length > 0)!;
    dir.state.users.set(google.id, { ...google, aliases: [...(google.aliases ?? []), 'new.alias@resync.test'] });
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
      (u) => Number(u.primaryEmail.slice(4, 10)) > 30 && membershipKeys(u.id, 'x').length > 0 && !u.aliases?.includes('new.alias@resync.test'),
    )!;
    const local = await createTestUser(own.helios, { email: google.primaryEmail });
    const before = await versions();
    const result = await run();
    expect(result.counts.links.linked).toBe(1);
    expect(written(before, await versions())).toEqual({ ...nothing, links: [local.id], members: membershipKeys(google.id, local.id).sort() });
  });

  it('repairs local drift: a membership deactivated and an access group renamed by hand are restored', async () => {
    const group = groupNo(2);
    const member = [...membersOf(group.id).values()].find((m) => m.type === 'USER' && m.role === 'MEMBER' && linkedSeed(m.email));
    const local = (await localOf(member.id))!;
    await sql`update access_group_members m set is_active = false, removed_at = now() from access_groups ag
      where ag.id = m.access_group_id and ag.external_id = ${group.id} and m.user_id = ${local}`.execute(ownDb());
    const renamed = groupNo(3);
    await sql`update access_groups set name = 'renamed by hand' where external_id = ${renamed.id}`.execute(ownDb());
    const before = await versions();
    await run();
    expect(written(before, await versions())).toEqual({ ...nothing, access: [renamed.id], members: [`${group.id}/${local}`] });
    const restored = await sql<{ name: string }>`select name from access_groups where external_id = ${renamed.id}`.execute(ownDb());
    expect(restored.rows[0]?.name).toBe(renamed.name);
  });

  it('applies a removed user and a removed group: marked removed, the link and the memberships deactivated', async () => {
    const gone = userNo(8);
    const local = (await localOf(gone.id))!;
    const goneKeys = membershipKeys(gone.id, local);
    dir.state.users.delete(gone.id);
    // Google drops a deleted user's memberships: those groups change (their member count).
    const touched = [...dir.state.members.entries()].filter(([, m]) => m.delete(gone.id)).map(([g]) => g);
    const group = groupNo(4);
    const groupLocals = await Promise.all([...membersOf(group.id).values()].map((m) => localOf(m.id)));
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
    const link = await ownDb().selectFrom('organization_users').select('google_workspace_sync_status').where('id', '=', local).executeTakeFirstOrThrow();
    expect(link.google_workspace_sync_status).toBe('removed');
    // And the run after it writes nothing.
    const settled = await versions();
    await run();
    expect(written(settled, await versions())).toEqual(nothing);
  });
});
