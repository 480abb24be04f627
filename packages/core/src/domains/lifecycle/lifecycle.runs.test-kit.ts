import { randomBytes } from 'node:crypto';
import {
  createTestDatabase,
  createTestUser,
  type GoogleDirectorySimulator,
  type GraphSimulator,
  startGoogleDirectorySimulator,
  startGraphSimulator,
  type TestDatabase,
} from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { createHelios, type Helios, type HeliosScope } from '../../helios';
import { fixedClock } from '../../shared/clock';
import { recordingMailer } from '../../shared/mailer';

// The test bed of the lifecycle run tests: the Google and Graph simulators over HTTP, both
// connected, Helios on the file's database (graphile-worker on PostgreSQL, the in-process queue on
// the embedded database), a fake clock, a recording mailer, and access groups linked to each cloud.

export const DOMAIN = 'runs.test';
export const E5 = 'c7df2760-2c81-4ef7-b578-5b5392b571df';
/** A Google Workspace licence SKU (`productId/skuId`). */
export const GOOGLE_SKU = 'Google-Apps/1010020027';
export const HOUR = 3600_000;
export const clock = fixedClock(new Date('2027-03-01T09:00:00Z'));
export const mailer = recordingMailer();
// The bed's objects, set by `useRunsTestBed`'s beforeAll: test files import them (live bindings).
let t: TestDatabase;
/** Helios on the file's database. */
export let helios: Helios;
/** The organization's administrator. */
export let admin: HeliosScope;
/** The Google Workspace simulator. */
export let google: GoogleDirectorySimulator;
/** The Graph simulator. */
export let graph: GraphSimulator;
/** The Google group linked to an access group. */
export let googleGroupId: string;
/** The Graph group linked to an access group. */
export let graphGroupId: string;
/** Access groups linked to the Google group, the Graph group, and a local one. */
export let groups: { google: string; microsoft: string; local: string };

export async function timePasses(ms: number): Promise<void> {
  clock.advance(ms);
  if (helios.jobs.backend === 'postgres') {
    await sql`update graphile_worker._private_jobs set run_at = run_at - make_interval(secs => ${ms / 1000})`.execute(
      helios.db,
    );
  }
}
/** Runs the queued steps, then each retry of a step that failed (after 2 s, then 8 s). */
export async function runThroughRetries(): Promise<void> {
  await helios.jobs.runOnce();
  for (const ms of [2_000, 8_000]) {
    await timePasses(ms);
    await helios.jobs.runOnce();
  }
}
export const g = (route: string) => google.requests.byRoute[route] ?? 0;
export const m = (route: string) => graph.requests.byRoute[route] ?? 0;
/** The roles `granteeMsId` holds on the root of `ownerMsId`'s OneDrive, one entry per permission. */
export const oneDriveRoles = (ownerMsId: string, granteeMsId: string) =>
  graph
    .drive(ownerMsId)
    ?.permissions.filter((p) => p.grantedToV2.user.id === granteeMsId)
    .map((p) => p.roles);
export const unique = () => randomBytes(3).toString('hex');
export const stateOf = (run: { steps: Array<{ id: string; state: string }> }) =>
  Object.fromEntries(run.steps.map((s) => [s.id, s.state]));
export async function counts() {
  const q = async (table: string) =>
    Number(
      (
        await sql<{ n: string }>`select count(*)::text as n from ${sql.table(table)}`.execute(
          helios.db,
        )
      ).rows[0]!.n,
    );
  return {
    actions: await q('scheduled_user_actions'),
    logs: await q('user_lifecycle_logs'),
    users: await q('organization_users'),
    members: await q('access_group_members'),
    audit: await q('audit_logs'),
    passwords: await q('user_initial_passwords'),
    google: google.requests.total,
    graph: graph.requests.total,
  };
}

