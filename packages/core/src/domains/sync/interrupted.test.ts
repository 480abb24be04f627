import {
  createTestHelios,
  type GoogleDirectorySimulator,
  type GraphSimulator,
  startGoogleDirectorySimulator,
  startGraphSimulator,
  type TestHelios,
} from '@helios/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceRuntime } from '../../runtime';
import { simulatedGoogleOverrides, simulatedMicrosoft365, testRuntime } from '../../test-runtime';
import { createGoogleCredentialsService } from '../google-workspace/credentials';
import { createGoogleSyncService } from '../google-workspace/sync.service';
import { createMicrosoftSyncService } from '../microsoft-365/sync.service';
import {
  closeInterruptedSyncRuns,
  SYNC_INTERRUPTED_REASON,
  setModuleSyncState,
  syncLockName,
} from './engine';

let t: TestHelios;
let google: GoogleDirectorySimulator;
let graph: GraphSimulator;

const runtime = (): ServiceRuntime => testRuntime(t, { type: 'user', userId: t.admin!.id });
const googleSync = () =>
  createGoogleSyncService(runtime(), {
    providerOverrides: simulatedGoogleOverrides(google),
  });
const microsoftSync = () =>
  createMicrosoftSyncService(runtime(), { provider: async () => simulatedMicrosoft365(graph) });

const CLOUDS = [
  { slug: 'google_workspace', action: 'google_workspace.sync', run: () => googleSync().sync() },
  { slug: 'microsoft_365', action: 'microsoft_365.sync', run: () => microsoftSync().sync() },
] as const;

const moduleState = (slug: string) =>
  t.helios.db
    .selectFrom('organization_modules as om')
    .innerJoin('modules as m', 'm.id', 'om.module_id')
    .select(['om.sync_status', 'om.sync_error'])
    .where('m.slug', '=', slug)
    .where('om.organization_id', '=', t.organizationId!)
    .executeTakeFirst();
const runAudits = async (action: string) =>
  (await t.asAdmin.audit.list({ action, limit: 100 })).items.map(
    (a) =>
      a.details as {
        status?: string;
        interrupted?: boolean;
        error?: { code: string; message: string };
      },
  );

/** Leaves the state a killed process leaves: the run journaled `running`, no failed row, no lock held. */
async function killedRun(cloud: (typeof CLOUDS)[number]) {
  await setModuleSyncState(
    t.helios.db,
    {
      organizationId: t.organizationId!,
      moduleSlug: cloud.slug,
      action: cloud.action,
      principal: undefined as never,
    },
    {
      status: 'running',
      at: new Date(),
    },
  );
}

beforeAll(async () => {
  [t, google, graph] = await Promise.all([
    createTestHelios(),
    startGoogleDirectorySimulator({
      domain: 'interrupted.test',
      seed: { users: 5, groups: 1, membersPerGroup: 2, orgUnits: 1 },
    }),
    startGraphSimulator({
      domain: 'interrupted-ms.test',
      seed: { users: 5, groups: 1, membersPerGroup: 2 },
    }),
  ]);
  await createGoogleCredentialsService(runtime()).configure({
    serviceAccountKey: google.serviceAccountKey,
    adminEmail: google.adminEmail,
    domain: 'interrupted.test',
  });
}, 60_000);
afterAll(async () => {
  await google?.close();
  await graph?.close();
  await t?.destroy();
});

describe.each(CLOUDS)('a $slug run interrupted by a stopped process', (cloud) => {
  it('is closed as failed with the reason by the next run, which then proceeds', async () => {
    await killedRun(cloud);
    expect(await moduleState(cloud.slug)).toMatchObject({ sync_status: 'running' });
    const before = await runAudits(cloud.action);

    const run = await cloud.run();
    expect(run.status).toBe('completed');

    const after = await runAudits(cloud.action);
    const newRows = after.slice(0, after.length - before.length);
    const failed = newRows.filter((d) => d.status === 'failed');
    expect(failed).toEqual([
      {
        status: 'failed',
        interrupted: true,
        error: { code: 'SYNC.INTERRUPTED', message: SYNC_INTERRUPTED_REASON },
      },
    ]);
    expect(newRows.filter((d) => d.status === 'completed')).toHaveLength(1);
    expect(await moduleState(cloud.slug)).toMatchObject({
      sync_status: 'completed',
      sync_error: null,
    });
  });

  it('is not closed while another session holds the run lock (a live run; server backend, the embedded one has one session)', async () => {
    const url = t.database.connectionString;
    await killedRun(cloud);
    if (url === null) {
      // Embedded: one process owns the database, so a `running` state there can only be a stopped run.
      await cloud.run();
      expect(await moduleState(cloud.slug)).toMatchObject({ sync_status: 'completed' });
      return;
    }
    const before = (await runAudits(cloud.action)).length;
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      await other.query('select pg_advisory_lock(hashtext($1))', [
        syncLockName(t.organizationId!, cloud.slug),
      ]);
      await expect(cloud.run()).rejects.toMatchObject({
        kind: 'CONFLICT',
        code: 'SYNC.ALREADY_RUNNING',
      });
      expect(await moduleState(cloud.slug)).toMatchObject({
        sync_status: 'running',
        sync_error: null,
      });
      expect(await runAudits(cloud.action)).toHaveLength(before);
    } finally {
      await other.end();
    }
    // The live run's session is gone (its lock with it): the next run closes the stale state.
    await cloud.run();
    const failed = (await runAudits(cloud.action)).filter((d) => d.interrupted === true);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(await moduleState(cloud.slug)).toMatchObject({ sync_status: 'completed' });
  });
});

describe('start-up recovery (closeInterruptedSyncRuns, called by the server at start)', () => {
  const kinds = CLOUDS.map((c) => ({ moduleSlug: c.slug, action: c.action }));

  it('closes the runs a stopped process left running as failed, as the system, but not one whose lock is held', async () => {
    for (const cloud of CLOUDS) await killedRun(cloud);
    const url = t.database.connectionString;
    const other = url === null ? null : new pg.Client({ connectionString: url });
    try {
      if (other) {
        await other.connect();
        await other.query('select pg_advisory_lock(hashtext($1))', [
          syncLockName(t.organizationId!, 'microsoft_365'),
        ]);
      }
      const closed = await closeInterruptedSyncRuns(t.helios.db, kinds, new Date());
      expect(await moduleState('google_workspace')).toMatchObject({
        sync_status: 'failed',
        sync_error: `SYNC.INTERRUPTED: ${SYNC_INTERRUPTED_REASON}`,
      });
      const audit = (await t.asAdmin.audit.list({ action: 'google_workspace.sync', limit: 1 }))
        .items[0]!;
      expect(audit).toMatchObject({
        actorType: 'system',
        details: { status: 'failed', interrupted: true },
      });
      if (other) {
        // Embedded: one session, so no other process can hold a lock; on a server, the live run is left alone.
        expect(closed).toBe(1);
        expect(await moduleState('microsoft_365')).toMatchObject({ sync_status: 'running' });
      } else {
        expect(closed).toBe(2);
      }
    } finally {
      await other?.end();
    }
    await closeInterruptedSyncRuns(t.helios.db, kinds, new Date());
    expect(await moduleState('microsoft_365')).toMatchObject({ sync_status: 'failed' });
  });
});
