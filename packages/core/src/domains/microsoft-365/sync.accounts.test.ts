import {
  createTestHelios,
  createTestUser,
  type GraphSimulator,
  startGraphSimulator,
  type TestHelios,
} from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceRuntime } from '../../runtime';
import { simulatedMicrosoft365, testRuntime } from '../../test-runtime';
import { closeTestBed } from '../integrations/writeback.test-kit';
import { SYNC_WARNING_LAST_ADMIN } from '../sync/suspensions';
import { createMicrosoftSyncService } from './sync.service';

// Account suspension mirroring (accountEnabled=false) on the Graph simulator over HTTP; this
// simulator answers expired delta links the other way Graph does (410 resyncRequired).

const DOMAIN = 'ms-accounts.test';
let t: TestHelios;
let sim: GraphSimulator;

const runtime = (): ServiceRuntime => testRuntime(t, { type: 'user', userId: t.admin!.id });
const sync = (input: { full?: boolean } = {}) =>
  createMicrosoftSyncService(runtime(), { provider: async () => simulatedMicrosoft365(sim) }).sync({
    allowLargeRemovals: true,
    ...input,
  });
const upn = (i: number) => `user${String(i).padStart(6, '0')}@${DOMAIN}`;
const graphUser = (i: number) =>
  [...sim.state.users.values()].find((u) => u.userPrincipalName === upn(i))!;
const localUser = (id: string) =>
  t.helios.db
    .selectFrom('organization_users')
    .select(['id', 'user_status', 'is_active', 'microsoft_365_id', 'microsoft_365_sync_status'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
const lifecycle = (userId: string) =>
  t.helios.db
    .selectFrom('user_lifecycle_logs')
    .select(['step_name', 'details'])
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .execute();

beforeAll(async () => {
  [t, sim] = await Promise.all([
    createTestHelios(),
    startGraphSimulator({
      domain: DOMAIN,
      expiredDeltaStatus: 410,
      seed: { users: 8, groups: 1, membersPerGroup: 2 },
    }),
  ]);
}, 60_000);
afterAll(() => closeTestBed(t, sim));

describe('Microsoft 365 sync suspension', () => {
  it('suspends the linked local user when the account is disabled (accountEnabled=false) and re-activates them when it is enabled again', async () => {
    const local = await createTestUser(t.helios, { email: upn(2) });
    const first = await sync();
    expect(first.mode).toBe('full');
    expect(await localUser(local.id)).toMatchObject({
      microsoft_365_id: graphUser(2).id,
      user_status: 'active',
    });

    sim.touchUser(graphUser(2).id, { accountEnabled: false });
    const run = await sync();
    expect(run.mode).toBe('incremental');
    expect(run.counts.accounts).toEqual({ suspended: 1, reactivated: 0 });
    expect(await localUser(local.id)).toMatchObject({
      user_status: 'suspended',
      is_active: false,
      microsoft_365_sync_status: 'disabled',
    });
    expect(await lifecycle(local.id)).toEqual([
      {
        step_name: 'microsoft_365.suspend',
        details: {
          source: 'microsoft_365',
          reason: 'account disabled in Microsoft 365 (accountEnabled=false)',
          from: 'active',
          to: 'suspended',
        },
      },
    ]);

    sim.touchUser(graphUser(2).id, { accountEnabled: true });
    expect((await sync()).counts.accounts).toEqual({ suspended: 0, reactivated: 1 });
    expect(await localUser(local.id)).toMatchObject({
      user_status: 'active',
      is_active: true,
      microsoft_365_sync_status: 'synced',
    });
  });

  it('never re-activates a user a local admin suspended', async () => {
    const local = await createTestUser(t.helios, { email: upn(3) });
    await sync();
    await t.asAdmin.users.suspend(local.id);
    sim.touchUser(graphUser(3).id, { accountEnabled: false });
    await sync();
    sim.touchUser(graphUser(3).id, { accountEnabled: true });
    expect((await sync()).counts.accounts.reactivated).toBe(0);
    expect(await localUser(local.id)).toMatchObject({
      user_status: 'suspended',
      microsoft_365_sync_status: 'synced',
    });
  });

  it('falls back to a full run when an expired delta link is answered 410 resyncRequired', async () => {
    sim.touchUser(graphUser(4).id, { jobTitle: 'Resynced' });
    sim.expireDeltaLinks();
    const run = await sync();
    expect(run).toMatchObject({ mode: 'full', fellBackToFull: true, status: 'completed' });
    expect(run.counts.users.updated).toBe(1);
    expect((await sync()).mode).toBe('incremental');
  });

  it('keeps the last active admin active when the account is disabled, and reports a warning in the run', async () => {
    await t.helios.db
      .updateTable('organization_users')
      .set({ microsoft_365_id: graphUser(5).id })
      .where('id', '=', t.admin!.id)
      .execute();
    sim.touchUser(graphUser(5).id, { accountEnabled: false });
    const run = await sync();
    expect(run.warnings).toEqual([
      expect.objectContaining({
        code: SYNC_WARNING_LAST_ADMIN,
        details: { userIds: [t.admin!.id] },
      }),
    ]);
    expect(await localUser(t.admin!.id)).toMatchObject({ user_status: 'active' });
  });
});
