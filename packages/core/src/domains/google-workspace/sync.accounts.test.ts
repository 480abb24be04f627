import {
  createTestHelios,
  createTestUser,
  type GoogleDirectorySimulator,
  startGoogleDirectorySimulator,
  type TestHelios,
} from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceRuntime } from '../../runtime';
import { simulatedGoogleOverrides, testRuntime } from '../../test-runtime';
import { closeTestBed } from '../integrations/writeback.test-kit';
import { SYNC_WARNING_LAST_ADMIN } from '../sync/suspensions';
import { createGoogleCredentialsService } from './credentials';
import { type GoogleWorkspaceProvider, googleWorkspace } from './provider';
import { createGoogleSyncService } from './sync.service';

// Linking (which addresses link a Google account to a local user) and suspension mirroring, on the
// Directory simulator over HTTP.

const DOMAIN = 'accounts.test';
let t: TestHelios;
let sim: GoogleDirectorySimulator;
let google: GoogleWorkspaceProvider;

const runtime = (): ServiceRuntime => testRuntime(t, { type: 'user', userId: t.admin!.id });
const sync = () =>
  createGoogleSyncService(runtime(), {
    providerOverrides: simulatedGoogleOverrides(sim),
  }).sync({ allowLargeRemovals: true });
const localUser = (id: string) =>
  t.helios.db
    .selectFrom('organization_users')
    .select([
      'id',
      'email',
      'user_status',
      'is_active',
      'google_workspace_id',
      'google_workspace_sync_status',
    ])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
const lifecycle = (userId: string) =>
  t.helios.db
    .selectFrom('user_lifecycle_logs')
    .select(['step_name', 'step_type', 'status', 'details'])
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .execute();
const newGoogleUser = (local: string, extra: Record<string, unknown> = {}) =>
  google.insertUser({
    primaryEmail: `${local}@${DOMAIN}`,
    name: { givenName: 'Given', familyName: local },
    password: 'initial-Passw0rd',
    ...extra,
  });

beforeAll(async () => {
  [t, sim] = await Promise.all([
    createTestHelios(),
    startGoogleDirectorySimulator({
      domain: DOMAIN,
      seed: { users: 3, groups: 1, membersPerGroup: 2, orgUnits: 1 },
    }),
  ]);
  await createGoogleCredentialsService(runtime()).configure({
    serviceAccountKey: sim.serviceAccountKey,
    adminEmail: sim.adminEmail,
    domain: DOMAIN,
  });
  google = googleWorkspace({
    rootUrl: sim.url,
    tokenUrl: sim.tokenUrl,
    retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 50 },
    credentials: {
      serviceAccountKey: sim.serviceAccountKey,
      adminEmail: sim.adminEmail,
      domain: DOMAIN,
    },
  });
}, 60_000);
afterAll(() => closeTestBed(t, sim));

describe('Google sync linking', () => {
  it('links by primary email and alias, never by a typed personal address in emails nor by an alias off the organization domains', async () => {
    const pat = await newGoogleUser('pat', {
      emails: [
        { address: `alex@${DOMAIN}`, type: 'home' },
        { address: 'robin@personal.example', type: 'other' },
      ],
    });
    const chris = await newGoogleUser('chris');
    sim.state.users.set(chris.id, {
      ...sim.state.users.get(chris.id),
      aliases: [`chris.alias@${DOMAIN}`],
    });
    // pat has no local user of its own: the typed addresses must not pull somebody else's in.
    const lee = await newGoogleUser('lee', {
      emails: [{ address: 'lee@personal.example', type: 'home' }],
    });
    const primary = await createTestUser(t.helios, { email: `lee@${DOMAIN}` });
    const colleague = await createTestUser(t.helios, { email: `alex@${DOMAIN}` });
    const personal = await createTestUser(t.helios, { email: 'robin@personal.example' });
    const testAlias = await createTestUser(t.helios, {
      email: `chris@${DOMAIN}.test-google-a.com`,
    });
    const byAlias = await createTestUser(t.helios, { email: `chris.alias@${DOMAIN}` });
    expect((await google.getUser(pat.id)).emails).toContainEqual({
      address: `alex@${DOMAIN}`,
      type: 'home',
    });
    expect((await google.getUser(chris.id)).nonEditableAliases).toEqual([
      `chris@${DOMAIN}.test-google-a.com`,
    ]);

    await sync();
    expect((await localUser(colleague.id)).google_workspace_id).toBeNull();
    expect((await localUser(personal.id)).google_workspace_id).toBeNull();
    expect((await localUser(testAlias.id)).google_workspace_id).toBeNull();
    expect((await localUser(primary.id)).google_workspace_id).toBe(lee.id);
    expect(
      await t.helios.db
        .selectFrom('organization_users')
        .select('id')
        .where('google_workspace_id', '=', pat.id)
        .execute(),
    ).toEqual([]);
    expect((await localUser(byAlias.id)).google_workspace_id).toBe(chris.id);
  });
});

