import { randomBytes, randomUUID } from 'node:crypto';
import {
  createTestDatabase,
  createTestUser,
  type GoogleDirectorySimulator,
  startGoogleDirectorySimulator,
  type TestDatabase,
} from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHelios, type Helios, type HeliosScope } from '../../helios';
import { fixedClock } from '../../shared/clock';
import type { Actor } from '../policy/actor';
import { REFRESH_JOB_KEY, REFRESH_TASK } from './automation.queue';

// The same tests on both backends: PostgreSQL (graphile-worker queue) and the embedded database
// (in-process queue). Google calls go to the Directory simulator over HTTP.

const DOMAIN = 'dyn.test';
const clock = fixedClock(new Date());
const tag = randomBytes(3).toString('hex');
let t: TestDatabase;
let helios: Helios;
let admin: HeliosScope;
let adminId: string;
let google: GoogleDirectorySimulator;

async function timePasses(ms: number): Promise<void> {
  clock.advance(ms);
  if (helios.jobs.backend === 'postgres') {
    await sql`update graphile_worker._private_jobs set run_at = run_at - make_interval(secs => ${ms / 1000})`.execute(
      helios.db,
    );
  }
}

const title = (name: string) => `${name}-${tag}`;
const rule = (jobTitle: string) => ({
  all: [{ fact: 'jobTitle', operator: 'equal', value: jobTitle }],
});

async function user(jobTitle: string | null, extra: Record<string, unknown> = {}) {
  return createTestUser(helios, { job_title: jobTitle, ...extra });
}

async function group(name: string) {
  return admin.accessGroups.create({ name: `${name} ${tag} ${randomUUID().slice(0, 4)}` });
}

/** The group's memberships: user id -> [source, active]. */
async function members(groupId: string) {
  const rows = await helios.db
    .selectFrom('access_group_members')
    .select(['user_id', 'membership_source', 'is_active', 'removed_at', 'rule_matched_at'])
    .where('access_group_id', '=', groupId)
    .execute();
  return new Map(rows.map((r) => [r.user_id, r]));
}

async function rowCounts() {
  const count = async (table: string) =>
    Number(
      (
        await sql<{ n: string }>`select count(*)::text as n from ${sql.table(table)}`.execute(
          helios.db,
        )
      ).rows[0]!.n,
    );
  return {
    members: await count('access_group_members'),
    audit: await count('audit_logs'),
    log: await count('rule_evaluation_log'),
    rules: await count('automation_rules'),
  };
}

async function queued() {
  const status = await helios.jobs.status();
  return status.queued + status.scheduled;
}

beforeAll(async () => {
  google = await startGoogleDirectorySimulator({
    domain: DOMAIN,
    seed: { users: 0, groups: 0, membersPerGroup: 0, orgUnits: 1 },
  });
  t = await createTestDatabase();
  helios = await createHelios({
    ...(t.connectionString ? { databaseUrl: t.connectionString } : { db: t.db }),
    clock,
    encryptionKey: randomBytes(32).toString('base64'),
    integrations: {
      google: {
        rootUrl: google.url,
        tokenUrl: google.tokenUrl,
        retry: { maxRetries: 1, baseDelayMs: 1 },
      },
    },
  });
  const setup = await helios.organizations.setup({
    organizationName: 'Acme',
    organizationDomain: DOMAIN,
    admin: { email: `admin@${DOMAIN}`, firstName: 'Ada', lastName: 'Admin' },
  });
  adminId = setup.admin.id;
  admin = helios.as({ type: 'user', userId: adminId });
  await helios.jobs.status(); // installs graphile-worker's schema on first use
}, 60_000);

afterAll(async () => {
  await helios?.close();
  await t?.destroy();
  await google?.close();
});

beforeEach(async () => {
  // Whatever an earlier test left queued runs now, so each test starts from an empty queue.
  await timePasses(2 * 3600_000);
  await helios.jobs.runOnce();
});

