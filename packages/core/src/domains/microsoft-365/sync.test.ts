import {
  createTestHelios,
  createTestUser,
  GRAPH_APPLICATION_PERMISSIONS,
  type GraphSimulator,
  startGraphSimulator,
  type TestHelios,
} from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHeliosError } from '../../errors';
import type { ServiceRuntime } from '../../runtime';
import { simulatedMicrosoft365, testRuntime } from '../../test-runtime';
import { closeTestBed, killedApplyOptions, useTestBed } from '../integrations/writeback.test-kit';
import type { Actor } from '../policy/actor';
import { withSyncLock } from '../sync/engine';
import type { GraphObject, Microsoft365Provider } from './provider';
import { planAndApplyMicrosoft, readDeltaLinks } from './sync.plan';
import { createMicrosoftSyncService, type MicrosoftSyncResult } from './sync.service';
import { dropMicrosoftStaging, stageMicrosoftDirectory } from './sync.stage';

const DOMAIN = 'ms-sync.test';
let t: TestHelios;
let sim: GraphSimulator;
let linkedByUpn: string;

function runtime(actor: Actor | undefined): ServiceRuntime {
  return testRuntime(t, actor);
}
const provider = (): Microsoft365Provider =>
  simulatedMicrosoft365(sim, {
    pageSize: 15,
    retry: { maxRetries: 10, baseDelayMs: 2, maxDelayMs: 20 },
  });
const service = (make: () => Microsoft365Provider = provider) =>
  createMicrosoftSyncService(runtime({ type: 'user', userId: t.admin!.id }), {
    provider: async () => make(),
  });
const db = () => t.helios.db;

/** Every synced row's content plus its xmin (changes when a row is written). */
async function snapshot() {
  const users = await sql<{
    ms_id: string;
    upn: string;
    is_account_enabled: boolean;
    is_admin: boolean;
    removed: boolean;
    x: string;
  }>`
    select ms_id, upn, is_account_enabled, is_admin, raw_data -> '_helios' is not null as removed, xmin::text as x from ms_synced_users order by ms_id`.execute(
    db(),
  );
  const groups = await sql<{
    ms_id: string;
    display_name: string;
    member_count: number;
    removed: boolean;
    x: string;
  }>`
    select ms_id, display_name, member_count, raw_data -> '_helios' is not null as removed, xmin::text as x from ms_synced_groups order by ms_id`.execute(
    db(),
  );
  const memberships = await sql<{ g: string; u: string; x: string }>`
    select g.ms_id as g, u.ms_id as u, m.xmin::text as x from ms_group_memberships m join ms_synced_groups g on g.id = m.group_id
    join ms_synced_users u on u.id = m.user_id order by 1, 2`.execute(db());
  const access = await sql<{ id: string; external_id: string; is_active: boolean; x: string }>`
    select id, external_id, is_active, xmin::text as x from access_groups where platform = 'microsoft_365' order by external_id`.execute(
    db(),
  );
  const members = await sql<{
    external_id: string;
    user_id: string;
    is_active: boolean;
    x: string;
  }>`
    select ag.external_id, m.user_id, m.is_active, m.xmin::text as x from access_group_members m join access_groups ag on ag.id = m.access_group_id
    where ag.platform = 'microsoft_365' order by 1, 2`.execute(db());
  const licences = await sql<{ sku_id: string; consumed_units: number; x: string }>`
    select sku_id, consumed_units, xmin::text as x from ms_licenses order by sku_id`.execute(db());
  return {
    users: users.rows,
    groups: groups.rows,
    memberships: memberships.rows,
    access: access.rows,
    members: members.rows,
    licences: licences.rows,
  };
}
const withoutXmin = <T extends { x: string }>(rows: T[]) => rows.map(({ x: _x, ...rest }) => rest);
const content = (s: Awaited<ReturnType<typeof snapshot>>) =>
  Object.fromEntries(
    Object.entries(s).map(([k, rows]) => [k, withoutXmin(rows as Array<{ x: string }>)]),
  );
const userByUpn = (upn: string) =>
  [...sim.state.users.values()].find((u) => u.userPrincipalName === upn);
const requestsOf = async (run: () => Promise<MicrosoftSyncResult>) => {
  const before = sim.requests.total;
  const result = await run();
  return { result, requests: sim.requests.total - before };
};