describe('Google sync suspension', () => {
  it('suspends the linked local user when Google suspends them (reason in the lifecycle log, sessions ended) and re-activates them when Google unsuspends', async () => {
    const g = await newGoogleUser('sam');
    const local = await createTestUser(t.helios, { email: `sam@${DOMAIN}` });
    await t.helios.db
      .insertInto('auth_sessions')
      .values({
        id: `s-${local.id}`,
        user_id: local.id,
        token: `tok-${local.id}`,
        expires_at: new Date(Date.now() + 3_600_000),
      } as never)
      .execute();
    await sync();
    expect(await localUser(local.id)).toMatchObject({
      google_workspace_id: g.id,
      user_status: 'active',
    });

    await google.suspendUser(g.id);
    const run = await sync();
    expect(run.counts.accounts).toEqual({ suspended: 1, reactivated: 0 });
    expect(await localUser(local.id)).toMatchObject({
      user_status: 'suspended',
      is_active: false,
      google_workspace_sync_status: 'suspended',
    });
    expect(
      await t.helios.db
        .selectFrom('auth_sessions')
        .select('id')
        .where('user_id', '=', local.id)
        .execute(),
    ).toEqual([]);
    expect(await lifecycle(local.id)).toEqual([
      {
        step_name: 'google_workspace.suspend',
        step_type: 'directory_sync',
        status: 'completed',
        details: {
          source: 'google_workspace',
          reason: 'suspended in Google Workspace',
          from: 'active',
          to: 'suspended',
        },
      },
    ]);
    expect((await sync()).counts.accounts).toEqual({ suspended: 0, reactivated: 0 });

    await google.unsuspendUser(g.id);
    expect((await sync()).counts.accounts).toEqual({ suspended: 0, reactivated: 1 });
    expect(await localUser(local.id)).toMatchObject({
      user_status: 'active',
      is_active: true,
      google_workspace_sync_status: 'synced',
    });
    expect((await lifecycle(local.id)).map((l) => l.step_name)).toEqual([
      'google_workspace.suspend',
      'google_workspace.unsuspend',
    ]);
  });

  it('never re-activates a user a local admin suspended, before or after the sync did', async () => {
    const early = await newGoogleUser('early');
    const late = await newGoogleUser('late');
    const localEarly = await createTestUser(t.helios, { email: `early@${DOMAIN}` });
    const localLate = await createTestUser(t.helios, { email: `late@${DOMAIN}` });
    await sync();
    // Suspended here for another reason, then in Google too.
    await t.asAdmin.users.suspend(localEarly.id);
    await google.suspendUser(early.id);
    // Suspended by the sync, then unsuspended and suspended again by a local admin.
    await google.suspendUser(late.id);
    await sync();
    expect(await localUser(localLate.id)).toMatchObject({ user_status: 'suspended' });
    await t.asAdmin.users.unsuspend(localLate.id);
    await t.asAdmin.users.suspend(localLate.id);

    await google.unsuspendUser(early.id);
    await google.unsuspendUser(late.id);
    const run = await sync();
    expect(run.counts.accounts.reactivated).toBe(0);
    expect(await localUser(localEarly.id)).toMatchObject({
      user_status: 'suspended',
      google_workspace_sync_status: 'synced',
    });
    expect(await localUser(localLate.id)).toMatchObject({
      user_status: 'suspended',
      google_workspace_sync_status: 'synced',
    });
  });

  it('keeps the last active admin active when Google suspends them, and reports a warning in the run', async () => {
    const g = await newGoogleUser('boss');
    await t.helios.db
      .updateTable('organization_users')
      .set({ google_workspace_id: g.id })
      .where('id', '=', t.admin!.id)
      .execute();
    await google.suspendUser(g.id);
    const run = await sync();
    expect(run.warnings).toEqual([
      expect.objectContaining({
        code: SYNC_WARNING_LAST_ADMIN,
        details: { userIds: [t.admin!.id] },
      }),
    ]);
    expect(await localUser(t.admin!.id)).toMatchObject({
      user_status: 'active',
      google_workspace_sync_status: 'suspended',
    });
    const audit = (await t.asAdmin.audit.list({ action: 'google_workspace.sync', limit: 1 }))
      .items[0]!;
    expect((audit.details as { warnings: unknown[] }).warnings).toEqual([
      expect.objectContaining({ code: SYNC_WARNING_LAST_ADMIN }),
    ]);

    // With another active admin, the suspension applies.
    await createTestUser(t.helios, { email: 'second.admin@acme.test', role: 'admin' });
    const next = await sync();
    expect(next.warnings).toEqual([]);
    expect(await localUser(t.admin!.id)).toMatchObject({ user_status: 'suspended' });
  });
});