describe(`helios.dynamicGroups (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded'})`, () => {
  it('stores the rule as one dynamic_group automation rule with the exact config and the validation summary', async () => {
    const g = await group('Stored');
    const saved = await admin.dynamicGroups.setRule(g.id, {
      any: [
        rule(title('Stored')),
        { all: [{ fact: 'department', operator: 'startsWith', value: 'Eng' }] },
      ],
    });
    expect(saved).toMatchObject({
      groupId: g.id,
      pushToPlatform: false,
      enabled: true,
      nestingDepth: 2,
      conditionCount: 2,
      referencedConditionIds: [],
    });
    const rows = await helios.db
      .selectFrom('automation_rules')
      .selectAll()
      .where('rule_type', '=', 'dynamic_group')
      .where(sql<string>`config ->> 'accessGroupId'`, '=', g.id)
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.config).toEqual({ accessGroupId: g.id, pushToPlatform: false });
    expect(rows[0]).toMatchObject({ nesting_depth: 2, condition_count: 2, created_by: adminId });

    // Setting again replaces the tree of the same row (at most one rule per group).
    const again = await admin.dynamicGroups.setRule(g.id, rule(title('Other')));
    expect(again.id).toBe(saved.id);
    expect((await admin.dynamicGroups.getRule(g.id)).conditions).toEqual(rule(title('Other')));
    const forGroup = await helios.db
      .selectFrom('automation_rules')
      .select('id')
      .where(sql<string>`config ->> 'accessGroupId'`, '=', g.id)
      .execute();
    expect(forGroup).toEqual([{ id: saved.id }]);

    await admin.dynamicGroups.removeRule(g.id);
    await expect(admin.dynamicGroups.getRule(g.id)).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'DYNAMIC_GROUPS.RULE_NOT_FOUND',
    });
    const audit = await admin.audit.list({ action: 'dynamic_groups.rule_set', limit: 10 });
    expect(audit.items.some((a) => a.resourceId === g.id)).toBe(true);
  });

  it('refuses bad trees, unknown, malformed and other organizations’ group ids, writing nothing', async () => {
    const g = await group('Refused');
    const otherOrg = await helios.db
      .insertInto('organizations')
      .values({ name: 'Other', domain: `other-${tag}.test` } as never)
      .returning('id')
      .executeTakeFirstOrThrow();
    const foreign = await helios.db
      .insertInto('access_groups')
      .values({
        organization_id: otherOrg.id,
        name: 'Foreign',
        platform: 'manual',
        group_type: 'manual',
      } as never)
      .returning('id')
      .executeTakeFirstOrThrow();
    const before = await rowCounts();
    await expect(
      admin.dynamicGroups.setRule(g.id, {
        all: [{ fact: 'password_hash', operator: 'equal', value: 'x' }],
      }),
    ).rejects.toMatchObject({ kind: 'INVALID_INPUT', code: 'AUTOMATION.INVALID_CONDITION' });
    await expect(
      admin.dynamicGroups.setRule(g.id, rule('x'), { pushToPlatform: 'yes' as never }),
    ).rejects.toMatchObject({ kind: 'INVALID_INPUT' });
    for (const id of [foreign.id, randomUUID(), "x' or 1=1 --"]) {
      await expect(admin.dynamicGroups.setRule(id, rule('x'))).rejects.toMatchObject({
        kind: 'NOT_FOUND',
        code: 'DYNAMIC_GROUPS.GROUP_NOT_FOUND',
      });
      await expect(admin.dynamicGroups.preview(id)).rejects.toMatchObject({
        code: 'DYNAMIC_GROUPS.GROUP_NOT_FOUND',
      });
      await expect(admin.dynamicGroups.apply(id)).rejects.toMatchObject({
        code: 'DYNAMIC_GROUPS.GROUP_NOT_FOUND',
      });
    }
    // A manual group cannot push: it mirrors no cloud group.
    await expect(
      admin.dynamicGroups.setRule(g.id, rule('x'), { pushToPlatform: true }),
    ).rejects.toMatchObject({ kind: 'PRECONDITION_FAILED', code: 'DYNAMIC_GROUPS.NOT_LINKED' });
    await expect(admin.dynamicGroups.apply(g.id)).rejects.toMatchObject({
      code: 'DYNAMIC_GROUPS.RULE_NOT_FOUND',
    });
    expect(await rowCounts()).toEqual(before);
  });

  it('lets administrators write, users:read keys read, and refuses everyone else', async () => {
    const g = await group('Authz');
    await admin.dynamicGroups.setRule(g.id, rule(title('Authz')));
    const manager = await user(null, { role: 'manager' });
    const plain = await user(null);
    const refusedWriters: Actor[] = [
      { type: 'user', userId: manager.id },
      { type: 'user', userId: plain.id },
      { type: 'apiKey', keyId: 'k', scopes: ['groups:write', 'users:read'] },
    ];
    const before = await rowCounts();
    for (const actor of refusedWriters) {
      const as = helios.as(actor);
      await expect(as.dynamicGroups.setRule(g.id, rule('x'))).rejects.toMatchObject({
        kind: 'FORBIDDEN',
      });
      await expect(as.dynamicGroups.apply(g.id)).rejects.toMatchObject({ kind: 'FORBIDDEN' });
      await expect(as.dynamicGroups.removeRule(g.id)).rejects.toMatchObject({
        kind: 'FORBIDDEN',
      });
      await expect(as.dynamicGroups.refresh()).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    }
    for (const actor of refusedWriters.slice(0, 2)) {
      await expect(helios.as(actor).dynamicGroups.preview(g.id)).rejects.toMatchObject({
        kind: 'FORBIDDEN',
      });
    }
    await expect(
      helios
        .as({ type: 'apiKey', keyId: 'k', scopes: ['groups:read'] })
        .dynamicGroups.preview(g.id),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    const reader = helios.as({ type: 'apiKey', keyId: 'k', scopes: ['users:read'] });
    expect((await reader.dynamicGroups.preview(g.id)).groupId).toBe(g.id);
    expect((await reader.dynamicGroups.getRule(g.id)).groupId).toBe(g.id);
    const fullKey = helios.as({ type: 'apiKey', keyId: 'k', scopes: ['admin:full'] });
    expect((await fullKey.dynamicGroups.apply(g.id)).push).toBeNull();
    const after = await rowCounts();
    expect({ ...after, audit: 0, log: 0 }).toEqual({ ...before, audit: 0, log: 0 });
  });

  it('previews without writing, applies exactly the right users once, leaves static members alone', async () => {
    const T = title('Eng');
    const g = await group('Engineering');
    const [a, b, c] = [await user(T), await user(T), await user(T)];
    const manualMatching = await user(T);
    const manualOther = await user('Sales');
    const returning = await user(T);
    const outsider = await user('Sales');
    const deleted = await user(T, { deleted_at: new Date() });
    await admin.accessGroups.addMember(g.id, manualMatching.id);
    await admin.accessGroups.addMember(g.id, manualOther.id);
    await admin.accessGroups.addMember(g.id, returning.id);
    await admin.accessGroups.removeMember(g.id, returning.id);
    await admin.dynamicGroups.setRule(g.id, rule(T));

    const before = await rowCounts();
    const preview = await admin.dynamicGroups.preview(g.id, { sampleSize: 2 });
    expect(await rowCounts()).toEqual(before);
    expect(preview).toMatchObject({
      groupId: g.id,
      matchCount: 5,
      wouldAdd: { count: 4 },
      wouldRemove: { count: 0, sample: [] },
      staticMembers: 2,
    });
    expect(preview.wouldAdd.sample).toHaveLength(2);
    const addIds = new Set([a.id, b.id, c.id, returning.id]);
    for (const s of preview.wouldAdd.sample) {
      expect(addIds.has(s.id)).toBe(true);
      expect(s).toEqual({
        id: s.id,
        email: expect.stringContaining('@'),
        firstName: 'Test',
        lastName: expect.any(String),
      });
    }

    const applied = await admin.dynamicGroups.apply(g.id);
    expect(applied).toEqual({
      groupId: g.id,
      matchCount: 5,
      added: 3,
      reactivated: 1,
      removed: 0,
      push: null,
    });
    let m = await members(g.id);
    for (const u of [a, b, c, returning])
      expect(m.get(u.id)).toMatchObject({
        membership_source: 'dynamic',
        is_active: true,
        removed_at: null,
        rule_matched_at: expect.any(Date),
      });
    expect(m.get(manualMatching.id)).toMatchObject({
      membership_source: 'manual',
      is_active: true,
    });
    expect(m.get(manualOther.id)).toMatchObject({ membership_source: 'manual', is_active: true });
    expect(m.has(outsider.id)).toBe(false);
    expect(m.has(deleted.id)).toBe(false);

    // Applying again changes nothing.
    const snapshot = [...(await members(g.id)).entries()];
    expect(await admin.dynamicGroups.apply(g.id)).toMatchObject({
      added: 0,
      reactivated: 0,
      removed: 0,
    });
    expect([...(await members(g.id)).entries()]).toEqual(snapshot);

    // b stops matching: only b leaves; the manual members stay whatever they match.
    await admin.users.update(b.id, { jobTitle: 'Sales' });
    await admin.users.update(manualMatching.id, { jobTitle: 'Sales' });
    const leaving = await admin.dynamicGroups.preview(g.id);
    expect(leaving.wouldRemove).toMatchObject({ count: 1, sample: [{ id: b.id }] });
    expect(await admin.dynamicGroups.apply(g.id)).toMatchObject({
      matchCount: 3,
      added: 0,
      removed: 1,
    });
    m = await members(g.id);
    expect(m.get(b.id)).toMatchObject({
      membership_source: 'dynamic',
      is_active: false,
      removed_at: expect.any(Date),
    });
    expect(m.get(manualMatching.id)).toMatchObject({
      membership_source: 'manual',
      is_active: true,
    });

    // b matches again: the same row comes back.
    await admin.users.update(b.id, { jobTitle: T });
    expect(await admin.dynamicGroups.apply(g.id)).toMatchObject({ reactivated: 1, removed: 0 });
    expect((await members(g.id)).get(b.id)).toMatchObject({ is_active: true, removed_at: null });

    const listed = await admin.accessGroups.listMembers(g.id, { limit: 100 });
    expect(listed.items.find((x) => x.userId === a.id)?.membershipSource).toBe('dynamic');
    expect(listed.items.find((x) => x.userId === manualOther.id)?.membershipSource).toBe('manual');

    const stored = await admin.dynamicGroups.getRule(g.id);
    expect(stored).toMatchObject({ lastMatchCount: 4, lastEvaluatedAt: expect.any(Date) });
    const log = await helios.db
      .selectFrom('rule_evaluation_log')
      .selectAll()
      .where('rule_id', '=', stored.id)
      .execute();
    expect(log).toHaveLength(4);
    expect(log.every((l) => l.rule_type === 'dynamic_group' && l.triggered_by === 'manual')).toBe(
      true,
    );
    const audit = await admin.audit.list({ action: 'dynamic_groups.apply', limit: 50 });
    expect(audit.items.filter((x) => x.resourceId === g.id)).toHaveLength(4);
  });

  it('queues one debounced refresh after user changes, and the worker adds and removes exactly that user', async () => {
    const T = title('Auto');
    const g = await group('Auto');
    const stays = await user(T);
    await admin.dynamicGroups.setRule(g.id, rule(T));
    await admin.dynamicGroups.apply(g.id);
    const mover = await user('Ops');
    expect(await queued()).toBe(0);

    await admin.users.update(mover.id, { jobTitle: T });
    await admin.users.update(mover.id, { jobTitle: T, firstName: 'Mo' });
    const status = await helios.jobs.status();
    expect(status.scheduled + status.queued).toBe(1); // the key coalesced both changes
    await helios.jobs.runOnce();
    expect((await members(g.id)).has(mover.id)).toBe(false); // not before its run time
    await timePasses(10_000);
    await helios.jobs.runOnce();
    let m = await members(g.id);
    expect(m.get(mover.id)).toMatchObject({ membership_source: 'dynamic', is_active: true });
    expect(m.get(stays.id)).toMatchObject({ membership_source: 'dynamic', is_active: true });
    expect(await queued()).toBe(0);

    await admin.users.suspend(mover.id);
    await admin.dynamicGroups.setRule(g.id, {
      all: [rule(T), { fact: 'userStatus', operator: 'equal', value: 'active' }],
    });
    await timePasses(10_000);
    await helios.jobs.runOnce();
    m = await members(g.id);
    expect(m.get(mover.id)).toMatchObject({ is_active: false });
    expect(m.get(stays.id)).toMatchObject({ is_active: true });
    const log = await helios.db
      .selectFrom('rule_evaluation_log')
      .select('triggered_by')
      .where('rule_id', '=', (await admin.dynamicGroups.getRule(g.id)).id)
      .execute();
    expect(log.map((l) => l.triggered_by)).toContain(`job:${REFRESH_TASK}`);

    // A created user is picked up the same way.
    const created = await admin.users.create({
      email: `new-${tag}@${DOMAIN}`,
      firstName: 'New',
      lastName: 'Comer',
      jobTitle: T,
    });
    await timePasses(10_000);
    await helios.jobs.runOnce();
    expect((await members(g.id)).get(created.id)).toMatchObject({ is_active: true });
  });

  it('queues nothing while no rule exists, and the refresh task has its schedule', async () => {
    for (const row of await helios.db.selectFrom('automation_rules').select('id').execute())
      await helios.db.deleteFrom('automation_rules').where('id', '=', row.id).execute();
    const u = await user('Nobody');
    await admin.users.update(u.id, { jobTitle: 'Somebody' });
    expect(await queued()).toBe(0);
    const crons = (await helios.jobs.status()).crons;
    expect(crons.find((c) => c.task === REFRESH_TASK)).toMatchObject({
      nextRunAt: expect.any(Date),
    });
    expect(REFRESH_JOB_KEY).toBe('automation:refresh');
  });

  it('plans the push to the linked Google group, then applies it: the simulator holds exactly the rule’s members', async () => {
    await admin.google.credentials.configure({
      serviceAccountKey: google.serviceAccountKey,
      adminEmail: google.adminEmail,
      domain: DOMAIN,
    });
    const cloudGroup = await admin.google.writeback.createGroup({
      email: `dyn-${tag}@${DOMAIN}`,
      name: 'Dynamic push',
    });
    const T = title('Push');
    const linked = async (name: string, jobTitle: string) => {
      const local = await user(jobTitle, { email: `${name}-${tag}@${DOMAIN}` });
      const created = await admin.google.writeback.createUser({
        primaryEmail: `${name}-${tag}@${DOMAIN}`,
        givenName: name,
        familyName: 'Pushed',
        localUserId: local.id,
      });
      return { local, googleId: created.googleId as string };
    };
    const p1 = await linked('pia', T);
    const p2 = await linked('paul', T);
    const other = await linked('olga', 'Sales');
    const unlinked = await user(T);
    const gid = cloudGroup.accessGroupId;
    await admin.dynamicGroups.setRule(gid, rule(T), { pushToPlatform: true });

    const requests = google.requests.total;
    const applied = await admin.dynamicGroups.apply(gid);
    expect(applied).toMatchObject({ added: 3, removed: 0 });
    expect(applied.push).toEqual({
      integration: 'google',
      added: 2,
      removed: 0,
      failed: [],
      unlinked: 1,
    });
    expect(google.requests.total).toBeGreaterThan(requests);
    const inCloud = () =>
      new Set([...(google.state.members.get(cloudGroup.googleId)?.keys() ?? [])]);
    expect(inCloud()).toEqual(new Set([p1.googleId, p2.googleId]));
    const m = await members(gid);
    expect(m.get(p1.local.id)).toMatchObject({ membership_source: 'dynamic', is_active: true });
    expect(m.get(unlinked.id)).toMatchObject({ membership_source: 'dynamic' });
    expect(m.has(other.local.id)).toBe(false);

    // Nothing left to push: the plan is empty, but for the unlinked member.
    expect(await admin.dynamicGroups.pushPlan(gid)).toMatchObject({ calls: [], unlinked: 1 });

    // p2 stops matching: the plan removes exactly p2, the push applies it.
    await helios.db
      .updateTable('organization_users')
      .set({ job_title: 'Sales' })
      .where('id', '=', p2.local.id)
      .execute();
    await helios.transaction(async (tx) => {
      const inTx = await tx.as({ type: 'user', userId: adminId }).dynamicGroups.apply(gid);
      expect(inTx).toMatchObject({ removed: 1, push: null }); // no cloud call inside a transaction
    });
    const plan = await admin.dynamicGroups.pushPlan(gid);
    expect(plan.calls).toEqual([
      {
        operation: 'removeMember',
        userId: p2.local.id,
        email: p2.local.email,
        externalGroupId: cloudGroup.googleId,
        externalUserId: `paul-${tag}@${DOMAIN}`,
      },
    ]);
    expect(await admin.dynamicGroups.push(gid)).toMatchObject({ removed: 1, failed: [] });
    expect(inCloud()).toEqual(new Set([p1.googleId]));
    expect(await admin.dynamicGroups.pushPlan(gid)).toMatchObject({ calls: [] });
    // The member stays the rule's (deactivated), not the platform's.
    expect((await members(gid)).get(p2.local.id)).toMatchObject({
      membership_source: 'dynamic',
      is_active: false,
    });
    const pushes = await admin.audit.list({ action: 'dynamic_groups.push', limit: 10 });
    expect(pushes.items.filter((x) => x.resourceId === gid)).toHaveLength(2);
  });
});