beforeAll(async () => {
  sim = await startGraphSimulator({
    domain: DOMAIN,
    seed: { users: 60, groups: 6, membersPerGroup: 8 },
  });
  t = await createTestHelios();
  linkedByUpn = (await createTestUser(t.helios, { email: `user000002@${DOMAIN}` })).id;
});
afterAll(() => closeTestBed(t, sim));

describe('Microsoft 365 sync', () => {
  let firstState: Awaited<ReturnType<typeof snapshot>>;

  it('a dry run plans the first full sync and writes nothing', async () => {
    const plan = await service().sync({ dryRun: true });
    expect(plan).toMatchObject({ status: 'planned', mode: 'full', dryRun: true });
    expect(plan.counts.users.created).toBe(61);
    expect(plan.counts.groups.created).toBe(6);
    expect(plan.counts.memberships.created).toBeGreaterThan(30);
    expect(plan.sample.length).toBeGreaterThan(0);
    const after = await snapshot();
    expect(after.users).toEqual([]);
    const links = await sql<{ c: unknown }>`select config as c from organization_modules`.execute(
      db(),
    );
    expect(JSON.stringify(links.rows)).not.toContain('deltaLink');
  });

  it('the first run is full: users, groups, memberships, licences, admins, links, access groups', async () => {
    const run = await service().sync();
    expect(run).toMatchObject({ status: 'completed', mode: 'full', fellBackToFull: false });
    expect(run.counts.users).toMatchObject({ created: 61, deactivated: 0 });
    expect(run.counts.licences.created).toBeGreaterThan(0);
    expect(run.counts.links.linked).toBe(1); // user000002, by UPN
    firstState = await snapshot();
    expect(firstState.users).toHaveLength(61);
    expect(firstState.users.filter((u) => u.is_admin).map((u) => u.upn)).toEqual([
      `admin@${DOMAIN}`,
    ]);
    expect(firstState.users.find((u) => u.upn === `user000017@${DOMAIN}`)?.is_account_enabled).toBe(
      false,
    );
    expect(firstState.groups).toHaveLength(6);
    expect(firstState.access).toHaveLength(6);
    const simPairs = [...sim.state.members.entries()].flatMap(([g, set]) =>
      [...set].filter((m) => sim.state.users.has(m)).map((m) => `${g}/${m}`),
    );
    expect(firstState.memberships.map((m) => `${m.g}/${m.u}`).sort()).toEqual(simPairs.sort());
    const local = await db()
      .selectFrom('organization_users')
      .select(['id', 'microsoft_365_id', 'microsoft_365_sync_status'])
      .where('id', '=', linkedByUpn)
      .executeTakeFirstOrThrow();
    expect(local).toMatchObject({
      microsoft_365_id: userByUpn(`user000002@${DOMAIN}`).id,
      microsoft_365_sync_status: 'synced',
    });
    const linkedGroups = firstState.members.filter((m) => m.user_id === linkedByUpn);
    expect(linkedGroups.length).toBe(
      [...sim.state.members.values()].filter((set) => set.has(local.microsoft_365_id!)).length,
    );
  });

  it('the next run is incremental: with no change it reads a few pages and writes nothing', async () => {
    const { result, requests } = await requestsOf(() => service().sync());
    expect(result.mode).toBe('incremental');
    expect(result.counts.users).toEqual({ created: 0, updated: 0, unchanged: 0, deactivated: 0 });
    // A token, then one $batch: the first page of both delta rounds, the admins and the licences.
    expect(requests).toBe(2);
    expect(await snapshot()).toEqual(firstState);
  });

  it('an incremental run with no Graph change links an organization user added since the last run', async () => {
    const graphUser = userByUpn(`user000003@${DOMAIN}`);
    const added = (await createTestUser(t.helios, { email: `user000003@${DOMAIN}` })).id;
    const run = await service().sync();
    expect(run.mode).toBe('incremental');
    expect(run.counts.users).toEqual({ created: 0, updated: 0, unchanged: 0, deactivated: 0 });
    expect(run.counts.links.linked).toBe(1);
    const local = await db()
      .selectFrom('organization_users')
      .select(['microsoft_365_id', 'microsoft_365_sync_status'])
      .where('id', '=', added)
      .executeTakeFirstOrThrow();
    expect(local).toEqual({ microsoft_365_id: graphUser.id, microsoft_365_sync_status: 'synced' });
    const groups = (await snapshot()).members.filter((m) => m.user_id === added && m.is_active);
    expect(groups.length).toBe(
      [...sim.state.members.values()].filter((set) => set.has(graphUser.id)).length,
    );
    // The next run finds nothing left to link.
    expect((await service().sync()).counts.links.linked).toBe(0);
    firstState = await snapshot();
  });

  it('an incremental run applies updates, deletions and membership changes only', async () => {
    const changed = userByUpn(`user000005@${DOMAIN}`);
    const deleted = userByUpn(`user000006@${DOMAIN}`);
    sim.touchUser(changed.id, { jobTitle: 'Chief Tester' });
    sim.deleteUser(deleted.id);
    const group = [...sim.state.groups.values()][1];
    const linked = userByUpn(`user000002@${DOMAIN}`);
    if (sim.state.members.get(group.id)?.has(linked.id)) sim.removeGroupMember(group.id, linked.id);
    else sim.addGroupMember(group.id, linked.id);
    const wasMember = firstState.members.some(
      (m) => m.external_id === group.id && m.user_id === linkedByUpn && m.is_active,
    );

    const { result, requests } = await requestsOf(() => service().sync());
    expect(result.mode).toBe('incremental');
    expect(result.counts.users).toMatchObject({ updated: 1, deactivated: 1, created: 0 });
    expect(requests).toBeLessThanOrEqual(8);
    const after = await snapshot();
    expect(after.users.find((u) => u.ms_id === deleted.id)).toMatchObject({
      removed: true,
      is_account_enabled: false,
    });
    expect(after.memberships.some((m) => m.u === deleted.id)).toBe(false);
    const member = after.members.find(
      (m) => m.external_id === group.id && m.user_id === linkedByUpn,
    );
    expect(member?.is_active ?? false).toBe(!wasMember);
    const untouched = after.users.find((u) => u.upn === `user000010@${DOMAIN}`);
    expect(untouched?.x).toBe(firstState.users.find((u) => u.upn === `user000010@${DOMAIN}`)?.x);
    const job = await db()
      .selectFrom('ms_synced_users')
      .select('job_title')
      .where('ms_id', '=', changed.id)
      .executeTakeFirstOrThrow();
    expect(job.job_title).toBe('Chief Tester');
  });

  it('rolls back a run that fails in the middle of the apply (delta links kept); the re-run reads the same changes', async () => {
    const renamed = userByUpn(`user000008@${DOMAIN}`);
    sim.touchUser(renamed.id, { displayName: 'Crashy Eight' });
    const created = await provider().createUser({
      accountEnabled: true,
      displayName: 'Fresh Hire',
      mailNickname: 'fresh.hire',
      userPrincipalName: `fresh.hire@${DOMAIN}`,
      passwordProfile: { password: 'Fresh-Hire-Pa55word!', forceChangePasswordNextSignIn: true },
    });
    const before = await snapshot();
    const linksBefore = await readDeltaLinks(db(), t.organizationId!, sim.tenantId);
    const ms = provider();
    const crash = withSyncLock(
      db(),
      { organizationId: t.organizationId!, kind: 'microsoft_365' },
      async (conn) => {
        try {
          const staged = await stageMicrosoftDirectory(conn, ms, linksBefore, {});
          const fetched = {
            ...staged,
            fullSyncAt: new Date().toISOString(),
            tenantId: sim.tenantId,
          };
          return await planAndApplyMicrosoft(conn, fetched, killedApplyOptions(t.organizationId!));
        } finally {
          await dropMicrosoftStaging(conn);
        }
      },
    );
    await expect(crash).rejects.toThrow('killed midway');
    expect(await snapshot()).toEqual(before);
    expect(await readDeltaLinks(db(), t.organizationId!, sim.tenantId)).toEqual(linksBefore);

    const rerun = await service().sync();
    expect(rerun.mode).toBe('incremental');
    expect(rerun.counts.users).toMatchObject({ created: 1, updated: 1, deactivated: 0 });
    const rows = await db()
      .selectFrom('ms_synced_users')
      .select(['ms_id', 'display_name'])
      .where('ms_id', 'in', [renamed.id, created.id])
      .execute();
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.ms_id === renamed.id)?.display_name).toBe('Crashy Eight');
    expect((await service().sync()).counts.users).toMatchObject({
      created: 0,
      updated: 0,
      deactivated: 0,
    });
  });

  it('a full reconciliation converges to the same state the incremental runs reached', async () => {
    const before = content(await snapshot());
    const run = await service().sync({ full: true });
    expect(run.mode).toBe('full');
    expect(run.counts.users).toMatchObject({ created: 0, updated: 0, deactivated: 0 });
    expect(content(await snapshot())).toEqual(before);
  });

  it('expired delta links fall back to a full run', async () => {
    sim.touchUser(userByUpn(`user000007@${DOMAIN}`).id, { department: 'Research' });
    sim.expireDeltaLinks();
    const run = await service().sync();
    expect(run).toMatchObject({ mode: 'full', fellBackToFull: true });
    expect(run.counts.users.updated).toBe(1);
    expect((await service().sync()).mode).toBe('incremental');
  });

  it('stops at the safety limit before writing (links not advanced), and applies when allowed', async () => {
    const victims = [...sim.state.users.values()]
      .filter((u) => /user00002\d@/.test(u.userPrincipalName))
      .slice(0, 8);
    for (const v of victims) sim.deleteUser(v.id);
    const before = await snapshot();
    const stopped = await service()
      .sync()
      .catch((e: unknown) => e);
    expect(isHeliosError(stopped) && stopped.code).toBe('SYNC.SAFETY_LIMIT');
    expect(await snapshot()).toEqual(before);
    const allowed = await service().sync({ allowLargeRemovals: true });
    expect(allowed.counts.users.deactivated).toBe(8);
  });

  it('users named as members before the users round saw them are fetched first (no lost membership)', async () => {
    const base = provider();
    let created = '';
    // The user and its membership appear after the users round, before the groups round is read.
    const racing: Microsoft365Provider = {
      ...base,
      groupsDelta: async (link, onPage) => {
        const user = await base.createUser({
          accountEnabled: true,
          displayName: 'Late Comer',
          mailNickname: 'late.comer',
          userPrincipalName: `late.comer@${DOMAIN}`,
          passwordProfile: {
            password: 'Late-Comer-Pa55word!',
            forceChangePasswordNextSignIn: true,
          },
        });
        created = user.id;
        await base.addGroupMember([...sim.state.groups.keys()][0]!, user.id);
        return base.groupsDelta(link, onPage);
      },
    };
    const run = await service(() => racing).sync();
    expect(run.fetched.lateUsers).toBe(1);
    const after = await snapshot();
    expect(
      after.memberships.some((m) => m.u === created && m.g === [...sim.state.groups.keys()][0]),
    ).toBe(true);
    // The next incremental run sees the user in its users round and changes nothing more.
    const next = await service().sync();
    expect(next.counts.memberships.created).toBe(0);
  });

  it('converges with faults at 10% to the clean-run state', async () => {
    const clean = content(await snapshot());
    sim.setFaults({ rate: 0.1, seed: 11, retryAfterSeconds: 0 });
    try {
      await service().sync({ full: true });
    } finally {
      sim.setFaults(null);
    }
    expect(content(await snapshot())).toEqual(clean);
  });

  it('runs one sync at a time', async () => {
    const slow: Microsoft365Provider = {
      ...provider(),
      usersDelta: async (link, onPage, first) => {
        await new Promise((r) => setTimeout(r, 300));
        return provider().usersDelta(link, onPage, first);
      },
    };
    const results = await Promise.allSettled([
      service(() => slow).sync(),
      service(() => slow).sync(),
    ]);
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(
      isHeliosError((rejected[0] as PromiseRejectedResult).reason) &&
        (rejected[0] as PromiseRejectedResult).reason.code,
    ).toBe('SYNC.ALREADY_RUNNING');
  });

  it('syncs without the directory-role permission, leaving the admin flags as they were', async () => {
    const admins = (await snapshot()).users.filter((u) => u.is_admin).map((u) => u.ms_id);
    sim.grantPermissions(['User.Read.All', 'GroupMember.Read.All', 'Organization.Read.All']);
    try {
      const run = await service().sync({ full: true });
      expect(run.fetched.adminsKnown).toBe(false);
    } finally {
      sim.grantPermissions([...GRAPH_APPLICATION_PERMISSIONS]);
    }
    expect((await snapshot()).users.filter((u) => u.is_admin).map((u) => u.ms_id)).toEqual(admins);
    expect(admins).toHaveLength(1);
  });

  it('journals the runs (audit rows and module state)', async () => {
    const rows = await db()
      .selectFrom('audit_logs')
      .select(['action', 'details'])
      .where('action', '=', 'microsoft_365.sync')
      .execute();
    expect(rows.length).toBeGreaterThanOrEqual(6);
    const state = await sql<{
      sync_status: string;
    }>`select om.sync_status from organization_modules om join modules m on m.id = om.module_id where m.slug = 'microsoft_365'`.execute(
      db(),
    );
    expect(state.rows[0]?.sync_status).toBe('completed');
  });
});

