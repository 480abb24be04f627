import { createTestHelios, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let t: TestHelios;

beforeAll(async () => {
  t = await createTestHelios();
}, 60_000);
afterAll(async () => {
  await t?.destroy();
});

const moduleRows = () =>
  t.helios.db
    .selectFrom('organization_modules as om')
    .innerJoin('modules as m', 'm.id', 'om.module_id')
    .select(['m.slug', 'om.sync_status'])
    .where('m.slug', 'in', ['google_workspace', 'microsoft_365'])
    .where('om.organization_id', '=', t.organizationId!)
    .execute();

describe('the journaled sync run', () => {
  it('refuses to run inside a transaction with EXTERNAL.IN_TRANSACTION, for both clouds, journaling nothing', async () => {
    await expect(
      t.asAdmin.transaction((tx) => tx.googleSync.sync({ dryRun: true })),
    ).rejects.toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'EXTERNAL.IN_TRANSACTION',
      details: { operation: 'googleSync.sync' },
    });
    await expect(t.asAdmin.transaction((tx) => tx.microsoftSync.sync())).rejects.toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'EXTERNAL.IN_TRANSACTION',
      details: { operation: 'microsoftSync.sync' },
    });
    expect(await moduleRows()).toEqual([]);
    expect(
      (await t.asAdmin.audit.list({ action: 'google_workspace.sync', limit: 10 })).items,
    ).toEqual([]);
    expect((await t.asAdmin.audit.list({ action: 'microsoft_365.sync', limit: 10 })).items).toEqual(
      [],
    );
  });
});