/** A user linked to both clouds (created through the write-back), with a manager linked too. */
export async function linkedUser(options: { licensed?: boolean; inGroups?: boolean } = {}) {
  const make = async (prefix: string, managerId?: string) => {
    const email = `${prefix}${unique()}@${DOMAIN}`;
    const local = await createTestUser(helios, {
      email,
      ...(managerId ? { reporting_manager_id: managerId } : {}),
    } as never);
    const gu = await admin.google.writeback.createUser({
      primaryEmail: email,
      givenName: 'Lin',
      familyName: 'Ked',
      localUserId: local.id,
    });
    const mu = await admin.microsoft.writeback.createUser({
      userPrincipalName: email,
      displayName: 'Lin Ked',
      usageLocation: 'US',
      localUserId: local.id,
    });
    // Exchange Online gives a licensed account a mailbox: the simulator's mark of one is `mail`.
    const graphUser = graph.state.users.get(mu.msId) as { mail?: string } | undefined;
    if (graphUser) graphUser.mail = email;
    return { id: local.id, email, googleId: gu.googleId, msId: mu.msId };
  };
  const manager = await make('boss');
  const user = await make('leaver', manager.id);
  if (options.licensed) await admin.microsoft.writeback.assignLicense(user.msId, { add: [E5] });
  if (options.inGroups) {
    for (const id of [groups.google, groups.microsoft, groups.local])
      await admin.accessGroups.addMember(id, user.id);
    await admin.google.writeback.addMember(googleGroupId, user.email);
    await admin.microsoft.writeback.addMember(graphGroupId, user.msId);
  }
  return { user, manager };
}

/** Registers the bed's hooks (call once at the top of a test file). */
export function useRunsTestBed(): void {
  beforeAll(async () => {
    [google, graph] = await Promise.all([
      startGoogleDirectorySimulator({
        domain: DOMAIN,
        seed: { users: 0, groups: 1, membersPerGroup: 0, orgUnits: 1 },
      }),
      startGraphSimulator({
        domain: DOMAIN,
        seed: { users: 0, groups: 1, membersPerGroup: 0 },
        skus: [{ skuId: E5, skuPartNumber: 'SPE_E5', enabled: 50 }],
      } as never),
    ]);
    t = await createTestDatabase();
    helios = await createHelios({
      ...(t.connectionString ? { databaseUrl: t.connectionString } : { db: t.db }),
      clock,
      mailer,
      encryptionKey: randomBytes(32).toString('base64'),
      integrations: {
        google: {
          rootUrl: google.url,
          tokenUrl: google.tokenUrl,
          retry: { maxRetries: 1, baseDelayMs: 1 },
        },
        microsoft: {
          graphUrl: graph.url,
          loginUrl: graph.authorityHost,
          retry: { maxRetries: 1, baseDelayMs: 1 },
        },
      },
    });
    const setup = await helios.organizations.setup({
      organizationName: 'Acme',
      organizationDomain: DOMAIN,
      admin: { email: `admin@${DOMAIN}`, firstName: 'Ada', lastName: 'Admin' },
    });
    admin = helios.as({ type: 'user', userId: setup.admin.id });
    await helios.jobs.status();
    await admin.google.credentials.configure({
      serviceAccountKey: google.serviceAccountKey,
      adminEmail: google.adminEmail,
      domain: DOMAIN,
    });
    expect((await admin.google.credentials.testConnection()).ok).toBe(true);
    await admin.microsoft.credentials.configure({
      tenantId: graph.tenantId,
      clientId: graph.clientId,
      clientSecret: graph.clientSecret,
    });
    await admin.organizations.modules.enable('microsoft_365');
    googleGroupId = [...google.state.groups.keys()][0]!;
    graphGroupId = [...graph.state.groups.keys()][0]!;
    await helios.db
      .insertInto('ms_synced_groups')
      .values({
        organization_id: setup.organization.id,
        ms_id: graphGroupId,
        display_name: 'Eng',
        group_types: JSON.stringify([]),
        raw_data: JSON.stringify(graph.state.groups.get(graphGroupId)),
      })
      .execute();
    const insert = (name: string, platform: string, externalId: string | null) =>
      helios.db
        .insertInto('access_groups')
        .values({
          organization_id: setup.organization.id,
          name,
          platform,
          group_type: 'security',
          external_id: externalId,
          is_active: true,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
    groups = {
      google: (await insert('Eng (Google)', 'google_workspace', googleGroupId)).id,
      microsoft: (await insert('Eng (Microsoft)', 'microsoft_365', graphGroupId)).id,
      local: (await insert('Eng (local)', 'manual', null)).id,
    };
  }, 60_000);

  afterAll(async () => {
    await helios?.close();
    await t?.destroy();
    await Promise.all([google?.close(), graph?.close()]);
  });

  beforeEach(async () => {
    google.setFaults(null);
    graph.setFaults?.(null);
    await timePasses(400 * 24 * HOUR);
    await helios.jobs.runOnce();
    mailer.clear();
  });
}