describe('Microsoft 365 sync of groups whose members@delta spans several pages', () => {
  let big: TestHelios;
  let bigSim: GraphSimulator;
  beforeAll(async () => {
    // 250 members a group, at most 100 of them a delta page: each group is repeated on three pages.
    bigSim = await startGraphSimulator({
      domain: 'ms-big.test',
      seed: { users: 260, groups: 2, membersPerGroup: 250 },
      deltaMembersPerPage: 100,
    });
    big = await createTestHelios();
  });
  afterAll(() => closeTestBed(big, bigSim));
  const bigService = () =>
    createMicrosoftSyncService(testRuntime(big, { type: 'user', userId: big.admin!.id }), {
      provider: async () =>
        simulatedMicrosoft365(bigSim, {
          pageSize: 50,
          retry: { maxRetries: 10, baseDelayMs: 2, maxDelayMs: 20 },
        }),
    });
  const memberships = async () =>
    (
      await sql<{ g: string; display_name: string; n: number }>`
        select g.ms_id as g, g.display_name, (select count(*)::int from ms_group_memberships m where m.group_id = g.id) as n
        from ms_synced_groups g order by g.ms_id`.execute(big.helios.db)
    ).rows;

  it('a full run merges the parts: a group of 250 members syncs all 250 memberships', async () => {
    const run = await bigService().sync();
    expect(run).toMatchObject({ status: 'completed', mode: 'full' });
    const groups = [...bigSim.state.groups.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(await memberships()).toEqual(
      groups.map((g) => ({ g: g.id, display_name: g.displayName, n: 250 })),
    );
    const access = await sql<{
      n: number;
    }>`select count(*)::int as n from access_groups where platform = 'microsoft_365'`.execute(
      big.helios.db,
    );
    expect(access.rows[0]?.n).toBe(2);
  });

  it('a forced full run over the same data keeps every group and membership', async () => {
    const before = await memberships();
    expect(before.map((g) => g.n)).toEqual([250, 250]);
    const run = await bigService().sync({ full: true });
    expect(run.counts.groups).toMatchObject({ deactivated: 0 });
    expect(await memberships()).toEqual(before);
  });
});

describe('Microsoft 365 sync staging (each statement stages its rows as one JSON document)', () => {
  // 30 members a group, at most 7 of them a delta page: every group is repeated on five pages.
  const bed = useTestBed(() =>
    startGraphSimulator({
      domain: 'ms-stage.test',
      seed: { users: 40, groups: 3, membersPerGroup: 30 },
      deltaMembersPerPage: 7,
    }),
  );
  const ownService = (make: () => Microsoft365Provider) =>
    createMicrosoftSyncService(testRuntime(bed.t, { type: 'user', userId: bed.t.admin!.id }), {
      provider: async () => make(),
    });
  const ownProvider = () =>
    simulatedMicrosoft365(bed.sim, {
      pageSize: 4,
      retry: { maxRetries: 10, baseDelayMs: 2, maxDelayMs: 20 },
    });
  const ownUser = (upn: string) =>
    [...bed.sim.state.users.values()].find((u) => u.userPrincipalName === upn);
  const pairs = async () =>
    (
      await sql<{
        p: string;
      }>`select g.ms_id || '/' || u.ms_id as p from ms_group_memberships m join ms_synced_groups g on g.id = m.group_id
        join ms_synced_users u on u.id = m.user_id order by 1`.execute(bed.t.helios.db)
    ).rows.map((r) => r.p);

  it('keeps quotes, backslashes, JSON-like text and characters outside the BMP exactly as Graph sent them', async () => {
    const tricky = `O'Brien "Ω" \\ back\\slash {"a":[1]} \\u0041 😀`;
    const user = ownUser('user000003@ms-stage.test');
    // Cut at 255 UTF-16 units, the emoji's pair would be split: the stored column stops before it.
    const long = `${'x'.repeat(254)}😀${'y'.repeat(10)}`;
    bed.sim.touchUser(user.id, {
      displayName: tricky,
      jobTitle: '\t tab & new\nline',
      department: long,
      businessPhones: ['+1 "555"'],
    });
    const run = await ownService(ownProvider).sync();
    expect(run.fetched.warnings.total).toBe(0);
    const row = await bed.t.helios.db
      .selectFrom('ms_synced_users')
      .select(['display_name', 'job_title', 'department', 'business_phones', 'raw_data'])
      .where('ms_id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      display_name: tricky,
      job_title: '\t tab & new\nline',
      department: 'x'.repeat(254),
      business_phones: ['+1 "555"'],
    });
    expect(row.raw_data).toMatchObject({ displayName: tricky, department: long });
    // The hash of what was staged matches the stored one: a full run over the same data writes nothing.
    const again = await ownService(ownProvider).sync({ full: true });
    expect(again.counts.users).toMatchObject({ created: 0, updated: 0, deactivated: 0 });
  });

  it('merges a group repeated on many pages, and lets the later copy win when a page repeats an object', async () => {
    const expected = [...bed.sim.state.members.entries()]
      .flatMap(([g, set]) =>
        [...set].filter((m) => bed.sim.state.users.has(m)).map((m) => `${g}/${m}`),
      )
      .sort();
    expect(await pairs()).toEqual(expected);
    expect(expected).toHaveLength(90);

    // Graph may send an object twice in a round: on one page, a user again with newer values, and a
    // member again as removed. The later copy wins.
    const user = ownUser('user000004@ms-stage.test');
    const [groupId, members] = [...bed.sim.state.members.entries()][0]!;
    const dropped = [...members].find((m) => bed.sim.state.users.has(m))!;
    const base = ownProvider();
    const repeatUser = (items: GraphObject[]) => {
      const i = items.findIndex((u) => u.id === user.id);
      return i < 0
        ? items
        : [
            ...items.slice(0, i + 1),
            { ...items[i]!, jobTitle: 'Later Copy' },
            ...items.slice(i + 1),
          ];
    };
    const repeatMember = (items: GraphObject[]) =>
      items.map((g) => {
        const list = g['members@delta'] as Array<Record<string, unknown>> | undefined;
        if (g.id !== groupId || !list?.some((m) => m.id === dropped)) return g;
        return {
          ...g,
          'members@delta': [
            ...list,
            {
              '@odata.type': '#microsoft.graph.user',
              id: dropped,
              '@removed': { reason: 'deleted' },
            },
          ],
        };
      });
    // Every page passes through: the opening batch's first pages and the rounds' next ones.
    const repeating: Microsoft365Provider = {
      ...base,
      openSyncReads: async (links) => {
        const opening = await base.openSyncReads(links);
        return {
          ...opening,
          users: { ...opening.users, value: repeatUser(opening.users.value ?? []) },
          groups: { ...opening.groups, value: repeatMember(opening.groups.value ?? []) },
        };
      },
      usersDelta: (link, onPage, first) =>
        base.usersDelta(link, ({ items }) => onPage({ items: repeatUser(items) }), first),
      groupsDelta: (link, onPage, first) =>
        base.groupsDelta(link, ({ items }) => onPage({ items: repeatMember(items) }), first),
    };
    const run = await ownService(() => repeating).sync({ full: true });
    expect(run.counts.users).toMatchObject({ created: 0, updated: 1, deactivated: 0 });
    expect(run.counts.memberships).toMatchObject({ created: 0, deactivated: 1 });
    const job = await bed.t.helios.db
      .selectFrom('ms_synced_users')
      .select('job_title')
      .where('ms_id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(job.job_title).toBe('Later Copy');
    expect(await pairs()).toEqual(expected.filter((p) => p !== `${groupId}/${dropped}`));
  });
});
